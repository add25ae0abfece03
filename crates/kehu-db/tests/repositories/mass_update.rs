//! Mass update: many records get the same new values (or a new owner) in one transaction,
//! within the actor's mass update and assign scopes, each changed record with its version
//! bump and timeline event, the action with one audit entry; refusals change nothing, and
//! a concurrent edit of one record is never overwritten.

use super::permissions::org;
use crate::common::fixtures::{self, changes, contact};
use crate::common::sql;
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::field_security::{FieldAccess, FieldRules};
use kehu_core::filter::parse_filters;
use kehu_core::mass_update::MAX_RECORDS;
use kehu_core::permission::{Action, Grants, Scope, Visibility};
use kehu_core::validation::Mode;
use kehu_db::events::{self, AuditQuery};
use kehu_db::records::mass_update::{self, MassUpdate, MassUpdateCounts, Selection};
use kehu_db::records::{self, BulkRow};
use kehu_db::{field_security, roles, Db, DbError};
use serde_json::{json, Value as Json};

backend_tests!(
    a_manager_changes_the_teams_customers_and_no_others,
    records_that_already_have_the_values_are_left_alone,
    filters_choose_the_records_and_search_follows_the_new_values,
    customers_given_to_a_new_owner_take_their_contacts_along,
    refusals_name_the_field_and_change_nothing,
    concurrent_edits_are_never_overwritten,
    the_bound_holds_and_a_full_batch_goes_through
);

async fn request(db: &Db, selection: Selection, input: Json) -> MassUpdate {
    MassUpdate {
        selection,
        changes: changes(db, &ACCOUNT, input, Mode::Update).await,
    }
}

fn counts(matched: u64, changed: u64) -> MassUpdateCounts {
    MassUpdateCounts {
        matched,
        changed,
        moved_with: Vec::new(),
    }
}

async fn a_manager_changes_the_teams_customers_and_no_others(db: Db) {
    let o = org(&db).await;
    let own = fixtures::named_account(&db, &o.manager_a, "经理自己的客户").await;
    let reps = fixtures::named_account(&db, &o.rep_a, "华北代表的客户").await;
    let team_b = fixtures::named_account(&db, &o.rep_b, "华南代表的客户").await;
    let untouched = sql::row_snapshot(&db, "accounts", team_b.id).await;
    let vip = request(
        &db,
        Selection::Ids(vec![own.id, reps.id, team_b.id, 99_999]),
        json!({"level": "VIP", "lifecycle_status": "active"}),
    )
    .await;

    // The preview counts and writes nothing.
    let before = sql::dump(&db).await;
    let preview = mass_update::preview(&db, &ACCOUNT, &o.manager_a, &vip)
        .await
        .unwrap();
    assert_eq!(
        preview,
        counts(2, 2),
        "team B's customer is not theirs to change"
    );
    assert_eq!(sql::dump(&db).await, before, "a preview writes nothing");

    let done = mass_update::apply(&db, &ACCOUNT, &o.manager_a, Some("10.0.0.7"), &vip)
        .await
        .unwrap();
    assert_eq!(done, preview);
    for id in [own.id, reps.id] {
        let record = records::get(&db, &ACCOUNT, &Visibility::Everything, id)
            .await
            .unwrap();
        assert_eq!(record.text("level"), Some("VIP"));
        assert_eq!(record.text("lifecycle_status"), Some("active"));
        assert_eq!(record.version, 2);
        assert_eq!(record.int("updated_by"), Some(o.manager_a.user_id));
        // Its timeline says what changed, from what, and who did it.
        let history = events::record_history(&db, "account", id, 5).await.unwrap();
        assert_eq!(history[0].action, "updated");
        assert_eq!(history[0].actor_id, Some(o.manager_a.user_id));
        assert_eq!(history[0].source_ip.as_deref(), Some("10.0.0.7"));
        let level = history[0]
            .changes
            .iter()
            .find(|c| c.field == "level")
            .expect("the level change");
        assert_eq!((&level.old, &level.new), (&Json::Null, &json!("VIP")));
        assert!(history[0]
            .changes
            .iter()
            .any(|c| c.field == "lifecycle_status"
                && c.old == json!("potential")
                && c.new == json!("active")));
    }
    assert_eq!(
        sql::row_snapshot(&db, "accounts", team_b.id).await,
        untouched
    );
    // One audit entry for the action, with the counts and the values set.
    let audit = events::search(
        &db,
        &AuditQuery {
            action: Some("mass_updated".into()),
            ..AuditQuery::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].entity, "account");
    assert_eq!(audit[0].actor_id, Some(o.manager_a.user_id));
    let summary: Json = serde_json::from_str(&audit[0].summary).unwrap();
    assert_eq!(MassUpdateCounts::from_json(&summary), Some(done));
    assert!(audit[0]
        .changes
        .iter()
        .any(|c| c.field == "level" && c.new == json!("VIP")));
}

