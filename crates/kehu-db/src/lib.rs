//! Kehu's database layer: one [`Db`] over SQLite or PostgreSQL, migrations per backend,
//! and the repositories the web layer and the command line call.
//!
//! Statements that differ by dialect or are built from user filters are written with
//! sea-query and built for the backend in use; every query that reads records takes the
//! caller's [`kehu_core::permission::Visibility`] so permissions live inside the SQL.

pub mod analytics_settings;
pub mod auth;
mod conn;
pub mod consent;
pub mod custom_fields;
pub mod customer_values;
pub mod events;
pub mod field_security;
pub mod jobs;
mod migrate;
pub use migrate::versions as migration_versions;
pub mod orders;
pub mod personal_data;
pub mod picklists;
pub mod records;
pub mod roles;
pub mod saved_filters;
pub mod shares;
mod sqlite;
pub use sqlite::{BackgroundCheckpoints, SqlitePool, SqliteRow, SqliteTx};
pub mod teams;
pub mod transfer;
pub mod users;

pub use conn::{Conn, DynRow};

use chrono::{DateTime, SecondsFormat, Utc};
use kehu_core::FieldErrors;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (the default).
    Sqlite,
    /// PostgreSQL (for scale and several servers).
    Postgres,
}

/// A connection pool to one of the two supported databases.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite with WAL, foreign keys and a busy timeout.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Why a repository call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The record does not exist or the caller may not see it (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The caller may see the record but not do this to it (only where seeing it is
    /// already allowed, so the refusal confirms nothing).
    #[error("forbidden")]
    Forbidden,
    /// The record was changed by someone else since the caller read it.
    #[error("the record was changed by someone else (now at version {current})")]
    StaleVersion {
        /// The version in the database.
        current: i64,
    },
    /// The input breaks a rule that needs the database to check (uniqueness, references).
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// Anything else; logged, never shown to users.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        DbError::Internal(error.into())
    }
}

impl DbError {
    /// Whether the database refused the statement for breaking a unique index.
    pub fn is_unique_violation(&self) -> bool {
        let DbError::Internal(inner) = self else {
            return false;
        };
        if let Some(sqlx::Error::Database(db_error)) = inner.downcast_ref::<sqlx::Error>() {
            return db_error.is_unique_violation();
        }
        matches!(
            inner.downcast_ref::<rusqlite::Error>(),
            Some(rusqlite::Error::SqliteFailure(failure, _))
                if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        )
    }

    /// A single field error.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, code, message);
        DbError::Invalid(errors)
    }
}

/// Idle reader connections a SQLite pool keeps: readers run side by side in WAL mode,
/// one per thread that is reading at the moment (statements run on the caller's thread).
pub const SQLITE_CONNECTIONS: u32 = 8;

/// Each SQLite connection's own page cache, in KiB. Small on purpose: the operating
/// system caches the database file for every connection at once, outside the server's
/// resident memory, and reading a page from there costs a microsecond or two. With
/// 32 MB per connection the server reached 534 MB resident after the benchmark load
/// (BENCHMARKS.md), for lists no faster. Temporary B-trees use the default temp store,
/// which spills to a file instead of growing the heap.
pub const SQLITE_PAGE_CACHE_KIB: u32 = 4_096;

/// Result of repository calls.
pub type DbResult<T> = Result<T, DbError>;

impl Db {
    /// Opens the database named by a URL: `sqlite://path/to/kehu.db` (created if missing)
    /// or `postgres://user@host/db`.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else if let Some(path) = sqlite_path(url) {
            if path.contains('?') {
                anyhow::bail!("SQLite URLs take no options ({url:?}): use sqlite://PATH");
            }
            let pool = SqlitePool::open(
                Path::new(path),
                SQLITE_PAGE_CACHE_KIB,
                SQLITE_CONNECTIONS as usize,
            )?;
            Ok(Db::Sqlite(pool))
        } else {
            anyhow::bail!("unsupported database URL {url:?}: use sqlite://PATH or postgres://…")
        }
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations this binary carries that the database has not seen yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        migrate::run(self).await
    }

    /// Refreshes the planner statistics the list queries depend on.
    ///
    /// Without them SQLite sorts every row of a common picklist value instead of walking
    /// the sort index (3.4 s against 0.2 ms for `level=普通&sort=-created_at` on 1M
    /// customers, see BENCHMARKS.md). `full` runs a complete `ANALYZE` (after a bulk
    /// load); otherwise SQLite's `PRAGMA optimize` re-analyses only the tables whose size
    /// changed a lot since the last analysis, which is cheap enough to run every hour.
    /// PostgreSQL's autovacuum keeps its own statistics; `full` analyses it at once.
    pub async fn refresh_statistics(&self, full: bool) -> DbResult<()> {
        let sql = match (self.backend(), full) {
            (_, true) => "ANALYZE",
            (Backend::Sqlite, false) => "PRAGMA optimize",
            (Backend::Postgres, false) => return Ok(()),
        };
        self.conn().execute_raw(sql).await
    }

    /// A connection that runs each statement on its own.
    pub fn conn(&self) -> Conn<'_> {
        match self {
            Db::Sqlite(pool) => Conn::SqlitePool(pool),
            Db::Postgres(pool) => Conn::PgPool(pool),
        }
    }

    /// Starts a transaction.
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: the repositories' transactions read and then
    /// write, and a deferred transaction that has read cannot become a writer once another
    /// connection has committed (`SQLITE_BUSY`, which `busy_timeout` does not retry), so
    /// concurrent requests failed instead of waiting their turn.
    pub async fn begin(&self) -> DbResult<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// On SQLite, checkpoints the write-ahead log on a thread of its own while the guard
    /// lives (see [`SqlitePool::checkpoint_in_background`]); `None` on PostgreSQL.
    pub fn checkpoint_in_background(&self) -> DbResult<Option<BackgroundCheckpoints>> {
        match self {
            Db::Sqlite(pool) => pool.checkpoint_in_background().map(Some),
            Db::Postgres(_) => Ok(None),
        }
    }

    /// Closes all connections (on shutdown).
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close(),
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// An open transaction; dropped without [`Tx::commit`] it rolls back.
pub enum Tx {
    /// On SQLite.
    Sqlite(SqliteTx),
    /// On PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    /// A connection inside this transaction.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Tx::Sqlite(tx) => Conn::SqliteTx(tx),
            Tx::Postgres(tx) => Conn::PgTx(tx),
        }
    }

    /// Makes the transaction's changes permanent.
    pub async fn commit(self) -> DbResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit()?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// The file path of a `sqlite://PATH` (or `sqlite:PATH`) URL.
fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|path| !path.is_empty())
}

/// The current time, truncated to microseconds (what both databases store).
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// A timestamp as a bind value: fixed-width text on SQLite (so that text order is time
/// order), `timestamptz` on PostgreSQL.
pub fn timestamp_value(backend: Backend, at: DateTime<Utc>) -> sea_query::Value {
    match backend {
        Backend::Sqlite => at.to_rfc3339_opts(SecondsFormat::Micros, true).into(),
        Backend::Postgres => at.into(),
    }
}
