//! Kehu's background worker: claims due jobs from the database queue and runs them,
//! and schedules the recurring housekeeping jobs. Several servers may run workers
//! against one PostgreSQL; the queue hands each job to one of them.

pub mod customer_values;

use chrono::Duration;
use kehu_db::jobs::{self, Job};
use kehu_db::Db;
use tokio::sync::watch;

/// How long a claimed job is reserved for its worker.
const LEASE_SECONDS: i64 = 300;
/// How often an idle worker looks for work.
const IDLE_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Jobs every worker schedules once an hour: dropping expired sessions, and keeping the
/// planner statistics fresh so list pages keep their index plans as tables grow.
const HOURLY_HOUSEKEEPING: [&str; 2] = ["purge_expired_sessions", "refresh_statistics"];

/// Runs one job; `Err` schedules a retry.
pub async fn run_job(db: &Db, job: &Job) -> anyhow::Result<()> {
    match job.kind.as_str() {
        "purge_expired_sessions" => {
            kehu_db::auth::purge_expired_sessions(db).await?;
            Ok(())
        }
        "refresh_statistics" => {
            db.refresh_statistics(false).await?;
            Ok(())
        }
        customer_values::JOB_KIND => {
            let requested_by = job.payload.get("requested_by").and_then(|v| v.as_i64());
            let as_of = customer_values::business_today();
            let admin = customer_values::load_settings(db).await?;
            customer_values::recompute(
                db,
                as_of,
                &customer_values::ValueSettings::from_admin(&admin),
                requested_by,
            )
            .await?;
            Ok(())
        }
        other => anyhow::bail!("unknown job kind {other:?}"),
    }
}

/// Queues the customer value job when no complete run is from today (business time
/// zone) and none is queued: just after midnight in practice, and on the first start
/// after loading data.
pub async fn schedule_nightly_values(db: &Db) -> anyhow::Result<()> {
    let today = customer_values::business_today();
    let fresh = kehu_db::customer_values::latest_run(db)
        .await?
        .is_some_and(|run| run.as_of >= today);
    if !fresh {
        kehu_db::customer_values::request_recompute(db, None).await?;
    }
    Ok(())
}

/// Claims and runs jobs until `stop` turns true.
pub async fn run_worker(db: Db, mut stop: watch::Receiver<bool>) {
    let mut next_housekeeping = chrono::Utc::now();
    loop {
        if *stop.borrow() {
            return;
        }
        if chrono::Utc::now() >= next_housekeeping {
            for kind in HOURLY_HOUSEKEEPING {
                if let Err(error) =
                    jobs::enqueue(&db, kind, &serde_json::json!({}), chrono::Utc::now()).await
                {
                    tracing::warn!(%error, kind, "could not schedule housekeeping");
                }
            }
            if let Err(error) = schedule_nightly_values(&db).await {
                tracing::warn!(%error, "could not schedule the customer value job");
            }
            next_housekeeping = chrono::Utc::now() + Duration::hours(1);
        }
        match jobs::claim(&db, Duration::seconds(LEASE_SECONDS)).await {
            Ok(Some(job)) => {
                let outcome = run_job(&db, &job).await;
                let recorded = match outcome {
                    Ok(()) => jobs::complete(&db, job.id).await,
                    Err(error) => {
                        tracing::warn!(job = job.id, kind = %job.kind, %error, "job failed");
                        jobs::fail(&db, &job, &format!("{error:#}")).await
                    }
                };
                if let Err(error) = recorded {
                    tracing::error!(%error, "could not record job outcome");
                }
                continue;
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not claim a job"),
        }
        tokio::select! {
            _ = tokio::time::sleep(IDLE_POLL) => {},
            _ = stop.changed() => {},
        }
    }
}
