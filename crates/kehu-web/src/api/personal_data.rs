//! `/api/v1/{accounts,contacts}/{id}/personal-data`, `…/erase` and `…/consent`: a
//! person's data export, their erasure, and their consent to be contacted. Only contacts
//! and customers of kind `individual` are people; others answer 422 `not_a_person`.

use super::json::JsonObject;
use super::records::ClientIp;
use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use kehu_core::consent::{Channel, Source};
use kehu_core::entity::EntityDef;
use kehu_core::permission::Action;
use kehu_core::FieldErrors;
use kehu_db::consent::{self, Consent, ConsentChange};
use kehu_db::personal_data;
use serde_json::{json, Map, Value};

/// The personal-data routes of one entity, merged into its `/api/v1/<table>` router.
pub fn routes(entity: &'static EntityDef) -> Router<AppState> {
    Router::new()
        .route(
            "/{id}/personal-data",
            get(move |auth, state, ip, id| export(entity, auth, state, ip, id)),
        )
        .route(
            "/{id}/erase",
            post(move |auth, state, ip, id, body| erase(entity, auth, state, ip, id, body)),
        )
        .route(
            "/{id}/consent",
            get(move |auth, state, id| read_consent(entity, auth, state, id)).patch(
                move |auth, state, ip, id, body| set_consent(entity, auth, state, ip, id, body),
            ),
        )
}

/// The export as a JSON download.
async fn export(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let document = personal_data::export(&state.db, entity, &auth.actor, ip.as_deref(), id).await?;
    let body = serde_json::to_string_pretty(&document).map_err(ApiError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{id}-personal-data.json\"",
                    entity.name
                ),
            ),
        ],
        body,
    )
        .into_response())
}

/// `{"confirm": "<the record's current name>"}`: erasure is irreversible, so the caller
/// names what they erase.
async fn erase(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let mut errors = FieldErrors::default();
    for key in body.keys().filter(|k| *k != "confirm") {
        errors.add(key, "unknown_field", "only `confirm` is accepted");
    }
    errors.into_result().map_err(ApiError::bad_request)?;
    let confirm = body.get("confirm").and_then(Value::as_str).unwrap_or("");
    let record =
        personal_data::erase(&state.db, entity, &auth.actor, ip.as_deref(), id, confirm).await?;
    Ok(Json(record.to_json()))
}

/// Consents by channel; `null` where the person never answered (which means no).
pub fn consent_json(consents: &[Consent]) -> Value {
    let mut object = Map::new();
    for channel in Channel::ALL {
        let value = consents
            .iter()
            .find(|c| c.channel == channel)
            .map(|c| json!(c))
            .unwrap_or(Value::Null);
        object.insert(channel.as_str().to_string(), value);
    }
    Value::Object(object)
}

async fn read_consent(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let visibility = auth.actor.visibility(entity.name, Action::Read);
    let consents = consent::of_record(&state.db, entity, &visibility, id).await?;
    Ok(Json(consent_json(&consents)))
}

/// `{"email": {"granted": true, "source": "web_form", "given_at": "2026-05-01"}, …}`:
/// the channels given are set, the others left as they are.
async fn set_consent(
    entity: &'static EntityDef,
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    // A record the caller cannot read is a 404 before the body is looked at.
    consent::of_record(
        &state.db,
        entity,
        &auth.actor.visibility(entity.name, Action::Read),
        id,
    )
    .await?;
    let changes = parse_consent(&body)?;
    let consents = consent::set(&state.db, entity, &auth.actor, ip.as_deref(), id, &changes)
        .await
        .map_err(|e| match e {
            // Readable (checked above) but not editable.
            kehu_db::DbError::NotFound => ApiError::forbidden(),
            other => other.into(),
        })?;
    Ok(Json(consent_json(&consents)))
}

fn parse_consent(body: &Map<String, Value>) -> Result<Vec<ConsentChange>, ApiError> {
    let mut errors = FieldErrors::default();
    let mut changes = Vec::new();
    for (key, value) in body {
        let Some(channel) = Channel::parse(key) else {
            errors.add(key, "unknown_field", "channels are email, call and message");
            continue;
        };
        let Some(answer) = value.as_object() else {
            errors.add(
                key,
                "not_object",
                "must be an object with granted and source",
            );
            continue;
        };
        for extra in answer
            .keys()
            .filter(|k| !["granted", "source", "given_at"].contains(&k.as_str()))
        {
            errors.add(
                format!("{key}.{extra}"),
                "unknown_field",
                "is not part of a consent",
            );
        }
        let granted = answer.get("granted").and_then(Value::as_bool);
        if granted.is_none() {
            errors.add(
                format!("{key}.granted"),
                "required",
                "must be true or false",
            );
        }
        let source = answer
            .get("source")
            .and_then(Value::as_str)
            .and_then(Source::parse);
        if source.is_none() {
            errors.add(
                format!("{key}.source"),
                "invalid_choice",
                "must be one of web_form, phone, email, import, manual",
            );
        }
        let given_at = match answer.get("given_at") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => parse_given_at(text).map(Some).ok_or(()),
            Some(_) => Err(()),
        };
        if given_at.is_err() {
            errors.add(
                format!("{key}.given_at"),
                "invalid_date",
                "must be a date (2026-05-01) or time (RFC 3339), not in the future",
            );
        }
        if let (Some(granted), Some(source), Ok(given_at)) = (granted, source, given_at) {
            changes.push(ConsentChange {
                channel,
                granted,
                source,
                given_at,
            });
        }
    }
    if changes.is_empty() && errors.0.is_empty() {
        errors.add("email", "required", "give at least one channel");
    }
    errors.into_result().map_err(ApiError::invalid)?;
    Ok(changes)
}

/// A consent date: a day (taken as its start, UTC) or a timestamp; never in the future.
pub fn parse_given_at(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let at = match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.with_timezone(&Utc),
        Err(_) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
            .and_utc(),
    };
    (at <= Utc::now()).then_some(at)
}
