//! A JSON body extractor whose rejections use the API's error format: invalid JSON is a
//! 400, a body over the limit a 413, a non-object body a 400.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde_json::{Map, Value as Json};

/// A JSON object sent as the request body.
pub struct JsonObject(pub Map<String, Json>);

impl FromRequest<AppState> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the request body is too large",
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        "could not read the request body",
                    )
                }
            })?;
        match serde_json::from_slice::<Json>(&bytes) {
            Ok(Json::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the body must be a JSON object",
            )),
            Err(error) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!(
                    "the body is not valid JSON (line {}, column {})",
                    error.line(),
                    error.column()
                ),
            )),
        }
    }
}

/// Reads the required `version` field of an update body.
pub fn expected_version(body: &Map<String, Json>) -> Result<i64, ApiError> {
    match body.get("version") {
        Some(v) => v.as_i64().ok_or_else(|| {
            let mut fields = kehu_core::FieldErrors::default();
            fields.add("version", "not_integer", "must be the version you read");
            ApiError::bad_request(fields)
        }),
        None => {
            let mut fields = kehu_core::FieldErrors::default();
            fields.add(
                "version",
                "required",
                "send the version you read, so that concurrent changes are not lost",
            );
            Err(ApiError::bad_request(fields))
        }
    }
}
