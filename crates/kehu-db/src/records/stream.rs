//! A search page in id order on SQLite, read from the full-text matches as they come.
//!
//! The global search box shows the newest matching records first. Written as one query,
//! `id IN (SELECT rowid FROM accounts_trgm WHERE accounts_trgm MATCH '138')` makes SQLite
//! collect every match before it can pick the newest twenty (0.3–1.4 s for common phone
//! prefixes and e-mail fragments on 1,000,000 customers). FTS5 hands out its matches in
//! rowid order and stops when asked to, so each way of matching (see
//! [`super::search::Alternative`]) becomes its own small query: the matches, newest
//! first, each checked against the user's scope, stopping after a page. The pages of the
//! alternatives are merged here.
//!
//! A sales rep's or a small team's part of the scope is selected inside the full-text
//! index: each record's indexed text carries marks of its owner and team (migration 12,
//! `scope_marks`), and the part's query requires them, so FTS5 intersects the typed
//! words with the part's records and hands out only those (0.25 ms instead of 1 ms for
//! `科技` for a rep who owns one customer in 200).
//!
//! Wider parts check each match against their index. That check costs one index lookup
//! per match, so it must not read the record: the
//! scope is split into parts that each have a `(column, id)` index of live records
//! (migration 9), named in the query with `INDEXED BY` because SQLite would otherwise
//! look each match up by its primary key and read the whole row. Shares are a part of
//! their own. A sales rep who owns one record in 200 reads about 4,000 index entries for
//! a page of 20, a few milliseconds.

use super::list::{filter_condition, ListQuery};
use super::search::{alternatives, Alternative, FtsMatch};
use super::{ident, plan, scope_marks};
use crate::{Backend, Db, DbResult};
use kehu_core::entity::EntityDef;
use kehu_core::permission::Visibility;
use sea_query::{Cond, Expr, Iden, JoinType, Order, Query, SelectStatement};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The ids of one search page sorted by id, or `None` when the page is not a search in id
/// order on SQLite (the list query handles those).
pub(crate) async fn search_page_ids(
    db: &Db,
    entity: &'static EntityDef,
    visibility: &Visibility,
    query: &ListQuery,
    rows: u64,
) -> DbResult<Option<Vec<i64>>> {
    let Some(text) = query.text.as_deref().filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    if db.backend() != Backend::Sqlite
        || query.sort.field.name != "id"
        || query.in_recycle_bin
        || !has_search_tables(entity)
    {
        return Ok(None);
    }
    let visibility =
        plan::without_unused_shares(db, entity, visibility, plan::Walk::SortIndex).await?;
    let parts = scope_parts(visibility);
    let mut found = BTreeSet::new();
    for alternative in alternatives(Backend::Sqlite, entity, text, query.whole_words) {
        for part in &parts {
            let select = part_query(entity, query, &alternative, part, rows);
            found.extend(db.conn().fetch_ints(&select).await?);
        }
    }
    let take = usize::try_from(rows).unwrap_or(usize::MAX);
    Ok(Some(if query.sort.descending {
        found.into_iter().rev().take(take).collect()
    } else {
        found.into_iter().take(take).collect()
    }))
}

/// Entities with `<table>_fts` / `<table>_trgm` tables and the live scope indexes.
fn has_search_tables(entity: &EntityDef) -> bool {
    matches!(entity.table, "accounts" | "contacts")
}

/// A piece of the user's scope that one index serves.
enum ScopePart {
    Everything,
    Owner(i64),
    Teams(Vec<i64>),
    /// Records shared with the user: a share list small enough to test each match against.
    Shared(Visibility),
}

fn scope_parts(visibility: &Visibility) -> Vec<ScopePart> {
    match visibility {
        Visibility::Everything => vec![ScopePart::Everything],
        Visibility::Nothing => Vec::new(),
        Visibility::Own(user_id) => vec![ScopePart::Owner(*user_id)],
        Visibility::Teams { user_id, team_ids } => {
            let mut parts = vec![ScopePart::Owner(*user_id)];
            if !team_ids.is_empty() {
                parts.push(ScopePart::Teams(team_ids.clone()));
            }
            parts
        }
        Visibility::WithShares {
            base,
            user_id,
            team_ids,
            write,
        } => {
            let mut parts = scope_parts(base);
            // The shares alone: a base of Nothing leaves only the shared-ids test.
            let only_shares = Visibility::WithShares {
                base: Box::new(Visibility::Nothing),
                user_id: *user_id,
                team_ids: team_ids.clone(),
                write: *write,
            };
            parts.push(ScopePart::Shared(only_shares));
            parts
        }
    }
}

