//! Creating, reading, changing, deleting and restoring customers and contacts.

use crate::common::fixtures::{self, account, contact, try_create, try_update};
use crate::common::sql;
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::permission::Visibility;
use kehu_core::FieldValue;
use kehu_db::{events, records, users, Db, DbError};
use serde_json::json;

backend_tests!(
    creates_and_reads_a_customer,
    updates_need_the_current_version,
    unchanged_saves_change_nothing,
    custom_values_are_changed_and_cleared,
    recycle_bin_hides_and_restores,
    customer_codes_are_unique,
    owner_changes_move_the_team,
    contacts_belong_to_a_customer,
    reporting_lines_stay_inside_the_customer,
    contacts_wait_for_their_customer_to_be_restored,
    fields_with_defaults_cannot_be_emptied
);

fn field_code(result: Result<records::Record, DbError>, field: &str) -> String {
    match result {
        Err(DbError::Invalid(errors)) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors:?}"))
            .code
            .clone(),
        Ok(record) => panic!(
            "expected a field error on {field}, but it was saved: {}",
            record.to_json()
        ),
        Err(other) => panic!("expected a field error on {field}, got {other:?}"),
    }
}

async fn creates_and_reads_a_customer(db: Db) {
    fixtures::seed(&db).await;
    fixtures::define_custom_fields(&db).await;
    let admin = fixtures::admin(&db).await;
    let created = account(
        &db,
        &admin,
        json!({
            "name": "北京华为科技有限公司",
            "kind": "company",
            "code": "KH-2024-0001",
            "industry": "制造",
            "level": "VIP",
            "source": "展会",
            "province": "北京",
            "city": "北京市",
            "address": "海淀区中关村大街1号",
            "phone": "+86 10-6234-5678",
            "email": "info@huawei-bj.example.com",
            "website": "huawei-bj.example.com",
            "lifecycle_status": "active",
            "credit_limit": 50_000_000,
            "currency": "CNY",
            "tags": ["重点客户", "华北"],
            "description": "多行\n描述",
            "custom": {"employees": 1200, "wechat": "huawei_bj"}
        }),
    )
    .await;
    let read = records::get(&db, &ACCOUNT, &Visibility::Everything, created.id)
        .await
        .unwrap();
    assert_eq!(read, created, "create returns what get reads");
    assert_eq!(read.text("name"), Some("北京华为科技有限公司"));
    assert_eq!(read.text("industry"), Some("制造"));
    assert_eq!(read.text("level"), Some("VIP"));
    assert_eq!(read.text("province"), Some("北京"));
    assert_eq!(read.text("address"), Some("海淀区中关村大街1号"));
    assert_eq!(read.text("website"), Some("https://huawei-bj.example.com"));
    assert_eq!(read.text("description"), Some("多行\n描述"));
    assert_eq!(read.int("credit_limit"), Some(50_000_000));
    assert_eq!(
        read.get("tags"),
        &FieldValue::List(vec!["重点客户".into(), "华北".into()])
    );
    assert_eq!(
        read.custom.get("employees").and_then(|v| v.as_f64()),
        Some(1200.0)
    );
    assert_eq!(read.custom.get("wechat"), Some(&json!("huawei_bj")));
    assert_eq!(
        (read.version, read.owner_id, read.team_id, read.deleted_at),
        (1, admin.user_id, None, None)
    );
    assert_eq!(read.int("created_by"), Some(admin.user_id));
    assert!(matches!(read.get("created_at"), FieldValue::Timestamp(_)));
    assert_eq!(read.get("created_at"), read.get("updated_at"));
    assert_eq!(
        read.get("birthday"),
        &FieldValue::Null,
        "fields of other entities are not invented"
    );

    // A minimal customer gets the column defaults.
    let minimal = fixtures::named_account(&db, &admin, "个体户王五").await;
    assert_eq!(minimal.text("kind"), Some("company"));
    assert_eq!(minimal.text("lifecycle_status"), Some("potential"));
    assert_eq!(minimal.get("tags"), &FieldValue::Null);
    assert!(minimal.custom.is_empty());
    assert!(matches!(
        records::get(&db, &ACCOUNT, &Visibility::Everything, minimal.id + 100).await,
        Err(DbError::NotFound)
    ));
}

