//! `GET /api/v1/audit`: the audit log for admins, searched by user, record, action and
//! time. There is deliberately no route that changes or deletes events.

use crate::auth::ApiAuth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use kehu_core::FieldErrors;
use kehu_db::events::{self, AuditQuery};
use serde_json::{json, Value};

/// Events per page.
pub const PAGE_SIZE: u64 = 100;

/// Reads the search parameters shared by the API and the admin page: `user_id`, `entity`,
/// `record_id`, `action`, `from` and `until` (dates or RFC 3339 times), `before_id`.
pub fn parse_audit_query(params: &[(String, String)]) -> Result<AuditQuery, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut query = AuditQuery::default();
    for (key, value) in params {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let id = |errors: &mut FieldErrors| match value.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.add(key, "not_id", "must be a positive integer");
                None
            }
        };
        match key.as_str() {
            "user_id" => query.actor_id = id(&mut errors),
            "record_id" => query.record_id = id(&mut errors),
            "before_id" => query.before_id = id(&mut errors),
            "entity" => query.entity = Some(value.to_string()),
            "action" => query.action = Some(value.to_string()),
            "from" => query.from = time(value, 0, key, &mut errors),
            // A date as the end means "up to the end of that day".
            "until" => query.until = time(value, 1, key, &mut errors),
            _ => errors.add(
                key,
                "unknown_filter",
                "is not a search parameter of the audit log",
            ),
        }
    }
    errors.into_result().map(|()| query)
}

fn time(
    value: &str,
    days_after: i64,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(date) => Some(
            (date + chrono::Duration::days(days_after))
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc(),
        ),
        Err(_) => {
            errors.add(
                key,
                "invalid_date",
                "must be a date (YYYY-MM-DD) or an RFC 3339 time",
            );
            None
        }
    }
}

/// `GET /api/v1/audit`.
pub async fn search(
    ApiAuth(auth): ApiAuth,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    if !auth.actor.may_administer("user") {
        return Err(ApiError::forbidden());
    }
    let query = parse_audit_query(&params).map_err(ApiError::bad_request)?;
    let found = events::search(&state.db, &query, PAGE_SIZE).await?;
    let next_before_id = (found.len() as u64 == PAGE_SIZE)
        .then(|| found.last().map(|e| e.id))
        .flatten();
    Ok(Json(
        json!({ "data": found, "next_before_id": next_before_id }),
    ))
}