async fn records_that_already_have_the_values_are_left_alone(db: Db) {
    let o = org(&db).await;
    let already =
        fixtures::account(&db, &o.rep_a, json!({"name": "已是VIP", "level": "VIP"})).await;
    let plain =
        fixtures::account(&db, &o.rep_a, json!({"name": "普通客户", "level": "普通"})).await;
    let snapshot = sql::row_snapshot(&db, "accounts", already.id).await;
    let vip = request(
        &db,
        Selection::Ids(vec![already.id, plain.id, plain.id]),
        json!({"level": "VIP"}),
    )
    .await;
    let done = mass_update::apply(&db, &ACCOUNT, &o.rep_a, None, &vip)
        .await
        .unwrap();
    assert_eq!(done, counts(2, 1), "a record ticked twice is one record");
    assert_eq!(
        sql::row_snapshot(&db, "accounts", already.id).await,
        snapshot
    );
    // Asked again, nothing changes: no version bump, no event, no audit entry.
    let before = sql::dump(&db).await;
    let again = mass_update::apply(&db, &ACCOUNT, &o.rep_a, None, &vip)
        .await
        .unwrap();
    assert_eq!(again, counts(2, 0));
    assert_eq!(sql::dump(&db).await, before);
}

async fn filters_choose_the_records_and_search_follows_the_new_values(db: Db) {
    let o = org(&db).await;
    fixtures::define_custom_fields(&db).await;
    let beijing = fixtures::account(
        &db,
        &o.rep_a,
        json!({"name": "北京甲公司", "province": "北京", "custom": {"employees": 10}}),
    )
    .await;
    let beijing_too = fixtures::account(
        &db,
        &o.rep_a,
        json!({"name": "北京乙公司", "province": "北京"}),
    )
    .await;
    let shanghai = fixtures::account(
        &db,
        &o.rep_a,
        json!({"name": "上海丙公司", "province": "上海"}),
    )
    .await;
    let others = fixtures::account(
        &db,
        &o.rep_b,
        json!({"name": "北京丁公司", "province": "北京"}),
    )
    .await;
    let selection = Selection::Matching {
        text: Some("公司".into()),
        filters: parse_filters(&ACCOUNT, &[], [("province", "北京")]).unwrap(),
    };
    // A searchable field and custom fields: each record's search text is rebuilt.
    let moving = request(
        &db,
        selection,
        json!({"city": "海淀区", "custom": {"wechat": "bj-sales", "employees": null}}),
    )
    .await;
    let done = mass_update::apply(&db, &ACCOUNT, &o.rep_a, None, &moving)
        .await
        .unwrap();
    assert_eq!(
        done,
        counts(2, 2),
        "rep B's customer is outside rep A's scope"
    );
    let found = fixtures::names(
        &db,
        &ACCOUNT,
        &fixtures::reads(&o.admin, &ACCOUNT),
        &fixtures::search(&ACCOUNT, "海淀区"),
    )
    .await;
    assert_eq!(found.len(), 2, "{found:?}");
    let first = records::get(&db, &ACCOUNT, &Visibility::Everything, beijing.id)
        .await
        .unwrap();
    assert_eq!(first.custom.get("wechat"), Some(&json!("bj-sales")));
    assert_eq!(first.custom.get("employees"), None, "null clears");
    let history = events::record_history(&db, "account", beijing.id, 1)
        .await
        .unwrap();
    assert!(history[0]
        .changes
        .iter()
        .any(|c| c.field == "custom.employees" && c.old.as_f64() == Some(10.0) && c.new.is_null()));
    for (id, city) in [
        (beijing_too.id, Some("海淀区")),
        (shanghai.id, None),
        (others.id, None),
    ] {
        let record = records::get(&db, &ACCOUNT, &Visibility::Everything, id)
            .await
            .unwrap();
        assert_eq!(record.text("city"), city);
    }
}

