//! Loading many already-validated records at once (demo data, benchmarks, large imports).
//!
//! [`bulk_insert`] writes rows with multi-row `INSERT … VALUES (…), (…) RETURNING id`
//! statements inside one transaction. Each row gets what [`super::create`] would give it:
//! the owner's team, `search_tokens` and `contact_points` built by the same code,
//! created/updated at and by, and version 1. The search text (jieba segmentation) is the
//! expensive part, so it is computed on the blocking thread pool a few chunks ahead of the
//! statement being executed.

use super::decode::{bind_value, custom_value};
use super::ident;
use super::write::index_text;
use crate::events::{self, Change, NewEvent};
use crate::{now, timestamp_value, Backend, Db, DbError, DbResult, Tx};
use chrono::{DateTime, Utc};
use kehu_core::entity::{EntityDef, FieldDef};
use kehu_core::validation::Changes;
use kehu_core::FieldValue;
use sea_query::{Expr, Query, Value};
use serde_json::{Map, Value as Json};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;

/// The most parameters one SQLite statement may bind (`SQLITE_MAX_VARIABLE_NUMBER`).
pub const SQLITE_MAX_PARAMS: usize = 32_766;
/// The most parameters one PostgreSQL statement may bind (the protocol's 16-bit count).
pub const POSTGRES_MAX_PARAMS: usize = 65_535;
/// Rows per statement at most, even when more parameters would fit.
const MAX_ROWS_PER_STATEMENT: usize = 1_000;
/// Columns every row has besides its own fields.
const SYSTEM_COLUMNS: [&str; 10] = [
    "owner_id",
    "team_id",
    "custom",
    "search_tokens",
    "contact_points",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "version",
];

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

/// Inserts many records of one entity in one transaction and gives their ids, in the
/// order of `rows`.
///
/// This is for trusted loaders (the demo company, benchmark data, an import that has
/// already checked each row and the caller's permissions): values are not validated
/// again, permissions are not checked, and references (`account_id`, `reports_to_id`)
/// are only checked by the database's foreign keys. Fields that users cannot write
/// (`id`, `team_id`, timestamps, …) are refused, and every owner must be an active user.
///
/// `actor_id` is recorded as `created_by`/`updated_by`; when `None`, each record's owner
/// is. Unlike [`super::create`], no `created` event is written per record: a bulk load
/// appends a single summary event with action `bulk_created` whose changes give the
/// `count` (and the `first_id`/`last_id`) of the records inserted.
///
/// On SQLite the full-text and trigram indexes are filled by the tables' triggers, row
/// by row, as for any insert.
///
/// # Throughput
///
/// Measured with `tests/bulk.rs`'s ignored benchmark (200,000 realistic customers, release
/// build, a shared 2-core machine): about 13,000 rows/s on SQLite and 9,000 on
/// PostgreSQL, which is 58% and 75% of the database copying the same rows by itself with
/// `INSERT … SELECT` in the same run. Index maintenance sets the limit, not the triggers:
/// without the FTS5 tables SQLite takes about 40% of the time, but dropping the insert
/// trigger and filling the FTS tables afterwards (`INSERT … SELECT` or `'rebuild'`)
/// costs as much as the triggers, as does turning FTS5 automerge off, so rows go through
/// the triggers. On SQLite the load's connection gets a large page cache
/// (512 MB) for the time of the load: +31% on the 1M benchmark data set.
pub async fn bulk_insert(
    db: &Db,
    entity: &'static EntityDef,
    actor_id: Option<i64>,
    rows: Vec<BulkRow>,
) -> DbResult<Vec<i64>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if entity.fields.len() > 64 {
        return Err(DbError::Internal(anyhow::anyhow!(
            "bulk_insert supports entities of at most 64 fields"
        )));
    }
    let backend = db.backend();
    let context = Arc::new(Context {
        entity,
        backend,
        actor_id,
        teams: active_user_teams(db).await?,
        now: now(),
    });
    let mut tx = db.begin().await?;
    if backend == Backend::Sqlite {
        set_page_cache(&mut tx, BULK_PAGE_CACHE_KIB).await?;
    }
    let inserted = insert_all(&mut tx, context, rows).await;
    if backend == Backend::Sqlite {
        // Back to the pool's size before the commit (or the rollback on error): the
        // pages become clean then and SQLite frees those over the limit, so the pooled
        // connection does not keep the load's memory.
        set_page_cache(&mut tx, crate::SQLITE_PAGE_CACHE_KIB).await?;
    }
    let ids = inserted?;
    tx.commit().await?;
    Ok(ids)
}

