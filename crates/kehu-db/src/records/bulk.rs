//! Loading many already-validated records at once (demo data, benchmarks, large imports).
//!
//! A [`BulkLoad`] writes rows in one transaction, in as many [`BulkLoad::insert`] calls as
//! the caller likes (the benchmark generator streams a million customers through one
//! load); [`bulk_insert`] is a load of one call. Each row gets what [`super::create`] would
//! give it: the owner's team, `search_tokens` and `contact_points` built by the same code,
//! created/updated at and by, and version 1. The search text (jieba segmentation) is the
//! expensive part of preparing a row, so chunks are prepared on the blocking thread pool a
//! few ahead of the one being written.
//!
//! Into a table that has rows, the rows go in with multi-row `INSERT … RETURNING id`
//! statements and every index is maintained row by row. Into an empty table (the demo
//! company, the benchmark data, a first import) the load drops the table's secondary
//! indexes first and builds them after the rows (module `rebuild`): on SQLite also its
//! full-text index trigger (the full-text tables are rebuilt from the table), on
//! PostgreSQL also its foreign keys, and there the rows go in with `COPY` (module
//! `copy`); the table's statistics are refreshed afterwards. Either way the rows, the
//! indexes and what search finds are the same; a failure anywhere rolls back everything,
//! the dropped indexes included.
//!
//! On SQLite a load runs on a connection of its own with a large page cache, closed
//! after the load, so that no pooled connection keeps the load's memory.

mod copy;
mod insert;
mod prepare;
mod rebuild;

use crate::events::{self, Change, NewEvent};
use crate::{Backend, Db, DbError, DbResult, Tx};
use chrono::{DateTime, Utc};
use kehu_core::entity::{EntityDef, FieldDef};
use kehu_core::validation::Changes;
use kehu_core::FieldValue;
use prepare::{Context, SYSTEM_COLUMNS};
use serde_json::{Map, Value as Json};
use std::collections::VecDeque;
use std::sync::Arc;

/// The most parameters one SQLite statement may bind (`SQLITE_MAX_VARIABLE_NUMBER`).
pub const SQLITE_MAX_PARAMS: usize = 32_766;
/// The most parameters one PostgreSQL statement may bind (the protocol's 16-bit count).
pub const POSTGRES_MAX_PARAMS: usize = 65_535;
/// Rows per statement at most, even when more parameters would fit.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;

/// The SQLite page cache of a load's connection, in KiB. Rows inserted row by row change
/// a dozen indexes at random places, and index builds sort in memory up to the cache's
/// size; with the pool's small cache those pages went back and forth to the operating
/// system's file cache (+31% generation speed with this one, BENCHMARKS.md).
const BULK_PAGE_CACHE_KIB: u32 = 512 * 1024;

/// One record to load: its owner, built-in field values and custom values, already
/// validated (e.g. by [`kehu_core::validation::Schema`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkRow {
    /// The owner; the record's team is this user's team.
    pub owner_id: i64,
    /// Built-in writable fields other than `owner_id`. A field that is absent gets the
    /// column's default; a field given as [`FieldValue::Null`] is stored as NULL.
    pub fields: Vec<(&'static FieldDef, FieldValue)>,
    /// Custom field values (JSON nulls are dropped, as on create).
    pub custom: Map<String, Json>,
    /// When the record was created (and last updated); now if `None`. Lets generated data
    /// spread over the past.
    pub created_at: Option<DateTime<Utc>>,
}

impl BulkRow {
    /// A row from checked changes; an `owner_id` among the changes is moved to the row's owner.
    pub fn from_changes(owner_id: i64, changes: Changes) -> Self {
        let mut owner_id = owner_id;
        let mut fields = Vec::with_capacity(changes.fields.len());
        for (field, value) in changes.fields {
            match (field.name, value) {
                ("owner_id", FieldValue::Int(id)) => owner_id = id,
                ("owner_id", _) => {}
                (_, value) => fields.push((field, value)),
            }
        }
        BulkRow {
            owner_id,
            fields,
            custom: changes.custom,
            created_at: None,
        }
    }
}

/// Whether a load into an empty table may build the indexes after the rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Into an empty table, drop the secondary indexes (and full-text trigger or foreign
    /// keys) and build them after the rows; into a table with rows, maintain them row by
    /// row.
    #[default]
    Auto,
    /// Always maintain every index row by row. On PostgreSQL the fast path locks the
    /// table from the start of the load to its commit and blocks writes to the tables it
    /// references; a load into a table others use at the same time takes this one.
    Incremental,
}

