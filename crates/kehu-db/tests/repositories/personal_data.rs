//! Personal data: the export holds the person and nobody else; erasure leaves no old value
//! in the record, search, history, consents or recycle bin, keeps an audit entry without
//! values, and the events table stays append-only for everything else; consent answers
//! are recorded in the timeline and filter lists.

use crate::common::fixtures::{self, account, contact, names, search, try_update};
use crate::common::sql;
use kehu_core::consent::{Channel, Source};
use kehu_core::entity::{CustomFieldDef, CustomFieldKind, ACCOUNT, CONTACT};
use kehu_core::permission::{Actor, Visibility};
use kehu_db::consent::{self, ConsentChange};
use kehu_db::{custom_fields, events, personal_data, records, Db, DbError};
use serde_json::json;

backend_tests!(
    export_holds_the_person_and_nobody_else,
    export_of_an_individual_customer_has_their_orders,
    erasure_leaves_no_old_value_anywhere,
    erasure_reaches_the_recycle_bin,
    events_stay_append_only_except_for_redaction,
    only_a_full_delete_grant_erases,
    consent_changes_are_recorded_and_filterable
);

/// An admin, a company with Alice (custom field, consent, a change in her history), Bob
/// who reports to her, and Carol at another company.
struct People {
    admin: Actor,
    company: i64,
    alice: i64,
    bob: i64,
    carol: i64,
}

const ALICE_OLD_NAME: &str = "Alice Lindqvist";
const ALICE: &str = "Alice Zhang 张丽华";
const ALICE_EMAIL: &str = "alice.zhang@example.com";
const ALICE_MOBILE: &str = "13912345678";
const ALICE_WECHAT: &str = "alicewx2024";

async fn people(db: &Db) -> People {
    fixtures::seed(db).await;
    let admin = fixtures::admin(db).await;
    custom_fields::create(
        db,
        &CustomFieldDef {
            id: 0,
            entity: "contact".into(),
            key: "wechat".into(),
            label_en: "WeChat".into(),
            label_zh: "微信".into(),
            kind: CustomFieldKind::Text,
            options: vec![],
        },
    )
    .await
    .unwrap();
    let company = fixtures::named_account(db, &admin, "北京华为科技有限公司")
        .await
        .id;
    let alice = contact(
        db,
        &admin,
        company,
        json!({"name": ALICE_OLD_NAME, "title": "采购经理", "mobile": ALICE_MOBILE,
               "email": ALICE_EMAIL, "notes": "met at the fair", "custom": {"wechat": ALICE_WECHAT}}),
    )
    .await
    .id;
    try_update(db, &CONTACT, &admin, alice, 1, json!({"name": ALICE}))
        .await
        .unwrap();
    consent::set(
        db,
        &CONTACT,
        &admin,
        None,
        alice,
        &[ConsentChange {
            channel: Channel::Email,
            granted: true,
            source: Source::WebForm,
            given_at: None,
        }],
    )
    .await
    .unwrap();
    let bob = contact(
        db,
        &admin,
        company,
        json!({"name": "Bob Builder", "email": "bob@example.com", "reports_to_id": alice}),
    )
    .await
    .id;
    let other = fixtures::named_account(db, &admin, "Acme Trading Ltd")
        .await
        .id;
    let carol = contact(
        db,
        &admin,
        other,
        json!({"name": "Carol Chen", "email": "carol@acme.example.com"}),
    )
    .await
    .id;
    People {
        admin,
        company,
        alice,
        bob,
        carol,
    }
}

