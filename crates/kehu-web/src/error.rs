//! The API's error type: a status, a stable code, a message and per-field messages.
//! Internal errors are logged with their details and shown to clients only as
//! "internal error".

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kehu_core::FieldErrors;
use kehu_db::DbError;
use serde_json::json;

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code, e.g. `not_found`, `validation_failed`, `version_conflict`.
    pub code: &'static str,
    /// English message for people.
    pub message: String,
    /// Field name → error, when input was refused.
    pub fields: FieldErrors,
}

impl ApiError {
    /// An error without field details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: FieldErrors::default(),
        }
    }

    /// 404: the record does not exist or the caller may not see it.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such record")
    }

    /// 401: no valid session or token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in or send a valid API token",
        )
    }

    /// 403: signed in but not allowed (used where existence is not secret, e.g. admin areas).
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "you are not allowed to do this",
        )
    }

    /// 400 with field errors for malformed requests (unknown fields, filters, sort).
    pub fn bad_request(fields: FieldErrors) -> Self {
        ApiError {
            fields,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request is not valid",
            )
        }
    }

    /// 422 with field errors for values that break the rules.
    pub fn invalid(fields: FieldErrors) -> Self {
        ApiError {
            fields,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "some fields are not valid",
            )
        }
    }

    /// 500, logging the cause.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// Splits validation errors into 400 (request shape) or 422 (values).
    pub fn from_fields(fields: FieldErrors) -> Self {
        let shape_error = fields.0.values().any(|e| {
            matches!(
                e.code.as_str(),
                "unknown_field"
                    | "read_only"
                    | "unknown_filter"
                    | "unknown_sort"
                    | "invalid_cursor"
                    | "not_text"
                    | "not_integer"
                    | "not_id"
                    | "not_text_list"
                    | "not_object"
                    | "not_number"
            )
        });
        if shape_error {
            Self::bad_request(fields)
        } else {
            Self::invalid(fields)
        }
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => ApiError::not_found(),
            DbError::Forbidden => ApiError::forbidden(),
            DbError::StaleVersion { current } => ApiError::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!("someone else changed this record (it is now at version {current}); reload it and apply your change again"),
            ),
            DbError::Invalid(fields) => ApiError::from_fields(fields),
            DbError::Internal(cause) => ApiError::internal(format!("{cause:#}")),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": {"code": self.code, "message": self.message, "fields": self.fields}});
        (self.status, Json(body)).into_response()
    }
}
