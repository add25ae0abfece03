//! Records of the catalogued entities (customers, contacts): reading, listing, searching
//! and writing them, always through the caller's permission scope.

mod decode;
mod list;
mod search;
mod write;

pub use list::{count, get, list, Cursor, ListQuery, Page};
pub use write::{create, restore, soft_delete, update};
mod bulk;
pub use bulk::{bulk_insert, BulkRow, POSTGRES_MAX_PARAMS, SQLITE_MAX_PARAMS};

use chrono::{DateTime, Utc};
use kehu_core::entity::{EntityDef, FieldDef};
use kehu_core::permission::Visibility;
use kehu_core::FieldValue;
use sea_query::{Alias, Cond, Expr, SimpleExpr};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// One record as read from the database: the selected built-in fields and custom values.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The entity it belongs to.
    pub entity: &'static EntityDef,
    /// Its id.
    pub id: i64,
    /// Built-in fields that were selected.
    pub values: BTreeMap<&'static str, FieldValue>,
    /// Custom field values.
    pub custom: Map<String, Json>,
    /// Optimistic-concurrency version; each change adds one.
    pub version: i64,
    /// The owner's user id.
    pub owner_id: i64,
    /// The owner's team.
    pub team_id: Option<i64>,
    /// When it went to the recycle bin, if it did.
    pub deleted_at: Option<DateTime<Utc>>,
}

const NULL: FieldValue = FieldValue::Null;

impl Record {
    /// A field's value (null when not selected or empty).
    pub fn get(&self, name: &str) -> &FieldValue {
        self.values.get(name).unwrap_or(&NULL)
    }

    /// A text field's value.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// An integer field's value.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            FieldValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The record as the API shows it: every selected field plus `custom`.
    pub fn to_json(&self) -> Json {
        let mut object = Map::new();
        for (name, value) in &self.values {
            object.insert((*name).to_string(), value.to_json());
        }
        object.insert("id".into(), self.id.into());
        object.insert("version".into(), self.version.into());
        object.insert("owner_id".into(), self.owner_id.into());
        object.insert(
            "team_id".into(),
            self.team_id.map(Json::from).unwrap_or(Json::Null),
        );
        object.insert("custom".into(), Json::Object(self.custom.clone()));
        if let Some(at) = self.deleted_at {
            object.insert("deleted_at".into(), at.to_rfc3339().into());
        }
        Json::Object(object)
    }
}

/// Columns that are NOT NULL in the schema although the catalogue does not require them:
/// they have a DEFAULT. A blank value means the default on create and is refused on update.
/// (Kept here because the catalogue does not describe NULL-ability; the integration tests
/// check this list against both schemas.)
pub(crate) const DEFAULTED_COLUMNS: &[(&str, &str)] = &[
    ("accounts", "kind"),
    ("accounts", "lifecycle_status"),
    ("orders", "status"),
];

/// Whether a column has a DEFAULT instead of accepting NULL.
pub(crate) fn has_default(entity: &EntityDef, field: &FieldDef) -> bool {
    DEFAULTED_COLUMNS.contains(&(entity.table, field.name))
}

pub(crate) fn ident(name: &str) -> Alias {
    Alias::new(name)
}

/// The SQL predicate for "records this visibility covers", on the entity's own table.
pub(crate) fn visibility_condition(table: &str, visibility: &Visibility) -> Cond {
    let owner = Expr::col((ident(table), ident("owner_id")));
    match visibility {
        Visibility::Everything => Cond::all(),
        Visibility::Own(user_id) => Cond::all().add(owner.eq(*user_id)),
        Visibility::Teams { user_id, team_ids } => Cond::any()
            .add(owner.eq(*user_id))
            .add(Expr::col((ident(table), ident("team_id"))).is_in(team_ids.iter().copied())),
        // An always-false predicate keeps the query shape uniform.
        Visibility::Nothing => Cond::all().add(SimpleExpr::Constant(false.into())),
    }
}

/// Columns every read selects, whatever the page shows.
pub(crate) fn always_selected(entity: &'static EntityDef) -> Vec<&'static FieldDef> {
    ["id", "version", "owner_id", "team_id"]
        .iter()
        .filter_map(|name| entity.field(name))
        .collect()
}

/// A NULL of timestamp type for the backend.
pub(crate) fn null_timestamp(backend: crate::Backend) -> sea_query::Value {
    match backend {
        crate::Backend::Postgres => sea_query::Value::ChronoDateTimeUtc(None),
        crate::Backend::Sqlite => sea_query::Value::String(None),
    }
}
