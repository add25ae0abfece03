//! Lists with filters, search, keyset pagination and capped counts; single reads.

use super::decode::record_from_row;
use super::plan::{self, Walk};
use super::search::search_condition;
use super::walk;
use super::{always_selected, ident, visibility_condition, Record};
use crate::{timestamp_value, Backend, Db, DbError, DbResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use kehu_core::entity::{CustomFieldKind, EntityDef, FieldDef, FieldKind};
use kehu_core::filter::{Filter, FilterOp, FilterTarget, FilterValue, Sort, ValueColumn};
use kehu_core::permission::Visibility;
use sea_query::extension::postgres::PgExpr;
use sea_query::{
    Alias, Cond, Expr, Func, LikeExpr, NullOrdering, Order, Query, SelectStatement, SimpleExpr,
    Value,
};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::LazyLock;

/// What list to read.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Search box text.
    pub text: Option<String>,
    /// Field filters.
    pub filters: Vec<Filter>,
    /// Sort order (ties broken by id).
    pub sort: Sort,
    /// Page size, 1 to 200.
    pub limit: u64,
    /// Where the previous page ended.
    pub cursor: Option<Cursor>,
    /// List the recycle bin instead of live records.
    pub in_recycle_bin: bool,
    /// The search text matches whole words only (see
    /// [`kehu_search::SearchQuery::whole_words`]): the global search's cheap first pass.
    pub whole_words: bool,
}

/// The position after the last row of a page: its sort value and id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort column's value of the last row.
    pub value: Json,
    /// The id of the last row.
    pub id: i64,
}

impl Cursor {
    /// The opaque token given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a token made by [`Cursor::encode`].
    pub fn decode(token: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// One page of records.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records, in order.
    pub records: Vec<Record>,
    /// The cursor for the next page, if there is one.
    pub next_cursor: Option<String>,
}

/// Reads one live record the visibility covers; anything else is [`DbError::NotFound`].
pub async fn get(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    id: i64,
) -> DbResult<Record> {
    get_in(&mut db.conn(), entity, visibility, id, false).await
}

/// Reads one record in the recycle bin that the visibility covers.
pub async fn get_deleted(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    id: i64,
) -> DbResult<Record> {
    get_in(&mut db.conn(), entity, visibility, id, true).await
}

/// `"t"."f1", …, "t"."custom", "t"."deleted_at"`: what a single read selects (every field,
/// custom values, recycle bin time), written once per entity rather than by the query
/// builder on every read (a record read is the most frequent API request).
fn record_columns(entity: &EntityDef) -> &'static str {
    static WRITTEN: LazyLock<HashMap<&'static str, String>> = LazyLock::new(|| {
        kehu_core::entity::ENTITIES
            .iter()
            .map(|entity| {
                let columns: Vec<String> = entity
                    .fields
                    .iter()
                    .map(|f| f.name)
                    .chain(["custom", "deleted_at"])
                    .map(|column| format!("\"{}\".\"{column}\"", entity.table))
                    .collect();
                (entity.table, columns.join(", "))
            })
            .collect()
    });
    WRITTEN
        .get(entity.table)
        .map(String::as_str)
        .expect("every entity is in the catalogue")
}

pub(crate) async fn get_in(
    conn: &mut crate::Conn<'_>,
    entity: &'static EntityDef,
    visibility: &Visibility,
    id: i64,
    deleted: bool,
) -> DbResult<Record> {
    let fields: Vec<&'static FieldDef> = entity.fields.iter().collect();
    let mut select = Query::select();
    select
        .from(ident(entity.table))
        .expr(Expr::cust(record_columns(entity)))
        .and_where(Expr::col((ident(entity.table), ident("id"))).eq(id))
        .cond_where(visibility_condition(
            conn.backend(),
            entity.table,
            visibility,
        ))
        .and_where(deleted_condition(entity.table, deleted));
    conn.fetch_optional(&select, |row| record_from_row(entity, &fields, row))
        .await?
        .ok_or(DbError::NotFound)
}

