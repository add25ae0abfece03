//! Records of the catalogued entities (customers, contacts): reading, listing, searching
//! and writing them, always through the caller's permission scope.

mod decode;
mod list;
pub mod mass_update;
mod plan;
mod search;
mod search_index;
mod stream;
mod walk;
mod write;

pub(crate) use decode::{bind_value, custom_value};
pub use list::{count, get, get_deleted, list, Cursor, ListQuery, Page};
pub(crate) use list::{get_in, matching_ids};
pub(crate) use write::{account_of, index_text};
pub use write::{create, create_in, restore, soft_delete, update};
mod bulk;
pub use bulk::{bulk_insert, BulkLoad, BulkRow, Strategy, POSTGRES_MAX_PARAMS, SQLITE_MAX_PARAMS};

use chrono::{DateTime, Utc};
use kehu_core::entity::{EntityDef, FieldDef};
use kehu_core::field_security::{custom_field_name, FieldRules};
use kehu_core::permission::Visibility;
use kehu_core::FieldValue;
use sea_query::{Cond, Expr, Func, SimpleExpr};
use serde::ser::{Serialize, SerializeMap, Serializer};
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

    /// Removes the fields the rules hide, built-in and custom, so that no later step (JSON,
    /// page, export) can show them: hidden fields are absent, not empty.
    pub fn mask(&mut self, rules: &FieldRules) {
        let entity = self.entity.name;
        self.values.retain(|name, _| !rules.is_hidden(entity, name));
        self.custom
            .retain(|key, _| !rules.is_hidden(entity, &custom_field_name(key)));
    }

    /// The record as the API shows it: every selected field plus `custom` (see the
    /// [`Serialize`] implementation, which writes the same object without this tree).
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self).unwrap_or(Json::Null)
    }
}

/// Keys every record object has besides its fields.
const RECORD_KEYS: [&str; 6] = [
    "id",
    "version",
    "owner_id",
    "team_id",
    "custom",
    "deleted_at",
];

/// One entry of a record's JSON object.
enum Entry<'a> {
    Field(&'a FieldValue),
    Int(i64),
    MaybeInt(Option<i64>),
    Custom(&'a Map<String, Json>),
    Timestamp(DateTime<Utc>),
}

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Field(value) => value.serialize(serializer),
            Entry::Int(i) => serializer.serialize_i64(*i),
            Entry::MaybeInt(i) => i.serialize(serializer),
            Entry::Custom(map) => map.serialize(serializer),
            Entry::Timestamp(at) => serializer.serialize_str(&at.to_rfc3339()),
        }
    }
}

/// The API's record object: the selected fields, `id`, `version`, `owner_id`, `team_id`,
/// `custom` and, in the recycle bin, `deleted_at`, with keys in alphabetical order.
impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&str, Entry)> = self
            .values
            .iter()
            .filter(|(name, _)| !RECORD_KEYS.contains(name))
            .map(|(name, value)| (*name, Entry::Field(value)))
            .collect();
        entries.extend([
            ("id", Entry::Int(self.id)),
            ("version", Entry::Int(self.version)),
            ("owner_id", Entry::Int(self.owner_id)),
            ("team_id", Entry::MaybeInt(self.team_id)),
            ("custom", Entry::Custom(&self.custom)),
        ]);
        if let Some(at) = self.deleted_at {
            entries.push(("deleted_at", Entry::Timestamp(at)));
        }
        entries.sort_unstable_by_key(|(name, _)| *name);
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (name, entry) in &entries {
            map.serialize_entry(name, entry)?;
        }
        map.end()
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

/// A table, column or alias name of Kehu's own schema, for sea-query statements.
pub(crate) fn ident(name: &str) -> Name {
    Name(name.to_string())
}

/// An identifier that writes itself into SQL directly. sea-query's default
/// `Iden::prepare` allocates twice per identifier and goes through `write!` (copy,
/// escape, format), which made building a list page's statement cost about as much as
/// SQLite running it (BENCHMARKS.md).
#[derive(Debug, Clone)]
pub(crate) struct Name(String);