/// A load of many records of one entity in one transaction: [`BulkLoad::begin`], any
/// number of [`BulkLoad::insert`]s, [`BulkLoad::finish`]. Dropped without `finish`, or
/// after an `insert` failed, nothing of it is kept.
///
/// This is for trusted loaders (the demo company, benchmark data, an import that has
/// already checked each row and the caller's permissions): values are not validated
/// again, permissions are not checked, and references (`account_id`, `reports_to_id`)
/// are only checked by the database's foreign keys. Fields that users cannot write
/// (`id`, `team_id`, timestamps, …) are refused, and every owner must be an active user.
///
/// `actor_id` is recorded as `created_by`/`updated_by`; when `None`, each record's owner
/// is. Unlike [`super::create`], no `created` event is written per record: the load
/// appends a single summary event with action `bulk_created` whose changes give the
/// `count` (and the `first_id`/`last_id`) of the records inserted.
pub struct BulkLoad {
    tx: Tx,
    /// SQLite: the pool whose database the load writes (through a connection of its own).
    sqlite: Option<crate::SqlitePool>,
    context: Arc<Context>,
    /// Set when the table was empty and its indexes were dropped for the load.
    suspended: Option<rebuild::Suspended>,
    ids: LoadedIds,
    failed: bool,
}

/// What the summary event says about the rows of a load.
#[derive(Default)]
struct LoadedIds {
    count: usize,
    first: Option<i64>,
    last: Option<i64>,
}

impl BulkLoad {
    /// Starts a load into `entity`'s table.
    pub async fn begin(
        db: &Db,
        entity: &'static EntityDef,
        actor_id: Option<i64>,
        strategy: Strategy,
    ) -> DbResult<BulkLoad> {
        let context = Arc::new(Context::new(db, entity, actor_id).await?);
        let (sqlite, mut tx) = match db {
            Db::Sqlite(pool) => {
                let tx = pool.begin_on_own_connection(BULK_PAGE_CACHE_KIB)?;
                (Some(pool.clone()), Tx::Sqlite(tx))
            }
            Db::Postgres(_) => (None, db.begin().await?),
        };
        let suspended = match strategy {
            Strategy::Auto => rebuild::suspend_if_empty(&mut tx, entity.table).await?,
            Strategy::Incremental => None,
        };
        Ok(BulkLoad {
            tx,
            sqlite,
            context,
            suspended,
            ids: LoadedIds::default(),
            failed: false,
        })
    }

    /// Whether this load builds the table's indexes after its rows (the table was empty).
    pub fn builds_indexes_after(&self) -> bool {
        self.suspended.is_some()
    }

    /// Inserts rows; gives their ids, in the order of `rows`. A refused row is named by
    /// its position in `rows` (`rows[12].owner_id`). After an error the load can only be
    /// dropped.
    pub async fn insert(&mut self, rows: Vec<BulkRow>) -> DbResult<Vec<i64>> {
        if self.failed {
            return Err(DbError::Internal(anyhow::anyhow!(
                "an earlier insert of this bulk load failed"
            )));
        }
        let written = self.write(rows).await;
        match &written {
            Ok(ids) => {
                self.ids.count += ids.len();
                self.ids.first = self.ids.first.or(ids.first().copied());
                self.ids.last = ids.last().copied().or(self.ids.last);
            }
            Err(_) => self.failed = true,
        }
        written
    }

