//! Who is asking: the session cookie or an `Authorization: Bearer` API token.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kehu_core::permission::Actor;
use kehu_db::users::User;
use kehu_db::{auth, users};
use std::sync::Arc;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "kehu_session";

/// How the request was authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session; forms and API calls must echo its CSRF token.
    Session {
        /// The token to echo.
        csrf_token: String,
    },
    /// An API token (no cookies, so no CSRF risk).
    Token,
}

/// The signed-in user with their permissions.
#[derive(Debug, Clone)]
pub struct Auth {
    /// The user (shared with the server's permission cache).
    pub user: Arc<User>,
    /// Their permission view.
    pub actor: Arc<Actor>,
    /// How they signed in.
    pub credential: Credential,
    /// The database's `auth_epoch` when the request was authenticated: what the
    /// server's caches are valid for (see [`crate::auth::cache`]).
    pub epoch: i64,
}

impl Auth {
    /// The CSRF token pages put into forms (empty for API tokens).
    pub fn csrf_token(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf_token } => csrf_token,
            Credential::Token => "",
        }
    }
}

/// Finds the caller, if any, from the request head. Cached in the request extensions so
/// that middleware and handlers share one lookup.
pub async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Option<Auth>, ApiError> {
    if let Some(cached) = parts.extensions.get::<Option<Auth>>() {
        return Ok(cached.clone());
    }
    let found = lookup(parts, state).await?;
    parts.extensions.insert(found.clone());
    Ok(found)
}

async fn lookup(parts: &Parts, state: &AppState) -> Result<Option<Auth>, ApiError> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let signed_in = if let Some(token) = bearer {
        auth::signed_in_by_api_token(&state.db, token).await?
    } else {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(cookie) = jar.get(SESSION_COOKIE) else {
            return Ok(None);
        };
        auth::signed_in_by_session(&state.db, cookie.value()).await?
    };
    let Some(signed_in) = signed_in else {
        return Ok(None);
    };
    let credential = match signed_in.csrf_token {
        Some(csrf_token) => Credential::Session { csrf_token },
        None => Credential::Token,
    };
    let epoch = signed_in.permissions_epoch;
    let (user, actor) = match state.permissions.get(&signed_in.user_id, epoch) {
        Some(cached) => cached,
        None => {
            let user = users::get(&state.db, signed_in.user_id).await?;
            let actor = Arc::new(users::actor(&state.db, &user).await?);
            let user = Arc::new(user);
            state
                .permissions
                .put(epoch, user.id, (user.clone(), actor.clone()));
            (user, actor)
        }
    };
    if !user.active {
        return Ok(None);
    }
    Ok(Some(Auth {
        user,
        actor,
        credential,
        epoch,
    }))
}

pub struct ApiAuth(pub Auth);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state)
            .await?
            .map(ApiAuth)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// Extractor for HTML pages: sends the browser to the sign-in page when nobody is signed in.
pub struct PageAuth(pub Auth);

impl FromRequestParts<AppState> for PageAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await {
            Ok(Some(auth)) => Ok(PageAuth(auth)),
            Ok(None) => Err(Redirect::to(&login_url(&parts.uri)).into_response()),
            Err(error) => Err(error.into_response()),
        }
    }
}

/// The sign-in page URL that comes back to `uri` afterwards.
pub fn login_url(uri: &Uri) -> String {
    let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let encoded: String = back
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/login?next={encoded}")
}