/// Each SQLite connection's page cache during a bulk load, in KiB. Every row changes
/// a dozen indexes at random places; with the pool's small cache those pages go back
/// and forth to the operating system's file cache for every chunk.
const BULK_PAGE_CACHE_KIB: u32 = 512 * 1024;

async fn set_page_cache(tx: &mut Tx, kib: u32) -> DbResult<()> {
    tx.conn()
        .execute_raw(&format!("PRAGMA cache_size = -{kib}"))
        .await
}

/// Inserts the rows in chunks and appends the summary event, inside `tx`.
async fn insert_all(tx: &mut Tx, context: Arc<Context>, rows: Vec<BulkRow>) -> DbResult<Vec<i64>> {
    let Context {
        entity,
        backend,
        actor_id,
        ..
    } = *context;
    let total = rows.len();
    let rows_per_chunk = rows_per_statement(backend, entity);
    // Chunks are prepared (validated, indexed, turned into bind values) on the blocking
    // pool, a few ahead of the one being written.
    let depth = std::thread::available_parallelism().map_or(2, |n| n.get()) + 1;
    let mut remaining = rows.into_iter();
    let mut first_row = 0;
    let mut pending: VecDeque<tokio::task::JoinHandle<DbResult<Vec<Statement>>>> = VecDeque::new();
    let mut ids = Vec::with_capacity(total);
    loop {
        while pending.len() < depth && first_row < total {
            let chunk: Vec<BulkRow> = remaining.by_ref().take(rows_per_chunk).collect();
            let context = Arc::clone(&context);
            let start = first_row;
            first_row += chunk.len();
            pending.push_back(tokio::task::spawn_blocking(move || {
                prepare_chunk(&context, start, chunk)
            }));
        }
        let Some(next) = pending.pop_front() else {
            break;
        };
        let statements = next.await.map_err(|e| DbError::Internal(e.into()))??;
        for statement in statements {
            let expected = statement.rows;
            let mut inserted = execute(tx, statement).await?;
            if inserted.len() != expected {
                return Err(DbError::Internal(anyhow::anyhow!(
                    "insert of {expected} rows returned {} ids",
                    inserted.len()
                )));
            }
            // Ids are handed out in VALUES order, so ascending ids are the rows' order.
            inserted.sort_unstable();
            ids.extend(inserted);
        }
    }
    let count = ids.len() as i64;
    events::append(
        &mut tx.conn(),
        &NewEvent {
            entity: entity.name,
            record_id: None,
            account_id: None,
            action: "bulk_created",
            actor_id,
            changes: vec![
                Change {
                    field: "count".into(),
                    old: Json::Null,
                    new: count.into(),
                },
                Change {
                    field: "first_id".into(),
                    old: Json::Null,
                    new: ids.first().copied().into(),
                },
                Change {
                    field: "last_id".into(),
                    old: Json::Null,
                    new: ids.last().copied().into(),
                },
            ],
            summary: count.to_string(),
            source_ip: None,
        },
    )
    .await?;
    Ok(ids)
}

/// What every chunk needs to know.
struct Context {
    entity: &'static EntityDef,
    backend: Backend,
    actor_id: Option<i64>,
    /// Active users and their teams.
    teams: HashMap<i64, Option<i64>>,
    now: DateTime<Utc>,
}

