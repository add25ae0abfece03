//! Writing and deleting a run's values on SQLite: one prepared single-row statement run
//! over and over in write transactions of [`WRITE_SLICE`], rather than sea-query
//! statements of 500 rows each, whose building and binding cost as much again as
//! SQLite's inserts. (A prepared 64-row INSERT took more CPU than single rows: a
//! statement of many rows keeps a statement journal so that it can undo itself.)

use super::{CustomerValue, VALUE_COLUMNS};
use crate::sqlite::{date_text, internal, SqlitePool};
use crate::DbResult;
use std::time::Duration;

/// Longest a write transaction of the job runs: other writers wait up to about this.
const WRITE_SLICE: Duration = Duration::from_millis(25);
/// Rows inserted between looks at the clock.
const ROWS_PER_STEP: usize = 64;
/// Rows per delete statement when a run is cleared away.
const ROWS_PER_DELETE: i64 = 500;

/// Writes a run's values.
pub(super) async fn store_values(
    pool: &SqlitePool,
    run_id: i64,
    values: &[CustomerValue],
) -> DbResult<()> {
    let sql = format!(
        "INSERT INTO customer_values ({}) VALUES ({})",
        VALUE_COLUMNS.join(", "),
        vec!["?"; VALUE_COLUMNS.len()].join(", ")
    );
    let mut rest = values.chunks(ROWS_PER_STEP);
    pool.write_in_slices(WRITE_SLICE, |conn| {
        let Some(step) = rest.next() else {
            return Ok(false);
        };
        let mut insert = conn.prepare_cached(&sql).map_err(internal)?;
        for v in step {
            insert
                .execute(rusqlite::params![
                    v.account_id,
                    date_text(v.first_order_date),
                    date_text(v.last_order_date),
                    v.recency_days,
                    v.frequency,
                    v.monetary,
                    v.r_score,
                    v.f_score,
                    v.m_score,
                    v.segment,
                    v.abc_class,
                    v.expected_purchases,
                    v.p_alive,
                    v.expected_avg_spend,
                    v.clv,
                    v.lifecycle,
                    run_id,
                ])
                .map_err(internal)?;
        }
        Ok(rest.len() > 0)
    })
    .await
}

/// Deletes a run's values.
pub(super) async fn delete_values(pool: &SqlitePool, run_id: i64) -> DbResult<()> {
    // The run's first rows by key each time: the ones before are gone already.
    let sql = "DELETE FROM customer_values WHERE run_id = ?1 AND account_id IN
                 (SELECT account_id FROM customer_values WHERE run_id = ?1
                   ORDER BY account_id LIMIT ?2)";
    pool.write_in_slices(WRITE_SLICE, |conn| {
        let mut delete = conn.prepare_cached(sql).map_err(internal)?;
        let deleted = delete
            .execute(rusqlite::params![run_id, ROWS_PER_DELETE])
            .map_err(internal)?;
        Ok(deleted > 0)
    })
    .await
}
