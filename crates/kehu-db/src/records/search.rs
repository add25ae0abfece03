//! The search-box predicate: full-text tokens, trigram substrings for phone numbers and
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
use super::search_index::{fts_table, record_id_sql, Index, Keys};
use crate::Backend;
use kehu_core::entity::EntityDef;
use kehu_search::{like_contains_pattern, parse_query, SearchQuery};
use sea_query::{Alias, Cond, Expr, Query, SimpleExpr};

/// One way a record can match what was typed: every part must hold.
pub(crate) struct Alternative {
    /// A full-text index and the MATCH expression its rows must satisfy (SQLite; on
    /// PostgreSQL the index tests are plain conditions). A search page sorted by id reads
    /// these matches in key order and stops after a page (see `stream.rs`).
    pub stream: Option<FtsMatch>,
    /// Further conditions on the record.
    pub conditions: Cond,
}

/// `MATCH <expression>` on one of an entity's full-text indexes (SQLite).
#[derive(Clone)]
pub(crate) struct FtsMatch {
    pub index: Index,
    pub expression: String,
}

impl FtsMatch {
    /// `<table>.id IN (the ids of the matching rows)`, from the newest-first table.
    fn contains(&self, table: &str) -> SimpleExpr {
        let fts = fts_table(table, self.index, Keys::NewestFirst);
        let matching = Query::select()
            .expr(Expr::cust(record_id_sql(table, Keys::NewestFirst, &fts)))
            .from(Alias::new(&fts))
            .and_where(Expr::cust_with_values(
                format!("\"{fts}\" MATCH ?"),
                [self.expression.clone()],
            ))
            .to_owned();
        Expr::col((ident(table), ident("id"))).in_subquery(matching)
    }
}

/// Records matching what the user typed.
pub(crate) fn search_condition(
    backend: Backend,
    entity: &EntityDef,
    text: &str,
    whole_words: bool,
) -> Cond {
    let table = entity.table;
    let mut any = Cond::any();
    for alternative in alternatives(backend, entity, text, whole_words) {
        let mut all = Cond::all();
        if let Some(stream) = &alternative.stream {
            all = all.add(stream.contains(table));
        }
        any = any.add(all.add(alternative.conditions));
    }
    if any.is_empty() {
        // Nothing searchable was typed (only punctuation): match nothing, not everything.
        Cond::all().add(SimpleExpr::Constant(false.into()))
    } else {
        any
    }
}

/// The ways a record can match what was typed; none when nothing searchable was typed.
/// With `whole_words`, only records whose tokens hold every term as a whole word.
pub(crate) fn alternatives(
    backend: Backend,
    entity: &EntityDef,
    text: &str,
    whole_words: bool,
) -> Vec<Alternative> {
    let query = parse_query(text);
    let table = entity.table;
    if whole_words {
        let words = query.whole_words().unwrap_or(query);
        return tokens_test(backend, table, all_terms(backend, &words))
            .map(|tokens| tokens.into_alternative(table))
            .into_iter()
            .collect();
    }
    let mut found = Vec::new();
    if let Some(tokens) = tokens_test(backend, table, all_terms(backend, &query)) {
        found.push(tokens.into_alternative(table));
    }
    let substrings = substrings_test(backend, table, &query);
    if let Some(substrings) = &substrings {
        let mut alternative = substrings.clone().into_alternative(table);
        if let Some(residual) = tokens_test(backend, table, residual_terms(backend, &query)) {
            alternative.conditions = alternative.conditions.add(residual.condition(table));
        }
        found.push(alternative);
    }
    if !query.like_fallback().is_empty() {
        let mut alternative = match substrings {
            Some(substrings) => substrings.into_alternative(table),
            None => Alternative {
                stream: None,
                conditions: Cond::all(),
            },
        };
        for fragment in query.like_fallback() {
            alternative.conditions = alternative.conditions.add(like(
                backend,
                Expr::col((ident(table), ident("name"))).into(),
                like_contains_pattern(fragment),
            ));
        }
        if let Some(rest) = tokens_test(backend, table, remaining_terms(backend, &query)) {
            alternative.conditions = alternative.conditions.add(rest.condition(table));
        }
        found.push(alternative);
    }
    found
}

/// An index test: a full-text table match (SQLite) or a condition on the row (PostgreSQL).
#[derive(Clone)]
enum IndexTest {
    Fts(FtsMatch),
    Row(SimpleExpr),
}

impl IndexTest {
    fn into_alternative(self, table: &str) -> Alternative {
        match self {
            IndexTest::Fts(stream) => Alternative {
                stream: Some(stream),
                conditions: Cond::all(),
            },
            row => Alternative {
                stream: None,
                conditions: Cond::all().add(row.condition(table)),
            },
        }
    }

    fn condition(self, table: &str) -> SimpleExpr {
        match self {
            IndexTest::Fts(fts) => fts.contains(table),
            IndexTest::Row(condition) => condition,
        }
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
fn tokens_test(backend: Backend, table: &str, expression: Option<String>) -> Option<IndexTest> {
    let expression = expression?;
    Some(match backend {
        Backend::Sqlite => IndexTest::Fts(FtsMatch {
            index: Index::Words,
            expression,
        }),
        Backend::Postgres => IndexTest::Row(Expr::cust_with_values(
            format!("{table}.search_vector @@ to_tsquery('simple', $1)"),
            [expression],
        )),
    })
}

/// `contact_points` containing every substring (trigram indexes on both backends).
fn substrings_test(backend: Backend, table: &str, query: &SearchQuery) -> Option<IndexTest> {
    match backend {
        Backend::Sqlite => {
            // FTS5 uses the trigram index for MATCH; for LIKE only without ESCAPE, where `_`
            // in an e-mail address would be a wildcard.
            Some(IndexTest::Fts(FtsMatch {
                index: Index::Trigrams,
                expression: query.fts5_trigram_match()?,
            }))
        }
        Backend::Postgres => {
            let mut patterns = query.substring_like_patterns().into_iter();
            let column = || Expr::col((ident(table), ident("contact_points")));
            let first = column().like(patterns.next()?);
            Some(IndexTest::Row(
                patterns.fold(first, |all, pattern| all.and(column().like(pattern))),
            ))
        }
    }
}
