//! Field-level security: stored per role, merged per user (most permissive wins, admins
//! see everything), applied to records and timelines, enforced on writes, audited, and
//! advancing the auth epoch so cached permissions are resolved afresh.

use crate::common::{fixtures, sql};
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::field_security::{FieldAccess, FieldRules};
use kehu_core::permission::Visibility;
use kehu_db::events::{self, AuditQuery, Origin};
use kehu_db::{field_security, records, roles, Db, DbError};
use serde_json::json;

backend_tests!(
    the_service_agent_starts_without_credit_limit_and_mobile,
    the_most_permissive_role_wins_and_admins_see_everything,
    masked_records_lack_hidden_fields_and_custom_values,
    writes_to_restricted_fields_are_refused_and_change_nothing,
    saving_rules_is_audited_and_advances_the_auth_epoch,
    timelines_drop_changes_of_hidden_fields
);

async fn role_id(db: &Db, name: &str) -> i64 {
    roles::list(db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap()
        .id
}

async fn the_service_agent_starts_without_credit_limit_and_mobile(db: Db) {
    fixtures::seed(&db).await;
    let agent = fixtures::user(&db, "agent", None, &["service_agent"]).await;
    assert!(agent.fields.is_hidden("account", "credit_limit"));
    assert!(agent.fields.is_hidden("contact", "mobile"));
    assert!(!agent.fields.is_hidden("account", "city"));
    let rep = fixtures::user(&db, "rep", None, &["sales_rep"]).await;
    assert_eq!(rep.fields, FieldRules::default());
    // Seeding again (a restart) does not duplicate or reset the rows.
    roles::ensure_defaults(&db).await.unwrap();
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM field_security").await,
        2
    );
}

async fn the_most_permissive_role_wins_and_admins_see_everything(db: Db) {
    fixtures::seed(&db).await;
    let origin = Origin::default();
    let mut reader_rules = FieldRules::default();
    reader_rules.set("account", "credit_limit", FieldAccess::ReadOnly);
    reader_rules.set("contact", "mobile", FieldAccess::Hidden);
    field_security::replace(&db, &origin, role_id(&db, "read_only").await, &reader_rules)
        .await
        .unwrap();
    let both = fixtures::user(&db, "both", None, &["service_agent", "read_only"]).await;
    // Hidden for one role, read-only for the other: read-only.
    assert_eq!(
        both.fields.access("account", "credit_limit"),
        FieldAccess::ReadOnly
    );
    // Hidden for both: hidden.
    assert!(both.fields.is_hidden("contact", "mobile"));
    // A role that does not restrict a field makes it visible.
    let with_rep = fixtures::user(&db, "mixed", None, &["service_agent", "sales_rep"]).await;
    assert_eq!(with_rep.fields, FieldRules::default());
    // Admins see every field even with a restricting role.
    let admin = fixtures::user(&db, "boss", None, &["admin", "service_agent"]).await;
    assert_eq!(admin.fields, FieldRules::default());
}

async fn masked_records_lack_hidden_fields_and_custom_values(db: Db) {
    fixtures::seed(&db).await;
    fixtures::define_custom_fields(&db).await;
    let admin = fixtures::admin(&db).await;
    let customer = fixtures::account(
        &db,
        &admin,
        json!({"name": "华为", "credit_limit": 5000000, "city": "深圳",
               "custom": {"wechat": "hw-wx", "employees": 200}}),
    )
    .await;
    let mut rules = FieldRules::default();
    rules.set("account", "credit_limit", FieldAccess::Hidden);
    rules.set("account", "custom.wechat", FieldAccess::Hidden);
    let mut read = records::get(&db, &ACCOUNT, &Visibility::Everything, customer.id)
        .await
        .unwrap();
    assert_eq!(read.int("credit_limit"), Some(5000000));
    read.mask(&rules);
    let shown = read.to_json();
    assert!(shown.get("credit_limit").is_none(), "{shown}");
    assert!(shown["custom"].get("wechat").is_none(), "{shown}");
    assert_eq!(shown["custom"]["employees"], json!(200));
    assert_eq!(shown["city"], json!("深圳"));
    assert_eq!(shown["name"], json!("华为"));
}