    /// Builds what was dropped, appends the summary event and commits.
    pub async fn finish(self) -> DbResult<()> {
        let BulkLoad {
            mut tx,
            sqlite,
            context,
            suspended,
            ids,
            failed,
        } = self;
        if failed {
            return Err(DbError::Internal(anyhow::anyhow!(
                "an insert of this bulk load failed"
            )));
        }
        let rebuilt = suspended.is_some();
        if let Some(suspended) = suspended {
            rebuild::restore(&mut tx, suspended).await?;
        }
        if ids.count > 0 {
            append_summary(&mut tx, &context, &ids).await?;
        }
        // On SQLite this also closes the load's connection and frees its page cache.
        let started = std::time::Instant::now();
        tx.commit().await?;
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "bulk load committed"
        );
        if let (Some(pool), true) = (sqlite, rebuilt) {
            // The whole table went through the write-ahead log in one transaction; this
            // copies it into the database and gives the log's disk space back (it does
            // nothing while readers still use the log).
            let started = std::time::Instant::now();
            pool.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
            tracing::info!(
                seconds = started.elapsed().as_secs_f64(),
                "bulk load checkpointed"
            );
        }
        Ok(())
    }

    /// Prepares the rows in chunks on the blocking pool and writes them in order.
    async fn write(&mut self, rows: Vec<BulkRow>) -> DbResult<Vec<i64>> {
        let total = rows.len();
        let context = Arc::clone(&self.context);
        let table = context.entity.table;
        // COPY into a table being rebuilt on PostgreSQL; it needs the ids beforehand.
        let copy_ids = match (context.backend, &self.suspended) {
            (Backend::Postgres, Some(_)) => Some(Arc::new(
                copy::reserve_ids(&mut self.tx, table, total).await?,
            )),
            _ => None,
        };
        let rows_per_chunk = rows_per_statement(context.backend, context.entity);
        let depth = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
        let mut remaining = rows.into_iter();
        let mut first_row = 0;
        let mut pending: VecDeque<tokio::task::JoinHandle<DbResult<Vec<Write>>>> = VecDeque::new();
        let mut ids = Vec::with_capacity(total);
        loop {
            while pending.len() < depth && first_row < total {
                let chunk: Vec<BulkRow> = remaining.by_ref().take(rows_per_chunk).collect();
                let context = Arc::clone(&context);
                let copy_ids = copy_ids.clone();
                let start = first_row;
                first_row += chunk.len();
                pending.push_back(tokio::task::spawn_blocking(move || {
                    let ids = copy_ids
                        .as_deref()
                        .map(|ids| &ids[start..start + chunk.len()]);
                    prepare_writes(&context, start, chunk, ids)
                }));
            }
            let Some(next) = pending.pop_front() else {
                break;
            };
            let writes = next.await.map_err(|e| DbError::Internal(e.into()))??;
            for write in writes {
                ids.extend(match write {
                    Write::Insert(statement) => statement.execute(&mut self.tx).await?,
                    Write::Copy(copy) => copy.execute(&mut self.tx).await?,
                });
            }
        }
        Ok(ids)
    }
}

/// One statement of a chunk.
enum Write {
    Insert(insert::Statement),
    Copy(copy::Copy),
}

/// A chunk's statements: COPYs with the given ids, or INSERTs.
fn prepare_writes(
    context: &Context,
    first_row: usize,
    rows: Vec<BulkRow>,
    copy_ids: Option<&[i64]>,
) -> DbResult<Vec<Write>> {
    let table = context.entity.table;
    let mut offset = 0;
    prepare::prepare_chunk(context, first_row, rows)?
        .into_iter()
        .map(|batch| match copy_ids {
            Some(ids) => {
                let copy = copy::Copy::new(table, &batch, &ids[offset..offset + batch.rows]);
                offset += batch.rows;
                copy.map(Write::Copy)
            }
            None => Ok(Write::Insert(insert::Statement::new(
                context.backend,
                table,
                batch,
            ))),
        })
        .collect()
}

async fn append_summary(tx: &mut Tx, context: &Context, ids: &LoadedIds) -> DbResult<()> {
    let count = ids.count as i64;
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: context.entity.name,
            record_id: None,
            account_id: None,
            action: "bulk_created",
            actor_id: context.actor_id,
            changes: vec![
                Change {
                    field: "count".into(),
                    old: Json::Null,
                    new: count.into(),
                },
                Change {
                    field: "first_id".into(),
                    old: Json::Null,
                    new: ids.first.into(),
                },
                Change {
                    field: "last_id".into(),
                    old: Json::Null,
                    new: ids.last.into(),
                },
            ],
            summary: count.to_string(),
            source_ip: None,
        },
    )
    .await
}

/// Inserts many records of one entity in one transaction (a [`BulkLoad`] of one
/// [`BulkLoad::insert`] with [`Strategy::Auto`]) and gives their ids, in the order of
/// `rows`.
///
/// # Throughput
///
/// The benchmark data set, 1M customers and 2M contacts loaded into empty tables on a
/// shared 2-core machine: about 29,000 rows/s on SQLite and 20,000 on PostgreSQL, 3.5 and
/// 4.5 times the row-by-row path. Writing the rows takes a third of that time, building
/// the indexes, full-text tables and foreign keys afterwards two thirds (BENCHMARKS.md,
/// "Generation (issue 2)").
pub async fn bulk_insert(
    db: &Db,
    entity: &'static EntityDef,
    actor_id: Option<i64>,
    rows: Vec<BulkRow>,
) -> DbResult<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut load = BulkLoad::begin(db, entity, actor_id, Strategy::Auto).await?;
    let ids = load.insert(rows).await?;
    load.finish().await?;
    Ok(ids)
}

fn rows_per_statement(backend: Backend, entity: &EntityDef) -> usize {
    let limit = match backend {
        Backend::Sqlite => SQLITE_MAX_PARAMS,
        Backend::Postgres => POSTGRES_MAX_PARAMS,
    };
    // An upper bound of the columns a row can have: all its fields plus the system ones.
    let columns = entity.fields.len() + SYSTEM_COLUMNS.len();
    (limit / columns).clamp(1, MAX_ROWS_PER_STATEMENT)
}
