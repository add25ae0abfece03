//! Search text for Kehu: what goes into the index columns and how a search-box query is
//! turned into index queries. Pure functions, no I/O; both database backends use them.
//!
//! Each searchable record has two text columns filled in Rust:
//!
//! * `search_tokens` ← [`index_tokens`]: space-separated words and CJK tokens, indexed by
//!   SQLite FTS5 (`tokenize='unicode61'`) and by PostgreSQL as the stored
//!   `search_vector = to_tsvector('simple', search_tokens)` under GIN. The tokens are chosen so that both
//!   tokenizers keep each of them as one unchanged word, so both backends index the same
//!   tokens (see the `text` module for the character rules).
//! * `contact_points` ← [`contact_points`]: normalised phone numbers and codes, indexed
//!   by trigrams (FTS5 `tokenize='trigram'`, PostgreSQL `pg_trgm`) for substring search
//!   ("the last four digits"). E-mail addresses are found by their words.
//!
//! A query goes through [`parse_query`], which renders safe expressions for either
//! backend ([`SearchQuery::fts5_match`], [`SearchQuery::pg_tsquery`], …); see
//! [`SearchQuery`] for how to combine them in SQL.
//!
//! Chinese text is segmented with jieba's search mode and additionally stored as
//! character bigrams, so that any 2+ character part of a name is found
//! (北京华为科技有限公司 by 华为科技 or 有限公司; 李小明 by 小明).
//!
//! ```
//! use kehu_search::{contact_points, index_tokens, parse_query};
//!
//! let tokens = index_tokens(["北京华为科技有限公司", "Ann Smith"]);
//! let q = parse_query("华为科技");
//! assert_eq!(q.fts5_match().as_deref(), Some(r#""华为" AND "为科" AND "科技""#));
//! assert!(q.terms().iter().all(|t| tokens.split(' ').any(|tok| tok == t.text())));
//!
//! let cp = contact_points(["+86 138-1234-5678"]);
//! let q = parse_query("13812345678");
//! assert!(q.substrings().iter().all(|s| cp.contains(s.as_str())));
//! ```

mod contact;
mod index;
mod query;
mod tables;
mod text;

pub use contact::contact_points;
pub use index::index_tokens;
pub use query::{
    like_contains_pattern, parse_query, SearchQuery, Term, MAX_LIKE_FALLBACK, MAX_QUERY_CHARS,
    MAX_SUBSTRINGS, MAX_TERMS,
};
