//! Applies the SQL files in `migrations/<backend>/` in order, once each, recording them in
//! `schema_migrations`. The files are compiled into the binary.

use crate::{Backend, Db};
use anyhow::Context;

/// (version, SQL) per backend; the two lists must have the same versions.
#[rustfmt::skip]
const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../migrations/sqlite/0002_orders.sql")),
    (3, include_str!("../migrations/sqlite/0003_permissions.sql")),
    (4, include_str!("../migrations/sqlite/0004_list_indexes.sql")),
    (5, include_str!("../migrations/sqlite/0005_auth_epoch.sql")),
    (6, include_str!("../migrations/sqlite/0006_field_security.sql")),
    (7, include_str!("../migrations/sqlite/0007_personal_data.sql")),
    (8, include_str!("../migrations/sqlite/0008_analytics_settings.sql")),
    (9, include_str!("../migrations/sqlite/0009_live_scope_indexes.sql")),
    (10, include_str!("../migrations/sqlite/0010_custom_fields_epoch.sql")),
    (11, include_str!("../migrations/sqlite/0011_customer_values_speed.sql")),
    (12, include_str!("../migrations/sqlite/0012_search_scope_marks.sql")),
    (14, include_str!("../migrations/sqlite/0014_team_list_indexes.sql")),
    (15, include_str!("../migrations/sqlite/0015_search_keys.sql")),
];
#[rustfmt::skip]
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (2, include_str!("../migrations/postgres/0002_orders.sql")),
    (3, include_str!("../migrations/postgres/0003_permissions.sql")),
    (4, include_str!("../migrations/postgres/0004_list_indexes.sql")),
    (5, include_str!("../migrations/postgres/0005_auth_epoch.sql")),
    (6, include_str!("../migrations/postgres/0006_field_security.sql")),
    (7, include_str!("../migrations/postgres/0007_personal_data.sql")),
    (8, include_str!("../migrations/postgres/0008_analytics_settings.sql")),
    (9, include_str!("../migrations/postgres/0009_live_scope_indexes.sql")),
    (10, include_str!("../migrations/postgres/0010_custom_fields_epoch.sql")),
    (11, include_str!("../migrations/postgres/0011_customer_values_speed.sql")),
    (14, include_str!("../migrations/postgres/0014_team_list_indexes.sql")),
    (15, include_str!("../migrations/postgres/0015_search_keys.sql")),
    (16, include_str!("../migrations/postgres/0016_search_vectors.sql")),
];

/// The versions of the migrations this binary carries for a backend.
pub fn versions(backend: Backend) -> Vec<i64> {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    files.iter().map(|(version, _)| *version).collect()
}

pub(crate) async fn run(db: &Db) -> anyhow::Result<()> {
    let files = match db.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let mut applied_any = false;
    for (version, sql) in files {
        // One migrator at a time, from before the bookkeeping table exists: several servers
        // starting together on one database otherwise race on `CREATE TABLE IF NOT EXISTS`
        // (PostgreSQL reports a duplicate `pg_type` key) or on the SQLite write lock.
        // `Db::begin` is `BEGIN IMMEDIATE` on SQLite; PostgreSQL takes an advisory lock.
        let mut tx = db.begin().await?;
        if db.backend() == Backend::Postgres {
            tx.conn()
                .execute_raw(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                .await?;
        }
        tx.conn()
            .execute_raw("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .await?;
        let applied = applied_versions(&mut tx).await?;
        if applied.contains(version) {
            continue;
        }
        tx.conn()
            .execute_raw(sql)
            .await
            .with_context(|| format!("applying migration {version}"))?;
        tx.conn()
            .execute_raw(&format!(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ({version}, '{}')",
                crate::now().to_rfc3339()
            ))
            .await?;
        tx.commit().await?;
        applied_any = true;
    }
    if applied_any && db.backend() == Backend::Sqlite {
        analyze_new_indexes(db).await?;
    }
    Ok(())
}

/// Gives indexes a migration added to an analysed database their planner statistics.
///
/// SQLite plans with the statistics `ANALYZE` left in `sqlite_stat1`; an index without a
/// row there looks useless next to analysed ones, and list pages walked the wrong index
/// (10 ms instead of 0.3 ms on 1,000,000 customers) until the hourly refresh. A database
/// that was never analysed (a new one) has no statistics to be out of step with.
async fn analyze_new_indexes(db: &Db) -> anyhow::Result<()> {
    use sea_query::{Alias, Expr, Query};
    let master = || Alias::new("sqlite_master");
    let statistics = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(master())
        .and_where(Expr::col(Alias::new("type")).eq("table"))
        .and_where(Expr::col(Alias::new("name")).eq("sqlite_stat1"))
        .to_owned();
    if db.conn().fetch_ints(&statistics).await?.first() != Some(&1) {
        return Ok(());
    }
    let analysed = Query::select()
        .column(Alias::new("idx"))
        .from(Alias::new("sqlite_stat1"))
        .and_where(Expr::col(Alias::new("idx")).is_not_null())
        .to_owned();
    let unanalysed = Query::select()
        .distinct()
        .column(Alias::new("tbl_name"))
        .from(master())
        .and_where(Expr::col(Alias::new("type")).eq("index"))
        .and_where(Expr::col(Alias::new("name")).not_like("sqlite_autoindex_%"))
        .and_where(Expr::col(Alias::new("name")).not_in_subquery(analysed))
        .to_owned();
    let tables = db
        .conn()
        .fetch_all(&unanalysed, |row| {
            crate::conn::required(row.text("tbl_name"), "tbl_name")
        })
        .await?;
    for table in tables {
        // A name from the schema itself, quoted as an identifier all the same.
        let quoted = table.replace('"', "\"\"");
        db.conn()
            .execute_raw(&format!("ANALYZE \"{quoted}\""))
            .await?;
    }
    Ok(())
}

/// The PostgreSQL advisory lock key that serialises migrations ("kehu" in ASCII).
const MIGRATION_LOCK: i64 = 0x6b65_6875;

async fn applied_versions(tx: &mut crate::Tx) -> anyhow::Result<Vec<i64>> {
    use sea_query::{Alias, Query};
    let stmt = Query::select()
        .column(Alias::new("version"))
        .from(Alias::new("schema_migrations"))
        .to_owned();
    Ok(tx.conn().fetch_ints(&stmt).await?)
}
