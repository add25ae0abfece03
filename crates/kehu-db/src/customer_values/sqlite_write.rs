//! Writing and deleting a run's values on SQLite: prepared statements run over and over
//! in write transactions of [`WRITE_SLICE`], rather than sea-query statements of 500 rows
//! in a transaction each, built, bound and committed anew every 500 rows.
//!
//! The rows go in [`ROWS_PER_STEP`] to an `INSERT OR FAIL`: one statement keeps its
//! cursors on the table and the two indexes from row to row, where single-row statements
//! looked each place up from the root (about 0.6 s of CPU more on a million rows). `OR
//! FAIL` rather than the default `ABORT`, because a statement that may have to undo its
//! own earlier rows keeps a statement journal of every page it changes; a failed row
//! fails the transaction, which is then rolled back whole.

use super::{CustomerValue, VALUE_COLUMNS};
use crate::sqlite::{date_text, internal, SqlitePool};
use crate::DbResult;
use rusqlite::ToSql;
use std::time::Duration;

/// Longest a write transaction of the job runs: other writers wait up to about this.
const WRITE_SLICE: Duration = Duration::from_millis(25);
/// Rows per INSERT statement (17 values each, far below SQLite's 32,766), and between
/// looks at the clock.
const ROWS_PER_STEP: usize = 64;
/// Rows per delete statement when a run is cleared away.
const ROWS_PER_DELETE: i64 = 500;

/// Writes a run's values.
pub(super) async fn store_values(
    pool: &SqlitePool,
    run_id: i64,
    values: &[CustomerValue],
) -> DbResult<()> {
    let full = insert_sql(ROWS_PER_STEP);
    let mut rest = values.chunks(ROWS_PER_STEP);
    pool.write_in_slices(WRITE_SLICE, |conn| {
        let Some(step) = rest.next() else {
            return Ok(false);
        };
        let tail;
        let sql = if step.len() == ROWS_PER_STEP {
            &full
        } else {
            tail = insert_sql(step.len());
            &tail
        };
        let mut insert = conn.prepare_cached(sql).map_err(internal)?;
        let mut index = 0;
        for v in step {
            let (first, last) = (date_text(v.first_order_date), date_text(v.last_order_date));
            let row: [&dyn ToSql; VALUE_COLUMNS.len()] = [
                &v.account_id,
                &first,
                &last,
                &v.recency_days,
                &v.frequency,
                &v.monetary,
                &v.r_score,
                &v.f_score,
                &v.m_score,
                &v.segment,
                &v.abc_class,
                &v.expected_purchases,
                &v.p_alive,
                &v.expected_avg_spend,
                &v.clv,
                &v.lifecycle,
                &run_id,
            ];
            for value in row {
                index += 1;
                insert.raw_bind_parameter(index, value).map_err(internal)?;
            }
        }
        insert.raw_execute().map_err(internal)?;
        Ok(rest.len() > 0)
    })
    .await
}

/// An INSERT of `rows` values.
fn insert_sql(rows: usize) -> String {
    let row = format!("({})", vec!["?"; VALUE_COLUMNS.len()].join(", "));
    format!(
        "INSERT OR FAIL INTO customer_values ({}) VALUES {}",
        VALUE_COLUMNS.join(", "),
        vec![row; rows].join(", ")
    )
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