async fn export_holds_the_person_and_nobody_else(db: Db) {
    let p = people(&db).await;
    let document = personal_data::export(&db, &CONTACT, &p.admin, Some("10.0.0.1"), p.alice)
        .await
        .unwrap();
    assert_eq!(document["record"]["name"], ALICE);
    assert_eq!(document["record"]["email"], ALICE_EMAIL);
    assert_eq!(document["record"]["custom"]["wechat"], ALICE_WECHAT);
    assert_eq!(document["consents"][0]["channel"], "email");
    assert_eq!(document["consents"][0]["granted"], true);
    assert_eq!(document["consents"][0]["source"], "web_form");
    assert_eq!(document["consent_history"].as_array().unwrap().len(), 1);
    let actions: Vec<&str> = document["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "updated", "consent_changed"]);
    assert_eq!(document["direct_report_ids"], json!([p.bob]));
    let text = document.to_string();
    assert!(text.contains(ALICE_OLD_NAME), "her history is hers");
    for other in ["Bob Builder", "bob@example.com", "Carol Chen", "carol@acme"] {
        assert!(!text.contains(other), "{other} leaked into Alice's export");
    }
    // The export is in the audit log, without her name.
    let history = events::record_history(&db, "contact", p.alice, 10)
        .await
        .unwrap();
    assert_eq!(history[0].action, "exported");
    assert_eq!(history[0].summary, "personal data");
    assert_eq!(history[0].source_ip.as_deref(), Some("10.0.0.1"));
    // A company is no person.
    let refused = personal_data::export(&db, &ACCOUNT, &p.admin, None, p.company).await;
    assert!(matches!(refused, Err(DbError::Invalid(_))), "{refused:?}");
}

async fn export_of_an_individual_customer_has_their_orders(db: Db) {
    let p = people(&db).await;
    let person = account(
        &db,
        &p.admin,
        json!({"name": "王小明", "kind": "individual", "phone": "010-6234-5678"}),
    )
    .await;
    fixtures::try_create(
        &db,
        &kehu_core::entity::ORDER,
        &p.admin,
        json!({"name": "SO-0001", "account_id": person.id, "order_date": "2026-01-02", "total": 12_300}),
    )
    .await
    .unwrap();
    fixtures::try_create(
        &db,
        &kehu_core::entity::ORDER,
        &p.admin,
        json!({"name": "SO-0002", "account_id": p.company, "order_date": "2026-01-02", "total": 100}),
    )
    .await
    .unwrap();
    let document = personal_data::export(&db, &ACCOUNT, &p.admin, None, person.id)
        .await
        .unwrap();
    assert_eq!(document["record"]["name"], "王小明");
    let orders = document["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["name"], "SO-0001");
    assert_eq!(orders[0]["total"], 12_300);

    // Erased, the customer keeps its orders and kind but not their name or phone.
    let erased = personal_data::erase(&db, &ACCOUNT, &p.admin, None, person.id, "王小明")
        .await
        .unwrap();
    assert_eq!(
        erased.text("name"),
        Some(format!("Erased customer #{}", person.id).as_str())
    );
    assert_eq!(erased.text("phone"), None);
    assert_eq!(erased.text("kind"), Some("individual"));
    for text in ["王小明", "小明", "6234"] {
        assert!(
            names(
                &db,
                &ACCOUNT,
                &Visibility::Everything,
                &search(&ACCOUNT, text)
            )
            .await
            .is_empty(),
            "searching {text} still finds them"
        );
    }
    let document = personal_data::export(&db, &ACCOUNT, &p.admin, None, person.id)
        .await
        .unwrap();
    assert_eq!(document["orders"].as_array().unwrap().len(), 1);
    assert!(!document.to_string().contains("王小明"));
}

/// Every old value of Alice, as the search box and raw SQL would look for it.
const ALICE_VALUES: &[&str] = &[
    "Alice",
    "Lindqvist",
    "张丽华",
    "alice.zhang",
    ALICE_MOBILE,
    ALICE_WECHAT,
    "met at the fair",
    "采购经理",
];

async fn assert_no_trace(db: &Db, entity_table: &str, id: i64) {
    let events = sql::texts(
        db,
        &format!(
            "SELECT summary || ' ' || changes FROM events WHERE entity = 'contact' AND record_id = {id}"
        ),
    )
    .await;
    let row = sql::row_snapshot(db, entity_table, id).await;
    for value in ALICE_VALUES {
        for text in &events {
            assert!(
                !text.contains(value),
                "{value} is still in an event: {text}"
            );
        }
        for (column, text) in &row {
            assert!(
                !text.as_deref().unwrap_or_default().contains(value),
                "{value} is still in {column}"
            );
        }
    }
}

async fn erasure_leaves_no_old_value_anywhere(db: Db) {
    let p = people(&db).await;
    assert_eq!(
        names(
            &db,
            &CONTACT,
            &Visibility::Everything,
            &search(&CONTACT, "Alice")
        )
        .await,
        [ALICE],
        "found before"
    );
    let before = sql::row_snapshot(&db, "contacts", p.alice).await;
    let refused =
        personal_data::erase(&db, &CONTACT, &p.admin, None, p.alice, ALICE_OLD_NAME).await;
    assert!(
        matches!(refused, Err(DbError::Invalid(_))),
        "a wrong name: {refused:?}"
    );
    assert_eq!(sql::row_snapshot(&db, "contacts", p.alice).await, before);
    let erased = personal_data::erase(&db, &CONTACT, &p.admin, Some("10.0.0.2"), p.alice, ALICE)
        .await
        .unwrap();
    let placeholder = format!("Erased contact #{}", p.alice);
    assert_eq!(erased.text("name"), Some(placeholder.as_str()));
    assert_eq!(erased.text("email"), None);
    assert_eq!(erased.text("mobile"), None);
    assert!(erased.custom.is_empty());
    assert_eq!(
        erased.int("account_id"),
        Some(p.company),
        "she stays at the company"
    );

    let read = records::get(&db, &CONTACT, &Visibility::Everything, p.alice)
        .await
        .unwrap();
    assert_eq!(read, erased);
    for value in ALICE_VALUES {
        assert!(
            names(
                &db,
                &CONTACT,
                &Visibility::Everything,
                &search(&CONTACT, value)
            )
            .await
            .is_empty(),
            "searching {value} still finds her"
        );
    }
    assert!(
        !names(
            &db,
            &CONTACT,
            &Visibility::Everything,
            &search(&CONTACT, "Bob")
        )
        .await
        .is_empty(),
        "others are still found"
    );
    assert_no_trace(&db, "contacts", p.alice).await;

    // The audit log keeps the erasure: who, where, which fields, no values.
    let history = events::record_history(&db, "contact", p.alice, 50)
        .await
        .unwrap();
    let entry = &history[0];
    assert_eq!(entry.action, "erased");
    assert_eq!(entry.actor_id, Some(p.admin.user_id));
    assert_eq!(entry.source_ip.as_deref(), Some("10.0.0.2"));
    assert_eq!(entry.summary, placeholder);
    let fields: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
    for field in ["name", "email", "mobile", "notes", "custom.wechat"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    assert!(entry
        .changes
        .iter()
        .all(|c| c.old.is_null() && c.new.is_null()));
    // Older events keep what happened and which fields changed.
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["erased", "consent_changed", "updated", "created"]);
    assert_eq!(history[2].changes[0].field, "name");
    assert!(history[2].changes[0].old.is_null());

    assert!(
        consent::of_record(&db, &CONTACT, &Visibility::Everything, p.alice)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !consent::may_contact(&db, "contact", p.alice, Channel::Email)
            .await
            .unwrap()
    );
    // Bob still reports to her record, and his own data is untouched.
    let bob = records::get(&db, &CONTACT, &Visibility::Everything, p.bob)
        .await
        .unwrap();
    assert_eq!(bob.int("reports_to_id"), Some(p.alice));
    assert_eq!(bob.text("email"), Some("bob@example.com"));
}

async fn erasure_reaches_the_recycle_bin(db: Db) {
    let p = people(&db).await;
    records::soft_delete(&db, &CONTACT, &p.admin, None, p.alice)
        .await
        .unwrap();
    personal_data::erase(&db, &CONTACT, &p.admin, None, p.alice, ALICE)
        .await
        .unwrap();
    let mut bin = fixtures::query(&CONTACT, "-id", &[], 50);
    bin.in_recycle_bin = true;
    let listed = names(&db, &CONTACT, &Visibility::Everything, &bin).await;
    assert_eq!(listed, [format!("Erased contact #{}", p.alice)]);
    assert_no_trace(&db, "contacts", p.alice).await;
    // Restored, it is still the erased record.
    let back = records::restore(&db, &CONTACT, &p.admin, None, p.alice)
        .await
        .unwrap();
    assert_eq!(back.text("email"), None);
}

/// Runs SQL that the database must refuse.
async fn refused(db: &Db, statement: &str) {
    let result = db.conn().execute_raw(statement).await;
    let error = result.expect_err(statement).to_string();
    assert!(error.contains("append-only"), "{statement}: {error}");
}

async fn events_stay_append_only_except_for_redaction(db: Db) {
    let p = people(&db).await;
    let carol = p.carol;
    // Before any erasure nothing may change, not even a redaction-shaped update.
    refused(
        &db,
        &format!("UPDATE events SET summary = '' WHERE record_id = {carol} AND entity = 'contact'"),
    )
    .await;
    refused(
        &db,
        &format!(
            "UPDATE events SET summary = 'forged' WHERE record_id = {carol} AND entity = 'contact'"
        ),
    )
    .await;
    refused(
        &db,
        &format!("DELETE FROM events WHERE record_id = {carol} AND entity = 'contact'"),
    )
    .await;
    personal_data::erase(&db, &CONTACT, &p.admin, None, p.alice, ALICE)
        .await
        .unwrap();
    let alice = p.alice;
    let before = sql::texts(
        &db,
        "SELECT action || summary || changes FROM events ORDER BY id",
    )
    .await;
    // After it, still no other change to her events, nor deleting them.
    for statement in [
        format!("UPDATE events SET summary = 'forged' WHERE record_id = {alice} AND entity = 'contact' AND action = 'updated'"),
        format!("UPDATE events SET action = 'deleted' WHERE record_id = {alice} AND entity = 'contact' AND action = 'updated'"),
        format!("UPDATE events SET changes = '[{{\"field\":\"name\",\"old\":\"x\",\"new\":null}}]' WHERE record_id = {alice} AND entity = 'contact' AND action = 'updated'"),
        format!("UPDATE events SET summary = '' WHERE record_id = {alice} AND entity = 'contact' AND action = 'erased'"),
        format!("DELETE FROM events WHERE record_id = {alice} AND entity = 'contact'"),
        format!("UPDATE events SET summary = '' WHERE record_id = {carol} AND entity = 'contact'"),
    ] {
        refused(&db, &statement).await;
    }
    let after = sql::texts(
        &db,
        "SELECT action || summary || changes FROM events ORDER BY id",
    )
    .await;
    assert_eq!(before, after, "refused statements changed nothing");
}

async fn only_a_full_delete_grant_erases(db: Db) {
    let p = people(&db).await;
    let team = fixtures::team(&db, "销售一部", None).await;
    let rep = fixtures::user(&db, "rep", Some(team), &["sales_rep"]).await;
    let outsider = fixtures::user(&db, "outsider", Some(team), &["sales_rep"]).await;
    let account = fixtures::named_account(&db, &rep, "Rep Co").await.id;
    let own = contact(
        &db,
        &rep,
        account,
        json!({"name": "Dora Diaz", "email": "dora@example.com"}),
    )
    .await
    .id;
    let before = sql::row_snapshot(&db, "contacts", own).await;
    let events_before = sql::scalar(&db, "SELECT COUNT(*) FROM events").await;
    // The owner may delete but not erase: that needs `delete` over all contacts.
    let refused = personal_data::erase(&db, &CONTACT, &rep, None, own, "Dora Diaz").await;
    assert!(matches!(refused, Err(DbError::Forbidden)), "{refused:?}");
    // Someone who cannot see it is told it does not exist, also for the export.
    let refused = personal_data::erase(&db, &CONTACT, &outsider, None, own, "Dora Diaz").await;
    assert!(matches!(refused, Err(DbError::NotFound)), "{refused:?}");
    let refused = personal_data::export(&db, &CONTACT, &outsider, None, own).await;
    assert!(matches!(refused, Err(DbError::NotFound)), "{refused:?}");
    let refused = personal_data::erase(&db, &CONTACT, &rep, None, p.alice, ALICE).await;
    assert!(matches!(refused, Err(DbError::NotFound)), "{refused:?}");
    assert_eq!(sql::row_snapshot(&db, "contacts", own).await, before);
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM events").await,
        events_before
    );
    // A company is no person, even for an admin.
    let refused = personal_data::erase(
        &db,
        &ACCOUNT,
        &p.admin,
        None,
        p.company,
        "北京华为科技有限公司",
    )
    .await;
    assert!(matches!(refused, Err(DbError::Invalid(_))), "{refused:?}");
}

async fn consent_changes_are_recorded_and_filterable(db: Db) {
    let p = people(&db).await;
    let change = |channel, granted, source| ConsentChange {
        channel,
        granted,
        source,
        given_at: None,
    };
    let now = consent::set(
        &db,
        &CONTACT,
        &p.admin,
        None,
        p.bob,
        &[
            change(Channel::Email, false, Source::Phone),
            change(Channel::Call, true, Source::Phone),
        ],
    )
    .await
    .unwrap();
    assert_eq!(now.len(), 2);
    assert!(consent::may_contact(&db, "contact", p.bob, Channel::Call)
        .await
        .unwrap());
    assert!(!consent::may_contact(&db, "contact", p.bob, Channel::Email)
        .await
        .unwrap());
    assert!(
        !consent::may_contact(&db, "contact", p.bob, Channel::Message)
            .await
            .unwrap()
    );
    assert!(
        consent::may_contact(&db, "contact", p.alice, Channel::Email)
            .await
            .unwrap()
    );
    assert!(
        !consent::may_contact(&db, "contact", p.carol, Channel::Email)
            .await
            .unwrap()
    );

    let history = events::record_history(&db, "contact", p.bob, 10)
        .await
        .unwrap();
    assert_eq!(history[0].action, "consent_changed");
    let fields: Vec<&str> = history[0]
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields, ["consent.email", "consent.call"]);
    assert_eq!(history[0].changes[1].new["granted"], true);
    assert_eq!(history[0].changes[1].new["source"], "phone");
    // The same answer again is no change.
    consent::set(
        &db,
        &CONTACT,
        &p.admin,
        None,
        p.bob,
        &[change(Channel::Call, true, Source::Phone)],
    )
    .await
    .unwrap();
    assert_eq!(
        events::record_history(&db, "contact", p.bob, 10)
            .await
            .unwrap()
            .len(),
        history.len()
    );
    // Withdrawing is a change with the old answer.
    consent::set(
        &db,
        &CONTACT,
        &p.admin,
        None,
        p.alice,
        &[change(Channel::Email, false, Source::Email)],
    )
    .await
    .unwrap();
    let latest = &events::record_history(&db, "contact", p.alice, 1)
        .await
        .unwrap()[0];
    assert_eq!(latest.changes[0].old["granted"], true);
    assert_eq!(latest.changes[0].new["granted"], false);

    let filtered = |value: &'static str| {
        let db = db.clone();
        async move {
            let mut found = names(
                &db,
                &CONTACT,
                &Visibility::Everything,
                &fixtures::query(&CONTACT, "name", &[("consent.call", value)], 50),
            )
            .await;
            found.sort();
            found
        }
    };
    assert_eq!(filtered("yes").await, ["Bob Builder"]);
    assert_eq!(filtered("no").await, [ALICE, "Carol Chen"]);
    // A company has no consent; a reader cannot change it.
    let refused = consent::set(
        &db,
        &ACCOUNT,
        &p.admin,
        None,
        p.company,
        &[change(Channel::Call, true, Source::Manual)],
    )
    .await;
    assert!(matches!(refused, Err(DbError::Invalid(_))), "{refused:?}");
    let reader = fixtures::user(&db, "reader", None, &["read_only"]).await;
    let refused = consent::set(
        &db,
        &CONTACT,
        &reader,
        None,
        p.carol,
        &[change(Channel::Call, true, Source::Manual)],
    )
    .await;
    assert!(matches!(refused, Err(DbError::NotFound)), "{refused:?}");
    assert!(
        !consent::may_contact(&db, "contact", p.carol, Channel::Call)
            .await
            .unwrap()
    );
}
