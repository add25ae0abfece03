//! Stored customer values: a run appears only when complete, replaces the previous run,
//! and every total and list covers only the customers the reader may see.

use crate::common::fixtures::{self, named_account, reads};
use chrono::NaiveDate;
use kehu_core::entity::ACCOUNT;
use kehu_core::FieldValue;
use kehu_db::customer_values::{self, CustomerValue, Grouping, ValueFilter, ValueOrder};
use kehu_db::records::{self, BulkRow};
use kehu_db::Db;
use serde_json::json;

backend_tests!(
    a_run_counts_only_once_finished_and_replaces_the_previous_one,
    totals_and_lists_respect_the_readers_customers,
    the_customer_list_filters_on_the_latest_complete_run,
    analytics_settings_are_saved_with_an_audit_entry,
);

fn value(account_id: i64, r: i64, f: i64, monetary: i64, clv: i64, p_alive: f64) -> CustomerValue {
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    CustomerValue {
        account_id,
        first_order_date: day,
        last_order_date: day,
        recency_days: 10,
        frequency: f,
        monetary,
        r_score: r,
        f_score: f,
        m_score: 3,
        segment: if r == 5 { "champions" } else { "hibernating" }.into(),
        abc_class: "A".into(),
        expected_purchases: Some(1.5),
        p_alive: Some(p_alive),
        expected_avg_spend: Some(100.0),
        clv: Some(clv),
        lifecycle: "active".into(),
    }
}

async fn a_run_counts_only_once_finished_and_replaces_the_previous_one(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    // More customers than one write batch.
    let name = ACCOUNT.field("name").unwrap();
    let rows = (0..1_200)
        .map(|n| BulkRow {
            owner_id: admin.user_id,
            fields: vec![(name, FieldValue::Text(format!("客户{n}")))],
            ..BulkRow::default()
        })
        .collect();
    let ids = records::bulk_insert(&db, &ACCOUNT, None, rows)
        .await
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let first = customer_values::start_run(&db, day, &json!({}), None)
        .await
        .unwrap();
    let many: Vec<CustomerValue> = ids.iter().map(|id| value(*id, 5, 5, 100, 1, 0.5)).collect();
    customer_values::store_values(&db, first, &many)
        .await
        .unwrap();
    assert!(
        customer_values::latest_run(&db).await.unwrap().is_none(),
        "an unfinished run is not shown"
    );
    customer_values::finish_run(&db, first, &json!({"bgnbd": {}}), 1_200, 9)
        .await
        .unwrap();
    let run = customer_values::latest_run(&db)
        .await
        .unwrap()
        .expect("finished run");
    assert_eq!((run.id, run.customers, run.purchases), (first, 1_200, 9));
    assert!(run.computed_at.is_some());
    let everyone = reads(&admin, &ACCOUNT);
    let stored = customer_values::group_totals(&db, &everyone, first, Grouping::Segment)
        .await
        .unwrap();
    assert_eq!(stored[0].customers, 1_200, "every batch was written");

    let second = customer_values::start_run(&db, day, &json!({}), None)
        .await
        .unwrap();
    customer_values::store_values(&db, second, &[value(ids[0], 1, 1, 7, 1, 0.5)])
        .await
        .unwrap();
    customer_values::finish_run(&db, second, &json!({}), 1, 1)
        .await
        .unwrap();
    customer_values::discard_older_runs(&db, second)
        .await
        .unwrap();
    assert_eq!(
        customer_values::latest_run(&db).await.unwrap().unwrap().id,
        second
    );
    let rows = customer_values::list_values(
        &db,
        &everyone,
        first,
        &ValueFilter::default(),
        ValueOrder::Monetary,
        100,
    )
    .await
    .unwrap();
    assert!(rows.is_empty(), "the older run's values are gone");
    let stored = customer_values::value_of_account(&db, &everyone, ids[0])
        .await
        .unwrap()
        .expect("value of the latest run");
    assert_eq!(stored.monetary, 7);
}

