//! How SQLite's full-text tables of customers and contacts are laid out (migration 15).
//!
//! Every customer and contact is indexed twice, each time under keys that sort newest
//! first, because the search box shows the newest matches first and FTS5 reads its
//! lists forwards several times faster than backwards:
//!
//! * [`Keys::NewestFirst`] (`<table>_fts`, `<table>_trgm`): key `-id`, for searches over
//!   everyone's records (an administrator's, a director's over many teams);
//! * [`Keys::TeamRanges`] (`<table>_team_fts`, `<table>_team_trgm`): key
//!   `team_id << 32 | (4294967295 - id)`, so that one team's records are one key range,
//!   newest first within it, and a sales rep's or a manager's search reads only the
//!   ranges of their teams. The indexed text of these tables ends with the owner's mark
//!   ([`owner_mark`]), which a rep's search requires inside the range.
//!
//! The words tables (`_fts`) index `search_tokens`, the trigram tables (`_trgm`)
//! `contact_points`. Other entities' full-text tables (orders) are keyed by id, as FTS5
//! tables usually are. The migration's triggers and [`fill_statements`] write the same
//! entries (a bulk-load test compares them).

use std::ops::RangeInclusive;

/// Which of an entity's two indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    /// Words: `search_tokens` under `tokenize='unicode61'`.
    Words,
    /// Substrings of phone numbers and codes: `contact_points` under `tokenize='trigram'`.
    Trigrams,
}

/// How a full-text table's rows are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keys {
    /// By record id (orders' tables), or `-id` for the tables with team ranges.
    NewestFirst,
    /// `team_id << 32 | (4294967295 - id)`, text with the owner's mark.
    TeamRanges,
}

/// The low part of a team-range key: `4294967295 - id`.
const ID_MASK: i64 = 0xFFFF_FFFF;

/// Whether an entity's table has the newest-first and team-range tables of migration
/// 15; other tables have one `_fts` / `_trgm` pair keyed by id.
pub(crate) fn has_team_ranges(table: &str) -> bool {
    matches!(table, "accounts" | "contacts")
}

/// The name of one of `table`'s full-text tables.
pub(crate) fn fts_table(table: &str, index: Index, keys: Keys) -> String {
    let team = match keys {
        Keys::TeamRanges => "_team",
        Keys::NewestFirst => "",
    };
    let kind = match index {
        Index::Words => "fts",
        Index::Trigrams => "trgm",
    };
    format!("{table}{team}_{kind}")
}

/// SQL giving the record id of the row of full-text table `fts` (of entity table
/// `table`) that a query is reading.
pub(crate) fn record_id_sql(table: &str, keys: Keys, fts: &str) -> String {
    match keys {
        _ if !has_team_ranges(table) => format!("\"{fts}\".rowid"),
        Keys::NewestFirst => format!("-\"{fts}\".rowid"),
        Keys::TeamRanges => format!("{ID_MASK} - (\"{fts}\".rowid & {ID_MASK})"),
    }
}

/// The key of record `id` in a newest-first table (of a table with team ranges).
pub(crate) fn newest_first_key(id: i64) -> i64 {
    -id
}

/// The key of record `id` of team `team_id` (0 for none) in a team-range table.
pub(crate) fn team_key(team_id: i64, id: i64) -> i64 {
    (team_id << 32) | (ID_MASK - id)
}

/// The keys of a team's records in a team-range table, newest first.
pub(crate) fn team_range(team_id: i64) -> RangeInclusive<i64> {
    team_key(team_id, ID_MASK)..=team_key(team_id, 0)
}

/// The team of a team-range key.
pub(crate) fn team_of_key(key: i64) -> i64 {
    key >> 32
}

/// Whether a record id fits the team-range key (ids are assigned from 1 upwards; four
/// billion customers is beyond any business this is for).
pub(crate) fn fits_team_key(id: i64) -> bool {
    (1..=ID_MASK).contains(&id)
}

/// The first character of an owner mark.
const OWNER_MARK: u32 = 0xF8FE;
/// The first private use character, digit zero of the id.
const MARK_DIGITS_FROM: u32 = 0xE000;
/// The id's base: two digits cover ids up to 35,999,999.
const MARK_BASE: i64 = 6000;

/// The token that marks the records of `user_id` in the team-range tables: three
/// characters from Unicode's private use area, which nothing a user types turns into
/// (queries keep letters, digits and a little punctuation). Private use characters are
/// token characters for `unicode61`, and three of them are exactly one trigram. `None`
/// for ids past two base-6000 digits, whose records are searched through the scope
/// indexes instead.
pub(crate) fn owner_mark(user_id: i64) -> Option<String> {
    if !(0..MARK_BASE * MARK_BASE).contains(&user_id) {
        return None;
    }
    let digit = |value: i64| {
        char::from_u32(MARK_DIGITS_FROM + value as u32).expect("a private use character")
    };
    let kind = char::from_u32(OWNER_MARK).expect("a private use character");
    Some(
        [kind, digit(user_id / MARK_BASE), digit(user_id % MARK_BASE)]
            .into_iter()
            .collect(),
    )
}

