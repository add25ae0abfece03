//! A search page in id order on SQLite, read from the full-text matches as they come.
//!
//! The global search box shows the newest matching records first. Written as one query,
//! `id IN (SELECT … FROM accounts_trgm WHERE accounts_trgm MATCH '138')` makes SQLite
//! collect every match before it can pick the newest twenty (0.3–1.4 s for common phone
//! prefixes on 1,000,000 customers). FTS5 hands out its matches in key order and stops
//! when asked to, and the keys sort newest first (`search_index`), so each way of
//! matching (see [`super::search::Alternative`]) becomes small queries, one per part of
//! the user's scope: the matches in key order, each checked against the scope, stopping
//! after a page. The pages are merged here.
//!
//! Where each part reads:
//!
//! * everyone's records (an administrator): the newest-first tables;
//! * a team's records (a manager's teams, up to [`MAX_TEAM_RANGES`] of them): the team's
//!   key range of the team-range tables, so a manager never steps through other teams'
//!   matches;
//! * a user's own records (a sales rep): the key range of each team the user owns
//!   records in, requiring the owner's mark inside the range, so that FTS5 intersects
//!   the typed words with the rep's part of one team instead of with all their matches;
//! * wider parts (a director over many teams, records shared with the user) check each
//!   match of the newest-first tables against their index. That check costs one index
//!   lookup per match, so it must not read the record: those parts have a
//!   `(column, id)` index of live records (migration 9), named in the query with
//!   `INDEXED BY` because SQLite would otherwise look each match up by its primary key
//!   and read the whole row.

use super::list::{filter_condition, ListQuery};
use super::search::{alternatives, Alternative, FtsMatch};
use super::search_index::{self, Keys};
use super::{ident, plan};
use crate::{Backend, Db, DbResult};
use kehu_core::entity::EntityDef;
use kehu_core::permission::Visibility;
use sea_query::{
    Alias, ColumnRef, Cond, Expr, Iden, IntoColumnRef, JoinType, Order, Query, SelectStatement,
};
use std::collections::BTreeSet;
use std::fmt::Write;

/// The most teams a part reads as key ranges; a wider scope (a director's) holds enough
/// of the matches that checking each against the team index is as cheap.
const MAX_TEAM_RANGES: usize = 4;

/// The most teams whose ranges a user's own records are read from; past that, their
/// part checks the newest-first matches against the owner index.
const MAX_OWNER_TEAMS: usize = 16;

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
        || !search_index::has_team_ranges(entity.table)
    {
        return Ok(None);
    }
    let visibility =
        plan::without_unused_shares(db, entity, visibility, plan::Walk::SortIndex).await?;
    let parts = scope_parts(db, entity.table, visibility).await?;
    let mut found = BTreeSet::new();
    for alternative in alternatives(Backend::Sqlite, entity, text, query.whole_words) {
        for part in &parts {
            for select in part_queries(entity, query, &alternative, part, rows) {
                found.extend(db.conn().fetch_ints(&select).await?);
            }
        }
    }
    let take = usize::try_from(rows).unwrap_or(usize::MAX);
    Ok(Some(if query.sort.descending {
        found.into_iter().rev().take(take).collect()
    } else {
        found.into_iter().take(take).collect()
    }))
}

/// A piece of the user's scope and where its records are read.
enum ScopePart {
    Everything,
    /// A user's own records in the key ranges of these teams, under the owner's mark (the
    /// owner's records in other teams are another part's).
    Owned {
        user_id: i64,
        mark: String,
        team_ids: Vec<i64>,
    },
    /// A user's own records, each newest-first match checked against the owner index.
    Owner(i64),
    /// The records of a few teams, each read from its key range.
    TeamRanges(Vec<i64>),
    /// The records of many teams, each newest-first match checked against the team index.
    Teams(Vec<i64>),
    /// Records shared with the user: a share list small enough to test each match against.
    Shared(Visibility),
}