/// One multi-row INSERT, ready to run.
struct Statement {
    sql: String,
    values: Vec<Value>,
    rows: usize,
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

async fn active_user_teams(db: &Db) -> DbResult<HashMap<i64, Option<i64>>> {
    let select = Query::select()
        .columns([ident("id"), ident("team_id")])
        .from(ident("users"))
        .and_where(Expr::col(ident("active")).eq(true))
        .to_owned();
    let pairs = db
        .conn()
        .fetch_all(&select, |row| {
            Ok((
                crate::conn::required(row.int("id"), "id")?,
                row.int("team_id")?,
            ))
        })
        .await?;
    Ok(pairs.into_iter().collect())
}

/// The position of a field in its entity's catalogue, if it is one of its fields.
fn field_index(entity: &EntityDef, field: &FieldDef) -> Option<usize> {
    entity
        .fields
        .iter()
        .position(|f| std::ptr::eq(f, field))
        .or_else(|| entity.fields.iter().position(|f| f.name == field.name))
}

fn row_error(row: usize, field: &str, code: &str, message: &str) -> DbError {
    DbError::field(&format!("rows[{row}].{field}"), code, message)
}

/// Validates the shape of a chunk's rows, builds their search text and bind values, and
/// splits them into statements of rows that set the same fields.
fn prepare_chunk(
    context: &Context,
    first_row: usize,
    rows: Vec<BulkRow>,
) -> DbResult<Vec<Statement>> {
    let entity = context.entity;
    let mut statements = Vec::new();
    let mut current: Option<(u64, Vec<&'static FieldDef>)> = None;
    let mut values: Vec<Value> = Vec::new();
    let mut count = 0;
    for (offset, row) in rows.into_iter().enumerate() {
        let index = first_row + offset;
        // Which fields the row sets, in catalogue order, the last value of a repeated field winning.
        let mut slots: Vec<Option<FieldValue>> = vec![None; entity.fields.len()];
        let mut mask = 0u64;
        for (field, value) in row.fields {
            let Some(position) = field_index(entity, field) else {
                return Err(row_error(
                    index,
                    field.name,
                    "unknown_field",
                    "is not a field of this record",
                ));
            };
            let def = &entity.fields[position];
            if def.read_only || def.name == "owner_id" {
                return Err(row_error(
                    index,
                    def.name,
                    "read_only",
                    "is set by the system",
                ));
            }
            mask |= 1 << position;
            slots[position] = Some(value);
        }
        let Some(team_id) = context.teams.get(&row.owner_id).copied() else {
            return Err(row_error(
                index,
                "owner_id",
                "unknown_user",
                "is not an active user",
            ));
        };
        if current.as_ref().is_some_and(|(m, _)| *m != mask) {
            let (_, fields) = current.take().expect("checked");
            statements.push(statement(
                context,
                &fields,
                count,
                std::mem::take(&mut values),
            ));
            count = 0;
        }
        current.get_or_insert_with(|| {
            (
                mask,
                entity
                    .fields
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, f)| f)
                    .collect(),
            )
        });
        // The searchable and contact-point fields, as `index_text` reads them.
        let mut indexed = Map::new();
        for (field, value) in entity.fields.iter().zip(&slots) {
            let Some(value) = value else { continue };
            if field.searchable || field.contact_point {
                indexed.insert(field.name.to_string(), value.to_json());
            }
            values.push(bind_value(context.backend, field.kind, value));
        }
        let custom: Map<String, Json> = row
            .custom
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect();
        let (tokens, points) = index_text(entity, &indexed, &custom);
        let at = timestamp_value(context.backend, row.created_at.unwrap_or(context.now));
        let by = context.actor_id.unwrap_or(row.owner_id);
        values.extend([
            row.owner_id.into(),
            team_id.into(),
            custom_value(context.backend, &custom),
            tokens.into(),
            points.into(),
            at.clone(),
            at,
            by.into(),
            by.into(),
            1i64.into(),
        ]);
        count += 1;
    }
    if let Some((_, fields)) = current {
        statements.push(statement(context, &fields, count, values));
    }
    Ok(statements)
}

/// `INSERT INTO table (columns) VALUES (…), … RETURNING id` for `rows` rows.
fn statement(
    context: &Context,
    fields: &[&'static FieldDef],
    rows: usize,
    values: Vec<Value>,
) -> Statement {
    let columns: Vec<&str> = fields
        .iter()
        .map(|f| f.name)
        .chain(SYSTEM_COLUMNS)
        .collect();
    let mut sql = format!("INSERT INTO \"{}\" (", context.entity.table);
    for (i, column) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "\"{column}\"");
    }
    sql.push_str(") VALUES ");
    let mut parameter = 0;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            parameter += 1;
            match context.backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${parameter}");
                }
            }
        }
        sql.push(')');
    }
    sql.push_str(" RETURNING \"id\"");
    debug_assert_eq!(values.len(), parameter);
    Statement { sql, values, rows }
}

async fn execute(tx: &mut Tx, statement: Statement) -> DbResult<Vec<i64>> {
    tx.conn()
        .fetch_ints_sql(&statement.sql, sea_query::Values(statement.values))
        .await
}
