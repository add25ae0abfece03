//! `/api/v1/users` and `/api/v1/teams`. Everyone may read them (to pick owners);
//! changing them needs the admin grants on `user` / `team`.

use super::json::{expected_version, JsonObject};
use super::records::ClientIp;
use crate::auth::password::{check_new_password, hash_password};
use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kehu_core::permission::{Action, Scope};
use kehu_core::FieldErrors;
use kehu_db::events::Origin;
use kehu_db::users::{NewUser, UserChanges};
use kehu_db::{teams, users};
use serde_json::{json, Map, Value};

fn require(auth: &crate::auth::Auth, area: &str, action: Action) -> Result<(), ApiError> {
    if auth.actor.scope(area, action) == Scope::None
        || (action != Action::Read && !auth.actor.may_administer(area))
    {
        Err(ApiError::forbidden())
    } else {
        Ok(())
    }
}

/// Reads the allowed keys of a body, refusing unknown ones.
fn known_keys(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    let mut errors = FieldErrors::default();
    for key in body.keys() {
        if !allowed.contains(&key.as_str()) {
            errors.add(key, "unknown_field", "is not a field of this record");
        }
    }
    errors.into_result().map_err(ApiError::bad_request)
}

fn text_field(body: &Map<String, Value>, key: &str, errors: &mut FieldErrors) -> Option<String> {
    match body.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.add(key, "not_text", "must be a string");
            None
        }
    }
}

fn optional_id(
    body: &Map<String, Value>,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<Option<i64>> {
    match body.get(key) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match v.as_i64() {
            Some(id) if id > 0 => Some(Some(id)),
            _ => {
                errors.add(
                    key,
                    "not_id",
                    "must be the id (a positive integer) of a record",
                );
                None
            }
        },
    }
}

fn string_list(
    body: &Map<String, Value>,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<Vec<String>> {
    match body.get(key) {
        None => None,
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        ),
        Some(_) => {
            errors.add(key, "not_text_list", "must be a list of strings");
            None
        }
    }
}

/// `GET /api/v1/users`.
pub async fn list_users(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    require(&auth, "user", Action::Read)?;
    Ok(Json(json!({"data": users::list(&state.db).await?})))
}

/// `GET /api/v1/users/{id}`.
pub async fn read_user(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    require(&auth, "user", Action::Read)?;
    Ok(Json(json!(users::get(&state.db, id).await?)))
}

/// `POST /api/v1/users`: `username`, `display_name`, `password`, optional `email`, `team_id`, `roles`.
pub async fn create_user(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require(&auth, "user", Action::Create)?;
    known_keys(
        &body,
        &[
            "username",
            "display_name",
            "password",
            "email",
            "team_id",
            "roles",
        ],
    )?;
    let mut errors = FieldErrors::default();
    let username = text_field(&body, "username", &mut errors);
    let display_name = text_field(&body, "display_name", &mut errors);
    let password = text_field(&body, "password", &mut errors);
    let email = text_field(&body, "email", &mut errors);
    let team_id = optional_id(&body, "team_id", &mut errors).flatten();
    let roles = string_list(&body, "roles", &mut errors).unwrap_or_default();
    for (key, value) in [
        ("username", &username),
        ("display_name", &display_name),
        ("password", &password),
    ] {
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            errors.add(key, "required", "is required");
        }
    }
    if let Some(code) = password
        .as_deref()
        .and_then(|p| check_new_password(p).err())
    {
        errors.add("password", code, "must be at least 10 characters");
    }
    if let Some(email) = email.as_deref() {
        if kehu_core::Email::parse(email).is_err() {
            errors.add(
                "email",
                "invalid_email",
                "must be an e-mail address like name@example.com",
            );
        }
    }
    errors.into_result().map_err(ApiError::from_fields)?;
    let hash = hash_password(password.unwrap_or_default())
        .await
        .map_err(ApiError::internal)?;
    let user = users::create(
        &state.db,
        NewUser {
            username: username.unwrap_or_default(),
            display_name: display_name.unwrap_or_default(),
            email,
            password_hash: hash,
            team_id,
            roles,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

/// `PATCH /api/v1/users/{id}`: `version` plus any of `display_name`, `email`, `team_id`, `active`, `roles`.
pub async fn update_user(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: ClientIp,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    require(&auth, "user", Action::Edit)?;
    known_keys(
        &body,
        &[
            "version",
            "display_name",
            "email",
            "team_id",
            "active",
            "roles",
        ],
    )?;
    let version = expected_version(&body)?;
    let mut errors = FieldErrors::default();
    let changes = UserChanges {
        display_name: text_field(&body, "display_name", &mut errors),
        email: body
            .get("email")
            .map(|_| text_field(&body, "email", &mut errors)),
        team_id: optional_id(&body, "team_id", &mut errors),
        active: match body.get("active") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                errors.add("active", "not_boolean", "must be true or false");
                None
            }
        },
        roles: string_list(&body, "roles", &mut errors),
    };
    errors.into_result().map_err(ApiError::from_fields)?;
    if id == auth.user.id && changes.active == Some(false) {
        let mut fields = FieldErrors::default();
        fields.add(
            "active",
            "self_deactivation",
            "you cannot deactivate yourself",
        );
        return Err(ApiError::invalid(fields));
    }
    Ok(Json(json!(
        users::update(
            &state.db,
            &Origin::user(auth.user.id, ip.0.clone()),
            id,
            version,
            changes
        )
        .await?
    )))
}