async fn scope_parts(db: &Db, table: &str, visibility: &Visibility) -> DbResult<Vec<ScopePart>> {
    Ok(match visibility {
        Visibility::Everything => vec![ScopePart::Everything],
        Visibility::Nothing => Vec::new(),
        Visibility::Own(user_id) => vec![owner_part(db, table, *user_id, &[]).await?],
        Visibility::Teams { user_id, team_ids } => {
            let ranged = team_ids.len() <= MAX_TEAM_RANGES;
            let covered: &[i64] = if ranged { team_ids } else { &[] };
            let mut parts = vec![owner_part(db, table, *user_id, covered).await?];
            if ranged {
                parts.push(ScopePart::TeamRanges(team_ids.clone()));
            } else {
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
            let mut parts = Box::pin(scope_parts(db, table, base)).await?;
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
    })
}

/// The part of a user's own records, read from the ranges of the teams they own records
/// in (other than `covered`, whose whole ranges another part reads).
async fn owner_part(db: &Db, table: &str, user_id: i64, covered: &[i64]) -> DbResult<ScopePart> {
    let Some(mark) = search_index::owner_mark(user_id) else {
        return Ok(ScopePart::Owner(user_id));
    };
    let Some(teams) = teams_owned_in(db, table, &mark).await? else {
        return Ok(ScopePart::Owner(user_id));
    };
    Ok(ScopePart::Owned {
        user_id,
        mark,
        team_ids: teams.into_iter().filter(|t| !covered.contains(t)).collect(),
    })
}

/// The teams in which the records carrying an owner mark are, found by skipping from
/// team range to team range through the mark's list (a few index reads for a user who
/// owns records in one or two teams); `None` past [`MAX_OWNER_TEAMS`]. The list holds the
/// owner's records in the recycle bin too, which only adds a range that finds nothing.
async fn teams_owned_in(db: &Db, table: &str, mark: &str) -> DbResult<Option<Vec<i64>>> {
    let fts = search_index::fts_table(table, search_index::Index::Words, Keys::TeamRanges);
    let mut teams = Vec::new();
    let mut from = 0;
    loop {
        let next = Query::select()
            .column(Alias::new("rowid"))
            .from(Alias::new(&fts))
            .and_where(Expr::cust_with_values(
                format!("\"{fts}\" MATCH ?"),
                [format!("\"{mark}\"")],
            ))
            .and_where(Expr::col(Alias::new("rowid")).gte(from))
            .order_by(Alias::new("rowid"), Order::Asc)
            .limit(1)
            .to_owned();
        let Some(key) = db.conn().fetch_ints(&next).await?.first().copied() else {
            return Ok(Some(teams));
        };
        if teams.len() == MAX_OWNER_TEAMS {
            return Ok(None);
        }
        let team = search_index::team_of_key(key);
        teams.push(team);
        from = *search_index::team_range(team + 1).start();
    }
}

/// The queries giving the first `rows` ids of one alternative within one scope part.
fn part_queries(
    entity: &'static EntityDef,
    query: &ListQuery,
    alternative: &Alternative,
    part: &ScopePart,
    rows: u64,
) -> Vec<SelectStatement> {
    let page = PartPage {
        entity,
        query,
        alternative,
        part,
        rows,
    };
    let table = entity.table;
    let Some(stream) = &alternative.stream else {
        return vec![page.record_walk()];
    };
    match part {
        ScopePart::Owned { mark, team_ids, .. } => {
            let expression = search_index::require_mark(&stream.expression, mark);
            team_ids
                .iter()
                .map(|&team| page.team_range(stream, &expression, team))
                .collect()
        }
        ScopePart::TeamRanges(team_ids) => team_ids
            .iter()
            .map(|&team| page.team_range(stream, &stream.expression, team))
            .collect(),
        ScopePart::Everything | ScopePart::Shared(_) => vec![page.newest_first(stream, None)],
        ScopePart::Owner(_) => {
            vec![page.newest_first(stream, Some(format!("{table}_live_owner")))]
        }
        ScopePart::Teams(_) => {
            vec![page.newest_first(stream, Some(format!("{table}_live_team")))]
        }
    }
}

/// One alternative's page within one part of the scope.
struct PartPage<'a> {
    entity: &'static EntityDef,
    query: &'a ListQuery,
    alternative: &'a Alternative,
    part: &'a ScopePart,
    rows: u64,
}

impl PartPage<'_> {
    /// Nothing to stream (a name fragment for LIKE): the part's index in id order.
    fn record_walk(&self) -> SelectStatement {
        let table = self.entity.table;
        let index = match self.part {
            ScopePart::Owned { .. } | ScopePart::Owner(_) => Some(format!("{table}_live_owner")),
            ScopePart::TeamRanges(_) | ScopePart::Teams(_) => Some(format!("{table}_live_team")),
            ScopePart::Everything | ScopePart::Shared(_) => None,
        };
        let mut select = Query::select();
        select.from(IndexedBy { table, index });
        let id = (ident(table), ident("id")).into_column_ref();
        if let Some(cursor) = &self.query.cursor {
            let id = Expr::col(id.clone());
            select.and_where(if self.query.sort.descending {
                id.lt(cursor.id)
            } else {
                id.gt(cursor.id)
            });
        }
        self.finish(select, id)
    }

    /// The matches of the newest-first table, each record checked through `index` (or
    /// read) for the part's scope.
    fn newest_first(&self, stream: &FtsMatch, index: Option<String>) -> SelectStatement {
        let table = self.entity.table;
        let fts = search_index::fts_table(table, stream.index, Keys::NewestFirst);
        let mut select = streamed_from(table, &fts, Keys::NewestFirst, index, &stream.expression);
        let key = (Alias::new(&fts), Alias::new("rowid")).into_column_ref();
        if let Some(cursor) = &self.query.cursor {
            let bound = search_index::newest_first_key(cursor.id);
            // Keys sort newest first: older records (a descending page) have larger keys.
            let key = Expr::col(key.clone());
            select.and_where(if self.query.sort.descending {
                key.gt(bound)
            } else {
                key.lt(bound)
            });
        }
        self.finish(select, key)
    }

    /// The matches of `expression` in one team's key range of the team-range table.
    fn team_range(&self, stream: &FtsMatch, expression: &str, team: i64) -> SelectStatement {
        let table = self.entity.table;
        let fts = search_index::fts_table(table, stream.index, Keys::TeamRanges);
        let mut select = streamed_from(table, &fts, Keys::TeamRanges, None, expression);
        let range = search_index::team_range(team);
        let (mut low, mut high) = (*range.start(), *range.end());
        if let Some(cursor) = &self.query.cursor {
            if search_index::fits_team_key(cursor.id) {
                let bound = search_index::team_key(team, cursor.id);
                if self.query.sort.descending {
                    low = low.max(bound + 1);
                } else {
                    high = high.min(bound - 1);
                }
            }
        }
        let key = (Alias::new(&fts), Alias::new("rowid")).into_column_ref();
        select.and_where(Expr::col(key.clone()).between(low, high));
        self.finish(select, key)
    }

    /// What every part's query has: the record's id, live records only, the
    /// alternative's further conditions, the part's scope, the list's filters, the order
    /// and the limit.
    fn finish(&self, mut select: SelectStatement, order: ColumnRef) -> SelectStatement {
        let table = self.entity.table;
        select
            .column((ident(table), ident("id")))
            .and_where(Expr::col((ident(table), ident("deleted_at"))).is_null())
            .cond_where(self.alternative.conditions.clone())
            .cond_where(scope_condition(table, self.part));
        for filter in &self.query.filters {
            select.cond_where(filter_condition(Backend::Sqlite, table, filter));
        }
        // Full-text keys sort newest first, so a newest-first page reads them upwards; a
        // walk of record ids reads them downwards.
        let reads_keys = self.alternative.stream.is_some();
        let direction = if reads_keys == self.query.sort.descending {
            Order::Asc
        } else {
            Order::Desc
        };
        select.order_by(order, direction).limit(self.rows);
        select
    }
}

