//! Running sea-query statements on either backend, on a pool or inside a transaction,
//! and reading columns from rows of either backend through one trait.

use crate::sqlite::{SqlitePool, SqliteRow, SqliteTx};
use crate::{Backend, DbResult};
use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder, Values};
use sea_query_binder::{SqlxBinder, SqlxValues};
use serde_json::Value as Json;
use sqlx::postgres::PgRow;
use sqlx::{Executor, PgPool, Row};

/// Somewhere to run statements: a pool or an open transaction, of either backend.
pub enum Conn<'c> {
    /// A SQLite pool.
    SqlitePool(&'c SqlitePool),
    /// A PostgreSQL pool.
    PgPool(&'c PgPool),
    /// A SQLite transaction.
    SqliteTx(&'c mut SqliteTx),
    /// A PostgreSQL transaction.
    PgTx(&'c mut sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Reads a column of a row from either backend by name.
pub trait DynRow {
    /// A text column.
    fn text(&self, column: &str) -> sqlx::Result<Option<String>>;
    /// An integer column.
    fn int(&self, column: &str) -> sqlx::Result<Option<i64>>;
    /// A floating-point column.
    fn float(&self, column: &str) -> sqlx::Result<Option<f64>>;
    /// A boolean column.
    fn boolean(&self, column: &str) -> sqlx::Result<Option<bool>>;
    /// A date column.
    fn date(&self, column: &str) -> sqlx::Result<Option<NaiveDate>>;
    /// A timestamp column.
    fn timestamp(&self, column: &str) -> sqlx::Result<Option<DateTime<Utc>>>;
    /// A JSON column (text on SQLite, jsonb on PostgreSQL).
    fn json(&self, column: &str) -> sqlx::Result<Option<Json>>;
}

impl DynRow for PgRow {
    fn text(&self, column: &str) -> sqlx::Result<Option<String>> {
        self.try_get(column)
    }
    fn int(&self, column: &str) -> sqlx::Result<Option<i64>> {
        self.try_get(column)
    }
    fn float(&self, column: &str) -> sqlx::Result<Option<f64>> {
        self.try_get(column)
    }
    fn boolean(&self, column: &str) -> sqlx::Result<Option<bool>> {
        self.try_get(column)
    }
    fn date(&self, column: &str) -> sqlx::Result<Option<NaiveDate>> {
        self.try_get(column)
    }
    fn timestamp(&self, column: &str) -> sqlx::Result<Option<DateTime<Utc>>> {
        self.try_get(column)
    }
    fn json(&self, column: &str) -> sqlx::Result<Option<Json>> {
        self.try_get(column)
    }
}

/// Reads a required column, turning NULL into a decode error.
pub fn required<T>(value: sqlx::Result<Option<T>>, column: &str) -> sqlx::Result<T> {
    value?.ok_or_else(|| sqlx::Error::ColumnNotFound(format!("{column} is NULL")))
}

/// A PostgreSQL executor of a [`Conn`] (pool or transaction), with the statement built.
macro_rules! on_postgres {
    ($conn:expr, $stmt:expr, |$sql:ident, $values:ident, $executor:ident| $body:expr) => {
        match $conn {
            Conn::PgPool(pool) => {
                let ($sql, $values) = $stmt.build_sqlx(PostgresQueryBuilder);
                let $executor = *pool;
                $body
            }
            Conn::PgTx(tx) => {
                let ($sql, $values) = $stmt.build_sqlx(PostgresQueryBuilder);
                let $executor = &mut ***tx;
                $body
            }
            Conn::SqlitePool(_) | Conn::SqliteTx(_) => unreachable!("handled as SQLite"),
        }
    };
}

/// A PostgreSQL statement built by sea-query, kept prepared on its connection unless it
/// matches text (full-text words, `LIKE` patterns).
///
/// PostgreSQL plans a prepared statement without its parameters after five runs (a
/// generic plan). For text matches that plan is wrong for most values: how common a word
/// is decides whether the full-text index or the scope's index should lead. A sales rep's
/// search for a word a fifth of the customers have took 660 ms on the generic plan and
/// 136 ms planned with the word (1,000,000 customers). An unnamed statement is planned
/// with its values each time it runs.
fn pg_query(sql: &str, values: SqlxValues) -> sqlx::query::Query<'_, sqlx::Postgres, SqlxValues> {
    sqlx::query_with(sql, values).persistent(!matches_text(sql))
}

/// Whether a statement has a full-text or pattern match, whose best plan depends on the
/// text matched.
fn matches_text(sql: &str) -> bool {
    sql.contains("to_tsquery(") || sql.contains("LIKE ")
}

/// What a SQLite statement run is for: rows to collect, or only the count of rows changed.
enum Purpose {
    Read,
    Write,
}

impl Conn<'_> {
    /// The engine this connection talks to.
    pub fn backend(&self) -> Backend {
        match self {
            Conn::SqlitePool(_) | Conn::SqliteTx(_) => Backend::Sqlite,
            Conn::PgPool(_) | Conn::PgTx(_) => Backend::Postgres,
        }
    }

    /// Runs a SQLite statement: inside the transaction, or on the pool (a reader when the
    /// statement only reads, the writer otherwise). `each` gets every row.
    async fn sqlite<S: SqlxBinder>(
        &mut self,
        stmt: &S,
        purpose: Purpose,
        each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
    ) -> DbResult<u64> {
        let (sql, SqlxValues(values)) = stmt.build_sqlx(SqliteQueryBuilder);
        self.sqlite_sql(&sql, &values, purpose, each).await
    }

    async fn sqlite_sql(
        &mut self,
        sql: &str,
        values: &Values,
        purpose: Purpose,
        each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
    ) -> DbResult<u64> {
        match self {
            Conn::SqliteTx(tx) => tx.run(sql, values, each).await,
            Conn::SqlitePool(pool) => match purpose {
                Purpose::Read => pool.read_or_write(sql, values, each).await,
                Purpose::Write => pool.write(sql, values, each).await,
            },
            Conn::PgPool(_) | Conn::PgTx(_) => unreachable!("handled as PostgreSQL"),
        }
    }

    /// Runs a statement that returns no rows; gives the number of rows affected.
    pub async fn execute<S: SqlxBinder>(&mut self, stmt: &S) -> DbResult<u64> {
        if self.backend() == Backend::Sqlite {
            return self.sqlite(stmt, Purpose::Write, |_| Ok(())).await;
        }
        on_postgres!(self, stmt, |sql, values, executor| {
            Ok(pg_query(&sql, values)
                .execute(executor)
                .await?
                .rows_affected())
        })
    }

    /// Runs a query and turns each row into a value with `decode`.
    pub async fn fetch_all<S, T>(
        &mut self,
        stmt: &S,
        decode: impl Fn(&dyn DynRow) -> sqlx::Result<T>,
    ) -> DbResult<Vec<T>>
    where
        S: SqlxBinder,
    {
        if self.backend() == Backend::Sqlite {
            let mut found = Vec::new();
            self.sqlite(stmt, Purpose::Read, |row| {
                found.push(decode(row)?);
                Ok(())
            })
            .await?;
            return Ok(found);
        }
        on_postgres!(self, stmt, |sql, values, executor| {
            let rows = pg_query(&sql, values).fetch_all(executor).await?;
            Ok(rows
                .iter()
                .map(|r| decode(r))
                .collect::<sqlx::Result<Vec<T>>>()?)
        })
    }

    /// Runs a query and gives each row to `each` as it is read, without collecting them:
    /// for reads of millions of rows that are summed on the way (the purchase history).
    pub async fn for_each<S: SqlxBinder>(
        &mut self,
        stmt: &S,
        mut each: impl FnMut(&dyn DynRow) -> sqlx::Result<()>,
    ) -> DbResult<()> {
        if self.backend() == Backend::Sqlite {
            self.sqlite(stmt, Purpose::Read, |row| Ok(each(row)?))
                .await?;
            return Ok(());
        }
        on_postgres!(self, stmt, |sql, values, executor| {
            // Callers read in ranges, so a range's rows may be held at once here.
            let rows = pg_query(&sql, values).fetch_all(executor).await?;
            for row in &rows {
                each(row)?;
            }
            Ok(())
        })
    }

    /// Runs a query that returns at most one row.
    pub async fn fetch_optional<S, T>(
        &mut self,
        stmt: &S,
        decode: impl Fn(&dyn DynRow) -> sqlx::Result<T>,
    ) -> DbResult<Option<T>>
    where
        S: SqlxBinder,
    {
        if self.backend() == Backend::Sqlite {
            let mut found = None;
            self.sqlite(stmt, Purpose::Read, |row| {
                if found.is_none() {
                    found = Some(decode(row)?);
                }
                Ok(())
            })
            .await?;
            return Ok(found);
        }
        on_postgres!(self, stmt, |sql, values, executor| {
            let row = pg_query(&sql, values).fetch_optional(executor).await?;
            Ok(row.as_ref().map(|r| decode(r)).transpose()?)
        })
    }

    /// Runs SQL written by hand for this connection's backend (`?` placeholders on
    /// SQLite, `$N` on PostgreSQL) that returns at most one row: for the statements of
    /// every request, whose text is then not rebuilt by the query builder each time.
    pub async fn fetch_optional_sql<T>(
        &mut self,
        sql: &str,
        values: Values,
        decode: impl Fn(&dyn DynRow) -> sqlx::Result<T>,
    ) -> DbResult<Option<T>> {
        let mut found = None;
        match self {
            Conn::SqlitePool(_) | Conn::SqliteTx(_) => {
                self.sqlite_sql(sql, &values, Purpose::Read, |row| {
                    if found.is_none() {
                        found = Some(decode(row)?);
                    }
                    Ok(())
                })
                .await?;
            }
            Conn::PgPool(pool) => {
                let row = sqlx::query_with(sql, SqlxValues(values))
                    .fetch_optional(*pool)
                    .await?;
                found = row.as_ref().map(|r| decode(r)).transpose()?;
            }
            Conn::PgTx(tx) => {
                let row = sqlx::query_with(sql, SqlxValues(values))
                    .fetch_optional(&mut ***tx)
                    .await?;
                found = row.as_ref().map(|r| decode(r)).transpose()?;
            }
        }
        Ok(found)
    }

    /// Runs a query whose first column is an integer (ids, counts).
    pub async fn fetch_ints<S: SqlxBinder>(&mut self, stmt: &S) -> DbResult<Vec<i64>> {
        if self.backend() == Backend::Sqlite {
            let mut found = Vec::new();
            self.sqlite(stmt, Purpose::Read, |row| {
                found.push(row.first_int()?);
                Ok(())
            })
            .await?;
            return Ok(found);
        }
        on_postgres!(self, stmt, |sql, values, executor| {
            let rows = pg_query(&sql, values).fetch_all(executor).await?;
            Ok(rows
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<sqlx::Result<Vec<i64>>>()?)
        })
    }

    /// Runs SQL built by hand with `?` (SQLite) or `$N` (PostgreSQL) placeholders and gives
    /// the integers of the first column (statements too long for sea-query's builder, such
    /// as a bulk load's many-row `INSERT … RETURNING id`).
    pub async fn fetch_ints_sql(&mut self, sql: &str, values: Values) -> DbResult<Vec<i64>> {
        match self {
            Conn::SqlitePool(_) | Conn::SqliteTx(_) => {
                let mut found = Vec::new();
                self.sqlite_sql(sql, &values, Purpose::Read, |row| {
                    found.push(row.first_int()?);
                    Ok(())
                })
                .await?;
                Ok(found)
            }
            Conn::PgPool(pool) => Ok(sqlx::query_scalar_with(sql, SqlxValues(values))
                .fetch_all(*pool)
                .await?),
            Conn::PgTx(tx) => Ok(sqlx::query_scalar_with(sql, SqlxValues(values))
                .fetch_all(&mut ***tx)
                .await?),
        }
    }

    /// Runs hand-written SQL (the same text on both backends) without parameters.
    ///
    /// Goes through [`Executor::execute`] (a boxed `Send` future) rather than
    /// `RawSql::execute`, whose future the compiler cannot prove `Send` for every lifetime
    /// of the executor, which made every caller (`Db::migrate` among them) unusable from
    /// `tokio::spawn` and axum handlers.
    pub async fn execute_raw(&mut self, sql: &str) -> DbResult<()> {
        match self {
            Conn::SqlitePool(pool) => pool.execute_batch(sql).await?,
            Conn::SqliteTx(tx) => tx.execute_batch(sql).await?,
            Conn::PgPool(pool) => {
                pool.execute(sqlx::raw_sql(sql)).await?;
            }
            Conn::PgTx(tx) => {
                (&mut ***tx).execute(sqlx::raw_sql(sql)).await?;
            }
        }
        Ok(())
    }
}
