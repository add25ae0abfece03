//! `kehu-bench baseline-server`: the yardstick for "GET one customer by id".
//!
//! A bare axum + sqlx app on the same database file (or PostgreSQL database) that answers
//! `GET /api/v1/accounts/{id}` with the same point select Kehu runs (every catalogued
//! column plus `custom` and `deleted_at`, `WHERE id = ? AND deleted_at IS NULL`) as a
//! JSON object: no authentication, no permission predicate, no middleware. The SQLite
//! pool has the connection settings `kehu_db::Db::connect` uses.

use anyhow::Context as _;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kehu_core::entity::{FieldKind, ACCOUNT};
use serde_json::{Map, Value};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{PgPool, Row, SqlitePool};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone)]
struct App {
    pool: Pool,
    sql: Arc<String>,
}

pub async fn serve(url: &str, bind: &str) -> anyhow::Result<()> {
    let (pool, placeholder) = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // The same page cache and pool size as Kehu's, so the two compare like for like.
            .pragma("cache_size", format!("-{}", kehu_db::SQLITE_PAGE_CACHE_KIB));
        let pool = SqlitePoolOptions::new()
            .max_connections(kehu_db::SQLITE_CONNECTIONS)
            .min_connections(1)
            .connect_with(options)
            .await?;
        (Pool::Sqlite(pool), "?")
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await?;
        (Pool::Postgres(pool), "$1")
    };
    let columns: Vec<String> = ACCOUNT
        .fields
        .iter()
        .map(|f| format!("\"{}\"", f.name))
        .chain(["\"custom\"".to_string(), "\"deleted_at\"".to_string()])
        .collect();
    let sql = format!(
        "SELECT {} FROM \"accounts\" WHERE \"id\" = {placeholder} AND \"deleted_at\" IS NULL",
        columns.join(", ")
    );
    let app = App {
        pool,
        sql: Arc::new(sql),
    };
    let router = Router::new()
        .route("/api/v1/accounts/{id}", get(account))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    eprintln!("baseline server at http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}

async fn account(State(app): State<App>, Path(id): Path<i64>) -> Response {
    let found = match &app.pool {
        Pool::Sqlite(pool) => sqlx::query(&app.sql)
            .bind(id)
            .fetch_optional(pool)
            .await
            .map(|r| r.map(|r| sqlite_json(&r))),
        Pool::Postgres(pool) => sqlx::query(&app.sql)
            .bind(id)
            .fetch_optional(pool)
            .await
            .map(|r| r.map(|r| pg_json(&r))),
    };
    match found {
        Ok(Some(Ok(object))) => Json(object).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Ok(Some(Err(e))) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The decoded value of one catalogued column, as Kehu's API shows it.
fn sqlite_json(row: &SqliteRow) -> sqlx::Result<Value> {
    let mut object = Map::new();
    for field in ACCOUNT.fields {
        let value = match field.kind {
            kind if kind.is_integer_column() || kind == FieldKind::Integer => row
                .try_get::<Option<i64>, _>(field.name)?
                .map_or(Value::Null, Value::from),
            FieldKind::Tags => row
                .try_get::<Option<String>, _>(field.name)?
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null),
            _ => row
                .try_get::<Option<String>, _>(field.name)?
                .map_or(Value::Null, Value::from),
        };
        object.insert(field.name.to_string(), value);
    }
    let custom: String = row.try_get("custom")?;
    object.insert(
        "custom".into(),
        serde_json::from_str(&custom).unwrap_or(Value::Null),
    );
    Ok(Value::Object(object))
}

fn pg_json(row: &PgRow) -> sqlx::Result<Value> {
    let mut object = Map::new();
    for field in ACCOUNT.fields {
        let value = match field.kind {
            kind if kind.is_integer_column() || kind == FieldKind::Integer => row
                .try_get::<Option<i64>, _>(field.name)?
                .map_or(Value::Null, Value::from),
            FieldKind::Timestamp => row
                .try_get::<Option<chrono::DateTime<chrono::Utc>>, _>(field.name)?
                .map_or(Value::Null, |t| Value::from(t.to_rfc3339())),
            FieldKind::Tags => row
                .try_get::<Option<String>, _>(field.name)?
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null),
            _ => row
                .try_get::<Option<String>, _>(field.name)?
                .map_or(Value::Null, Value::from),
        };
        object.insert(field.name.to_string(), value);
    }
    let custom: Value = row.try_get("custom")?;
    object.insert("custom".into(), custom);
    Ok(Value::Object(object))
}
