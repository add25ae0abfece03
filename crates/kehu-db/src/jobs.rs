//! The job queue: background work that survives restarts. A job is claimed by setting
//! `locked_until`; a worker that dies leaves the lock to expire and the job runs again,
//! so handlers must be idempotent.

use crate::conn::required;
use crate::records::{ident, null_timestamp};
use crate::{now, timestamp_value, Backend, Db, DbResult};
use chrono::{DateTime, Duration, Utc};
use sea_query::{Expr, Query};
use serde_json::Value as Json;

/// A claimed job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Id.
    pub id: i64,
    /// What to do, e.g. `send_reminder`.
    pub kind: String,
    /// Its arguments.
    pub payload: Json,
    /// How many times it was tried before (0 on the first run).
    pub attempts: i64,
}

/// Queues a job to run at `run_at`.
pub async fn enqueue(db: &Db, kind: &str, payload: &Json, run_at: DateTime<Utc>) -> DbResult<i64> {
    let insert = Query::insert()
        .into_table(ident("jobs"))
        .columns(["kind", "payload", "run_at", "created_at"].map(ident))
        .values_panic([
            kind.into(),
            payload.to_string().into(),
            timestamp_value(db.backend(), run_at).into(),
            timestamp_value(db.backend(), now()).into(),
        ])
        .returning_col(ident("id"))
        .to_owned();
    Ok(db.conn().fetch_ints(&insert).await?[0])
}

/// Claims the oldest due job for `lease`, if any.
pub async fn claim(db: &Db, lease: Duration) -> DbResult<Option<Job>> {
    let at = now();
    let due = |b: Backend| timestamp_value(b, at);
    // One statement claims atomically: SKIP LOCKED lets several PostgreSQL workers
    // share the queue; SQLite serialises writers, so a plain UPDATE … RETURNING suffices.
    let lock_clause = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // sea-query numbers placeholders in custom SQL only on PostgreSQL (`$1`); on SQLite its
    // placeholder is `?`, once per value.
    let (placeholder, copies) = match db.backend() {
        Backend::Postgres => ("$1", 1),
        Backend::Sqlite => ("?", 2),
    };
    let sql_inner = format!(
        "SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= {placeholder} AND attempts < max_attempts \
         AND (locked_until IS NULL OR locked_until < {placeholder}) ORDER BY run_at, id LIMIT 1 {lock_clause}"
    );
    let values: Vec<sea_query::SimpleExpr> = (0..copies)
        .map(|_| Expr::val(due(db.backend())).into())
        .collect();
    let update = Query::update()
        .table(ident("jobs"))
        .value(
            ident("locked_until"),
            timestamp_value(db.backend(), at + lease),
        )
        .value(ident("attempts"), Expr::col(ident("attempts")).add(1))
        .and_where(Expr::cust_with_exprs(
            format!("id IN ({sql_inner})"),
            values,
        ))
        .returning(Query::returning().columns(["id", "kind", "payload", "attempts"].map(ident)))
        .to_owned();
    db.conn()
        .fetch_optional(&update, |row| {
            let payload: String = required(row.text("payload"), "payload")?;
            Ok(Job {
                id: required(row.int("id"), "id")?,
                kind: required(row.text("kind"), "kind")?,
                payload: serde_json::from_str(&payload).unwrap_or(Json::Null),
                attempts: required(row.int("attempts"), "attempts")? - 1,
            })
        })
        .await
}

/// Marks a job done.
pub async fn complete(db: &Db, id: i64) -> DbResult<()> {
    let update = Query::update()
        .table(ident("jobs"))
        .value(ident("done_at"), timestamp_value(db.backend(), now()))
        .value(ident("locked_until"), null_timestamp(db.backend()))
        .and_where(Expr::col(ident("id")).eq(id))
        .to_owned();
    db.conn().execute(&update).await?;
    Ok(())
}

/// Records a failure and schedules a retry with exponential backoff (30 s, 1 min, 2 min …).
pub async fn fail(db: &Db, job: &Job, error: &str) -> DbResult<()> {
    let delay = Duration::seconds(30 * (1i64 << job.attempts.clamp(0, 10)));
    let update = Query::update()
        .table(ident("jobs"))
        .value(
            ident("last_error"),
            error.chars().take(2000).collect::<String>(),
        )
        .value(
            ident("run_at"),
            timestamp_value(db.backend(), now() + delay),
        )
        .value(ident("locked_until"), null_timestamp(db.backend()))
        .and_where(Expr::col(ident("id")).eq(job.id))
        .to_owned();
    db.conn().execute(&update).await?;
    Ok(())
}

/// How many jobs of a kind are waiting or running (not done, retries left), so that a
/// scheduler or a button does not queue the same work twice.
pub async fn pending(db: &Db, kind: &str) -> DbResult<i64> {
    let select = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(ident("jobs"))
        .and_where(Expr::col(ident("kind")).eq(kind))
        .and_where(Expr::col(ident("done_at")).is_null())
        .and_where(Expr::col(ident("attempts")).lt(Expr::col(ident("max_attempts"))))
        .to_owned();
    Ok(db
        .conn()
        .fetch_ints(&select)
        .await?
        .first()
        .copied()
        .unwrap_or(0))
}
