//! Which index a list page walks on SQLite.
//!
//! A list page is "the first 50 rows in some order among the rows some filters and the
//! user's scope allow". SQLite's planner, even with `ANALYZE` statistics, drives such a
//! query by the filter's index and sorts every matching row whenever the filter keeps
//! more than a few percent of the table: 3.4 s for `level=普通&sort=-created_at` on
//! 1,000,000 customers, where walking the sort order and stopping after 51 matches takes
//! 0.05 ms. So for the sorts that have covering list indexes (migration 4:
//! `<table>_list_<sort>` with the scope and picklist columns, and `<table>_owner_<sort>`
//! for "my records") the repository makes the filters unusable as index keys (SQLite's
//! unary `+`), and the planner walks the sort index, testing the filters on the index
//! entries without reading the rows.
//!
//! Walking the sort order is slow only when the filters keep very few rows. A capped
//! count on the filter's own index (at most [`RARE_BELOW`] index entries, well under a
//! millisecond) spots those, and they are left to the planner, which then sorts fewer
//! than [`RARE_BELOW`] rows. PostgreSQL's planner weighs `LIMIT` against its column
//! statistics itself and always gets the query as written.

use super::ident;
use super::list::{filter_condition, ListQuery};
use crate::{Backend, Db, DbResult};
use kehu_core::entity::EntityDef;
use kehu_core::filter::{Filter, FilterOp, FilterTarget};
use kehu_core::permission::Visibility;
use sea_query::{Alias, Cond, Expr, Query, SimpleExpr};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// How the query that picks a page's rows is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// As it is: the database's planner chooses.
    Planner,
    /// Along the sort column's covering list index; filters are tested on its entries.
    SortIndex,
    /// One query per part of the scope, each ordered by the list's sort and limited to a
    /// page (PostgreSQL: its planner then walks each part's sort index and stops, where
    /// "own OR team OR shared" made it collect and sort every visible record).
    ScopeParts,
}

/// A filter value with fewer rows than this is "rare": its index finds the rows faster
/// than walking the sort order would.
pub(crate) const RARE_BELOW: u64 = 1_000;

/// Sort columns that have covering list indexes, per table (see migration 4); `id` is
/// the table's own order, which a manager's team scope otherwise turns into a sort of
/// every record of the team.
const LIST_INDEX_SORTS: &[(&str, &[&str])] =
    &[("accounts", &["created_at", "updated_at", "name", "id"])];

/// (table, filter column, sort column) whose filter index is also in the sort's order.
/// Customer names begin with their city, so in name order one province's customers sit
/// together, far from the start: walking the name index for `province=广东` reads a fifth
/// of the table, while the `(province, name, id)` index reads the page in order, and
/// `(team_id, province, name, id)` a team's (migration 14).
const FILTER_INDEXES_IN_SORT_ORDER: &[(&str, &str, &str)] = &[("accounts", "province", "name")];

/// Filter columns with an index of their own, on which a capped count is cheap.
const INDEXED_FILTERS: &[(&str, &[&str])] = &[(
    "accounts",
    &[
        "level",
        "lifecycle_status",
        "province",
        "industry",
        "owner_id",
        "team_id",
    ],
)];

fn listed(table_lists: &[(&str, &[&str])], table: &str, column: &str) -> bool {
    table_lists
        .iter()
        .any(|(t, columns)| *t == table && columns.contains(&column))
}

/// Chooses how to walk the table for one list page.
pub(crate) async fn choose_walk(
    db: &Db,
    entity: &'static EntityDef,
    query: &ListQuery,
) -> DbResult<Walk> {
    let searching = query.text.as_deref().is_some_and(|t| !t.trim().is_empty());
    if searching
        || query.in_recycle_bin
        || !listed(LIST_INDEX_SORTS, entity.table, query.sort.field.name)
    {
        return Ok(Walk::Planner);
    }
    if db.backend() == Backend::Postgres {
        return Ok(Walk::ScopeParts);
    }
    for filter in query.filters.iter().filter(|f| is_indexed(entity, f)) {
        if has_few_rows(db, entity, filter).await? {
            return Ok(Walk::Planner);
        }
    }
    Ok(Walk::SortIndex)
}

