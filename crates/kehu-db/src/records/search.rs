//! The search-box predicate: full-text tokens, trigram substrings for phones, e-mails and
//! codes, and a bounded LIKE on the name for fragments too short for either index.
//!
//! Every part of what was typed must match somewhere. A record matches when
//!
//! * its `search_tokens` have every term; or
//! * its `contact_points` contain every phone/e-mail/code substring and its
//!   `search_tokens` have the other terms (so "张伟 5678" finds 张伟 by the end of her
//!   number, but not everyone whose number ends in 5678); or
//! * its name contains every fragment too short for the indexes (one letter, two digits,
//!   a single Chinese character after another one) and the rest of the query matches as
//!   above.

use super::ident;
use super::list::like;
use crate::Backend;
use kehu_core::entity::EntityDef;
use kehu_search::{like_contains_pattern, parse_query, SearchQuery};
use sea_query::{Alias, Cond, Expr, Query, SimpleExpr};

/// Records matching what the user typed.
pub(crate) fn search_condition(backend: Backend, entity: &EntityDef, text: &str) -> Cond {
    let query = parse_query(text);
    let table = entity.table;
    let mut any = Cond::any();
    if let Some(condition) = tokens_condition(backend, table, all_terms(backend, &query)) {
        any = any.add(condition);
    }
    let substrings = substrings_condition(backend, table, &query);
    if let Some(substrings) = &substrings {
        let mut all = Cond::all().add(substrings.clone());
        if let Some(residual) = tokens_condition(backend, table, residual_terms(backend, &query)) {
            all = all.add(residual);
        }
        any = any.add(all);
    }
    if !query.like_fallback().is_empty() {
        let mut all = Cond::all();
        for fragment in query.like_fallback() {
            all = all.add(like(
                backend,
                Expr::col((ident(table), ident("name"))).into(),
                like_contains_pattern(fragment),
            ));
        }
        if let Some(substrings) = substrings {
            all = all.add(substrings);
        }
        if let Some(rest) = tokens_condition(backend, table, remaining_terms(backend, &query)) {
            all = all.add(rest);
        }
        any = any.add(all);
    }
    if any.is_empty() {
        // Nothing searchable was typed (only punctuation): match nothing, not everything.
        Cond::all().add(SimpleExpr::Constant(false.into()))
    } else {
        any
    }
}

fn all_terms(backend: Backend, query: &SearchQuery) -> Option<String> {
    match backend {
        Backend::Sqlite => query.fts5_match(),
        Backend::Postgres => query.pg_tsquery(),
    }
}

fn residual_terms(backend: Backend, query: &SearchQuery) -> Option<String> {
    match backend {
        Backend::Sqlite => query.residual_fts5_match(),
        Backend::Postgres => query.residual_pg_tsquery(),
    }
}

/// The terms the short fragments and substrings do not already stand for, as an index
/// expression. The terms are normalised letters and digits, so parsing them again gives
/// back the same terms.
fn remaining_terms(backend: Backend, query: &SearchQuery) -> Option<String> {
    let rest: Vec<&str> = query
        .terms()
        .iter()
        .filter(|t| {
            !t.is_covered_by_substring() && !query.like_fallback().iter().any(|f| f == t.text())
        })
        .map(|t| t.text())
        .collect();
    all_terms(backend, &parse_query(&rest.join(" ")))
}

/// `search_tokens` matching a rendered full-text expression (bound as a parameter).
fn tokens_condition(
    backend: Backend,
    table: &str,
    expression: Option<String>,
) -> Option<SimpleExpr> {
    let expression = expression?;
    Some(match backend {
        Backend::Sqlite => {
            let fts = format!("{table}_fts");
            let matching = Query::select()
                .column(Alias::new("rowid"))
                .from(Alias::new(&fts))
                // SQLite-only SQL: sea-query's SQLite placeholder is `?`.
                .and_where(Expr::cust_with_values(
                    format!("{fts} MATCH ?"),
                    [expression],
                ))
                .to_owned();
            Expr::col((ident(table), ident("id"))).in_subquery(matching)
        }
        Backend::Postgres => Expr::cust_with_values(
            format!("to_tsvector('simple', {table}.search_tokens) @@ to_tsquery('simple', $1)"),
            [expression],
        ),
    })
}

/// `contact_points` containing every substring (trigram indexes on both backends).
fn substrings_condition(backend: Backend, table: &str, query: &SearchQuery) -> Option<SimpleExpr> {
    match backend {
        Backend::Sqlite => {
            // FTS5 uses the trigram index for MATCH; for LIKE only without ESCAPE, where `_`
            // in an e-mail address would be a wildcard.
            let expression = query.fts5_trigram_match()?;
            let trigrams = format!("{table}_trgm");
            let matching = Query::select()
                .column(Alias::new("rowid"))
                .from(Alias::new(&trigrams))
                .and_where(Expr::cust_with_values(
                    format!("{trigrams} MATCH ?"),
                    [expression],
                ))
                .to_owned();
            Some(Expr::col((ident(table), ident("id"))).in_subquery(matching))
        }
        Backend::Postgres => {
            let mut patterns = query.substring_like_patterns().into_iter();
            let column = || Expr::col((ident(table), ident("contact_points")));
            let first = column().like(patterns.next()?);
            Some(patterns.fold(first, |all, pattern| all.and(column().like(pattern))))
        }
    }
}