/// `SELECT … FROM <fts> CROSS JOIN <table> ON <table>.id = <the row's record id> WHERE
/// <fts> MATCH <expression>`: the full-text table stays the outer loop, in key order.
fn streamed_from(
    table: &'static str,
    fts: &str,
    keys: Keys,
    index: Option<String>,
    expression: &str,
) -> SelectStatement {
    let record_id = Expr::cust(search_index::record_id_sql(table, keys, fts));
    let mut select = Query::select();
    select
        .from(Alias::new(fts))
        .join(
            JoinType::CrossJoin,
            IndexedBy { table, index },
            Expr::col((ident(table), ident("id"))).eq(record_id),
        )
        .and_where(Expr::cust_with_values(
            format!("\"{fts}\" MATCH ?"),
            [expression.to_owned()],
        ));
    select
}

fn scope_condition(table: &str, part: &ScopePart) -> Cond {
    let column = |name: &str| Expr::col((ident(table), ident(name)));
    match part {
        ScopePart::Everything => Cond::all(),
        ScopePart::Owned { user_id, .. } | ScopePart::Owner(user_id) => {
            Cond::all().add(column("owner_id").eq(*user_id))
        }
        ScopePart::TeamRanges(team_ids) | ScopePart::Teams(team_ids) => {
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
