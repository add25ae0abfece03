//! Turning database rows into [`Record`]s and field values into bind values.

use super::Record;
use crate::conn::{required, DynRow};
use crate::{timestamp_value, Backend};
use kehu_core::entity::{EntityDef, FieldDef, FieldKind};
use kehu_core::FieldValue;
use sea_query::Value;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Reads one field of a row according to its kind.
fn read_field(row: &dyn DynRow, field: &FieldDef) -> sqlx::Result<FieldValue> {
    let name = field.name;
    Ok(match field.kind {
        kind if kind.is_integer_column() => row.int(name)?.map(FieldValue::Int),
        FieldKind::Integer => row.int(name)?.map(FieldValue::Int),
        FieldKind::Date => row.date(name)?.map(FieldValue::Date),
        FieldKind::Timestamp => row.timestamp(name)?.map(FieldValue::Timestamp),
        FieldKind::Tags => row
            .text(name)?
            .and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
            .map(FieldValue::List),
        _ => row.text(name)?.map(FieldValue::Text),
    }
    .unwrap_or(FieldValue::Null))
}

/// Builds a record from a row that has the given fields plus `custom` and `deleted_at`.
pub(crate) fn record_from_row(
    entity: &'static EntityDef,
    fields: &[&'static FieldDef],
    row: &dyn DynRow,
) -> sqlx::Result<Record> {
    let mut values = BTreeMap::new();
    for field in fields {
        values.insert(field.name, read_field(row, field)?);
    }
    let custom = match row.json("custom")? {
        Some(Json::Object(map)) => map,
        _ => Map::new(),
    };
    Ok(Record {
        entity,
        id: required(row.int("id"), "id")?,
        version: required(row.int("version"), "version")?,
        owner_id: required(row.int("owner_id"), "owner_id")?,
        team_id: row.int("team_id")?,
        deleted_at: row.timestamp("deleted_at")?,
        custom,
        values,
    })
}

/// A field value as a typed bind value (typed NULLs matter to PostgreSQL).
pub(crate) fn bind_value(backend: Backend, kind: FieldKind, value: &FieldValue) -> Value {
    match value {
        FieldValue::Null => match kind {
            k if k.is_integer_column() => Value::BigInt(None),
            FieldKind::Integer => Value::BigInt(None),
            FieldKind::Date => Value::ChronoDate(None),
            FieldKind::Timestamp if backend == Backend::Postgres => Value::ChronoDateTimeUtc(None),
            _ => Value::String(None),
        },
        FieldValue::Text(s) => s.clone().into(),
        FieldValue::Int(i) => (*i).into(),
        FieldValue::Float(f) => (*f).into(),
        FieldValue::Date(d) => (*d).into(),
        FieldValue::Timestamp(t) => timestamp_value(backend, *t),
        FieldValue::List(items) => serde_json::to_string(items).unwrap_or_default().into(),
    }
}

/// The custom values as a bind value (jsonb on PostgreSQL, JSON text on SQLite).
pub(crate) fn custom_value(backend: Backend, custom: &Map<String, Json>) -> Value {
    let json = Json::Object(custom.clone());
    match backend {
        Backend::Postgres => Value::Json(Some(Box::new(json))),
        Backend::Sqlite => json.to_string().into(),
    }
}