async fn customers_given_to_a_new_owner_take_their_contacts_along(db: Db) {
    let o = org(&db).await;
    let colleague = fixtures::user(&db, "rep.b2", Some(o.team_b), &["sales_rep"]).await;
    let first = fixtures::named_account(&db, &o.rep_a, "交接客户一").await;
    let second = fixtures::named_account(&db, &o.rep_b, "交接客户二").await;
    let kept = fixtures::named_account(&db, &o.rep_a, "不交接").await;
    let follows = contact(&db, &o.rep_a, first.id, json!({"name": "跟着走"})).await;
    let follows_too = contact(&db, &o.rep_b, second.id, json!({"name": "也跟着走"})).await;
    // A contact someone else looks after stays with them.
    let stays = contact(&db, &o.rep_a, first.id, json!({"name": "留下"})).await;
    fixtures::try_update(
        &db,
        &CONTACT,
        &o.admin,
        stays.id,
        1,
        json!({"owner_id": o.rep_b.user_id}),
    )
    .await
    .unwrap();
    let give = request(
        &db,
        Selection::Ids(vec![first.id, second.id]),
        json!({"owner_id": colleague.user_id}),
    )
    .await;
    let preview = mass_update::preview(&db, &ACCOUNT, &o.admin, &give)
        .await
        .unwrap();
    let expected = MassUpdateCounts {
        matched: 2,
        changed: 2,
        moved_with: vec![("contact", 2)],
    };
    assert_eq!(preview, expected);
    let done = mass_update::apply(&db, &ACCOUNT, &o.admin, None, &give)
        .await
        .unwrap();
    assert_eq!(done, expected);
    let everything = Visibility::Everything;
    for id in [first.id, second.id] {
        let record = records::get(&db, &ACCOUNT, &everything, id).await.unwrap();
        assert_eq!(
            (record.owner_id, record.team_id),
            (colleague.user_id, Some(o.team_b))
        );
    }
    let first_history = events::record_history(&db, "account", first.id, 1)
        .await
        .unwrap();
    assert!(first_history[0]
        .changes
        .iter()
        .any(|c| c.field == "team_id" && c.old == json!(o.team_a) && c.new == json!(o.team_b)));
    for id in [follows.id, follows_too.id] {
        let moved = records::get(&db, &CONTACT, &everything, id).await.unwrap();
        assert_eq!(moved.owner_id, colleague.user_id);
        assert_eq!(moved.version, 2);
        let history = events::record_history(&db, "contact", id, 1).await.unwrap();
        assert_eq!(history[0].action, "transferred");
    }
    let stays = records::get(&db, &CONTACT, &everything, stays.id)
        .await
        .unwrap();
    assert_eq!(stays.owner_id, o.rep_b.user_id);
    let kept = records::get(&db, &ACCOUNT, &everything, kept.id)
        .await
        .unwrap();
    assert_eq!(kept.owner_id, o.rep_a.user_id);

    // Contacts given to a new owner take nothing along.
    let contacts = MassUpdate {
        selection: Selection::Ids(vec![follows.id]),
        changes: changes(
            &db,
            &CONTACT,
            json!({"owner_id": o.rep_a.user_id}),
            Mode::Update,
        )
        .await,
    };
    let done = mass_update::apply(&db, &CONTACT, &o.admin, None, &contacts)
        .await
        .unwrap();
    assert_eq!(done, counts(1, 1));
}

