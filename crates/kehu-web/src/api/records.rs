//! `/api/v1/accounts` and `/api/v1/contacts`: one set of handlers for every catalogued
//! entity, each route bound to its entity.

use super::json::{expected_version, JsonObject};
use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::lists::parse_list_request;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kehu_core::entity::EntityDef;
use kehu_core::permission::{Action, Actor, Visibility};
use kehu_core::validation::{Mode, Schema};
use kehu_db::{orders, picklists, records};
use serde::Serialize;
use serde_json::Value;
use std::net::SocketAddr;

/// Count lists up to this many rows; beyond it the API says "at least".
pub const COUNT_CAP: u64 = 10_000;

/// The routes of one entity, mounted at `/api/v1/<table>`.
pub fn routes(entity: &'static EntityDef) -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(move |auth, state, query| list(entity, auth, state, query))
                .post(move |auth, state, ip, body| create(entity, auth, state, ip, body)),
        )
        .route(
            "/export",
            get(move |auth, state, ip, query| export(entity, Format::Csv, auth, state, ip, query)),
        )
        .route(
            "/export.xlsx",
            get(move |auth, state, ip, query| export(entity, Format::Xlsx, auth, state, ip, query)),
        )
        .route(
            "/{id}",
            get(move |auth, state, id| read(entity, auth, state, id))
                .patch(move |auth, state, ip, id, body| update(entity, auth, state, ip, id, body))
                .delete(move |auth, state, ip, id| delete(entity, auth, state, ip, id)),
        )
        .route(
            "/{id}/restore",
            post(move |auth, state, ip, id| restore(entity, auth, state, ip, id)),
        )
        .merge(super::sharing::routes(entity))
}

/// The client's address, when the server knows it (not in router tests).
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
        ))
    }
}

type Ip = ClientIp;

fn client_ip(ip: &ClientIp) -> Option<String> {
    ip.0.clone()
}

/// A list page as the API answers it.
#[derive(Serialize)]
struct ListPage {
    data: Vec<records::Record>,
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<ListCount>,
}

/// How many records the list has, up to [`COUNT_CAP`] (`at_least` past it).
#[derive(Serialize)]
struct ListCount {
    value: u64,
    at_least: bool,
}

async fn list(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<ListPage>, ApiError> {
    let custom = state.custom_fields(&auth, entity).await?;
    let query = parse_list_request(entity, &auth.actor.fields, &custom, &params, 50)
        .map_err(ApiError::bad_request)?;
    let action = if query.in_recycle_bin {
        Action::Delete
    } else {
        Action::Read
    };
    let visibility = auth.actor.visibility(entity.name, action);
    // Hidden columns are not even read; custom values are masked after.
    let columns = auth.actor.fields.visible_fields(entity);
    let page = records::list(&state.db, entity, &visibility, &query, &columns).await?;
    let mut data = page.records;
    for record in &mut data {
        record.mask(&auth.actor.fields);
    }
    let wants_count = params
        .iter()
        .any(|(k, v)| k == "count" && (v == "true" || v == "1"));
    let count = if wants_count {
        let (value, at_least) =
            records::count(&state.db, entity, &visibility, &query, COUNT_CAP).await?;
        Some(ListCount { value, at_least })
    } else {
        None
    };
    Ok(Json(ListPage {
        data,
        next_cursor: page.next_cursor,
        count,
    }))
}

async fn read(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let visibility = auth.actor.visibility(entity.name, Action::Read);
    let mut record = records::get(&state.db, entity, &visibility, id).await?;
    if !super::order_lines::has_lines(entity) {
        // Serialised straight from the record: no JSON tree for the most frequent read.
        record.mask(&auth.actor.fields);
        return Ok(Json(record).into_response());
    }
    let id = record.id;
    let mut json = shown(&auth.actor, record);
    super::order_lines::add_lines(&state, entity, &mut json, id).await?;
    Ok(Json(json).into_response())
}

async fn schema_parts(
    state: &AppState,
    auth: &crate::auth::Auth,
    entity: &'static EntityDef,
) -> Result<
    (
        Vec<kehu_core::entity::CustomFieldDef>,
        kehu_core::validation::Picklists,
    ),
    ApiError,
> {
    Ok((
        state.custom_fields(auth, entity).await?,
        picklists::all(&state.db).await?,
    ))
}

async fn create(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: Ip,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    if auth.actor.visibility(entity.name, Action::Create) == Visibility::Nothing {
        return Err(ApiError::forbidden());
    }
    let (custom, lists) = schema_parts(&state, &auth, entity).await?;
    let schema = Schema {
        entity,
        custom_fields: &custom,
        picklists: &lists,
    };
    let mut body = body;
    let lines = super::order_lines::take_lines(entity, &mut body)?;
    let changes = schema
        .from_json(&body, Mode::Create)
        .map_err(ApiError::from_fields)?;
    let record = match lines {
        Some(lines) => {
            orders::create_with_lines(
                &state.db,
                &auth.actor,
                client_ip(&ip).as_deref(),
                changes,
                &lines,
            )
            .await?
        }
        None => {
            records::create(
                &state.db,
                entity,
                &auth.actor,
                client_ip(&ip).as_deref(),
                changes,
            )
            .await?
        }
    };
    let id = record.id;
    let mut json = shown(&auth.actor, record);
    super::order_lines::add_lines(&state, entity, &mut json, id).await?;
    let location = format!("/api/v1/{}/{}", entity.table, id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(json),
    )
        .into_response())
}

