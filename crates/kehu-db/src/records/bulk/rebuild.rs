//! The fast path of a load into an empty table: inside the load's transaction, the table's
//! secondary indexes (and on SQLite the trigger that feeds its full-text tables, on
//! PostgreSQL its foreign keys) are dropped before the rows go in and made again from
//! their saved definitions afterwards. A sorted index build, one full-text `'rebuild'` and
//! one foreign-key check of the whole table cost a fraction of maintaining them row by
//! row. The statistics of the table are refreshed after, as its size went from nothing to
//! everything.
//!
//! Everything happens inside the transaction, so an error anywhere (a duplicate customer
//! code found by the unique index build, a dangling reference found by the foreign-key
//! check) rolls the drops back with the rows. Before the commit, the table's indexes,
//! triggers and constraints are read again and compared with what was saved.

mod postgres;
mod sqlite;

use crate::{DbError, DbResult, Tx};

/// A schema object of the table that the load drops and makes again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Object {
    name: String,
    /// The statement that makes it, exactly as the database gives its definition.
    create: String,
    /// The statement that drops it.
    drop: String,
}

/// What a load into an empty table took away from it, to be put back by [`restore`].
pub(super) struct Suspended {
    table: &'static str,
    /// In the order they were made originally.
    objects: Vec<Object>,
    /// Statements filling the full-text tables (SQLite) whose index trigger was dropped.
    fts_fills: Vec<String>,
}

/// If `table` has no rows, drops its secondary indexes and index triggers (see the module
/// docs) and says what to make again; otherwise leaves it alone and gives `None`.
pub(super) async fn suspend_if_empty(
    tx: &mut Tx,
    table: &'static str,
) -> DbResult<Option<Suspended>> {
    let suspended = match tx {
        Tx::Sqlite(tx) => sqlite::suspendable(tx, table)?,
        Tx::Postgres(conn) => postgres::suspendable(conn, table).await?,
    };
    let Some(suspended) = suspended else {
        return Ok(None);
    };
    for object in &suspended.objects {
        tx.conn().execute_raw(&object.drop).await?;
    }
    Ok(Some(suspended))
}

/// Makes the dropped objects again, fills the full-text tables, refreshes the table's
/// statistics and checks that the table has all it had before the load.
pub(super) async fn restore(tx: &mut Tx, suspended: Suspended) -> DbResult<()> {
    if let Tx::Postgres(conn) = tx {
        postgres::prepare_builds(conn).await?;
    }
    for object in &suspended.objects {
        timed(&object.name, tx.conn().execute_raw(&object.create)).await?;
    }
    for fill in &suspended.fts_fills {
        timed(fill, tx.conn().execute_raw(fill)).await?;
    }
    let analyze = format!("ANALYZE \"{}\"", suspended.table);
    timed(&analyze, tx.conn().execute_raw(&analyze)).await?;
    let mut after = match tx {
        Tx::Sqlite(tx) => sqlite::objects(tx, suspended.table)?,
        Tx::Postgres(conn) => postgres::objects(conn, suspended.table).await?,
    };
    let mut before = suspended.objects;
    before.sort();
    after.sort();
    if after != before {
        return Err(DbError::Internal(anyhow::anyhow!(
            "the indexes of {} differ after the bulk load: {after:?}, expected {before:?}",
            suspended.table
        )));
    }
    Ok(())
}

/// Runs one step of the rebuild and logs how long it took (the steps of a large load
/// take seconds to minutes each; `KEHU_LOG=kehu_db=info` shows them).
async fn timed<T>(step: &str, run: impl std::future::Future<Output = DbResult<T>>) -> DbResult<T> {
    let started = std::time::Instant::now();
    let done = run.await?;
    tracing::info!(
        step,
        seconds = started.elapsed().as_secs_f64(),
        "bulk load rebuilt"
    );
    Ok(done)
}

/// SQL text of an identifier, double-quoted.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