fn deleted_condition(table: &str, deleted: bool) -> SimpleExpr {
    let column = Expr::col((ident(table), ident("deleted_at")));
    if deleted {
        column.is_not_null()
    } else {
        column.is_null()
    }
}

/// The WHERE part shared by lists and counts, written for the chosen [`Walk`]: the
/// deleted flag, the `scope` condition (always usable as an index key), the filters and
/// the search text. Walking a sort index, the filters are tested on its entries, except
/// those `keep_key` keeps usable as index keys.
fn filtered_select(
    backend: Backend,
    entity: &'static EntityDef,
    scope: Cond,
    query: &ListQuery,
    walk: Walk,
    keep_key: impl Fn(&Filter) -> bool,
) -> DbResult<SelectStatement> {
    let table = entity.table;
    let mut select = Query::select();
    select
        .from(ident(table))
        .and_where(deleted_condition(table, query.in_recycle_bin))
        .cond_where(scope);
    for filter in &query.filters {
        let condition = filter_condition(backend, table, filter);
        if walk != Walk::SortIndex || keep_key(filter) {
            select.cond_where(condition);
        } else {
            select.and_where(plan::not_an_index_key(condition));
        }
    }
    if let Some(text) = query.text.as_deref().filter(|t| !t.trim().is_empty()) {
        select.cond_where(search_condition(backend, entity, text, query.whole_words));
    }
    Ok(select)
}

/// `SELECT id` of every record of a list (no paging), for actions on a whole list.
pub(crate) fn matching_ids(
    backend: Backend,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
) -> DbResult<SelectStatement> {
    let scope = visibility_condition(backend, entity.table, visibility);
    let mut select = filtered_select(backend, entity, scope, query, Walk::Planner, |_| true)?;
    select
        .column((ident(entity.table), ident("id")))
        .order_by((ident(entity.table), ident("id")), Order::Asc);
    Ok(select)
}