async fn writes_to_restricted_fields_are_refused_and_change_nothing(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let mut rules = FieldRules::default();
    rules.set("account", "city", FieldAccess::ReadOnly);
    rules.set("account", "credit_limit", FieldAccess::Hidden);
    rules.set("contact", "mobile", FieldAccess::ReadOnly);
    field_security::replace(
        &db,
        &Origin::default(),
        role_id(&db, "sales_rep").await,
        &rules,
    )
    .await
    .unwrap();
    let rep = fixtures::user(&db, "rep", None, &["sales_rep"]).await;
    let customer = fixtures::account(
        &db,
        &admin,
        json!({"name": "客户", "city": "北京", "owner_id": rep.user_id}),
    )
    .await;
    let before = sql::row_snapshot(&db, "accounts", customer.id).await;
    let events_before = sql::scalar(&db, "SELECT COUNT(*) FROM events").await;
    for (input, field, code) in [
        (json!({"city": "上海"}), "city", "field_read_only"),
        (json!({"credit_limit": 1}), "credit_limit", "field_hidden"),
        (
            json!({"city": "上海", "description": "x"}),
            "city",
            "field_read_only",
        ),
    ] {
        let refused = fixtures::try_update(&db, &ACCOUNT, &rep, customer.id, 1, input.clone())
            .await
            .unwrap_err();
        let DbError::Invalid(errors) = refused else {
            panic!("{input}: {refused:?}");
        };
        assert_eq!(
            errors.get(field).map(|e| e.code.as_str()),
            Some(code),
            "{input}"
        );
    }
    assert_eq!(
        sql::row_snapshot(&db, "accounts", customer.id).await,
        before
    );
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM events").await,
        events_before
    );
    // Other fields are still writable.
    let saved = fixtures::try_update(
        &db,
        &ACCOUNT,
        &rep,
        customer.id,
        1,
        json!({"description": "ok"}),
    )
    .await
    .unwrap();
    assert_eq!(saved.text("description"), Some("ok"));
    // Create: the rep cannot set a read-only mobile on a new contact.
    let contacts_before = sql::scalar(&db, "SELECT COUNT(*) FROM contacts").await;
    let refused = fixtures::try_create(
        &db,
        &CONTACT,
        &rep,
        json!({"name": "张伟", "account_id": customer.id, "mobile": "13800138000"}),
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, DbError::Invalid(ref e) if e.get("mobile").is_some()));
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM contacts").await,
        contacts_before
    );
}

async fn saving_rules_is_audited_and_advances_the_auth_epoch(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let role = role_id(&db, "sales_rep").await;
    let epoch = sql::scalar(&db, "SELECT value FROM auth_epoch").await;
    let mut rules = FieldRules::default();
    rules.set("account", "phone", FieldAccess::Hidden);
    let origin = Origin::user(admin.user_id, Some("10.0.0.1".into()));
    field_security::replace(&db, &origin, role, &rules)
        .await
        .unwrap();
    assert!(sql::scalar(&db, "SELECT value FROM auth_epoch").await > epoch);
    assert_eq!(field_security::for_role(&db, role).await.unwrap(), rules);
    let audit = events::search(
        &db,
        &AuditQuery {
            entity: Some("role".into()),
            record_id: Some(role),
            ..AuditQuery::default()
        },
        10,
    )
    .await
    .unwrap();
    let change = audit
        .iter()
        .flat_map(|e| e.changes.iter())
        .find(|c| c.field == "field.account.phone")
        .expect("the change is in the audit log");
    assert_eq!(
        (change.old.as_str(), change.new.as_str()),
        (Some("editable"), Some("hidden"))
    );
    assert_eq!(audit[0].actor_id, Some(admin.user_id));
    // Lifting it is audited too; a field that cannot be restricted is refused.
    field_security::replace(&db, &origin, role, &FieldRules::default())
        .await
        .unwrap();
    assert_eq!(
        field_security::for_role(&db, role).await.unwrap(),
        FieldRules::default()
    );
    let mut bad = FieldRules::default();
    bad.set("account", "owner_id", FieldAccess::Hidden);
    assert!(matches!(
        field_security::replace(&db, &origin, role, &bad).await,
        Err(DbError::Invalid(_))
    ));
}

async fn timelines_drop_changes_of_hidden_fields(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let customer = fixtures::named_account(&db, &admin, "时间线").await;
    let customer = fixtures::try_update(
        &db,
        &ACCOUNT,
        &admin,
        customer.id,
        1,
        json!({"credit_limit": 900000}),
    )
    .await
    .unwrap();
    fixtures::try_update(
        &db,
        &ACCOUNT,
        &admin,
        customer.id,
        customer.version,
        json!({"credit_limit": 100, "city": "杭州"}),
    )
    .await
    .unwrap();
    let timeline = events::account_timeline(&db, customer.id, &Visibility::Everything, None, 50)
        .await
        .unwrap();
    let mut rules = FieldRules::default();
    rules.set("account", "credit_limit", FieldAccess::Hidden);
    let masked = events::mask(timeline.clone(), &rules);
    // The update of only the credit limit is gone; the other keeps the city alone.
    assert_eq!(masked.len(), timeline.len() - 1);
    let text = serde_json::to_string(&masked).unwrap();
    assert!(!text.contains("credit_limit"), "{text}");
    assert!(!text.contains("900000"), "{text}");
    assert!(text.contains("杭州"), "{text}");
}