/// The first `rows` ids of one alternative within one scope part.
fn part_query(
    entity: &'static EntityDef,
    query: &ListQuery,
    alternative: &Alternative,
    part: &ScopePart,
    rows: u64,
) -> SelectStatement {
    let table = entity.table;
    // With the part's marks in the MATCH, the full-text index hands out only the part's
    // records; the scope condition below still decides, on the few rows that come.
    let marks = match &alternative.stream {
        Some(_) => part_marks(part),
        None => None,
    };
    let index = match (part, &marks) {
        (_, Some(_)) => None,
        (ScopePart::Owner(_), None) => Some(format!("{table}_live_owner")),
        (ScopePart::Teams(_), None) => Some(format!("{table}_live_team")),
        (ScopePart::Everything | ScopePart::Shared(_), None) => None,
    };
    let record = IndexedBy { table, index };
    let mut select = Query::select();
    // The order the rows come in: the full-text table's rowid when it drives the query.
    let order_column = match &alternative.stream {
        Some(stream) => {
            let stream = match &marks {
                Some(marks) => FtsMatch {
                    table: stream.table.clone(),
                    expression: scope_marks::require_any(&stream.expression, marks),
                },
                None => stream.clone(),
            };
            // CROSS JOIN keeps the full-text table as the outer loop.
            select
                .from(ident(&stream.table))
                .join(
                    JoinType::CrossJoin,
                    record,
                    Expr::col((ident(table), ident("id")))
                        .equals((ident(&stream.table), ident("rowid"))),
                )
                .and_where(stream.test());
            (ident(&stream.table), ident("rowid"))
        }
        None => {
            select.from(record);
            (ident(table), ident("id"))
        }
    };
    select
        .column((ident(table), ident("id")))
        .and_where(Expr::col((ident(table), ident("deleted_at"))).is_null())
        .cond_where(alternative.conditions.clone())
        .cond_where(scope_condition(table, part));
    for filter in &query.filters {
        select.cond_where(filter_condition(Backend::Sqlite, table, filter));
    }
    if let Some(cursor) = &query.cursor {
        let column = Expr::col(order_column.clone());
        select.and_where(if query.sort.descending {
            column.lt(cursor.id)
        } else {
            column.gt(cursor.id)
        });
    }
    let order = if query.sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    select.order_by(order_column, order).limit(rows);
    select
}

/// The most teams whose marks a search ORs together; a wider scope (a director's) holds
/// enough of the matches that checking each against the team index is as cheap.
const MAX_MARKED_TEAMS: usize = 4;

/// The scope marks (migration 12) that select a part's records in the full-text index,
/// when the part has them and is narrow enough for them to pay.
fn part_marks(part: &ScopePart) -> Option<Vec<String>> {
    match part {
        ScopePart::Owner(user_id) if scope_marks::has_mark(*user_id) => {
            Some(vec![scope_marks::owner(*user_id)])
        }
        ScopePart::Teams(team_ids)
            if team_ids.len() <= MAX_MARKED_TEAMS
                && team_ids.iter().all(|id| scope_marks::has_mark(*id)) =>
        {
            Some(team_ids.iter().map(|id| scope_marks::team(*id)).collect())
        }
        _ => None,
    }
}

fn scope_condition(table: &str, part: &ScopePart) -> Cond {
    let column = |name: &str| Expr::col((ident(table), ident(name)));
    match part {
        ScopePart::Everything => Cond::all(),
        ScopePart::Owner(user_id) => Cond::all().add(column("owner_id").eq(*user_id)),
        ScopePart::Teams(team_ids) => {
            Cond::all().add(column("team_id").is_in(team_ids.iter().copied()))
        }
        ScopePart::Shared(shares) => super::visibility_condition(Backend::Sqlite, table, shares),
    }
}

/// A table in a FROM clause with the index SQLite must use for it: `"t" INDEXED BY "i"`.
struct IndexedBy {
    table: &'static str,
    index: Option<String>,
}

impl Iden for IndexedBy {
    fn prepare(&self, s: &mut dyn Write, q: sea_query::Quote) {
        let _ = write!(s, "{}{}{}", q.left(), self.table, q.right());
        if let Some(index) = &self.index {
            let _ = write!(s, " INDEXED BY {}{}{}", q.left(), index, q.right());
        }
    }

    fn unquoted(&self, s: &mut dyn Write) {
        let _ = write!(s, "{}", self.table);
    }
}