/// Reads one page of a list, selecting only `columns` (plus the columns every read needs).
pub async fn list(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
    columns: &[&'static FieldDef],
) -> DbResult<Page> {
    let backend = db.backend();
    let table = entity.table;
    let mut fields = always_selected(entity);
    for column in columns {
        if !fields.iter().any(|f| f.name == column.name) {
            fields.push(column);
        }
    }
    if !fields.iter().any(|f| f.name == query.sort.field.name) {
        fields.push(query.sort.field);
    }
    let limit = query.limit.clamp(1, 200);
    // The page's ids first, from as few columns as possible (the list indexes cover
    // them), then the shown columns of those rows only.
    let page =
        match super::stream::search_page_ids(db, entity, visibility, query, limit + 1).await? {
            Some(ids) => Expr::col((ident(table), ident("id"))).is_in(ids),
            None => {
                let page_ids = match plan::choose_walk(db, entity, query).await? {
                    Walk::Planner => {
                        let scope = visibility_condition(backend, table, visibility);
                        let part = walk::ScopePart {
                            condition: scope,
                            keeps_ordered_filters: true,
                        };
                        page_walk(backend, entity, part, query, Walk::Planner, false, limit)?
                    }
                    walk @ (Walk::SortIndex | Walk::ScopeParts) => {
                        sort_index_page(backend, entity, visibility, query, walk, limit)?
                    }
                };
                Expr::col((ident(table), ident("id"))).in_subquery(page_ids)
            }
        };
    let mut select = Query::select();
    select
        .from(ident(table))
        .columns(fields.iter().map(|f| (ident(table), ident(f.name))))
        .columns([
            (ident(table), ident("custom")),
            (ident(table), ident("deleted_at")),
        ])
        .and_where(page);
    order_rows(&mut select, entity, query.sort);
    let mut records = db
        .conn()
        .fetch_all(&select, |row| record_from_row(entity, &fields, row))
        .await?;
    let next_cursor = if records.len() as u64 > limit {
        records.truncate(limit as usize);
        records.last().map(|last| {
            Cursor {
                value: last.get(query.sort.field.name).to_json(),
                id: last.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page {
        records,
        next_cursor,
    })
}

/// The first `limit + 1` ids of a list within a part of the scope, in the list's order,
/// after the cursor; with the sort column too when `with_sort_column` (to merge walks).
fn page_walk(
    backend: Backend,
    entity: &'static EntityDef,
    part: walk::ScopePart,
    query: &ListQuery,
    walk: Walk,
    with_sort_column: bool,
    limit: u64,
) -> DbResult<SelectStatement> {
    let table = entity.table;
    let keeps = part.keeps_ordered_filters;
    let keep_key = |filter: &Filter| keeps && plan::in_sort_order(entity, query, filter);
    let mut page = filtered_select(backend, entity, part.condition, query, walk, keep_key)?;
    page.column((ident(table), ident("id")));
    if with_sort_column {
        page.column((ident(table), ident(query.sort.field.name)));
    }
    if let Some(cursor) = &query.cursor {
        page.cond_where(keyset_condition(backend, entity, query.sort, cursor)?);
    }
    order_rows(&mut page, entity, query.sort);
    page.limit(limit + 1);
    Ok(page)
}

/// A page walked along sort indexes, one walk per part of the scope, merged (`walk.rs`).
fn sort_index_page(
    backend: Backend,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
    walk: Walk,
    limit: u64,
) -> DbResult<SelectStatement> {
    let parts = walk::scope_parts(backend, entity.table, visibility);
    let sort_column = Some(query.sort.field.name).filter(|name| *name != "id");
    let merging = parts.len() > 1;
    let walks = parts
        .into_iter()
        .map(|part| {
            let with_sort = merging && sort_column.is_some();
            page_walk(backend, entity, part, query, walk, with_sort, limit)
        })
        .collect::<DbResult<Vec<_>>>()?;
    Ok(walk::merged(
        walks,
        sort_column,
        query.sort.descending,
        limit + 1,
    ))
}

/// Orders rows by the list's sort, ties broken by id.
fn order_rows(select: &mut SelectStatement, entity: &EntityDef, sort: Sort) {
    let table = entity.table;
    let order = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let sort_column = (ident(table), ident(sort.field.name));
    if sort.field.name != "id" {
        if may_be_null(entity, sort.field) {
            // Empty values last whichever the direction (the backends' defaults differ).
            select.order_by_with_nulls(sort_column, order.clone(), NullOrdering::Last);
        } else {
            select.order_by(sort_column, order.clone());
        }
    }
    select.order_by((ident(table), ident("id")), order);
}

/// Counts the records of a list, stopping at `cap` so that a count never scans a huge
/// table; the flag says whether the cap was reached ("10,000+").
pub async fn count(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
    cap: u64,
) -> DbResult<(u64, bool)> {
    let scope = visibility_condition(db.backend(), entity.table, visibility);
    let mut inner = filtered_select(db.backend(), entity, scope, query, Walk::Planner, |_| true)?;
    inner.expr(Expr::val(1)).limit(cap + 1);
    let outer = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(inner, Alias::new("capped"))
        .to_owned();
    let counted = db
        .conn()
        .fetch_ints(&outer)
        .await?
        .first()
        .copied()
        .unwrap_or(0) as u64;
    Ok((counted.min(cap), counted > cap))
}

/// Whether a sortable column can hold NULL, which keyset pagination must then handle.
/// NOT NULL columns keep the plain `ORDER BY` that their `(column, id)` index serves.
pub(crate) fn may_be_null(entity: &EntityDef, field: &FieldDef) -> bool {
    !(field.required
        || field.read_only
        || field.name == "owner_id"
        || super::has_default(entity, field))
}

/// Rows after the cursor in the list's order: `(sort value, id)` beyond the cursor's, with
/// empty sort values after all others in both directions.
fn keyset_condition(
    backend: Backend,
    entity: &EntityDef,
    sort: Sort,
    cursor: &Cursor,
) -> DbResult<SimpleExpr> {
    let table = entity.table;
    let bad_cursor = || DbError::field("cursor", "invalid_cursor", "is not a cursor of this list");
    let id_column = || Expr::col((ident(table), ident("id")));
    let after_id = if sort.descending {
        id_column().lt(cursor.id)
    } else {
        id_column().gt(cursor.id)
    };
    if sort.field.name == "id" {
        return Ok(after_id);
    }
    let nullable = may_be_null(entity, sort.field);
    let column = || Expr::col((ident(table), ident(sort.field.name)));
    let integer = sort.field.kind.is_integer_column() || sort.field.kind == FieldKind::Integer;
    let value: Value = match (sort.field.kind, &cursor.value) {
        // The last page ended among the empty values: only empty values with a later id follow.
        (_, Json::Null) if nullable => return Ok(column().is_null().and(after_id)),
        (FieldKind::Timestamp, Json::String(s)) => {
            let at = DateTime::parse_from_rfc3339(s)
                .map_err(|_| bad_cursor())?
                .with_timezone(&Utc);
            timestamp_value(backend, at)
        }
        (FieldKind::Date, Json::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| bad_cursor())?
            .into(),
        (_, Json::Number(n)) if integer => n.as_i64().ok_or_else(bad_cursor)?.into(),
        (_, Json::String(s)) if !integer => s.clone().into(),
        // Anything else was not made by a page of this list.
        _ => return Err(bad_cursor()),
    };
    let row = Expr::tuple([column().into(), id_column().into()]);
    let at = Expr::tuple([Expr::val(value).into(), Expr::val(cursor.id).into()]);
    let beyond = if sort.descending {
        row.lt(at)
    } else {
        row.gt(at)
    };
    Ok(if nullable {
        beyond.or(column().is_null())
    } else {
        beyond
    })
}

fn day_start(backend: Backend, date: NaiveDate, days_later: i64) -> Value {
    let day = date + chrono::Duration::days(days_later);
    timestamp_value(
        backend,
        day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc(),
    )
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Case-insensitive `column LIKE pattern` (ILIKE on PostgreSQL; SQLite's LIKE already
/// ignores ASCII case) with the pattern bound as a parameter and `\` as escape.
pub(crate) fn like(backend: Backend, column: SimpleExpr, pattern: String) -> SimpleExpr {
    // Built by sea-query rather than hand-written: a `$1 LIKE $2` template reached SQLite
    // verbatim (sea-query's SQLite placeholder is `?`, not `$N`).
    match backend {
        Backend::Sqlite => Expr::expr(column).like(LikeExpr::new(pattern).escape('\\')),
        // `\` is PostgreSQL's default escape character for LIKE and ILIKE.
        Backend::Postgres => Expr::expr(column).ilike(pattern),
    }
}

pub(crate) fn filter_condition(backend: Backend, table: &str, filter: &Filter) -> Cond {
    match &filter.target {
        FilterTarget::Field(field) => field_condition(backend, table, field, filter),
        FilterTarget::Custom(def) => custom_condition(backend, table, &def.key, def.kind, filter),
        FilterTarget::Consent(channel) => crate::consent::filter_condition(table, *channel, filter),
        FilterTarget::Value(column) => value_condition(table, *column, filter),
    }
}

/// Customers whose values in the latest complete analytics run match: a subquery on
/// `customer_values` (its `(run_id, segment)` and primary key indexes), so the list's
/// scope, sort and paging stay those of the customer list.
fn value_condition(table: &str, column: ValueColumn, filter: &Filter) -> Cond {
    let latest_run = Query::select()
        .expr(Func::max(Expr::col(ident("id"))))
        .from(ident("analytics_runs"))
        .and_where(Expr::col(ident("computed_at")).is_not_null())
        .to_owned();
    let values: Vec<Value> = filter
        .values
        .iter()
        .map(|value| match value {
            FilterValue::Int(i) => (*i).into(),
            other => bound_text(other).into(),
        })
        .collect();
    let matching = Query::select()
        .column(ident("account_id"))
        .from(ident("customer_values"))
        .and_where(Expr::col(ident("run_id")).in_subquery(latest_run))
        .and_where(Expr::col(ident(column.column())).is_in(values))
        .to_owned();
    Cond::all().add(Expr::col((ident(table), ident("id"))).in_subquery(matching))
}

fn field_condition(backend: Backend, table: &str, field: &FieldDef, filter: &Filter) -> Cond {
    let column = || Expr::col((ident(table), ident(field.name)));
    let mut any = Cond::any();
    for value in &filter.values {
        let condition: SimpleExpr = match (filter.op, field.kind, value) {
            (FilterOp::Contains, FieldKind::Tags, FilterValue::Text(t))
            | (FilterOp::Eq | FilterOp::In, FieldKind::Tags, FilterValue::Text(t)) => like(
                backend,
                column().into(),
                format!("%\"{}\"%", escape_like(t)),
            ),
            (FilterOp::Contains, _, FilterValue::Text(t)) => like(
                backend,
                Expr::expr(Expr::col((ident(table), ident(field.name)))).into(),
                format!("%{}%", escape_like(t)),
            ),
            (op, FieldKind::Timestamp, FilterValue::Date(d)) => match op {
                FilterOp::Gte => column().gte(day_start(backend, *d, 0)),
                FilterOp::Lte => column().lt(day_start(backend, *d, 1)),
                _ => column()
                    .gte(day_start(backend, *d, 0))
                    .and(column().lt(day_start(backend, *d, 1))),
            },
            (op, _, value) => {
                let bound: Value = match value {
                    FilterValue::Text(t) => t.clone().into(),
                    FilterValue::Int(i) => (*i).into(),
                    FilterValue::Float(f) => (*f).into(),
                    FilterValue::Date(d) => (*d).into(),
                };
                match op {
                    FilterOp::Gte => column().gte(bound),
                    FilterOp::Lte => column().lte(bound),
                    _ => column().eq(bound),
                }
            }
        };
        any = any.add(condition);
    }
    any
}

fn custom_condition(
    backend: Backend,
    table: &str,
    key: &str,
    kind: CustomFieldKind,
    filter: &Filter,
) -> Cond {
    // Keys are checked to be [a-z0-9_] when defined, so they are safe inside the path.
    let extract = match (backend, kind) {
        (Backend::Sqlite, _) => format!("json_extract({table}.custom, '$.{key}')"),
        (Backend::Postgres, CustomFieldKind::Number) => {
            format!("({table}.custom->>'{key}')::double precision")
        }
        (Backend::Postgres, _) => format!("({table}.custom->>'{key}')"),
    };
    let column = || Expr::cust(extract.clone());
    // "Contains" compares the value's text, also for numbers.
    let text = || match backend {
        Backend::Sqlite => Expr::cust(format!(
            "CAST(json_extract({table}.custom, '$.{key}') AS TEXT)"
        )),
        Backend::Postgres => Expr::cust(format!("({table}.custom->>'{key}')")),
    };
    let mut any = Cond::any();
    for value in &filter.values {
        let bound: Value = match value {
            FilterValue::Text(t) => t.clone().into(),
            FilterValue::Int(i) => (*i as f64).into(),
            FilterValue::Float(f) => (*f).into(),
            FilterValue::Date(d) => d.format("%Y-%m-%d").to_string().into(),
        };
        let condition = match filter.op {
            FilterOp::Contains => like(
                backend,
                text(),
                format!("%{}%", escape_like(&bound_text(value))),
            ),
            FilterOp::Gte => Expr::expr(column()).gte(bound),
            FilterOp::Lte => Expr::expr(column()).lte(bound),
            FilterOp::Eq | FilterOp::In => Expr::expr(column()).eq(bound),
        };
        any = any.add(condition);
    }
    any
}

fn bound_text(value: &FilterValue) -> String {
    match value {
        FilterValue::Text(t) => t.clone(),
        FilterValue::Int(i) => i.to_string(),
        FilterValue::Float(f) => f.to_string(),
        FilterValue::Date(d) => d.to_string(),
    }
}
