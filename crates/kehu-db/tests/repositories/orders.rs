//! Orders: created for a customer the user can see, owned by the customer's owner,
//! changed only at the version read, listed by customer, and kept inside permissions.

use crate::common::fixtures::{self, named_account, query, reads, try_create, try_update};
use kehu_core::entity::ORDER;
use kehu_db::records;
use kehu_db::{Db, DbError};
use serde_json::json;

backend_tests!(
    an_order_belongs_to_its_customers_owner,
    a_stale_order_update_is_refused,
    orders_are_listed_per_customer_and_status,
    reps_cannot_book_or_see_orders_of_other_reps_customers,
    bad_orders_are_refused_field_by_field
);

async fn an_order_belongs_to_its_customers_owner(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let rep = fixtures::user(&db, "rep", None, &["sales_rep"]).await;
    let customer = named_account(&db, &rep, "杭州茶叶").await;
    let order = try_create(
        &db,
        &ORDER,
        &admin,
        json!({"name": "SO-1", "account_id": customer.id, "order_date": "2024-02-01", "total": 12_345}),
    )
    .await
    .expect("admin books an order");
    assert_eq!(order.owner_id, rep.user_id, "the customer's rep owns it");
    assert_eq!(order.text("status"), Some("completed"), "default status");
    assert_eq!(order.int("total"), Some(12_345));
    let seen = records::get(&db, &ORDER, &reads(&rep, &ORDER), order.id)
        .await
        .expect("the rep sees the order of their customer");
    assert_eq!(seen.text("name"), Some("SO-1"));
}

async fn a_stale_order_update_is_refused(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let customer = named_account(&db, &admin, "上海").await;
    let order = try_create(
        &db,
        &ORDER,
        &admin,
        json!({"name": "SO-2", "account_id": customer.id, "order_date": "2024-03-01", "total": 500}),
    )
    .await
    .unwrap();
    let cancelled = try_update(
        &db,
        &ORDER,
        &admin,
        order.id,
        order.version,
        json!({"status": "cancelled"}),
    )
    .await
    .expect("cancelling at the current version");
    assert_eq!(cancelled.text("status"), Some("cancelled"));
    let stale = try_update(
        &db,
        &ORDER,
        &admin,
        order.id,
        order.version,
        json!({"total": 1}),
    )
    .await;
    assert!(
        matches!(stale, Err(DbError::StaleVersion { current }) if current == cancelled.version),
        "{stale:?}"
    );
    let now = records::get(&db, &ORDER, &reads(&admin, &ORDER), order.id)
        .await
        .unwrap();
    assert_eq!(
        now.int("total"),
        Some(500),
        "the stale write changed nothing"
    );
}

async fn orders_are_listed_per_customer_and_status(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let one = named_account(&db, &admin, "一").await;
    let two = named_account(&db, &admin, "二").await;
    for (name, account, date, status) in [
        ("A1", one.id, "2024-01-05", "completed"),
        ("A2", one.id, "2024-02-05", "cancelled"),
        ("A3", one.id, "2023-12-05", "completed"),
        ("B1", two.id, "2024-01-01", "completed"),
    ] {
        try_create(
            &db,
            &ORDER,
            &admin,
            json!({"name": name, "account_id": account, "order_date": date, "total": 100, "status": status}),
        )
        .await
        .unwrap();
    }
    let account_filter = one.id.to_string();
    let newest_first = query(
        &ORDER,
        "-order_date",
        &[("account_id", &account_filter)],
        50,
    );
    let names = fixtures::names(&db, &ORDER, &reads(&admin, &ORDER), &newest_first).await;
    assert_eq!(names, ["A2", "A1", "A3"]);
    let completed = query(
        &ORDER,
        "order_date",
        &[("account_id", &account_filter), ("status", "completed")],
        50,
    );
    let names = fixtures::names(&db, &ORDER, &reads(&admin, &ORDER), &completed).await;
    assert_eq!(names, ["A3", "A1"]);
}

async fn reps_cannot_book_or_see_orders_of_other_reps_customers(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let rep_a = fixtures::user(&db, "rep.a", None, &["sales_rep"]).await;
    let rep_b = fixtures::user(&db, "rep.b", None, &["sales_rep"]).await;
    let theirs = named_account(&db, &rep_b, "B 的客户").await;
    let booked = try_create(
        &db,
        &ORDER,
        &rep_a,
        json!({"name": "X", "account_id": theirs.id, "order_date": "2024-01-01", "total": 1}),
    )
    .await;
    assert!(
        matches!(&booked, Err(DbError::Invalid(errors)) if errors.0.contains_key("account_id")),
        "{booked:?}"
    );
    let order = try_create(
        &db,
        &ORDER,
        &admin,
        json!({"name": "Y", "account_id": theirs.id, "order_date": "2024-01-01", "total": 1}),
    )
    .await
    .unwrap();
    assert!(matches!(
        records::get(&db, &ORDER, &reads(&rep_a, &ORDER), order.id).await,
        Err(DbError::NotFound)
    ));
    let everything = query(&ORDER, "-id", &[], 50);
    assert!(
        fixtures::names(&db, &ORDER, &reads(&rep_a, &ORDER), &everything)
            .await
            .is_empty()
    );
    assert_eq!(
        fixtures::names(&db, &ORDER, &reads(&rep_b, &ORDER), &everything).await,
        ["Y"]
    );
}

async fn bad_orders_are_refused_field_by_field(db: Db) {
    fixtures::seed(&db).await;
    let picklists = kehu_db::picklists::all(&db).await.unwrap();
    let schema = kehu_core::validation::Schema {
        entity: &ORDER,
        custom_fields: &[],
        picklists: &picklists,
    };
    let input = json!({"name": "Z", "order_date": "2024-13-01", "total": "lots", "status": "lost"});
    let errors = schema
        .from_json(
            input.as_object().unwrap(),
            kehu_core::validation::Mode::Create,
        )
        .expect_err("invalid order");
    for field in ["account_id", "order_date", "total", "status"] {
        assert!(errors.0.contains_key(field), "{field}: {errors:?}");
    }
}
