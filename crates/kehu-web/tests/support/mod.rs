//! Calling the router in-process (tower `oneshot`) with an API token, for the web tests
//! that include this module. They also include `kehu-db`'s `tests/common` for databases.

#![allow(dead_code)]

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::Value as Json;
use tower::ServiceExt;

/// Sends one request with a bearer token; gives the status and the raw body.
pub async fn call_raw(
    app: &Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Json>,
) -> (StatusCode, Vec<u8>) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, bytes.to_vec())
}

/// Sends one request with a bearer token; gives the status and the body as JSON (or as a
/// JSON string when it is not JSON, e.g. a CSV export).
pub async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Json>,
) -> (StatusCode, Json) {
    let (status, bytes) = call_raw(app, method, uri, token, body).await;
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, json)
}