/// `expression` restricted to records carrying `mark`: `(…) AND "mark"`.
pub(crate) fn require_mark(expression: &str, mark: &str) -> String {
    format!("({expression}) AND \"{mark}\"")
}

/// FTS5's in-memory buffer while a bulk load fills a table (`hashsize`). With the default
/// megabyte it writes a small segment every few thousand rows and spends most of the fill
/// merging them; a quarter of a gigabyte halves the fill (a whole gigabyte, one segment
/// for a million customers, was no faster).
const BULK_HASH_BYTES: i64 = 256 * 1024 * 1024;
/// FTS5's default `hashsize`, set back after the fill.
const DEFAULT_HASH_BYTES: i64 = 1024 * 1024;

/// Statements that index every row of `table` (whose full-text tables are empty) in key
/// order, writing what migration 15's insert trigger writes for each row, each table then
/// merged into one segment. Used by bulk loads into an empty table, which drop the
/// trigger for the load.
pub(crate) fn fill_statements(table: &str) -> Vec<String> {
    let mark = owner_mark_sql();
    let team_key = format!("(coalesce(team_id, 0) << 32) | ({ID_MASK} - id)");
    let fills = [
        (
            fts_table(table, Index::Words, Keys::NewestFirst),
            format!("SELECT -id, search_tokens FROM {table} ORDER BY id DESC"),
        ),
        (
            fts_table(table, Index::Trigrams, Keys::NewestFirst),
            format!("SELECT -id, contact_points FROM {table} ORDER BY id DESC"),
        ),
        (
            fts_table(table, Index::Words, Keys::TeamRanges),
            format!(
                "SELECT {team_key} AS key, search_tokens || ' ' || {mark} FROM {table} ORDER BY key"
            ),
        ),
        (
            fts_table(table, Index::Trigrams, Keys::TeamRanges),
            format!(
                "SELECT {team_key} AS key, contact_points || char(10) || {mark} FROM {table} ORDER BY key"
            ),
        ),
    ];
    let mut statements = Vec::new();
    for (fts, rows) in fills {
        let column = if fts.ends_with("_fts") {
            "search_tokens"
        } else {
            "contact_points"
        };
        statements.extend([
            format!("INSERT INTO {fts} ({fts}, rank) VALUES ('hashsize', {BULK_HASH_BYTES})"),
            format!("INSERT INTO {fts} (rowid, {column}) {rows}"),
            format!("INSERT INTO {fts} ({fts}) VALUES ('optimize')"),
            format!("INSERT INTO {fts} ({fts}, rank) VALUES ('hashsize', {DEFAULT_HASH_BYTES})"),
        ]);
    }
    statements
}

/// The owner mark as the migration's SQL spells it for a row.
fn owner_mark_sql() -> String {
    format!(
        "char({OWNER_MARK}, {MARK_DIGITS_FROM} + owner_id / {MARK_BASE}, {MARK_DIGITS_FROM} + owner_id % {MARK_BASE})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_ranges_hold_a_team_newest_first() {
        let range = team_range(7);
        assert!(range.contains(&team_key(7, 1)) && range.contains(&team_key(7, ID_MASK)));
        assert!(!range.contains(&team_key(6, 1)) && !range.contains(&team_key(8, ID_MASK)));
        assert!(
            team_key(7, 500) < team_key(7, 20),
            "newer records sort first"
        );
        assert_eq!(team_of_key(team_key(7, 123)), 7);
        assert_eq!(team_of_key(team_key(0, 123)), 0);
        assert!(newest_first_key(500) < newest_first_key(20));
        assert!(fits_team_key(1) && fits_team_key(ID_MASK) && !fits_team_key(ID_MASK + 1));
    }

    #[test]
    fn owner_marks_are_three_private_use_characters() {
        assert_eq!(owner_mark(4).unwrap(), "\u{F8FE}\u{E000}\u{E004}");
        assert_eq!(owner_mark(6001).unwrap(), "\u{F8FE}\u{E001}\u{E001}");
        assert_eq!(owner_mark(35_999_999).unwrap().chars().count(), 3);
        assert_eq!(owner_mark(36_000_000), None);
        assert_eq!(
            require_mark(r#""a"* AND "b""#, "m"),
            r#"("a"* AND "b") AND "m""#
        );
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(
            fts_table("accounts", Index::Words, Keys::NewestFirst),
            "accounts_fts"
        );
        assert_eq!(
            fts_table("contacts", Index::Trigrams, Keys::TeamRanges),
            "contacts_team_trgm"
        );
        assert_eq!(
            record_id_sql("orders", Keys::NewestFirst, "orders_fts"),
            "\"orders_fts\".rowid"
        );
        assert_eq!(
            record_id_sql("accounts", Keys::NewestFirst, "f"),
            "-\"f\".rowid"
        );
        assert_eq!(
            record_id_sql("accounts", Keys::TeamRanges, "f"),
            "4294967295 - (\"f\".rowid & 4294967295)"
        );
    }
}
