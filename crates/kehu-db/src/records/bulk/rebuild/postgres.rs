//! PostgreSQL's side of the fast path: the table's indexes (B-tree and the GIN search
//! indexes; not those behind its primary key or other constraints) and its foreign keys,
//! with their definitions as the catalogue prints them (`pg_get_indexdef`,
//! `pg_get_constraintdef`).
//!
//! Foreign keys are dropped too because their per-row checks cost more than the insert
//! itself (a 200,000-customer copy: 1.3 s without them, 5.1 s with them; adding them
//! back, which checks every row with one join, 0.4 s). The table is locked exclusively
//! from the emptiness check to the commit, and dropping and adding foreign keys blocks
//! writes to the referenced tables (users, teams, customers) for as long: the price of a
//! first load, which is why [`super::super::Strategy::Incremental`] exists.

use super::{Object, Suspended};
use crate::DbResult;
use sqlx::{Postgres, Row, Transaction};

type Conn = Transaction<'static, Postgres>;

/// Memory for each index build of the load (the default 64 MB makes GIN builds spill).
const BUILD_MEMORY: &str = "512MB";

async fn has_rows(conn: &mut Conn, table: &str) -> DbResult<bool> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM {})",
        super::quoted(table)
    ))
    .fetch_one(&mut **conn)
    .await?)
}

/// What to drop and rebuild if `table` is empty.
pub(super) async fn suspendable(
    conn: &mut Conn,
    table: &'static str,
) -> DbResult<Option<Suspended>> {
    // Checked before taking the lock, so that a load into a live table does not lock it.
    if has_rows(conn, table).await? {
        return Ok(None);
    }
    sqlx::query(&format!(
        "LOCK TABLE {} IN ACCESS EXCLUSIVE MODE",
        super::quoted(table)
    ))
    .execute(&mut **conn)
    .await?;
    // Rows committed between the check and the lock: load them row by row after all.
    if has_rows(conn, table).await? {
        return Ok(None);
    }
    Ok(Some(Suspended {
        table,
        objects: objects(conn, table).await?,
        fts_fills: Vec::new(),
    }))
}

/// What the fast path drops from `table` and makes again: its indexes that no constraint
/// uses, then its foreign keys, each in the order they were made.
pub(super) async fn objects(conn: &mut Conn, table: &str) -> DbResult<Vec<Object>> {
    let rows = sqlx::query(
        "SELECT c.relname::text AS name, pg_get_indexdef(i.indexrelid) AS create_sql, \
                'DROP INDEX ' || i.indexrelid::regclass::text AS drop_sql \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = to_regclass($1) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
         ORDER BY c.oid",
    )
    .bind(super::quoted(table))
    .fetch_all(&mut **conn)
    .await?;
    let keys = sqlx::query(
        "SELECT conname::text AS name, \
                'ALTER TABLE ' || conrelid::regclass::text || ' ADD CONSTRAINT ' \
                  || quote_ident(conname) || ' ' || pg_get_constraintdef(oid) AS create_sql, \
                'ALTER TABLE ' || conrelid::regclass::text || ' DROP CONSTRAINT ' \
                  || quote_ident(conname) AS drop_sql \
         FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'f' \
         ORDER BY oid",
    )
    .bind(super::quoted(table))
    .fetch_all(&mut **conn)
    .await?;
    rows.iter()
        .chain(&keys)
        .map(|row| {
            Ok(Object {
                name: row.try_get("name")?,
                create: row.try_get("create_sql")?,
                drop: row.try_get("drop_sql")?,
            })
        })
        .collect::<sqlx::Result<Vec<Object>>>()
        .map_err(Into::into)
}

/// Settings for the index builds, for the rest of the transaction.
pub(super) async fn prepare_builds(conn: &mut Conn) -> DbResult<()> {
    sqlx::query(&format!(
        "SET LOCAL maintenance_work_mem = '{BUILD_MEMORY}'"
    ))
    .execute(&mut **conn)
    .await?;
    Ok(())
}
