//! Turning [`BulkRow`]s into bind values: the shape checks, the owner's team, the search
//! text (jieba segmentation, the expensive part) and the system columns, as
//! [`super::super::create`] gives them. Runs on the blocking thread pool.

use super::BulkRow;
use crate::records::decode::{bind_value, custom_value};
use crate::records::ident;
use crate::records::write::index_text;
use crate::{timestamp_value, Backend, Db, DbError, DbResult};
use chrono::{DateTime, Utc};
use kehu_core::entity::{EntityDef, FieldDef};
use kehu_core::FieldValue;
use sea_query::{Expr, Query, Value};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// Columns every row has besides its own fields, in the order of their values.
pub(super) const SYSTEM_COLUMNS: [&str; 10] = [
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

/// What every chunk of a load needs to know.
pub(super) struct Context {
    pub entity: &'static EntityDef,
    pub backend: Backend,
    pub actor_id: Option<i64>,
    /// Active users and their teams.
    pub teams: HashMap<i64, Option<i64>>,
    pub now: DateTime<Utc>,
}

impl Context {
    pub async fn new(
        db: &Db,
        entity: &'static EntityDef,
        actor_id: Option<i64>,
    ) -> DbResult<Context> {
        // Which fields a row sets is kept as a bit mask.
        if entity.fields.len() > 64 {
            return Err(DbError::Internal(anyhow::anyhow!(
                "bulk loads support entities of at most 64 fields"
            )));
        }
        Ok(Context {
            entity,
            backend: db.backend(),
            actor_id,
            teams: active_user_teams(db).await?,
            now: crate::now(),
        })
    }
}

/// Consecutive rows of a chunk that set the same fields: their values, row after row, in
/// the order of [`Batch::columns`].
pub(super) struct Batch {
    pub fields: Vec<&'static FieldDef>,
    pub rows: usize,
    pub values: Vec<Value>,
}

impl Batch {
    /// The columns of each row's values: its fields, then [`SYSTEM_COLUMNS`].
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.name).chain(SYSTEM_COLUMNS)
    }

    /// The values of each row.
    pub fn row_values(&self) -> std::slice::Chunks<'_, Value> {
        self.values.chunks(self.fields.len() + SYSTEM_COLUMNS.len())
    }
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

/// Validates the shape of a chunk's rows (`first_row` is the first one's position in the
/// load, for error names), builds their search text and bind values, and splits them into
/// batches of rows that set the same fields.
pub(super) fn prepare_chunk(
    context: &Context,
    first_row: usize,
    rows: Vec<BulkRow>,
) -> DbResult<Vec<Batch>> {
    let entity = context.entity;
    let mut batches = Vec::new();
    let mut current: Option<(u64, Batch)> = None;
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
            let (_, batch) = current.take().expect("checked");
            batches.push(batch);
        }
        let (_, batch) = current.get_or_insert_with(|| {
            let fields = entity
                .fields
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, f)| f)
                .collect();
            (
                mask,
                Batch {
                    fields,
                    rows: 0,
                    values: Vec::new(),
                },
            )
        });
        // The searchable and contact-point fields, as `index_text` reads them.
        let mut indexed = Map::new();
        for (field, value) in entity.fields.iter().zip(&slots) {
            let Some(value) = value else { continue };
            if field.searchable || field.contact_point {
                indexed.insert(field.name.to_string(), value.to_json());
            }
            batch
                .values
                .push(bind_value(context.backend, field.kind, value));
        }
        let custom: Map<String, Json> = row
            .custom
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect();
        let (tokens, points) = index_text(entity, &indexed, &custom);
        let at = timestamp_value(context.backend, row.created_at.unwrap_or(context.now));
        let by = context.actor_id.unwrap_or(row.owner_id);
        batch.values.extend([
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
        batch.rows += 1;
    }
    batches.extend(current.map(|(_, batch)| batch));
    Ok(batches)
}
