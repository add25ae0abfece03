//! `/api/v1/{accounts,contacts}/mass-update`: set fields or a new owner on many records at
//! once, chosen by `ids` or by a list's `filters`; `/preview` counts without changing.

use super::json::JsonObject;
use super::records::ClientIp;
use crate::auth::{ApiAuth, Auth};
use crate::error::ApiError;
use crate::lists::parse_list_request;
use crate::state::AppState;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use kehu_core::entity::EntityDef;
use kehu_core::filter::RESERVED_PARAMS;
use kehu_core::validation::{Mode, Schema};
use kehu_core::FieldErrors;
use kehu_db::picklists;
use kehu_db::records::mass_update::{self, MassUpdate, Selection};
use serde_json::{Map, Value};

/// The routes of one entity, merged into `/api/v1/<table>`.
pub fn routes(entity: &'static EntityDef) -> Router<AppState> {
    Router::new()
        .route(
            "/mass-update",
            post(move |auth, state, ip, body| apply(entity, auth, state, ip, body)),
        )
        .route(
            "/mass-update/preview",
            post(move |auth, state, body| preview(entity, auth, state, body)),
        )
}

/// Reads `{"ids": [..]}` or `{"filters": {..}}` (list parameters: `q` and field filters,
/// parsed as the list parses them) plus `{"changes": {..}}` (fields as in an update).
async fn parse_request(
    state: &AppState,
    auth: &Auth,
    entity: &'static EntityDef,
    body: &Map<String, Value>,
) -> Result<MassUpdate, ApiError> {
    let mut errors = FieldErrors::default();
    for key in body.keys() {
        if !["ids", "filters", "changes"].contains(&key.as_str()) {
            errors.add(key, "unknown_field", "is not a part of a mass update");
        }
    }
    let selection = match (body.get("ids"), body.get("filters")) {
        (Some(ids), None) => ids_of(ids, &mut errors),
        (None, Some(filters)) => match filter_params(filters, &mut errors) {
            Some(params) => {
                let custom = state.custom_fields(auth, entity).await?;
                match parse_list_request(entity, &auth.actor.fields, &custom, &params, 1) {
                    Ok(query) => Some(Selection::Matching {
                        text: query.text,
                        filters: query.filters,
                    }),
                    Err(problems) => {
                        errors.0.extend(problems.0);
                        None
                    }
                }
            }
            None => None,
        },
        _ => {
            errors.add(
                "ids",
                "one_selection",
                "send either `ids` or `filters` (not both)",
            );
            None
        }
    };
    let changes = match body.get("changes") {
        Some(Value::Object(changes)) => {
            if changes.contains_key("version") {
                errors.add(
                    "version",
                    "unknown_field",
                    "a mass update reads each record's version itself",
                );
            }
            Some(changes)
        }
        _ => {
            errors.add("changes", "not_object", "must be an object of new values");
            None
        }
    };
    // A missing part has its error recorded; either way nothing is done with errors.
    let (Some(selection), Some(changes)) = (selection, changes) else {
        return Err(ApiError::bad_request(errors));
    };
    errors.into_result().map_err(ApiError::bad_request)?;
    let custom = state.custom_fields(auth, entity).await?;
    let lists = picklists::all(&state.db).await?;
    let schema = Schema {
        entity,
        custom_fields: &custom,
        picklists: &lists,
    };
    let changes = schema
        .from_json(changes, Mode::Update)
        .map_err(ApiError::from_fields)?;
    Ok(MassUpdate { selection, changes })
}

/// `ids`: a non-empty list of record ids.
fn ids_of(value: &Value, errors: &mut FieldErrors) -> Option<Selection> {
    let Some(items) = value.as_array() else {
        errors.add("ids", "not_id", "must be a list of record ids");
        return None;
    };
    let ids: Option<Vec<i64>> = items
        .iter()
        .map(|item| item.as_i64().filter(|id| *id > 0))
        .collect();
    match ids {
        None => {
            errors.add("ids", "not_id", "must be a list of record ids");
            None
        }
        Some(ids) if ids.is_empty() => {
            errors.add("ids", "no_records", "choose at least one record");
            None
        }
        Some(ids) => Some(Selection::Ids(ids)),
    }
}

/// `filters`: list parameters as an object; paging, sorting and the recycle bin mean
/// nothing for a mass update and are refused rather than silently ignored.
fn filter_params(value: &Value, errors: &mut FieldErrors) -> Option<Vec<(String, String)>> {
    let Some(filters) = value.as_object() else {
        errors.add("filters", "not_object", "must be an object");
        return None;
    };
    let before = errors.0.len();
    let mut params = Vec::new();
    for (key, value) in filters {
        if key != "q" && RESERVED_PARAMS.contains(&key.as_str()) {
            errors.add(
                format!("filters.{key}"),
                "unknown_filter",
                "is not a filter of a mass update",
            );
            continue;
        }
        match value {
            Value::String(s) => params.push((key.clone(), s.clone())),
            Value::Number(n) => params.push((key.clone(), n.to_string())),
            _ => errors.add("filters", "not_text", "filter values must be strings"),
        }
    }
    (errors.0.len() == before).then_some(params)
}

/// `POST /api/v1/<table>/mass-update/preview`: how many records the update would change.
async fn preview(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let request = parse_request(&state, &auth, entity, &body).await?;
    let counts = mass_update::preview(&state.db, entity, &auth.actor, &request).await?;
    Ok(Json(counts.to_json()))
}

/// `POST /api/v1/<table>/mass-update`: changes the records, in one transaction.
async fn apply(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let request = parse_request(&state, &auth, entity, &body).await?;
    let counts =
        mass_update::apply(&state.db, entity, &auth.actor, ip.0.as_deref(), &request).await?;
    Ok(Json(counts.to_json()))
}
