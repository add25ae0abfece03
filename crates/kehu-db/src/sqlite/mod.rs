//! SQLite through rusqlite, run on the calling thread.
//!
//! Why not sqlx here (PostgreSQL stays on sqlx): sqlx's SQLite driver gives each
//! connection a thread of its own and hands every statement and every row across threads
//! through channels, so each statement costs two or more futex wake-ups. On the benchmark
//! data set a point select took 134–159 µs of CPU that way against 4 µs through rusqlite,
//! and a 51-row list page 600–900 µs against 120 µs (BENCHMARKS.md): under load the
//! thread hand-offs were half of the server's CPU.
//!
//! SQLite statements take microseconds, so they run inline on the task's thread:
//!
//! * **Reads** take an idle reader connection from a small stack (opening another one if
//!   every reader is busy on some other thread), run, and put it back. In WAL mode readers
//!   never wait for the writer.
//! * **Writes** — transactions, and any statement that is not read-only — go through the
//!   one writer connection behind an async mutex, so a request waiting for its turn to
//!   write parks its task instead of blocking a runtime thread on SQLite's lock.
//! * After a statement that ran for 5 ms or more the task yields, and every
//!   statement spends a unit of tokio's cooperative budget, so that a long loop of
//!   statements (an export, a recomputation) lets other requests run in between.

mod row;
mod values;

pub(crate) use values::date_text;

pub use row::SqliteRow;

use crate::{DbError, DbResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OwnedMutexGuard;

/// How long a writer waits for the write lock (in this process: the writer mutex; held by
/// another process: SQLite's busy handler) before the statement fails as locked.
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection (list pages vary by filter and sort, so a
/// server sees a few hundred distinct statements).
const STATEMENT_CACHE: usize = 512;

/// Pause between background checkpoints: a job's commits write a few megabytes to the
/// log in that time.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(20);

/// A statement running at least this long makes its task yield afterwards. Yielding
/// sends the task to the back of the run queue, behind every other request in flight:
/// under load that wait is several times a list statement's own millisecond, so with a
/// 1 ms threshold the p99 of list pages and searches doubled (BENCHMARKS.md, "Yielding
/// after statements"). Request statements stay well below 5 ms; the longer ones (exports,
/// recomputations, heavy searches) still let other requests in after them.
const YIELD_AFTER: Duration = Duration::from_millis(5);

/// The settings each connection is opened with.
#[derive(Debug, Clone)]
struct Settings {
    path: PathBuf,
    page_cache_kib: u32,
    idle_readers: usize,
}

/// A pool of SQLite connections to one database file: readers on a stack, one writer.
#[derive(Clone)]
pub struct SqlitePool {
    settings: Arc<Settings>,
    readers: Arc<Mutex<Vec<Connection>>>,
    writer: Arc<tokio::sync::Mutex<Connection>>,
}

impl std::fmt::Debug for SqlitePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlitePool")
            .field("path", &self.settings.path)
            .finish_non_exhaustive()
    }
}

impl SqlitePool {
    /// Opens (creating it if missing) the database file at `path` in WAL mode.
    pub fn open(path: &Path, page_cache_kib: u32, idle_readers: usize) -> DbResult<SqlitePool> {
        let settings = Settings {
            path: path.to_path_buf(),
            page_cache_kib,
            idle_readers,
        };
        let writer = open_connection(&settings)?;
        // WAL is a property of the file: set once, it stays for every later connection.
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(internal)?;
        Ok(SqlitePool {
            settings: Arc::new(settings),
            readers: Arc::default(),
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.settings.path
    }

    /// An idle reader connection, or a new one when all are in use.
    pub(crate) fn reader(&self) -> DbResult<Reader<'_>> {
        let idle = self.readers.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => open_connection(&self.settings)?,
        };
        Ok(Reader {
            conn: Some(conn),
            pool: self,
        })
    }

