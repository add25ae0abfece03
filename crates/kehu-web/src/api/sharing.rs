//! `/api/v1/<table>/{id}/shares`: who else a record is shared with; share and revoke.

use super::json::JsonObject;
use super::records::ClientIp;
use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use kehu_core::entity::EntityDef;
use kehu_core::FieldErrors;
use kehu_db::shares::{self, ShareAccess, ShareTarget};
use serde_json::{json, Map, Value};

/// The sharing routes of one entity, merged into its `/api/v1/<table>` router.
pub fn routes(entity: &'static EntityDef) -> Router<AppState> {
    Router::new()
        .route(
            "/{id}/shares",
            get(move |auth, state, id| list(entity, auth, state, id))
                .post(move |auth, state, ip, id, body| share(entity, auth, state, ip, id, body)),
        )
        .route(
            "/{id}/shares/{share_id}",
            delete(move |auth, state, ip, ids| revoke(entity, auth, state, ip, ids)),
        )
}

async fn list(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let shares = shares::list(&state.db, entity, &auth.actor, id).await?;
    Ok(Json(json!({ "data": shares })))
}

/// Reads `{"user_id": N}` or `{"team_id": N}` plus `"access": "read" | "write"`.
pub fn parse_share(body: &Map<String, Value>) -> Result<(ShareTarget, ShareAccess), ApiError> {
    let mut errors = FieldErrors::default();
    for key in body.keys() {
        if !["user_id", "team_id", "access"].contains(&key.as_str()) {
            errors.add(key, "unknown_field", "is not a field of a share");
        }
    }
    errors.into_result().map_err(ApiError::bad_request)?;
    let id_of = |key: &str, errors: &mut FieldErrors| match body.get(key) {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_i64() {
            Some(id) if id > 0 => Some(id),
            _ => {
                errors.add(
                    key,
                    "not_id",
                    "must be the id (a positive integer) of a record",
                );
                None
            }
        },
    };
    let mut errors = FieldErrors::default();
    let user = id_of("user_id", &mut errors);
    let team = id_of("team_id", &mut errors);
    errors.into_result().map_err(ApiError::bad_request)?;
    let mut errors = FieldErrors::default();
    let target = match (user, team) {
        (Some(user), None) => ShareTarget::User(user),
        (None, Some(team)) => ShareTarget::Team(team),
        _ => {
            errors.add("user_id", "one_target", "give either user_id or team_id");
            return Err(ApiError::invalid(errors));
        }
    };
    let access = match body.get("access").and_then(Value::as_str) {
        Some("read") => ShareAccess::Read,
        Some("write") => ShareAccess::Write,
        _ => {
            errors.add("access", "invalid_choice", "must be \"read\" or \"write\"");
            return Err(ApiError::invalid(errors));
        }
    };
    Ok((target, access))
}

async fn share(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: ClientIp,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let (target, access) = parse_share(&body)?;
    let share = shares::share(
        &state.db,
        entity,
        &auth.actor,
        ip.0.as_deref(),
        id,
        target,
        access,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(share))).into_response())
}

async fn revoke(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: ClientIp,
    Path((id, share_id)): Path<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    shares::revoke(
        &state.db,
        entity,
        &auth.actor,
        ip.0.as_deref(),
        id,
        share_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
