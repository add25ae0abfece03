//! Calling the router in-process (tower `oneshot`), for the web tests that include this
//! module: requests with an API token (JSON or form bodies, any extra headers) and the
//! response as the tests read it. They also include `kehu-db`'s `tests/common` for
//! databases.

#![allow(dead_code)]

use axum::body::{to_bytes, Body};
use axum::http::{header, request, HeaderMap, Request, StatusCode};
use axum::Router;
use kehu_web::pages::url::query_string;
use serde_json::Value as Json;
use tower::ServiceExt;

/// A response: status, headers and the whole body.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The body as JSON, or as a JSON string when it is not JSON (a CSV export, a page).
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|_| Json::String(self.text()))
    }

    /// The `Content-Type` header, or "".
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `Location` header of a redirect, or "".
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// Sends any request.
pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        bytes,
    }
}

/// A request signed with a bearer token, for more headers before its body.
pub fn bearer(method: &str, uri: &str, token: &str) -> request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
}

/// The request with a JSON body (and its content type), or with none.
pub fn with_json(builder: request::Builder, body: Option<Json>) -> Request<Body> {
    match body {
        Some(json) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

/// The request with a form body, as a browser posts one.
pub fn with_form(builder: request::Builder, pairs: &[(String, String)]) -> Request<Body> {
    builder
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(query_string(pairs)))
        .unwrap()
}

/// Sends one request with a bearer token; gives the status and the raw body.
pub async fn call_raw(
    app: &Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<Json>,
) -> (StatusCode, Vec<u8>) {
    let reply = send(app, with_json(bearer(method, uri, token), body)).await;
    (reply.status, reply.bytes)
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
    let reply = send(app, with_json(bearer(method, uri, token), body)).await;
    (reply.status, reply.json())
}