/// A filter whose own index lists its rows in the list's order (a province's customers by
/// name): walking that index beats walking the sort order, except within a sales rep's
/// few thousand records (138 ms for `province=广东&sort=name` through `(province, name,
/// id)`, against well under a millisecond through their `(owner_id, name)` index).
pub(crate) fn in_sort_order(entity: &EntityDef, query: &ListQuery, filter: &Filter) -> bool {
    filter.op == FilterOp::Eq
        && matches!(&filter.target, FilterTarget::Field(field)
            if FILTER_INDEXES_IN_SORT_ORDER.contains(&(entity.table, field.name, query.sort.field.name)))
}

/// An equality (or list) filter on a column with its own index.
fn is_indexed(entity: &EntityDef, filter: &Filter) -> bool {
    matches!(filter.op, FilterOp::Eq | FilterOp::In)
        && matches!(&filter.target, FilterTarget::Field(field) if listed(INDEXED_FILTERS, entity.table, field.name))
}

/// How long a filter's rarity is trusted: a value's share of a table changes slowly, and
/// the count was one more statement on every list page. A stale answer only costs speed
/// (the other walk), never a wrong row.
const RARITY_TTL: Duration = Duration::from_secs(60);

/// Rarity answers by database file and filter.
type RarityCache = HashMap<(String, String), (Instant, bool)>;

static RARITY: LazyLock<Mutex<RarityCache>> = LazyLock::new(Mutex::default);

/// Whether fewer than [`RARE_BELOW`] records (live or not) match the filter, counted at
/// most once a [`RARITY_TTL`] per database and filter.
async fn has_few_rows(db: &Db, entity: &EntityDef, filter: &Filter) -> DbResult<bool> {
    let Db::Sqlite(pool) = db else {
        return count_few_rows(db, entity, filter).await;
    };
    let file = pool.path().display().to_string();
    let key = (file, format!("{}:{filter:?}", entity.table));
    let now = Instant::now();
    if let Ok(cache) = RARITY.lock() {
        if let Some((at, rare)) = cache.get(&key) {
            if now.duration_since(*at) < RARITY_TTL {
                return Ok(*rare);
            }
        }
    }
    let rare = count_few_rows(db, entity, filter).await?;
    if let Ok(mut cache) = RARITY.lock() {
        if cache.len() >= 10_000 {
            cache.clear();
        }
        cache.insert(key, (now, rare));
    }
    Ok(rare)
}

/// Counts up to [`RARE_BELOW`] records matching the filter.
async fn count_few_rows(db: &Db, entity: &EntityDef, filter: &Filter) -> DbResult<bool> {
    let inner = Query::select()
        .expr(Expr::val(1))
        .from(ident(entity.table))
        .cond_where(filter_condition(db.backend(), entity.table, filter))
        .limit(RARE_BELOW)
        .to_owned();
    let outer = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(inner, Alias::new("capped"))
        .to_owned();
    let counted = db.conn().fetch_ints(&outer).await?;
    Ok((counted.first().copied().unwrap_or(0) as u64) < RARE_BELOW)
}

/// A condition the planner cannot use as an index key (SQLite only): `+(condition)`.
pub(crate) fn not_an_index_key(condition: Cond) -> SimpleExpr {
    Expr::cust_with_expr("+(?)", SimpleExpr::from(condition))
}

/// The visibility without its "or shared with me" part when nothing is shared with the
/// user, for walking a sort index: "own OR shared" is no index key, so a sales rep's page
/// would walk the whole table's list index instead of their own `(owner_id, sort)` one.
/// One small statement (at most one row) tells.
pub(crate) async fn without_unused_shares<'a>(
    db: &Db,
    entity: &EntityDef,
    visibility: &'a Visibility,
    walk: Walk,
) -> DbResult<&'a Visibility> {
    let Visibility::WithShares {
        base,
        user_id,
        team_ids,
        write,
    } = visibility
    else {
        return Ok(visibility);
    };
    if walk != Walk::SortIndex {
        return Ok(visibility);
    }
    let shared = crate::shares::shared_ids(entity.name, *user_id, team_ids, *write);
    let any = Query::select()
        .expr(Expr::val(1))
        .from_subquery(shared, Alias::new("shared"))
        .limit(1)
        .to_owned();
    let found = db.conn().fetch_ints(&any).await?;
    Ok(if found.is_empty() { base } else { visibility })
}
