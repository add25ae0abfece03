//! SQLite's side of the fast path: the table's indexes and its full-text index trigger,
//! read from `sqlite_master` (whose `sql` column keeps each definition as it was written,
//! so running it again makes the same object).
//!
//! The trigger dropped is the migrations' `<table>_index_insert`, which copies each new
//! row's search text into the full-text tables named in its body; those are filled from
//! the whole table afterwards, in key order (customers and contacts, see
//! `search_index::fill_statements`) or with FTS5's `'rebuild'` (tables keyed by id with
//! the table as their content). A table with any other trigger that fires on INSERT is
//! loaded row by row, since that trigger's effect could not be reproduced afterwards.

use super::{quoted, Object, Suspended};
use crate::records::search_index;
use crate::sqlite::{internal, SqliteTx};
use crate::DbResult;

/// One entry of `sqlite_master` belonging to the table.
struct Entry {
    kind: String,
    name: String,
    sql: String,
}

impl Entry {
    fn object(&self) -> Object {
        let kind = if self.kind == "trigger" {
            "TRIGGER"
        } else {
            "INDEX"
        };
        Object {
            name: self.name.clone(),
            create: self.sql.clone(),
            drop: format!("DROP {kind} {}", quoted(&self.name)),
        }
    }

    fn is_insert_trigger(&self) -> bool {
        self.kind == "trigger" && fires_on_insert(&self.sql)
    }
}

/// The table's explicit indexes (not those SQLite makes for UNIQUE constraints, which
/// cannot be dropped) and the triggers that fire on INSERT, in the order they were made.
fn entries(tx: &SqliteTx, table: &str) -> DbResult<Vec<Entry>> {
    let mut statement = tx
        .connection()
        .prepare(
            "SELECT type, name, sql FROM sqlite_master \
             WHERE tbl_name = ?1 AND type IN ('index', 'trigger') AND sql IS NOT NULL \
             ORDER BY rowid",
        )
        .map_err(internal)?;
    let entries = statement
        .query_map([table], |row| {
            Ok(Entry {
                kind: row.get("type")?,
                name: row.get("name")?,
                sql: row.get("sql")?,
            })
        })
        .and_then(Iterator::collect::<rusqlite::Result<Vec<Entry>>>)
        .map_err(internal)?;
    Ok(entries
        .into_iter()
        .filter(|e| e.kind == "index" || e.is_insert_trigger())
        .collect())
}

/// What the fast path drops from `table` and makes again.
pub(super) fn objects(tx: &SqliteTx, table: &str) -> DbResult<Vec<Object>> {
    Ok(entries(tx, table)?.iter().map(Entry::object).collect())
}

/// What to drop and rebuild if `table` is empty and its only INSERT trigger (if any) is
/// its full-text index trigger.
pub(super) fn suspendable(tx: &SqliteTx, table: &'static str) -> DbResult<Option<Suspended>> {
    let has_rows: bool = tx
        .connection()
        .query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(table)),
            [],
            |row| row.get(0),
        )
        .map_err(internal)?;
    if has_rows {
        return Ok(None);
    }
    let entries = entries(tx, table)?;
    let index_trigger = format!("{table}_index_insert");
    let mut fts_fills = Vec::new();
    for trigger in entries.iter().filter(|e| e.is_insert_trigger()) {
        if trigger.name != index_trigger {
            return Ok(None);
        }
        fts_fills = if search_index::has_team_ranges(table) {
            search_index::fill_statements(table)
        } else {
            fed_fts_tables(tx, table, &trigger.sql)?
                .iter()
                .map(|fts| format!("INSERT INTO {fts} ({fts}) VALUES ('rebuild')"))
                .collect()
        };
    }
    Ok(Some(Suspended {
        table,
        objects: entries.iter().map(Entry::object).collect(),
        fts_fills,
    }))
}

/// The FTS5 tables with `table` as their external content that `trigger` inserts into.
fn fed_fts_tables(tx: &SqliteTx, table: &str, trigger: &str) -> DbResult<Vec<String>> {
    let mut statement = tx
        .connection()
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' \
             AND sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY rowid",
        )
        .map_err(internal)?;
    let rows = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>("name")?, row.get::<_, String>("sql")?))
        })
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(internal)?;
    let content = format!("content='{table}'");
    let mut tables = Vec::new();
    for (name, sql) in rows {
        let lower = sql.to_ascii_lowercase();
        if lower.contains("using fts5")
            && lower.contains(&content)
            && trigger.contains(&format!("INSERT INTO {name} "))
        {
            tables.push(name);
        }
    }
    Ok(tables)
}

/// Whether a trigger's definition says it fires on INSERT (`CREATE TRIGGER name [BEFORE |
/// AFTER | INSTEAD OF] INSERT ON …`): the word INSERT before the first ON.
fn fires_on_insert(sql: &str) -> bool {
    sql.split_whitespace()
        .take_while(|word| !word.eq_ignore_ascii_case("ON"))
        .any(|word| word.eq_ignore_ascii_case("INSERT"))
}

#[cfg(test)]
mod tests {
    use super::fires_on_insert;

    #[test]
    fn insert_triggers_are_told_from_others() {
        assert!(fires_on_insert(
            "CREATE TRIGGER accounts_index_insert AFTER INSERT ON accounts BEGIN SELECT 1; END"
        ));
        assert!(fires_on_insert(
            "create trigger t before insert on accounts begin select 1; end"
        ));
        assert!(!fires_on_insert(
            "CREATE TRIGGER accounts_index_update AFTER UPDATE OF search_tokens ON accounts \
             BEGIN INSERT INTO accounts_fts (rowid) VALUES (new.id); END"
        ));
        assert!(!fires_on_insert(
            "CREATE TRIGGER accounts_index_delete AFTER DELETE ON accounts BEGIN \
             INSERT INTO accounts_fts (accounts_fts) VALUES ('delete'); END"
        ));
    }
}