/// `DELETE /api/v1/users/{id}`: deactivates (users are never erased, their records stay).
pub async fn deactivate_user(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ip: ClientIp,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    require(&auth, "user", Action::Delete)?;
    if id == auth.user.id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "self_deactivation",
            "you cannot deactivate yourself",
        ));
    }
    let user = users::get(&state.db, id).await?;
    users::update(
        &state.db,
        &Origin::user(auth.user.id, ip.0.clone()),
        id,
        user.version,
        UserChanges {
            active: Some(false),
            ..Default::default()
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/teams`.
pub async fn list_teams(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    require(&auth, "team", Action::Read)?;
    Ok(Json(json!({"data": teams::list(&state.db).await?})))
}

/// `GET /api/v1/teams/{id}`.
pub async fn read_team(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    require(&auth, "team", Action::Read)?;
    Ok(Json(json!(teams::get(&state.db, id).await?)))
}

/// `POST /api/v1/teams`: `name`, optional `parent_id`.
pub async fn create_team(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    require(&auth, "team", Action::Create)?;
    known_keys(&body, &["name", "parent_id"])?;
    let mut errors = FieldErrors::default();
    let name = text_field(&body, "name", &mut errors).unwrap_or_default();
    let parent_id = optional_id(&body, "parent_id", &mut errors).flatten();
    errors.into_result().map_err(ApiError::from_fields)?;
    Ok((
        StatusCode::CREATED,
        Json(json!(teams::create(&state.db, &name, parent_id).await?)),
    ))
}

/// `PATCH /api/v1/teams/{id}`: `version`, `name`, `parent_id`, `manager_id` (the user who
/// sees and edits the records of the team and its sub-teams; `null` for none).
pub async fn update_team(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    require(&auth, "team", Action::Edit)?;
    known_keys(&body, &["version", "name", "parent_id", "manager_id"])?;
    let version = expected_version(&body)?;
    let current = teams::get(&state.db, id).await?;
    let mut errors = FieldErrors::default();
    let name = text_field(&body, "name", &mut errors).unwrap_or(current.name);
    let parent_id = optional_id(&body, "parent_id", &mut errors).unwrap_or(current.parent_id);
    let manager_id = optional_id(&body, "manager_id", &mut errors).unwrap_or(current.manager_id);
    errors.into_result().map_err(ApiError::from_fields)?;
    let changes = teams::TeamChanges {
        name,
        parent_id,
        manager_id,
    };
    Ok(Json(json!(
        teams::update(&state.db, id, version, &changes).await?
    )))
}

/// `DELETE /api/v1/teams/{id}`: only a team without members or sub-teams.
pub async fn delete_team(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    require(&auth, "team", Action::Delete)?;
    teams::delete(&state.db, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
