//! Writing batches with multi-row `INSERT … VALUES (…), (…) RETURNING id` statements.
//! The statement text only depends on the columns and the number of rows, so full chunks
//! reuse one prepared statement from the connection's cache.

use super::prepare::Batch;
use crate::{Backend, DbError, DbResult, Tx};
use std::fmt::Write as _;

/// One multi-row INSERT, ready to run.
pub(super) struct Statement {
    sql: String,
    values: Vec<sea_query::Value>,
    rows: usize,
}

impl Statement {
    /// `INSERT INTO table (columns) VALUES (…), … RETURNING id` for the batch's rows.
    pub fn new(backend: Backend, table: &str, batch: Batch) -> Statement {
        let columns: Vec<&str> = batch.columns().collect();
        let mut sql = format!("INSERT INTO \"{table}\" (");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "\"{column}\"");
        }
        sql.push_str(") VALUES ");
        let mut parameter = 0;
        for row in 0..batch.rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for column in 0..columns.len() {
                if column > 0 {
                    sql.push_str(", ");
                }
                parameter += 1;
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        let _ = write!(sql, "${parameter}");
                    }
                }
            }
            sql.push(')');
        }
        sql.push_str(" RETURNING \"id\"");
        debug_assert_eq!(batch.values.len(), parameter);
        Statement {
            sql,
            values: batch.values,
            rows: batch.rows,
        }
    }

    /// Runs the statement; gives the new ids in the order of the rows.
    pub async fn execute(self, tx: &mut Tx) -> DbResult<Vec<i64>> {
        let mut ids = tx
            .conn()
            .fetch_ints_sql(&self.sql, sea_query::Values(self.values))
            .await?;
        if ids.len() != self.rows {
            return Err(DbError::Internal(anyhow::anyhow!(
                "insert of {} rows returned {} ids",
                self.rows,
                ids.len()
            )));
        }
        // Ids are handed out in VALUES order, so ascending ids are the rows' order.
        ids.sort_unstable();
        Ok(ids)
    }
}