async fn updates_need_the_current_version(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let created = account(
        &db,
        &admin,
        json!({"name": "上海科技发展有限公司", "level": "普通", "credit_limit": 1000}),
    )
    .await;
    let updated = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"level": "VIP", "credit_limit": 2000}),
    )
    .await
    .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.text("level"), Some("VIP"));
    assert_eq!(updated.int("credit_limit"), Some(2000));
    assert_eq!(updated.int("updated_by"), Some(admin.user_id));
    assert_eq!(updated.get("created_at"), created.get("created_at"));

    // Someone who read version 1 saves later: refused, nothing overwritten.
    let before = sql::row_snapshot(&db, "accounts", created.id).await;
    let stale = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"level": "普通", "name": "覆盖"}),
    )
    .await;
    assert!(
        matches!(stale, Err(DbError::StaleVersion { current: 2 })),
        "{stale:?}"
    );
    assert_eq!(
        sql::row_snapshot(&db, "accounts", created.id).await,
        before,
        "the row is unchanged"
    );
    let future = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        3,
        json!({"level": "普通"}),
    )
    .await;
    assert!(
        matches!(future, Err(DbError::StaleVersion { current: 2 })),
        "{future:?}"
    );
    assert_eq!(sql::row_snapshot(&db, "accounts", created.id).await, before);

    let third = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        2,
        json!({"credit_limit": null}),
    )
    .await
    .unwrap();
    assert_eq!((third.version, third.int("credit_limit")), (3, None));
    assert!(matches!(
        try_update(&db, &ACCOUNT, &admin, 9999, 1, json!({"level": "VIP"})).await,
        Err(DbError::NotFound)
    ));
}

async fn unchanged_saves_change_nothing(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let created = account(
        &db,
        &admin,
        json!({"name": "Acme Trading Ltd", "level": "VIP", "tags": ["a", "b"]}),
    )
    .await;
    let before = sql::row_snapshot(&db, "accounts", created.id).await;
    let events_before = sql::scalar(&db, "SELECT COUNT(*) FROM events").await;
    let same = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"name": "Acme Trading Ltd", "level": "VIP", "tags": ["a", "b"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        same.version, 1,
        "saving an unchanged form does not bump the version"
    );
    assert_eq!(sql::row_snapshot(&db, "accounts", created.id).await, before);
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM events").await,
        events_before,
        "and writes no event"
    );
}

async fn custom_values_are_changed_and_cleared(db: Db) {
    fixtures::seed(&db).await;
    fixtures::define_custom_fields(&db).await;
    let admin = fixtures::admin(&db).await;
    let created = account(
        &db,
        &admin,
        json!({"name": "深圳腾讯", "custom": {"employees": 10, "wechat": "tx"}}),
    )
    .await;
    let changed = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"custom": {"employees": 12.5, "wechat": null}}),
    )
    .await
    .unwrap();
    assert_eq!(
        changed.custom.get("employees").and_then(|v| v.as_f64()),
        Some(12.5)
    );
    assert!(
        !changed.custom.contains_key("wechat"),
        "null clears a custom value"
    );
    let read = records::get(&db, &ACCOUNT, &Visibility::Everything, created.id)
        .await
        .unwrap();
    assert_eq!(read.custom, changed.custom);
    assert_eq!(read.version, 2);
}

