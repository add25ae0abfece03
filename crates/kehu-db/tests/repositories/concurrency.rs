//! Several requests at once, as a web server sends them: nothing fails for being
//! concurrent, and optimistic concurrency lets exactly one of competing edits win.

use crate::common::fixtures::{self, changes};
use crate::common::sql;
use kehu_core::entity::ACCOUNT;
use kehu_core::permission::Visibility;
use kehu_core::validation::Mode;
use kehu_db::{events, records, Db, DbError};
use serde_json::json;

backend_tests!(
    parallel_creates_all_succeed,
    competing_saves_have_one_winner,
    competing_deletes_have_one_winner
);

const PARALLEL: usize = 8;

async fn parallel_creates_all_succeed(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let tasks: Vec<_> = (0..PARALLEL)
        .map(|i| {
            let (db, admin) = (db.clone(), admin.clone());
            tokio::spawn(async move {
                let input = changes(
                    &db,
                    &ACCOUNT,
                    json!({"name": format!("并发客户{i}"), "phone": format!("010-0000-{i:04}")}),
                    Mode::Create,
                )
                .await;
                records::create(&db, &ACCOUNT, &admin, None, input).await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("a create running next to others succeeds");
    }
    let all = fixtures::query(&ACCOUNT, "id", &[], 100);
    assert_eq!(
        records::count(&db, &ACCOUNT, &Visibility::Everything, &all, 100)
            .await
            .unwrap(),
        (PARALLEL as u64, false)
    );
    assert_eq!(
        sql::scalar(&db, "SELECT COUNT(*) FROM events WHERE action = 'created'").await,
        PARALLEL as i64
    );
}

async fn competing_saves_have_one_winner(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let customer = fixtures::named_account(&db, &admin, "抢着改的客户").await;
    // Everyone opened the form at version 1 and saves at the same moment.
    let tasks: Vec<_> = (0..PARALLEL)
        .map(|i| {
            let (db, admin) = (db.clone(), admin.clone());
            tokio::spawn(async move {
                let input = changes(
                    &db,
                    &ACCOUNT,
                    json!({"description": format!("版本 {i}")}),
                    Mode::Update,
                )
                .await;
                records::update(&db, &ACCOUNT, &admin, None, customer.id, 1, input)
                    .await
                    .map(|r| (i, r))
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok((i, record)) => winners.push((i, record)),
            Err(DbError::StaleVersion { current: 2 }) => {}
            Err(other) => panic!("a losing save must be a version conflict, got {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one save wins");
    let (i, record) = &winners[0];
    assert_eq!(record.version, 2);
    let stored = records::get(&db, &ACCOUNT, &Visibility::Everything, customer.id)
        .await
        .unwrap();
    assert_eq!(
        stored.text("description"),
        Some(format!("版本 {i}").as_str()),
        "the winner's change is what is stored"
    );
    let history = events::record_history(&db, "account", customer.id, 50)
        .await
        .unwrap();
    assert_eq!(history.iter().filter(|e| e.action == "updated").count(), 1);
}

async fn competing_deletes_have_one_winner(db: Db) {
    fixtures::seed(&db).await;
    let admin = fixtures::admin(&db).await;
    let customer = fixtures::named_account(&db, &admin, "被删两次的客户").await;
    let tasks: Vec<_> = (0..PARALLEL)
        .map(|_| {
            let (db, admin) = (db.clone(), admin.clone());
            tokio::spawn(async move {
                records::soft_delete(&db, &ACCOUNT, &admin, None, customer.id).await
            })
        })
        .collect();
    let mut deleted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => deleted += 1,
            Err(DbError::NotFound) => {}
            Err(other) => panic!("deleting an already deleted record is not found, got {other:?}"),
        }
    }
    assert_eq!(deleted, 1);
    let history = events::record_history(&db, "account", customer.id, 50)
        .await
        .unwrap();
    assert_eq!(
        history.iter().filter(|e| e.action == "deleted").count(),
        1,
        "one deletion in the audit log"
    );
    assert_eq!(
        sql::scalar(
            &db,
            &format!("SELECT version FROM accounts WHERE id = {}", customer.id)
        )
        .await,
        2
    );
}
