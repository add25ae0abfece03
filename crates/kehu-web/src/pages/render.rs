//! Turning templates into responses, and the pages shown when something fails: a 404
//! for records the user may not see (never a 403 that would confirm they exist), a 500
//! that hides the cause (logged instead).

use super::ctx::{Ctx, Layout};
use crate::i18n::Tr;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kehu_db::DbError;

/// Renders a template as an HTML response with a status.
pub fn render_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Renders a template as a 200 HTML response.
pub fn render(template: &impl Template) -> Response {
    render_status(StatusCode::OK, template)
}

/// 303 See Other: where a successful form post sends the browser (POST-redirect-GET).
pub fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// A page that could not be shown, already rendered (boxed: a `Response` is large and
/// travels through every `?`).
pub struct PageError(Box<Response>);

impl PageError {
    /// Wraps a rendered error response.
    pub fn new(response: Response) -> PageError {
        PageError(Box::new(response))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    t: Tr,
    heading: String,
    message: String,
}

impl Ctx {
    /// The "not found" page.
    pub fn not_found(&self) -> PageError {
        self.error_page(
            StatusCode::NOT_FOUND,
            "error_page.not_found_title",
            "error_page.not_found_text",
        )
    }

    /// A page for a repository failure: 404 for missing or invisible records, 500 (with
    /// the cause logged) for anything unexpected.
    pub fn fail(&self, error: DbError) -> PageError {
        match error {
            DbError::NotFound => self.not_found(),
            DbError::Forbidden => self.error_page(
                StatusCode::FORBIDDEN,
                "error_page.forbidden_title",
                "error_page.forbidden_text",
            ),
            DbError::StaleVersion { .. } => self.error_page(
                StatusCode::CONFLICT,
                "error_page.conflict_title",
                "conflict.record",
            ),
            DbError::Invalid(fields) => {
                let messages: Vec<String> = fields.0.values().map(|e| self.t.error(e)).collect();
                let page = ErrorPage {
                    l: self.layout(self.t.t("error_page.invalid_title"), ""),
                    t: self.t,
                    heading: self.t.t("error_page.invalid_title").to_string(),
                    message: messages.join("; "),
                };
                PageError::new(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            DbError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "page failed");
                self.error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error_page.internal_title",
                    "error_page.internal_text",
                )
            }
        }
    }

    /// A page for an unexpected failure outside the database (hashing, templates).
    pub fn internal(&self, cause: impl std::fmt::Display) -> PageError {
        tracing::error!(error = %cause, "page failed");
        self.error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "error_page.internal_title",
            "error_page.internal_text",
        )
    }

    fn error_page(&self, status: StatusCode, title: &str, text: &str) -> PageError {
        let page = ErrorPage {
            l: self.layout(self.t.t(title), ""),
            t: self.t,
            heading: self.t.t(title).to_string(),
            message: self.t.t(text).to_string(),
        };
        let mut response = render_status(status, &page);
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        PageError::new(response)
    }
}

/// Maps repository errors to error pages with `?`.
pub trait OrPage<T> {
    /// The value, or the error page for the failure.
    fn or_page(self, ctx: &Ctx) -> Result<T, PageError>;
}

impl<T> OrPage<T> for Result<T, DbError> {
    fn or_page(self, ctx: &Ctx) -> Result<T, PageError> {
        self.map_err(|e| ctx.fail(e))
    }
}