async fn refusals_name_the_field_and_change_nothing(db: Db) {
    let o = org(&db).await;
    let mine = fixtures::named_account(&db, &o.rep_a, "自己的客户").await;
    let ids = || Selection::Ids(vec![mine.id]);
    // A role that reads and mass-updates its own customers but may only read their city
    // and never sees their credit limit; and one that may not mass-update at all.
    let mut grants = Grants::default();
    for action in [Action::Read, Action::Edit, Action::MassUpdate] {
        grants.set("account", action, Scope::Own);
    }
    grants.set("account", Action::Assign, Scope::None);
    let limited = roles::create(&db, "limited", &grants).await.unwrap();
    let mut rules = FieldRules::default();
    rules.set("account", "city", FieldAccess::ReadOnly);
    rules.set("account", "credit_limit", FieldAccess::Hidden);
    field_security::replace(&db, &Default::default(), limited.id, &rules)
        .await
        .unwrap();
    grants.set("account", Action::MassUpdate, Scope::None);
    roles::create(&db, "no_mass", &grants).await.unwrap();
    let limited = fixtures::user(&db, "limited.rep", Some(o.team_a), &["limited"]).await;
    let no_mass = fixtures::user(&db, "no.mass", Some(o.team_a), &["no_mass"]).await;
    let mine_limited = fixtures::named_account(&db, &o.admin, "受限客户").await;
    fixtures::try_update(
        &db,
        &ACCOUNT,
        &o.admin,
        mine_limited.id,
        1,
        json!({"owner_id": limited.user_id}),
    )
    .await
    .unwrap();
    let before = sql::dump(&db).await;
    let field_error =
        |result: Result<MassUpdateCounts, DbError>, field: &str, code: &str| match result {
            Err(DbError::Invalid(errors)) => {
                assert_eq!(
                    errors.get(field).map(|e| e.code.as_str()),
                    Some(code),
                    "{errors:?}"
                )
            }
            other => panic!("{field}: expected {code}, got {other:?}"),
        };
    let limited_ids = || Selection::Ids(vec![mine_limited.id]);
    for (input, field, code) in [
        (json!({"city": "天津"}), "city", "field_read_only"),
        (json!({"credit_limit": 100}), "credit_limit", "field_hidden"),
    ] {
        let update = request(&db, limited_ids(), input).await;
        field_error(
            mass_update::apply(&db, &ACCOUNT, &limited, None, &update).await,
            field,
            code,
        );
    }
    // Assigning needs the assign scope: a role without it is refused outright.
    let give = request(&db, limited_ids(), json!({"owner_id": o.rep_a.user_id})).await;
    assert!(matches!(
        mass_update::apply(&db, &ACCOUNT, &limited, None, &give).await,
        Err(DbError::Forbidden)
    ));
    let level = request(&db, ids(), json!({"level": "VIP"})).await;
    assert!(matches!(
        mass_update::apply(&db, &ACCOUNT, &no_mass, None, &level).await,
        Err(DbError::Forbidden)
    ));
    for (input, field, code) in [
        (json!({"code": "C-1"}), "code", "not_mass_updatable"),
        (json!({"tags": ["重点"]}), "tags", "not_mass_updatable"),
        (
            json!({"lifecycle_status": ""}),
            "lifecycle_status",
            "required",
        ),
        (json!({}), "changes", "no_changes"),
        // A rep gives records only to themselves; an unknown user is no owner.
        (
            json!({"owner_id": o.rep_b.user_id}),
            "owner_id",
            "not_allowed",
        ),
        (json!({"owner_id": 99_999}), "owner_id", "unknown_user"),
    ] {
        let update = request(&db, ids(), input).await;
        field_error(
            mass_update::preview(&db, &ACCOUNT, &o.rep_a, &update).await,
            field,
            code,
        );
        field_error(
            mass_update::apply(&db, &ACCOUNT, &o.rep_a, None, &update).await,
            field,
            code,
        );
    }
    let too_many = request(
        &db,
        Selection::Ids((1..=MAX_RECORDS as i64 + 1).collect()),
        json!({"level": "VIP"}),
    )
    .await;
    field_error(
        mass_update::apply(&db, &ACCOUNT, &o.admin, None, &too_many).await,
        "ids",
        "too_many_records",
    );
    assert_eq!(sql::dump(&db).await, before, "no refusal wrote anything");
}

