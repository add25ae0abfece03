//! `/login` and `/logout`: the sign-in form, the session cookie, signing out.

use super::ctx::{accept_language, Layout};
use super::render::{render, render_status, see_other};
use super::url::local_or_home;
use crate::api::records::ClientIp;
use crate::auth::extract::authenticate;
use crate::auth::sign_in::{sign_in, SignInError};
use crate::auth::{Auth, SESSION_COOKIE};
use crate::i18n::{Locale, Tr};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

/// The signed-in user, if any (pages that also work signed out).
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(parts, state)
            .await
            .map(MaybeAuth)
            .map_err(IntoResponse::into_response)
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    t: Tr,
    next: String,
    username: String,
    error: Option<String>,
}

impl LoginPage {
    fn new(t: Tr, next: &str, username: &str, error: Option<String>) -> LoginPage {
        LoginPage {
            l: Layout::public(t, t.t("login.title")),
            t,
            next: local_or_home(Some(next)),
            username: username.to_string(),
            error,
        }
    }
}

fn browser_tr(headers: &HeaderMap) -> Tr {
    Tr::new(Locale::negotiate(None, accept_language(headers)))
}

/// Where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// `GET /login`: the form, or straight on when already signed in.
pub async fn form(
    MaybeAuth(auth): MaybeAuth,
    headers: HeaderMap,
    Query(params): Query<NextParam>,
) -> Response {
    let next = local_or_home(params.next.as_deref());
    if auth.is_some() {
        return see_other(&next);
    }
    render(&LoginPage::new(browser_tr(&headers), &next, "", None))
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: checks the password, sets the session cookie, goes to `next`.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(input): Form<LoginForm>,
) -> Response {
    let t = browser_tr(&headers);
    match sign_in(&state, &input.username, &input.password, ip.as_deref()).await {
        Ok(signed_in) => {
            let cookie = Cookie::build((SESSION_COOKIE, signed_in.token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.config.secure_cookies)
                .build();
            (
                jar.add(cookie),
                see_other(&local_or_home(Some(&input.next))),
            )
                .into_response()
        }
        Err(SignInError::Invalid) => {
            let page = LoginPage::new(
                t,
                &input.next,
                &input.username,
                Some(t.t("login.wrong_password").to_string()),
            );
            render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(SignInError::Locked(until)) => {
            let message = t.fmt(
                "login.locked",
                &[("time", &super::format::time_of_day(until))],
            );
            render_status(
                StatusCode::TOO_MANY_REQUESTS,
                &LoginPage::new(t, &input.next, &input.username, Some(message)),
            )
        }
        Err(SignInError::Internal(error)) => {
            tracing::error!(%error, "sign-in failed");
            let page = LoginPage::new(
                t,
                &input.next,
                &input.username,
                Some(t.t("error_page.internal_text").to_string()),
            );
            render_status(StatusCode::INTERNAL_SERVER_ERROR, &page)
        }
    }
}

/// `POST /logout`: ends the session in the database and clears the cookie.
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        if let Err(error) = kehu_db::auth::delete_session(&state.db, cookie.value()).await {
            tracing::error!(%error, "could not delete session");
        }
    }
    let removal = Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax);
    (jar.remove(removal), see_other("/login")).into_response()
}
