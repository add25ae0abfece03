//! CSRF protection: every state-changing request that is authenticated by the session
//! cookie must carry the session's token, in the `X-CSRF-Token` header (htmx, fetch) or
//! in a `csrf_token` form field. API-token requests carry no cookie and are exempt.

use super::extract::{authenticate, Credential};
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Header that carries the token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The middleware; add it to the router with `axum::middleware::from_fn_with_state`.
pub async fn require_csrf_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let expected = match authenticate(&mut parts, &state).await {
        Ok(Some(auth)) => match auth.credential {
            Credential::Session { csrf_token } => csrf_token,
            Credential::Token => return next.run(Request::from_parts(parts, body)).await,
        },
        // Not signed in: the handler decides (sign-in form, 401).
        Ok(None) => return next.run(Request::from_parts(parts, body)).await,
        Err(error) => return error.into_response(),
    };
    if let Some(sent) = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(sent, &expected) {
            next.run(Request::from_parts(parts, body)).await
        } else {
            refuse()
        };
    }
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refuse();
    }
    let bytes = match to_bytes(body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is too large",
            )
            .into_response()
        }
    };
    let sent = form_urlencoded_value(&bytes, "csrf_token");
    if sent
        .as_deref()
        .is_some_and(|s| constant_time_eq(s, &expected))
    {
        next.run(Request::from_parts(parts, Body::from(bytes)))
            .await
    } else {
        refuse()
    }
}

fn refuse() -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "csrf_failed",
        "the form expired or came from another site; reload the page and try again",
    )
    .into_response()
}

fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    serde_urlencoded_pairs(body)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Decodes `a=b&c=d` pairs (`+` as space, percent escapes).
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter_map(|pair| {
            let mut halves = pair.splitn(2, |b| *b == b'=');
            Some((
                percent_decode(halves.next()?),
                percent_decode(halves.next().unwrap_or_default()),
            ))
        })
        .collect()
}

fn percent_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_token_from_a_form_body() {
        let body = b"name=%E5%BC%A0%E4%BC%9F&csrf_token=abc%2Bdef&x=";
        assert_eq!(
            form_urlencoded_value(body, "csrf_token").as_deref(),
            Some("abc+def")
        );
        assert_eq!(form_urlencoded_value(body, "name").as_deref(), Some("张伟"));
        assert_eq!(form_urlencoded_value(b"a=1", "csrf_token"), None);
    }

    #[test]
    fn compares_tokens_fully() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