async fn concurrent_edits_are_never_overwritten(db: Db) {
    let o = org(&db).await;
    let customers: Vec<i64> = {
        let mut ids = Vec::new();
        for i in 0..6 {
            ids.push(
                fixtures::named_account(&db, &o.admin, &format!("并发{i}"))
                    .await
                    .id,
            );
        }
        ids
    };
    let mass = request(
        &db,
        Selection::Ids(customers.clone()),
        json!({"level": "VIP"}),
    )
    .await;
    // Each customer is also edited on its own, by someone who read it at version 1.
    let mut singles = Vec::new();
    for (i, id) in customers.iter().copied().enumerate() {
        let (db, admin) = (db.clone(), o.admin.clone());
        singles.push(tokio::spawn(async move {
            let note = json!({"description": format!("单独修改 {i}")});
            (
                id,
                fixtures::try_update(&db, &ACCOUNT, &admin, id, 1, note).await,
            )
        }));
    }
    let applied = {
        let (db, admin, mass) = (db.clone(), o.admin.clone(), mass.clone());
        tokio::spawn(async move { mass_update::apply(&db, &ACCOUNT, &admin, None, &mass).await })
    };
    assert_eq!(applied.await.unwrap().unwrap().changed, 6);
    for single in singles {
        let (id, result) = single.await.unwrap();
        let record = records::get(&db, &ACCOUNT, &Visibility::Everything, id)
            .await
            .unwrap();
        assert_eq!(record.text("level"), Some("VIP"), "the mass update holds");
        match result {
            // It saved (before the mass update read the record, or it would be stale):
            // its text is still there afterwards.
            Ok(_) => {
                assert!(record.text("description").is_some(), "{id} lost its edit");
                assert_eq!(record.version, 3);
            }
            // It came too late: told so, and not applied over the mass update.
            Err(DbError::StaleVersion { .. }) => {
                assert_eq!(record.text("description"), None);
                assert_eq!(record.version, 2);
            }
            Err(other) => panic!("{other:?}"),
        }
    }
}

async fn the_bound_holds_and_a_full_batch_goes_through(db: Db) {
    let o = org(&db).await;
    let schema_input = |i: usize| json!({"name": format!("批量客户 {i}"), "level": if i == 0 { "VIP" } else { "普通" }});
    let mut rows = Vec::new();
    for i in 0..=MAX_RECORDS {
        let input = changes(&db, &ACCOUNT, schema_input(i), Mode::Create).await;
        rows.push(BulkRow::from_changes(o.rep_a.user_id, input));
    }
    records::bulk_insert(&db, &ACCOUNT, Some(o.admin.user_id), rows)
        .await
        .unwrap();
    let everyone = Selection::Matching {
        text: None,
        filters: Vec::new(),
    };
    let before = sql::scalar(&db, "SELECT COUNT(*) FROM events").await;
    let all = request(&db, everyone, json!({"lifecycle_status": "active"})).await;
    match mass_update::preview(&db, &ACCOUNT, &o.admin, &all).await {
        Err(DbError::Invalid(errors)) => {
            assert_eq!(errors.get("filters").unwrap().code, "too_many_records")
        }
        other => panic!("{other:?}"),
    }
    // Exactly the bound: the 普通 ones, all changed in one go.
    let plain = Selection::Matching {
        text: None,
        filters: parse_filters(&ACCOUNT, &[], [("level", "普通")]).unwrap(),
    };
    let started = std::time::Instant::now();
    let full = request(
        &db,
        plain,
        json!({"lifecycle_status": "active", "owner_id": o.rep_b.user_id}),
    )
    .await;
    let done = mass_update::apply(&db, &ACCOUNT, &o.admin, None, &full)
        .await
        .unwrap();
    eprintln!(
        "mass update of {} records on {:?}: {:?}",
        done.changed,
        db.backend(),
        started.elapsed()
    );
    assert_eq!(done.changed, MAX_RECORDS as u64);
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM events").await - before,
        MAX_RECORDS as i64 + 1,
        "one event per record and one audit entry"
    );
    assert_eq!(
        sql::scalar(
            &db,
            &format!(
                "SELECT COUNT(*) FROM accounts WHERE lifecycle_status = 'active' AND version = 2 AND owner_id = {}",
                o.rep_b.user_id
            )
        )
        .await,
        MAX_RECORDS as i64
    );
}