async fn recycle_bin_hides_and_restores(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let everything = Visibility::Everything;
    let keep = fixtures::named_account(&db, &admin, "留下的客户").await;
    let gone = fixtures::named_account(&db, &admin, "删除的客户").await;
    let live = fixtures::query(&ACCOUNT, "name", &[], 50);
    let bin = records::ListQuery {
        in_recycle_bin: true,
        ..live.clone()
    };

    records::soft_delete(&db, &ACCOUNT, &admin, None, gone.id)
        .await
        .unwrap();
    assert!(matches!(
        records::get(&db, &ACCOUNT, &everything, gone.id).await,
        Err(DbError::NotFound)
    ));
    assert_eq!(
        fixtures::names(&db, &ACCOUNT, &everything, &live).await,
        ["留下的客户"]
    );
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &live, 1000)
            .await
            .unwrap(),
        (1, false)
    );
    let in_bin = records::list(&db, &ACCOUNT, &everything, &bin, &[])
        .await
        .unwrap()
        .records;
    assert_eq!(in_bin.len(), 1);
    assert_eq!(in_bin[0].id, gone.id);
    assert!(in_bin[0].deleted_at.is_some());
    assert_eq!(
        records::count(&db, &ACCOUNT, &everything, &bin, 1000)
            .await
            .unwrap(),
        (1, false)
    );
    assert_eq!(
        sql::scalar(
            &db,
            &format!("SELECT deleted_by FROM accounts WHERE id = {}", gone.id)
        )
        .await,
        admin.user_id
    );
    // A deleted record cannot be edited or deleted again.
    assert!(matches!(
        try_update(&db, &ACCOUNT, &admin, gone.id, 2, json!({"name": "x"})).await,
        Err(DbError::NotFound)
    ));
    assert!(matches!(
        records::soft_delete(&db, &ACCOUNT, &admin, None, gone.id).await,
        Err(DbError::NotFound)
    ));
    assert!(
        matches!(
            records::restore(&db, &ACCOUNT, &admin, None, keep.id).await,
            Err(DbError::NotFound)
        ),
        "only deleted records are restored"
    );

    let restored = records::restore(&db, &ACCOUNT, &admin, None, gone.id)
        .await
        .unwrap();
    assert_eq!(restored.deleted_at, None);
    assert_eq!(restored.version, 3, "delete and restore are changes too");
    assert_eq!(
        records::get(&db, &ACCOUNT, &everything, gone.id)
            .await
            .unwrap(),
        restored
    );
    assert_eq!(
        fixtures::names(&db, &ACCOUNT, &everything, &live).await,
        ["删除的客户", "留下的客户"]
    );
    assert!(records::list(&db, &ACCOUNT, &everything, &bin, &[])
        .await
        .unwrap()
        .records
        .is_empty());
    assert_eq!(
        sql::scalar(
            &db,
            &format!(
                "SELECT COUNT(*) FROM accounts WHERE id = {} AND deleted_by IS NULL",
                gone.id
            )
        )
        .await,
        1
    );
}

async fn customer_codes_are_unique(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let first = account(&db, &admin, json!({"name": "甲", "code": "KH-001"})).await;
    let duplicate = try_create(
        &db,
        &ACCOUNT,
        &admin,
        json!({"name": "乙", "code": "KH-001"}),
    )
    .await;
    assert_eq!(field_code(duplicate, "code"), "taken");
    // Customers without a code do not collide.
    fixtures::named_account(&db, &admin, "丙").await;
    fixtures::named_account(&db, &admin, "丁").await;
    let second = account(&db, &admin, json!({"name": "乙", "code": "KH-002"})).await;
    let clash = try_update(
        &db,
        &ACCOUNT,
        &admin,
        second.id,
        1,
        json!({"code": "KH-001"}),
    )
    .await;
    assert_eq!(field_code(clash, "code"), "taken");
    assert_eq!(
        records::get(&db, &ACCOUNT, &Visibility::Everything, second.id)
            .await
            .unwrap()
            .text("code"),
        Some("KH-002")
    );
    assert_eq!(first.text("code"), Some("KH-001"));
}

