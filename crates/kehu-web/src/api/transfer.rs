//! `/api/v1/transfers`: hand the customers of one user (all, or those matching filters),
//! with their contacts, to another user; `/preview` counts without moving anything.

use super::json::JsonObject;
use super::records::ClientIp;
use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use kehu_core::entity::ACCOUNT;
use kehu_core::filter::parse_filters;
use kehu_core::FieldErrors;
use kehu_db::custom_fields;
use kehu_db::transfer::{self, TransferCounts, TransferRequest};
use serde_json::{json, Map, Value};

/// Reads `from_user_id`, `to_user_id` and optional `filters` (an object of list filter
/// parameters, as in `GET /api/v1/accounts?level=VIP`).
async fn parse_request(
    state: &AppState,
    body: &Map<String, Value>,
) -> Result<TransferRequest, ApiError> {
    let mut errors = FieldErrors::default();
    for key in body.keys() {
        if !["from_user_id", "to_user_id", "filters"].contains(&key.as_str()) {
            errors.add(key, "unknown_field", "is not a field of a transfer");
        }
    }
    let mut id = |key: &str| match body.get(key).and_then(Value::as_i64) {
        Some(id) if id > 0 => id,
        _ => {
            errors.add(
                key,
                "not_id",
                "must be the id (a positive integer) of a user",
            );
            0
        }
    };
    let from_user_id = id("from_user_id");
    let to_user_id = id("to_user_id");
    let mut params: Vec<(String, String)> = Vec::new();
    match body.get("filters") {
        None | Some(Value::Null) => {}
        Some(Value::Object(filters)) => {
            for (key, value) in filters {
                match value {
                    Value::String(s) => params.push((key.clone(), s.clone())),
                    Value::Number(n) => params.push((key.clone(), n.to_string())),
                    _ => errors.add("filters", "not_text", "filter values must be strings"),
                }
            }
        }
        Some(_) => errors.add("filters", "not_object", "must be an object"),
    }
    errors.into_result().map_err(ApiError::bad_request)?;
    let custom = custom_fields::for_entity(&state.db, ACCOUNT.name).await?;
    let filters = parse_filters(
        &ACCOUNT,
        &custom,
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(ApiError::bad_request)?;
    Ok(TransferRequest {
        from_user_id,
        to_user_id,
        filters,
    })
}

fn counts_json(counts: &TransferCounts) -> Value {
    let mut object = Map::new();
    for (entity, count) in &counts.0 {
        object.insert((*entity).to_string(), json!(count));
    }
    json!({ "counts": object })
}

/// `POST /api/v1/transfers/preview`: how many records the transfer would move.
pub async fn preview(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let request = parse_request(&state, &body).await?;
    let counts = transfer::preview(&state.db, &auth.actor, &request).await?;
    Ok(Json(counts_json(&counts)))
}

/// `POST /api/v1/transfers`: moves the records, in one transaction.
pub async fn execute(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: ClientIp,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let request = parse_request(&state, &body).await?;
    let counts = transfer::transfer(&state.db, &auth.actor, ip.0.as_deref(), &request).await?;
    Ok(Json(counts_json(&counts)))
}
