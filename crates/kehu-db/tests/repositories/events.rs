//! The timeline: every change writes an event with old and new values; a customer's
//! timeline shows its own events and its contacts', newest first.

use crate::common::fixtures::{self, account, contact, try_update};
use kehu_core::entity::{ACCOUNT, CONTACT};
use kehu_core::permission::Visibility;
use kehu_db::events::{self, Change, Event};
use kehu_db::{records, Db};
use serde_json::{json, Value as Json};

backend_tests!(
    changes_are_recorded_with_old_and_new_values,
    customer_timeline_collects_contacts_newest_first
);

fn change<'e>(event: &'e Event, field: &str) -> Option<&'e Change> {
    event.changes.iter().find(|c| c.field == field)
}

async fn changes_are_recorded_with_old_and_new_values(db: Db) {
    fixtures::seed(&db).await;
    fixtures::define_custom_fields(&db).await;
    let admin = fixtures::admin(&db).await;
    let created = account(&db, &admin, json!({"name": "北京华为科技有限公司", "level": "普通", "credit_limit": 1000, "custom": {"wechat": "hw"}})).await;
    try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"level": "VIP", "credit_limit": 2000, "custom": {"wechat": null, "employees": 5}}),
    )
    .await
    .unwrap();
    records::soft_delete(&db, &ACCOUNT, &admin, Some("10.0.0.9"), created.id)
        .await
        .unwrap();
    records::restore(&db, &ACCOUNT, &admin, None, created.id)
        .await
        .unwrap();

    let history = events::record_history(&db, "account", created.id, 50)
        .await
        .unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["restored", "deleted", "updated", "created"],
        "newest first"
    );
    assert!(history
        .windows(2)
        .all(|w| w[0].id > w[1].id && w[0].at >= w[1].at));
    for event in &history {
        assert_eq!(event.entity, "account");
        assert_eq!(event.actor_id, Some(admin.user_id));
        assert_eq!(event.actor_name.as_deref(), Some("admin (display)"));
        assert_eq!(event.summary, "北京华为科技有限公司");
    }

    let created_event = &history[3];
    assert_eq!(
        change(created_event, "name").map(|c| (&c.old, &c.new)),
        Some((&Json::Null, &json!("北京华为科技有限公司")))
    );
    assert_eq!(
        change(created_event, "level").map(|c| &c.new),
        Some(&json!("普通"))
    );
    assert_eq!(
        change(created_event, "custom.wechat").map(|c| &c.new),
        Some(&json!("hw"))
    );
    assert!(
        change(created_event, "description").is_none(),
        "empty fields are not listed"
    );

    let updated = &history[2];
    let fields: Vec<&str> = updated.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields.len(), 4, "only what changed: {fields:?}");
    assert_eq!(
        change(updated, "level").map(|c| (&c.old, &c.new)),
        Some((&json!("普通"), &json!("VIP")))
    );
    assert_eq!(
        change(updated, "credit_limit").map(|c| (&c.old, &c.new)),
        Some((&json!(1000), &json!(2000)))
    );
    assert_eq!(
        change(updated, "custom.wechat").map(|c| (&c.old, &c.new)),
        Some((&json!("hw"), &Json::Null))
    );
    assert_eq!(
        change(updated, "custom.employees").map(|c| (&c.old, c.new.as_f64())),
        Some((&Json::Null, Some(5.0)))
    );

    // A change that changes nothing writes nothing; a refused one neither.
    try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        4,
        json!({"level": "VIP"}),
    )
    .await
    .unwrap();
    assert!(try_update(
        &db,
        &ACCOUNT,
        &admin,
        created.id,
        1,
        json!({"level": "普通"})
    )
    .await
    .is_err());
    assert_eq!(
        events::record_history(&db, "account", created.id, 50)
            .await
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        events::record_history(&db, "account", created.id, 2)
            .await
            .unwrap()
            .len(),
        2,
        "limit"
    );
    assert!(
        events::record_history(&db, "contact", created.id, 50)
            .await
            .unwrap()
            .is_empty(),
        "per entity"
    );
    let ip: Vec<String> =
        crate::common::sql::texts(&db, "SELECT source_ip FROM events WHERE action = 'deleted'")
            .await;
    assert_eq!(ip, ["10.0.0.9"]);
}

async fn customer_timeline_collects_contacts_newest_first(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let huawei = fixtures::named_account(&db, &admin, "华为").await;
    let tencent = fixtures::named_account(&db, &admin, "腾讯").await;
    let zhang = contact(&db, &admin, huawei.id, json!({"name": "张伟"})).await;
    let other = contact(&db, &admin, tencent.id, json!({"name": "马总"})).await;
    try_update(&db, &CONTACT, &admin, zhang.id, 1, json!({"title": "经理"}))
        .await
        .unwrap();
    try_update(&db, &ACCOUNT, &admin, huawei.id, 1, json!({"level": "VIP"}))
        .await
        .unwrap();
    records::soft_delete(&db, &CONTACT, &admin, None, zhang.id)
        .await
        .unwrap();
    try_update(&db, &CONTACT, &admin, other.id, 1, json!({"title": "CEO"}))
        .await
        .unwrap();

    let timeline = events::account_timeline(&db, huawei.id, &Visibility::Everything, None, 50)
        .await
        .unwrap();
    let shown: Vec<(&str, &str)> = timeline
        .iter()
        .map(|e| (e.entity.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("contact", "deleted"),
            ("account", "updated"),
            ("contact", "updated"),
            ("contact", "created"),
            ("account", "created")
        ],
        "the customer's and its contacts' events, newest first, none of another customer's"
    );
    assert_eq!(
        change(&timeline[2], "title").map(|c| (&c.old, &c.new)),
        Some((&Json::Null, &json!("经理")))
    );
    // Paging back through the timeline.
    let older = events::account_timeline(
        &db,
        huawei.id,
        &Visibility::Everything,
        Some(timeline[1].id),
        2,
    )
    .await
    .unwrap();
    let ids: Vec<i64> = older.iter().map(|e| e.id).collect();
    assert_eq!(ids, [timeline[2].id, timeline[3].id]);
    let tencent_timeline =
        events::account_timeline(&db, tencent.id, &Visibility::Everything, None, 50)
            .await
            .unwrap();
    assert_eq!(tencent_timeline.len(), 3);
    assert!(
        events::account_timeline(&db, tencent.id, &Visibility::Nothing, None, 50)
            .await
            .unwrap()
            .iter()
            .all(|e| e.entity == "account")
    );
}