    /// The writer connection, once no other task of this process is writing.
    pub(crate) async fn writer(&self) -> DbResult<OwnedMutexGuard<Connection>> {
        tokio::time::timeout(LOCK_TIMEOUT, self.writer.clone().lock_owned())
            .await
            .map_err(|_| {
                DbError::Internal(anyhow::anyhow!(
                    "database is locked: no turn to write within {LOCK_TIMEOUT:?}"
                ))
            })
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`) on the writer connection.
    pub(crate) async fn begin(&self, statement: &str) -> DbResult<SqliteTx> {
        let conn = self.writer().await?;
        conn.execute_batch(statement).map_err(internal)?;
        Ok(SqliteTx { conn, open: true })
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE`) on a connection of its own, opened
    /// with the pool's settings except for a page cache of `page_cache_kib`, and closed
    /// when the transaction ends. For a bulk load, whose index builds sort within the page
    /// cache: the pooled writer would keep that memory for the life of the process.
    ///
    /// The transaction does not wait for the pool's writer; a write of this process while
    /// it is open waits in SQLite's busy handler, as a write of another process would.
    pub(crate) fn begin_on_own_connection(&self, page_cache_kib: u32) -> DbResult<SqliteTx> {
        let settings = Settings {
            page_cache_kib,
            ..(*self.settings).clone()
        };
        let conn = open_connection(&settings)?;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(internal)?;
        // A mutex that nobody else sees, so that the transaction has the shape of one on
        // the writer; locking it cannot fail.
        let conn = Arc::new(tokio::sync::Mutex::new(conn))
            .try_lock_owned()
            .map_err(|e| DbError::Internal(e.into()))?;
        Ok(SqliteTx { conn, open: true })
    }

    /// Runs `step` over and over in write transactions of about `slice` each, until it
    /// says nothing is left: for writing or deleting a million rows without holding the
    /// write lock for long. Each step should be a few hundred microseconds of work; the
    /// task yields between transactions, so the writers that queued meanwhile go first
    /// (the writer mutex is fair) and wait at most about one slice.
    pub(crate) async fn write_in_slices(
        &self,
        slice: Duration,
        mut step: impl FnMut(&Connection) -> DbResult<bool>,
    ) -> DbResult<()> {
        loop {
            let tx = self.begin("BEGIN IMMEDIATE").await?;
            let started = Instant::now();
            let mut more = true;
            while more && started.elapsed() < slice {
                more = step(tx.connection())?;
            }
            tx.commit()?;
            tokio::task::yield_now().await;
            if !more {
                return Ok(());
            }
        }
    }

    /// Runs a statement outside any transaction: on a reader when it only reads, on the
    /// writer otherwise (`UPDATE … RETURNING`, say).
    pub(crate) async fn read_or_write(
        &self,
        sql: &str,
        values: &sea_query::Values,
        mut each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
    ) -> DbResult<u64> {
        let started = Instant::now();
        let read = {
            let reader = self.reader()?;
            run_if_read_only(&reader, sql, values, &mut each)
        };
        match read {
            Some(outcome) => {
                after_statement(started).await;
                outcome
            }
            None => self.write(sql, values, each).await,
        }
    }

    /// Runs a statement on the writer connection, outside any transaction.
    pub(crate) async fn write(
        &self,
        sql: &str,
        values: &sea_query::Values,
        each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
    ) -> DbResult<u64> {
        let writer = self.writer().await?;
        let started = Instant::now();
        let outcome = run(&writer, sql, values, each);
        drop(writer);
        after_statement(started).await;
        outcome
    }

    /// Runs several `;`-separated statements without parameters on the writer.
    pub(crate) async fn execute_batch(&self, sql: &str) -> DbResult<()> {
        let writer = self.writer().await?;
        let started = Instant::now();
        let outcome = writer.execute_batch(sql).map_err(internal);
        drop(writer);
        after_statement(started).await;
        outcome
    }

    /// Starts copying the write-ahead log into the database on a thread of its own, until
    /// the returned guard is dropped: for a job that writes a million rows, whose commits
    /// would otherwise do that copying (SQLite's automatic checkpoint runs in the
    /// committing connection) on the one thread that can write. PASSIVE checkpoints wait
    /// for no reader or writer, and a commit's own checkpoint skips while this one runs.
    pub fn checkpoint_in_background(&self) -> DbResult<BackgroundCheckpoints> {
        let conn = open_connection(&self.settings)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    if let Err(error) =
                        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        // The commits checkpoint as usual then.
                        tracing::warn!(%error, "background checkpoint failed");
                        return;
                    }
                    std::thread::sleep(CHECKPOINT_PAUSE);
                }
            })
            .map_err(|e| DbError::Internal(e.into()))?;
        Ok(BackgroundCheckpoints { stop })
    }

    /// Drops the idle connections (on shutdown); the writer closes with the last clone.
    pub fn close(&self) {
        if let Ok(mut idle) = self.readers.lock() {
            idle.clear();
        }
    }
}

