//! Raw SQL the tests use to look at the database behind the repositories' back: row
//! snapshots, schema introspection, counting rows and moving timestamps (instead of sleeping).

use chrono::{DateTime, Utc};
use kehu_db::Db;
use sea_query::{Alias, Expr, Query};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// A connection of its own to a SQLite test database, beside the pool's.
fn sqlite(pool: &kehu_db::SqlitePool) -> rusqlite::Connection {
    rusqlite::Connection::open(pool.path()).expect("the test database opens")
}

/// Every row of a SQLite query, each read with `read`.
fn sqlite_rows<T>(
    pool: &kehu_db::SqlitePool,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let conn = sqlite(pool);
    let mut statement = conn.prepare(sql)?;
    let rows = statement.query_map(params, read)?;
    rows.collect()
}

/// `$1`-style placeholders for PostgreSQL, `?1` for SQLite.
fn dialect(db: &Db, sql: &str) -> String {
    match db {
        Db::Sqlite(_) => sql.replace('$', "?"),
        Db::Postgres(_) => sql.to_string(),
    }
}

/// Runs SQL without parameters.
pub async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlite(pool).execute_batch(sql).map_err(|e| e.to_string()),
        Db::Postgres(pool) => sqlx::raw_sql(sql)
            .execute(pool)
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The first column of the first row as an integer (counts, ids).
pub async fn scalar(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlite(pool)
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map_err(|e| e.to_string()),
        Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(pool)
            .await
            .map_err(|e| e.to_string()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Text values of the first column of every row.
pub async fn texts(db: &Db, sql: &str) -> Vec<String> {
    match db {
        Db::Sqlite(pool) => {
            sqlite_rows(pool, sql, [], |r| r.get::<_, String>(0)).map_err(|e| e.to_string())
        }
        Db::Postgres(pool) => sqlx::query_scalar::<_, String>(sql)
            .fetch_all(pool)
            .await
            .map_err(|e| e.to_string()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every column of one row, as text, by column name: to show that a refused change left
/// the row exactly as it was.
pub async fn row_snapshot(db: &Db, table: &str, id: i64) -> Vec<(String, Option<String>)> {
    let columns: Vec<String> = schema(db)
        .await
        .remove(table)
        .expect("table exists")
        .into_keys()
        .collect();
    let list: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST(\"{c}\" AS TEXT) AS \"{c}\""))
        .collect();
    let sql = dialect(
        db,
        &format!("SELECT {} FROM \"{table}\" WHERE id = $1", list.join(", ")),
    );
    let values: Vec<Option<String>> = match db {
        Db::Sqlite(pool) => sqlite(pool)
            .query_row(&sql, [id], |row| {
                columns
                    .iter()
                    .map(|c| row.get::<_, Option<String>>(c.as_str()))
                    .collect()
            })
            .expect("row exists"),
        Db::Postgres(pool) => {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_one(pool)
                .await
                .expect("row exists");
            columns
                .iter()
                .map(|c| row.get::<Option<String>, _>(c.as_str()))
                .collect()
        }
    };
    columns.into_iter().zip(values).collect()
}

/// Table name → its rows, each row its columns as text (in column-name order).
pub type Dump = BTreeMap<String, Vec<Vec<Option<String>>>>;

/// Every row of every ordinary table, as text, rows sorted: a dump of the database's
/// content to compare before and after a request that must not change anything. One
/// query per table, so that it is cheap enough to take around every refused request.
pub async fn dump(db: &Db) -> Dump {
    dump_tables(db, &schema(db).await).await
}

/// [`dump`] of the tables of a [`schema`] read once, for callers that dump many times.
pub async fn dump_tables(db: &Db, schema: &Schema) -> Dump {
    let mut out = BTreeMap::new();
    for (table, columns) in schema {
        let list: Vec<String> = columns
            .keys()
            .map(|c| format!("CAST(\"{c}\" AS TEXT)"))
            .collect();
        let sql = format!("SELECT {} FROM \"{table}\"", list.join(", "));
        let width = columns.len();
        let mut rows: Vec<Vec<Option<String>>> = match db {
            Db::Sqlite(pool) => {
                sqlite_rows(pool, &sql, [], |r| (0..width).map(|i| r.get(i)).collect())
                    .map_err(|e| e.to_string())
            }
            Db::Postgres(pool) => sqlx::query(&sql)
                .fetch_all(pool)
                .await
                .map(|rows| {
                    rows.iter()
                        .map(|r| (0..width).map(|i| r.get(i)).collect())
                        .collect()
                })
                .map_err(|e| e.to_string()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.sort();
        out.insert(table.clone(), rows);
    }
    out
}

/// One column as the schema declares it, reduced to what both dialects can express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// `integer`, `boolean` or `text` (timestamps, JSON and dates are text on SQLite).
    pub class: &'static str,
    /// Whether NULL is refused (primary keys count as NOT NULL).
    pub not_null: bool,
    /// Whether the column has a DEFAULT (identity/rowid keys do not count).
    pub has_default: bool,
}

fn sqlite_class(declared: &str) -> &'static str {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" | "BIGINT" | "SMALLINT" => "integer",
        "BOOLEAN" => "boolean",
        _ => "text",
    }
}

fn pg_class(data_type: &str) -> &'static str {
    match data_type {
        "bigint" | "integer" | "smallint" => "integer",
        "boolean" => "boolean",
        _ => "text",
    }
}

/// Table name → column name → column.
pub type Schema = BTreeMap<String, BTreeMap<String, Column>>;

/// The ordinary tables (not FTS virtual tables or their shadow tables) and their columns.
pub async fn schema(db: &Db) -> Schema {
    let mut tables: BTreeMap<String, BTreeMap<String, Column>> = BTreeMap::new();
    match db {
        Db::Sqlite(pool) => {
            let all: Vec<(String, String)> = sqlite_rows(
                pool,
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                [],
                |r| Ok((r.get("name")?, r.get("sql")?)),
            )
            .unwrap();
            let virtual_tables: Vec<&String> = all
                .iter()
                .filter(|(_, sql)| sql.to_ascii_uppercase().starts_with("CREATE VIRTUAL TABLE"))
                .map(|(name, _)| name)
                .collect();
            for (table, _) in &all {
                if virtual_tables
                    .iter()
                    .any(|v| table == *v || table.starts_with(&format!("{v}_")))
                {
                    continue;
                }
                let columns = sqlite_rows(
                    pool,
                    "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)",
                    [table],
                    |c| {
                        let pk: i64 = c.get("pk")?;
                        let not_null: bool = c.get("notnull")?;
                        let declared: String = c.get("type")?;
                        Ok((
                            c.get::<_, String>("name")?,
                            Column {
                                class: sqlite_class(&declared),
                                not_null: not_null || pk > 0,
                                has_default: c.get::<_, Option<String>>("dflt_value")?.is_some(),
                            },
                        ))
                    },
                )
                .unwrap();
                tables.entry(table.clone()).or_default().extend(columns);
            }
        }
        Db::Postgres(pool) => {
            let rows = sqlx::query(
                "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, \
                 is_nullable::text AS nullable, column_default IS NOT NULL AS has_default \
                 FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for r in rows {
                tables.entry(r.get("t")).or_default().insert(
                    r.get("c"),
                    Column {
                        class: pg_class(&r.get::<String, _>("ty")),
                        not_null: r.get::<String, _>("nullable") == "NO",
                        has_default: r.get("has_default"),
                    },
                );
            }
        }
    }
    tables
}

/// Named indexes (not those made implicitly for primary keys and UNIQUE constraints), as
/// name → `table(column, …)`; expression parts (PostgreSQL's GIN search indexes) are left out.
pub async fn indexes(db: &Db) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match db {
        Db::Sqlite(pool) => {
            let named: Vec<(String, String)> = sqlite_rows(
                pool,
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'",
                [],
                |r| Ok((r.get("name")?, r.get("tbl_name")?)),
            )
            .unwrap();
            for (name, table) in named {
                let columns: Vec<String> = sqlite_rows(
                    pool,
                    "SELECT name FROM pragma_index_info(?1) ORDER BY seqno",
                    [&name],
                    |r| r.get(0),
                )
                .unwrap();
                out.insert(name, format!("{table}({})", columns.join(", ")));
            }
        }
        Db::Postgres(pool) => {
            let rows = sqlx::query(
                "SELECT i.relname::text AS name, t.relname::text AS tbl, \
                 COALESCE(string_agg(a.attname::text, ', ' ORDER BY k.ord), '') AS cols \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                 JOIN pg_namespace n ON n.oid = i.relnamespace \
                 CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                 LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
                 WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
                 GROUP BY i.relname, t.relname",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for r in rows {
                out.insert(
                    r.get("name"),
                    format!(
                        "{}({})",
                        r.get::<String, _>("tbl"),
                        r.get::<String, _>("cols")
                    ),
                );
            }
        }
    }
    out
}

/// (table, column, referenced table, ON DELETE action) of every foreign key.
pub async fn foreign_keys(db: &Db) -> BTreeSet<(String, String, String, String)> {
    let mut keys = BTreeSet::new();
    match db {
        Db::Sqlite(pool) => {
            for table in schema(db).await.into_keys() {
                let rows: Vec<(String, String, String)> = sqlite_rows(
                    pool,
                    "SELECT \"from\", \"table\", on_delete FROM pragma_foreign_key_list(?1)",
                    [&table],
                    |r| Ok((r.get("from")?, r.get("table")?, r.get("on_delete")?)),
                )
                .unwrap();
                for (from, to, on_delete) in rows {
                    keys.insert((table.clone(), from, to, on_delete));
                }
            }
        }
        Db::Postgres(pool) => {
            let rows = sqlx::query(
                "SELECT t.relname::text AS t, a.attname::text AS c, r.relname::text AS r, \
                 CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' \
                 WHEN 'r' THEN 'RESTRICT' ELSE 'NO ACTION' END AS on_delete \
                 FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid \
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) WHERE c.contype = 'f'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for r in rows {
                keys.insert((r.get("t"), r.get("c"), r.get("r"), r.get("on_delete")));
            }
        }
    }
    keys
}

/// Sets a timestamp column of one row (how tests let time pass without sleeping).
pub async fn set_timestamp(
    db: &Db,
    table: &str,
    column: &str,
    key_column: &str,
    key: impl Into<sea_query::Value>,
    at: DateTime<Utc>,
) {
    let update = Query::update()
        .table(Alias::new(table))
        .value(
            Alias::new(column),
            kehu_db::timestamp_value(db.backend(), at),
        )
        .and_where(Expr::col(Alias::new(key_column)).eq(key.into()))
        .to_owned();
    let changed = db.conn().execute(&update).await.expect("update runs");
    assert_eq!(changed, 1, "{table}.{column}: no such row");
}
