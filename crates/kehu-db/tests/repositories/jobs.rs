//! The job queue: only due jobs are claimed, a leased job is not claimed twice, failures
//! are retried later, and several workers share the queue without doubling work.

use crate::common::sql;
use chrono::Duration;
use kehu_db::{jobs, now, Db};
use serde_json::json;
use std::collections::BTreeSet;

backend_tests!(
    due_jobs_are_claimed_once_and_completed,
    failed_jobs_are_retried_later,
    workers_share_the_queue
);

async fn due_jobs_are_claimed_once_and_completed(db: Db) {
    let lease = Duration::minutes(5);
    assert!(
        jobs::claim(&db, lease).await.unwrap().is_none(),
        "an empty queue"
    );
    let later = jobs::enqueue(
        &db,
        "send_reminder",
        &json!({"id": 3}),
        now() + Duration::hours(1),
    )
    .await
    .unwrap();
    let second = jobs::enqueue(
        &db,
        "send_reminder",
        &json!({"id": 2}),
        now() - Duration::seconds(5),
    )
    .await
    .unwrap();
    let first = jobs::enqueue(
        &db,
        "webhook",
        &json!({"url": "https://example.com/h", "中文": "载荷"}),
        now() - Duration::minutes(1),
    )
    .await
    .unwrap();

    let claimed = jobs::claim(&db, lease).await.unwrap().expect("a due job");
    assert_eq!(
        (claimed.id, claimed.kind.as_str(), claimed.attempts),
        (first, "webhook", 0),
        "oldest due first"
    );
    assert_eq!(
        claimed.payload,
        json!({"url": "https://example.com/h", "中文": "载荷"})
    );
    let next = jobs::claim(&db, lease)
        .await
        .unwrap()
        .expect("the other due job");
    assert_eq!(next.id, second);
    assert!(
        jobs::claim(&db, lease).await.unwrap().is_none(),
        "leased jobs are not claimed again, future ones not yet"
    );

    jobs::complete(&db, claimed.id).await.unwrap();
    // A worker that died leaves its lease to expire; the job runs again.
    sql::set_timestamp(
        &db,
        "jobs",
        "locked_until",
        "id",
        next.id,
        now() - Duration::seconds(1),
    )
    .await;
    sql::set_timestamp(
        &db,
        "jobs",
        "locked_until",
        "id",
        claimed.id,
        now() - Duration::seconds(1),
    )
    .await;
    let again = jobs::claim(&db, lease)
        .await
        .unwrap()
        .expect("the abandoned job");
    assert_eq!((again.id, again.attempts), (next.id, 1));
    assert!(
        jobs::claim(&db, lease).await.unwrap().is_none(),
        "a completed job never runs again"
    );

    // Once its time comes, the future job is due.
    sql::set_timestamp(
        &db,
        "jobs",
        "run_at",
        "id",
        later,
        now() - Duration::seconds(1),
    )
    .await;
    assert_eq!(
        jobs::claim(&db, lease).await.unwrap().map(|j| j.id),
        Some(later)
    );
}

async fn failed_jobs_are_retried_later(db: Db) {
    let id = jobs::enqueue(&db, "send_mail", &json!({}), now())
        .await
        .unwrap();
    let lease = Duration::minutes(5);
    let job = jobs::claim(&db, lease).await.unwrap().unwrap();
    jobs::fail(&db, &job, "SMTP 421 try later").await.unwrap();
    assert!(
        jobs::claim(&db, lease).await.unwrap().is_none(),
        "not retried at once"
    );
    assert_eq!(
        sql::texts(&db, &format!("SELECT last_error FROM jobs WHERE id = {id}")).await,
        ["SMTP 421 try later"]
    );
    assert_eq!(sql::scalar(&db, &format!("SELECT COUNT(*) FROM jobs WHERE id = {id} AND locked_until IS NULL AND done_at IS NULL")).await, 1);

    // When the backoff has passed it is tried again, knowing how often it failed.
    let mut attempts = Vec::new();
    loop {
        sql::set_timestamp(
            &db,
            "jobs",
            "run_at",
            "id",
            id,
            now() - Duration::seconds(1),
        )
        .await;
        let Some(job) = jobs::claim(&db, lease).await.unwrap() else {
            break;
        };
        attempts.push(job.attempts);
        jobs::fail(&db, &job, "still failing").await.unwrap();
        assert!(attempts.len() < 10, "retries end");
    }
    assert_eq!(
        attempts,
        [1, 2, 3, 4],
        "five attempts in all, then the job is given up"
    );
    assert_eq!(
        sql::scalar(&db, &format!("SELECT attempts FROM jobs WHERE id = {id}")).await,
        5
    );
}

async fn workers_share_the_queue(db: Db) {
    let mut ids = BTreeSet::new();
    for n in 0..24 {
        ids.insert(
            jobs::enqueue(
                &db,
                "recalculate",
                &json!({"n": n}),
                now() - Duration::seconds(1),
            )
            .await
            .unwrap(),
        );
    }
    let workers = (0..4).map(|_| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut done = Vec::new();
            while let Some(job) = jobs::claim(&db, Duration::minutes(5)).await.expect("claim") {
                jobs::complete(&db, job.id).await.expect("complete");
                done.push(job.id);
            }
            done
        })
    });
    let mut claimed = Vec::new();
    for worker in workers.collect::<Vec<_>>() {
        claimed.extend(worker.await.unwrap());
    }
    claimed.sort();
    assert_eq!(
        claimed,
        ids.into_iter().collect::<Vec<_>>(),
        "every job ran exactly once"
    );
}