async fn update(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: Ip,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    // A record the caller cannot read is a 404 before anything else is looked at.
    records::get(
        &state.db,
        entity,
        &auth.actor.visibility(entity.name, Action::Read),
        id,
    )
    .await?;
    let version = expected_version(&body)?;
    let (custom, lists) = schema_parts(&state, &auth, entity).await?;
    let schema = Schema {
        entity,
        custom_fields: &custom,
        picklists: &lists,
    };
    let changes = schema
        .from_json(&body, Mode::Update)
        .map_err(ApiError::from_fields)?;
    let record = records::update(
        &state.db,
        entity,
        &auth.actor,
        client_ip(&ip).as_deref(),
        id,
        version,
        changes,
    )
    .await
    .map_err(forbidden_if_readable)?;
    Ok(Json(shown(&auth.actor, record)))
}

/// A record as the caller may see it: without the fields their roles hide.
pub fn shown(actor: &Actor, mut record: records::Record) -> Value {
    record.mask(&actor.fields);
    record.to_json()
}

/// A record the caller can read but not change: 403 tells them nothing new.
fn forbidden_if_readable(error: kehu_db::DbError) -> ApiError {
    match error {
        kehu_db::DbError::NotFound => ApiError::forbidden(),
        other => other.into(),
    }
}

async fn delete(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: Ip,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    records::get(
        &state.db,
        entity,
        &auth.actor.visibility(entity.name, Action::Read),
        id,
    )
    .await?;
    records::soft_delete(
        &state.db,
        entity,
        &auth.actor,
        client_ip(&ip).as_deref(),
        id,
    )
    .await
    .map_err(forbidden_if_readable)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn restore(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: Ip,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let record = records::restore(
        &state.db,
        entity,
        &auth.actor,
        client_ip(&ip).as_deref(),
        id,
    )
    .await?;
    Ok(Json(shown(&auth.actor, record)))
}

/// A download format of the list export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

async fn export(
    entity: &'static EntityDef,
    format: Format,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: Ip,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let visibility = auth.actor.visibility(entity.name, Action::Export);
    if visibility == Visibility::Nothing {
        return Err(ApiError::forbidden());
    }
    let custom = state.custom_fields(&auth, entity).await?;
    let query = parse_list_request(entity, &auth.actor.fields, &custom, &params, 500)
        .map_err(ApiError::bad_request)?;
    let table = crate::export::records_table(
        &state.db,
        entity,
        &custom,
        &auth.actor.fields,
        &visibility,
        query,
    )
    .await?;
    let (content_type, extension, body) = match format {
        Format::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            kehu_io::csv_export::csv_document(&table.header, &table.rows),
        ),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
            kehu_io::xlsx_export::xlsx_document(entity.table, &table.header, &table.rows)
                .map_err(|e| ApiError::internal(format!("writing the XLSX export: {e}")))?,
        ),
    };
    crate::export::audit_export(
        &state.db,
        entity,
        auth.user.id,
        table.rows.len(),
        client_ip(&ip),
    )
    .await?;
    let filename = format!(
        "{}-{}.{extension}",
        entity.table,
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}
