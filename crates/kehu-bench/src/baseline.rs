//! `kehu-bench baseline-server`: the yardstick for "GET one customer by id".
//!
//! A bare axum app on the same database file (or PostgreSQL database) that answers
//! `GET /api/v1/accounts/{id}` with the same point select Kehu runs (every catalogued
//! column plus `custom` and `deleted_at`, `WHERE id = ? AND deleted_at IS NULL`) as a
//! JSON object: no authentication, no permission predicate, no middleware. It reaches
//! the database the way Kehu does, so that the ratio measures Kehu's own work and not a
//! choice of driver: on SQLite a rusqlite connection taken from a stack and used on the
//! request's thread, with the connection settings of `kehu_db::SqlitePool`; on
//! PostgreSQL a sqlx pool.

use anyhow::Context as _;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kehu_core::entity::{FieldKind, ACCOUNT};
use serde_json::{Map, Value};
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{PgPool, Row};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
enum Pool {
    Sqlite(Arc<Connections>),
    Postgres(PgPool),
}

/// Idle SQLite connections; a request takes one (or opens one) and puts it back.
struct Connections {
    path: PathBuf,
    idle: Mutex<Vec<rusqlite::Connection>>,
}

impl Connections {
    fn open(&self) -> rusqlite::Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{};",
            kehu_db::SQLITE_PAGE_CACHE_KIB
        ))?;
        Ok(conn)
    }

    fn point_select(&self, sql: &str, id: i64) -> rusqlite::Result<Option<Value>> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        let found = {
            let mut statement = conn.prepare_cached(sql)?;
            let mut rows = statement.query([id])?;
            match rows.next()? {
                Some(row) => Some(sqlite_json(row)?),
                None => None,
            }
        };
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
        Ok(found)
    }
}

#[derive(Clone)]
struct App {
    pool: Pool,
    sql: Arc<String>,
}

pub async fn serve(url: &str, bind: &str) -> anyhow::Result<()> {
    let (pool, placeholder) = if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = PathBuf::from(path);
        anyhow::ensure!(path.exists(), "no database at {}", path.display());
        let connections = Connections {
            path,
            idle: Mutex::new(Vec::new()),
        };
        (Pool::Sqlite(Arc::new(connections)), "?")
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
        Pool::Sqlite(connections) => match connections.point_select(&app.sql, id) {
            Ok(found) => Ok(found.map(Ok)),
            Err(e) => {
                return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response();
            }
        },
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
fn sqlite_json(row: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let mut object = Map::new();
    for field in ACCOUNT.fields {
        let value = match field.kind {
            kind if kind.is_integer_column() || kind == FieldKind::Integer => row
                .get::<_, Option<i64>>(field.name)?
                .map_or(Value::Null, Value::from),
            FieldKind::Tags => row
                .get::<_, Option<String>>(field.name)?
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null),
            _ => row
                .get::<_, Option<String>>(field.name)?
                .map_or(Value::Null, Value::from),
        };
        object.insert(field.name.to_string(), value);
    }
    let custom: String = row.get("custom")?;
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