/// Checkpoints on a thread of their own while this lives (see
/// [`SqlitePool::checkpoint_in_background`]); the thread ends after its next pause once
/// this is dropped.
pub struct BackgroundCheckpoints {
    stop: Arc<AtomicBool>,
}

impl Drop for BackgroundCheckpoints {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A reader connection lent by the pool; it goes back to the stack when dropped.
pub(crate) struct Reader<'p> {
    conn: Option<Connection>,
    pool: &'p SqlitePool,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a lent connection")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if let Ok(mut idle) = self.pool.readers.lock() {
            if idle.len() < self.pool.settings.idle_readers {
                idle.push(conn);
            }
        }
    }
}

/// An open write transaction on the writer connection; dropped while open, it rolls back.
pub struct SqliteTx {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
}

impl SqliteTx {
    /// Runs a statement inside the transaction.
    pub(crate) async fn run(
        &mut self,
        sql: &str,
        values: &sea_query::Values,
        each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
    ) -> DbResult<u64> {
        let started = Instant::now();
        let outcome = run(&self.conn, sql, values, each);
        after_statement(started).await;
        outcome
    }

    /// Runs several `;`-separated statements without parameters inside the transaction.
    pub(crate) async fn execute_batch(&mut self, sql: &str) -> DbResult<()> {
        let started = Instant::now();
        let outcome = self.conn.execute_batch(sql).map_err(internal);
        after_statement(started).await;
        outcome
    }

    /// The transaction's connection, for statements that [`crate::Conn`] has no shape for
    /// (reading the schema from `sqlite_master`). Runs inline, like every statement here.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Makes the changes permanent.
    pub(crate) fn commit(mut self) -> DbResult<()> {
        self.conn.execute_batch("COMMIT").map_err(internal)?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the caller already returned its error (or panicked).
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

fn open_connection(settings: &Settings) -> DbResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(&settings.path, flags).map_err(|e| {
        DbError::Internal(anyhow::anyhow!(
            "cannot open the SQLite database {}: {e}",
            settings.path.display()
        ))
    })?;
    conn.busy_timeout(LOCK_TIMEOUT).map_err(internal)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{};",
        settings.page_cache_kib
    ))
    .map_err(internal)?;
    Ok(conn)
}

/// A rusqlite error as a repository error (logged, never shown to users).
pub(crate) fn internal(error: rusqlite::Error) -> DbError {
    DbError::Internal(error.into())
}

/// Runs `sql` with `values` on `conn`, giving each row to `each`; the number of rows
/// changed for statements that change rows.
pub(crate) fn run(
    conn: &Connection,
    sql: &str,
    values: &sea_query::Values,
    each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
) -> DbResult<u64> {
    let statement = conn.prepare_cached(sql).map_err(internal)?;
    run_prepared(conn, sql, statement, values, each)
}

/// [`run`] for a statement that only reads; `None` (nothing run) for one that writes.
fn run_if_read_only(
    conn: &Connection,
    sql: &str,
    values: &sea_query::Values,
    each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
) -> Option<DbResult<u64>> {
    let statement = match conn.prepare_cached(sql) {
        Ok(statement) if !statement.readonly() => return None,
        Ok(statement) => statement,
        Err(error) => return Some(Err(internal(error))),
    };
    Some(run_prepared(conn, sql, statement, values, each))
}

fn run_prepared(
    conn: &Connection,
    sql: &str,
    mut statement: rusqlite::CachedStatement<'_>,
    values: &sea_query::Values,
    mut each: impl FnMut(&SqliteRow<'_>) -> DbResult<()>,
) -> DbResult<u64> {
    let started = Instant::now();
    values::bind(&mut statement, values)?;
    let names = row::column_names(&statement);
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next().map_err(internal)? {
        each(&SqliteRow::new(row, &names))?;
    }
    drop(rows);
    // The statement without its values, which may be personal data.
    tracing::trace!(
        sql,
        elapsed_us = started.elapsed().as_micros(),
        "sqlite statement"
    );
    // Rows changed by this statement itself, not by its triggers (as sqlx reported them).
    Ok(conn.changes())
}

/// Lets other tasks run after a long statement, and spends cooperative budget otherwise.
pub(crate) async fn after_statement(started: Instant) {
    if started.elapsed() >= YIELD_AFTER {
        tokio::task::yield_now().await;
    } else {
        tokio::task::coop::consume_budget().await;
    }
}