impl sea_query::Iden for Name {
    fn prepare(&self, s: &mut dyn std::fmt::Write, q: sea_query::Quote) {
        let (open, close) = (q.left(), q.right());
        if self.0.contains(close) {
            // Never for Kehu's own names; doubled as the dialects escape a quote.
            let escaped = self.0.replace(close, &format!("{close}{close}"));
            let _ = write!(s, "{open}{escaped}{close}");
        } else {
            let _ = s.write_char(open);
            let _ = s.write_str(&self.0);
            let _ = s.write_char(close);
        }
    }

    fn unquoted(&self, s: &mut dyn std::fmt::Write) {
        let _ = s.write_str(&self.0);
    }
}

/// The SQL predicate for "records this visibility covers", on the entity's own table.
pub(crate) fn visibility_condition(
    backend: crate::Backend,
    table: &str,
    visibility: &Visibility,
) -> Cond {
    let owner = Expr::col((ident(table), ident("owner_id")));
    match visibility {
        Visibility::Everything => Cond::all(),
        Visibility::Own(user_id) => Cond::all().add(owner.eq(*user_id)),
        Visibility::Teams { user_id, team_ids } => Cond::any()
            .add(owner.eq(*user_id))
            .add(Expr::col((ident(table), ident("team_id"))).is_in(team_ids.iter().copied())),
        // An always-false predicate keeps the query shape uniform.
        Visibility::Nothing => Cond::all().add(SimpleExpr::Constant(false.into())),
        Visibility::WithShares {
            base,
            user_id,
            team_ids,
            write,
        } => {
            let Some(shared) = shared_condition(backend, table, *user_id, team_ids, *write) else {
                return visibility_condition(backend, table, base);
            };
            Cond::any()
                .add(visibility_condition(backend, table, base))
                .add(shared)
        }
    }
}

/// "The record is shared with this user (or one of these teams)", on the entity's own
/// table; `None` for a table whose entity has no shares.
pub(crate) fn shared_condition(
    backend: crate::Backend,
    table: &str,
    user_id: i64,
    team_ids: &[i64],
    write: bool,
) -> Option<SimpleExpr> {
    let entity = kehu_core::entity::entity_by_name(table)?;
    // The shared ids as a list the id index can look up, so that with the owner and
    // team tests the planner unions index lookups instead of scanning the table
    // (a correlated EXISTS, or `IN (subquery)` on PostgreSQL, made counts scan).
    let shared = crate::shares::shared_ids(entity.name, user_id, team_ids, write);
    let id = Expr::col((ident(table), ident("id")));
    Some(match backend {
        // SQLite turns `IN (subquery)` into one more index of a MULTI-INDEX OR.
        crate::Backend::Sqlite => id.in_subquery(shared),
        // PostgreSQL: `id = ANY(ARRAY(subquery))` is computed once and joins the
        // other index scans in a BitmapOr.
        crate::Backend::Postgres => {
            id.eq(Func::cust(ident("ANY")).arg(Func::cust(ident("ARRAY")).arg(
                SimpleExpr::SubQuery(None, Box::new(shared.into_sub_query_statement())),
            )))
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};

    fn sql(backend: crate::Backend) -> String {
        let visibility = Visibility::WithShares {
            base: Box::new(Visibility::Own(5)),
            user_id: 5,
            team_ids: vec![2, 1],
            write: false,
        };
        let select = Query::select()
            .column(ident("id"))
            .from(ident("accounts"))
            .cond_where(visibility_condition(backend, "accounts", &visibility))
            .to_owned();
        match backend {
            crate::Backend::Postgres => select.to_string(PostgresQueryBuilder),
            crate::Backend::Sqlite => select.to_string(SqliteQueryBuilder),
        }
    }

    #[test]
    fn shares_are_looked_up_in_a_form_each_backend_serves_from_indexes() {
        // Plans checked with EXPLAIN: a BitmapOr on PostgreSQL, a MULTI-INDEX OR on SQLite,
        // each half of the UNION a covering lookup in its share index.
        let postgres = sql(crate::Backend::Postgres);
        assert!(
            postgres.contains(
                r#""accounts"."id" = ANY(ARRAY((SELECT "record_id" FROM "record_shares""#
            ),
            "{postgres}"
        );
        assert!(postgres.contains("UNION ALL"), "{postgres}");
        let sqlite = sql(crate::Backend::Sqlite);
        assert!(
            sqlite.contains(r#""accounts"."id" IN (SELECT "record_id" FROM "record_shares""#),
            "{sqlite}"
        );
    }
}