async fn totals_and_lists_respect_the_readers_customers(db: Db) {
    fixtures::seed(&db).await;
    let rep_a = fixtures::user(&db, "rep.a", None, &["sales_rep"]).await;
    let rep_b = fixtures::user(&db, "rep.b", None, &["sales_rep"]).await;
    let admin = fixtures::admin(&db).await;
    let a1 = named_account(&db, &rep_a, "A1").await.id;
    let a2 = named_account(&db, &rep_a, "A2").await.id;
    let b1 = named_account(&db, &rep_b, "B1").await.id;
    let day = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let run = customer_values::start_run(&db, day, &json!({}), None)
        .await
        .unwrap();
    customer_values::store_values(
        &db,
        run,
        &[
            // Value at risk: A1 10,000 × 0.9 = 9,000; A2 50,000 × 0.1 = 5,000.
            value(a1, 5, 5, 30_000, 10_000, 0.1),
            value(a2, 1, 1, 20_000, 50_000, 0.9),
            value(b1, 5, 5, 99_000, 99_000, 0.0),
        ],
    )
    .await
    .unwrap();
    customer_values::finish_run(&db, run, &json!({}), 3, 3)
        .await
        .unwrap();

    let mine = reads(&rep_a, &ACCOUNT);
    let cells = customer_values::group_totals(&db, &mine, run, Grouping::RfmCell)
        .await
        .unwrap();
    let cells: Vec<(Option<i64>, Option<i64>, i64, i64)> = cells
        .iter()
        .map(|c| (c.r_score, c.f_score, c.customers, c.revenue))
        .collect();
    assert_eq!(
        cells,
        [(Some(1), Some(1), 1, 20_000), (Some(5), Some(5), 1, 30_000)]
    );
    let segments = customer_values::group_totals(&db, &mine, run, Grouping::Segment)
        .await
        .unwrap();
    assert_eq!(segments.iter().map(|s| s.clv).sum::<i64>(), 60_000);

    let at_risk = customer_values::list_values(
        &db,
        &mine,
        run,
        &ValueFilter::default(),
        ValueOrder::ValueAtRisk,
        10,
    )
    .await
    .unwrap();
    let names: Vec<&str> = at_risk.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["A1", "A2"]);

    let champions = ValueFilter {
        segment: Some("champions".into()),
        ..ValueFilter::default()
    };
    let all = reads(&admin, &ACCOUNT);
    let listed = customer_values::list_values(&db, &all, run, &champions, ValueOrder::Monetary, 10)
        .await
        .unwrap();
    let names: Vec<&str> = listed.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["B1", "A1"]);
    assert!(
        customer_values::value_of_account(&db, &mine, b1)
            .await
            .unwrap()
            .is_none(),
        "another rep's customer is not readable"
    );
}

async fn the_customer_list_filters_on_the_latest_complete_run(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let slipping = named_account(&db, &admin, "快流失的客户").await.id;
    let steady = named_account(&db, &admin, "稳定的客户").await.id;
    named_account(&db, &admin, "没有订单的客户").await;
    let day = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let stage = |id: i64, stage: &str| CustomerValue {
        lifecycle: stage.into(),
        ..value(id, 5, 5, 100, 1, 0.5)
    };
    let listed = |filters: &'static [(&'static str, &'static str)]| {
        let db = db.clone();
        let everyone = reads(&admin, &ACCOUNT);
        async move {
            let query = fixtures::query(&ACCOUNT, "name", filters, 50);
            let page = records::list(&db, &ACCOUNT, &everyone, &query, &[])
                .await
                .unwrap();
            page.records
                .iter()
                .map(|r| r.text("name").unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert!(
        listed(&[("lifecycle_stage", "at_risk")]).await.is_empty(),
        "nothing computed yet"
    );
    let first = customer_values::start_run(&db, day, &json!({}), None)
        .await
        .unwrap();
    customer_values::store_values(
        &db,
        first,
        &[stage(slipping, "at_risk"), stage(steady, "active")],
    )
    .await
    .unwrap();
    customer_values::finish_run(&db, first, &json!({}), 2, 4)
        .await
        .unwrap();
    assert_eq!(
        listed(&[("lifecycle_stage", "at_risk")]).await,
        ["快流失的客户"]
    );
    assert_eq!(
        listed(&[("lifecycle_stage__in", "at_risk,active")]).await,
        ["快流失的客户", "稳定的客户"]
    );
    // A run still being written changes nothing; once finished, it is the one used.
    let second = customer_values::start_run(&db, day, &json!({}), None)
        .await
        .unwrap();
    customer_values::store_values(
        &db,
        second,
        &[stage(slipping, "lost"), stage(steady, "active")],
    )
    .await
    .unwrap();
    assert_eq!(
        listed(&[("lifecycle_stage", "at_risk")]).await,
        ["快流失的客户"]
    );
    customer_values::finish_run(&db, second, &json!({}), 2, 4)
        .await
        .unwrap();
    customer_values::discard_older_runs(&db, second)
        .await
        .unwrap();
    assert!(listed(&[("lifecycle_stage", "at_risk")]).await.is_empty());
    assert_eq!(
        listed(&[("lifecycle_stage", "lost")]).await,
        ["快流失的客户"]
    );
    assert_eq!(
        listed(&[("rfm_r", "5"), ("rfm_f", "5")]).await,
        ["快流失的客户", "稳定的客户"],
        "R and F scores filter too"
    );
}

async fn analytics_settings_are_saved_with_an_audit_entry(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    assert_eq!(kehu_db::analytics_settings::load(&db).await.unwrap(), None);
    let origin = kehu_db::events::Origin::user(admin.user_id, Some("10.0.0.1".into()));
    let first = json!({"rfm_classes": 4});
    let second = json!({"rfm_classes": 6, "abc": {"a": 0.7, "b": 0.9}});
    kehu_db::analytics_settings::save(&db, &first, &origin)
        .await
        .unwrap();
    kehu_db::analytics_settings::save(&db, &second, &origin)
        .await
        .unwrap();
    assert_eq!(
        kehu_db::analytics_settings::load(&db).await.unwrap(),
        Some(second.clone())
    );
    let query = kehu_db::events::AuditQuery {
        entity: Some("analytics_settings".into()),
        ..Default::default()
    };
    let events = kehu_db::events::search(&db, &query, 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].changes[0].old, first,
        "newest first, old and new kept"
    );
    assert_eq!(events[0].changes[0].new, second);
    assert_eq!(events[0].actor_id, Some(admin.user_id));
}