async fn owner_changes_move_the_team(db: Db) {
    fixtures::seed(&db).await;
    let north = fixtures::team(&db, "华北区", None).await;
    let south = fixtures::team(&db, "华南区", None).await;
    let admin = fixtures::admin(&db).await;
    let rep_north = fixtures::user(&db, "rep.north", Some(north), &["sales_rep"]).await;
    let rep_south = fixtures::user(&db, "rep.south", Some(south), &["sales_rep"]).await;
    let created = account(
        &db,
        &admin,
        json!({"name": "北方客户", "owner_id": rep_north.user_id}),
    )
    .await;
    assert_eq!(
        (created.owner_id, created.team_id),
        (rep_north.user_id, Some(north))
    );
    let moved = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"owner_id": rep_south.user_id}),
    )
    .await
    .unwrap();
    assert_eq!(
        (moved.owner_id, moved.team_id, moved.version),
        (rep_south.user_id, Some(south), 2)
    );

    // A sales rep may not create records for someone else, nor for an unknown user.
    let for_other = try_create(
        &db,
        &ACCOUNT,
        &rep_north,
        json!({"name": "x", "owner_id": rep_south.user_id}),
    )
    .await;
    assert_eq!(field_code(for_other, "owner_id"), "not_allowed");
    let unknown = try_create(
        &db,
        &ACCOUNT,
        &admin,
        json!({"name": "x", "owner_id": 9999}),
    )
    .await;
    assert_eq!(field_code(unknown, "owner_id"), "unknown_user");
    // Nor for a deactivated user.
    let user = users::get(&db, rep_north.user_id).await.unwrap();
    users::update(
        &db,
        &kehu_db::events::Origin::default(),
        user.id,
        user.version,
        users::UserChanges {
            active: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let inactive = try_create(
        &db,
        &ACCOUNT,
        &admin,
        json!({"name": "x", "owner_id": rep_north.user_id}),
    )
    .await;
    assert_eq!(field_code(inactive, "owner_id"), "unknown_user");
}

async fn contacts_belong_to_a_customer(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let huawei = fixtures::named_account(&db, &admin, "北京华为科技有限公司").await;
    let zhang = contact(
        &db,
        &admin,
        huawei.id,
        json!({"name": "张伟", "title": "采购经理", "mobile": "138-1234-5678", "email": "zhang.wei@huawei.example.com", "birthday": "1985-06-01"}),
    )
    .await;
    let read = records::get(&db, &CONTACT, &Visibility::Everything, zhang.id)
        .await
        .unwrap();
    assert_eq!(read, zhang);
    assert_eq!(read.int("account_id"), Some(huawei.id));
    assert_eq!(read.text("mobile"), Some("138-1234-5678"));
    assert_eq!(
        read.get("birthday"),
        &FieldValue::Date(chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap())
    );

    let orphan = try_create(
        &db,
        &CONTACT,
        &admin,
        json!({"name": "无主", "account_id": 9999}),
    )
    .await;
    assert_eq!(field_code(orphan, "account_id"), "unknown_account");
    records::soft_delete(&db, &ACCOUNT, &admin, None, huawei.id)
        .await
        .unwrap();
    let to_deleted = try_create(
        &db,
        &CONTACT,
        &admin,
        json!({"name": "迟到", "account_id": huawei.id}),
    )
    .await;
    assert_eq!(
        field_code(to_deleted, "account_id"),
        "unknown_account",
        "no new contacts for a customer in the recycle bin"
    );
    let history = events::record_history(&db, "contact", zhang.id, 10)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
}

async fn reporting_lines_stay_inside_the_customer(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let huawei = fixtures::named_account(&db, &admin, "华为").await;
    let tencent = fixtures::named_account(&db, &admin, "腾讯").await;
    let ceo = contact(&db, &admin, huawei.id, json!({"name": "任总"})).await;
    let vp = contact(
        &db,
        &admin,
        huawei.id,
        json!({"name": "副总", "reports_to_id": ceo.id}),
    )
    .await;
    assert_eq!(vp.int("reports_to_id"), Some(ceo.id));
    let manager = contact(
        &db,
        &admin,
        huawei.id,
        json!({"name": "经理", "reports_to_id": vp.id}),
    )
    .await;
    let outsider = contact(&db, &admin, tencent.id, json!({"name": "马总"})).await;

    let across = try_create(
        &db,
        &CONTACT,
        &admin,
        json!({"name": "x", "account_id": huawei.id, "reports_to_id": outsider.id}),
    )
    .await;
    assert_eq!(
        field_code(across, "reports_to_id"),
        "unknown_contact",
        "a boss at another customer"
    );
    let missing = try_create(
        &db,
        &CONTACT,
        &admin,
        json!({"name": "x", "account_id": huawei.id, "reports_to_id": 9999}),
    )
    .await;
    assert_eq!(field_code(missing, "reports_to_id"), "unknown_contact");

    let before = sql::row_snapshot(&db, "contacts", ceo.id).await;
    let own = try_update(
        &db,
        &CONTACT,
        &admin,
        ceo.id,
        1,
        json!({"reports_to_id": ceo.id}),
    )
    .await;
    assert_eq!(field_code(own, "reports_to_id"), "self_reference");
    let two = try_update(
        &db,
        &CONTACT,
        &admin,
        ceo.id,
        1,
        json!({"reports_to_id": vp.id}),
    )
    .await;
    assert_eq!(field_code(two, "reports_to_id"), "cycle");
    let three = try_update(
        &db,
        &CONTACT,
        &admin,
        ceo.id,
        1,
        json!({"reports_to_id": manager.id}),
    )
    .await;
    assert_eq!(field_code(three, "reports_to_id"), "cycle");
    assert_eq!(sql::row_snapshot(&db, "contacts", ceo.id).await, before);

    // Moving a contact to another customer may not leave a reporting line across customers.
    let moved = try_update(
        &db,
        &CONTACT,
        &admin,
        manager.id,
        1,
        json!({"account_id": tencent.id}),
    )
    .await;
    assert_eq!(
        field_code(moved, "reports_to_id"),
        "unknown_contact",
        "the boss stayed at the old customer"
    );
    let with_reports = try_update(
        &db,
        &CONTACT,
        &admin,
        vp.id,
        1,
        json!({"account_id": tencent.id, "reports_to_id": null}),
    )
    .await;
    assert_eq!(
        field_code(with_reports, "account_id"),
        "has_reports",
        "someone at the old customer reports to them"
    );
    let ok = try_update(
        &db,
        &CONTACT,
        &admin,
        manager.id,
        1,
        json!({"account_id": tencent.id, "reports_to_id": outsider.id}),
    )
    .await
    .unwrap();
    assert_eq!(
        (ok.int("account_id"), ok.int("reports_to_id")),
        (Some(tencent.id), Some(outsider.id))
    );
    let cleared = try_update(
        &db,
        &CONTACT,
        &admin,
        vp.id,
        1,
        json!({"reports_to_id": null}),
    )
    .await
    .unwrap();
    assert_eq!(cleared.int("reports_to_id"), None);
}

async fn contacts_wait_for_their_customer_to_be_restored(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let huawei = fixtures::named_account(&db, &admin, "华为").await;
    let zhang = contact(&db, &admin, huawei.id, json!({"name": "张伟"})).await;
    records::soft_delete(&db, &CONTACT, &admin, None, zhang.id)
        .await
        .unwrap();
    records::soft_delete(&db, &ACCOUNT, &admin, None, huawei.id)
        .await
        .unwrap();
    let early = records::restore(&db, &CONTACT, &admin, None, zhang.id).await;
    assert_eq!(field_code(early, "account_id"), "account_deleted");
    records::restore(&db, &ACCOUNT, &admin, None, huawei.id)
        .await
        .unwrap();
    let back = records::restore(&db, &CONTACT, &admin, None, zhang.id)
        .await
        .unwrap();
    assert_eq!(back.deleted_at, None);
}

/// `kind` and `lifecycle_status` always have a value: a blank choice on a new customer
/// means the default, and clearing one on an existing customer is refused, not a crash.
async fn fields_with_defaults_cannot_be_emptied(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let created = account(
        &db,
        &admin,
        json!({"name": "空白选项", "kind": null, "lifecycle_status": null}),
    )
    .await;
    assert_eq!(
        (created.text("kind"), created.text("lifecycle_status")),
        (Some("company"), Some("potential"))
    );
    let changed = try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"lifecycle_status": "active"}),
    )
    .await
    .unwrap();
    let before = sql::row_snapshot(&db, "accounts", created.id).await;
    for field in ["lifecycle_status", "kind"] {
        let cleared = try_update(
            &db,
            &ACCOUNT,
            &admin,
            created.id,
            changed.version,
            json!({ field: null }),
        )
        .await;
        assert_eq!(field_code(cleared, field), "required");
    }
    assert_eq!(sql::row_snapshot(&db, "accounts", created.id).await, before);
}
