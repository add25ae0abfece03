//! The server-rendered HTML interface (askama templates + htmx): sign-in, home, customer
//! and contact lists, forms and 360° pages, search, recycle bin and administration.
//!
//! Handlers stay thin: parse the request, check permission, call one repository
//! function, render a template. Every string comes from the catalogue ([`crate::i18n`]).

pub mod account_value;
pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod contacts;
pub mod ctx;
pub mod format;
pub mod home;
pub mod login;
pub mod lookup;
pub mod personal_data;
pub mod profile;
pub mod records;
pub mod recycle_bin;
pub mod render;
pub mod search;
pub mod settings;
pub mod sharing;
pub mod timeline;
pub mod url;

use crate::i18n::Tr;
use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;
use kehu_core::FieldErrors;
use std::collections::HashMap;

/// One choice of a select, check-box group or radio group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectOption {
    /// The submitted value.
    pub value: String,
    /// What the user reads.
    pub label: String,
    /// Whether it is chosen.
    pub selected: bool,
}

/// Translated errors of a form, by field name, for showing each under its input.
#[derive(Debug, Default)]
pub struct FormErrors(pub HashMap<String, String>);

impl FormErrors {
    /// Translates validation errors.
    pub fn translate(t: Tr, errors: &FieldErrors) -> FormErrors {
        FormErrors(
            errors
                .0
                .iter()
                .map(|(k, e)| (k.clone(), t.error(e)))
                .collect(),
        )
    }

    /// The error of a field.
    pub fn of(&self, field: impl AsRef<str>) -> Option<&str> {
        self.0.get(field.as_ref()).map(String::as_str)
    }

    /// Whether a field has an error.
    pub fn has(&self, field: impl AsRef<str>) -> bool {
        self.0.contains_key(field.as_ref())
    }
}

/// A one-line message after a redirect (`?notice=deleted`), from a fixed set of keys so
/// that a link cannot make the page say anything else.
pub struct Notice;

impl Notice {
    /// The translated notice named by the `notice` parameter, if it is a known one.
    pub fn from_params(t: Tr, params: &[(String, String)]) -> Option<String> {
        let (_, key) = params.iter().find(|(k, _)| k == "notice")?;
        if !key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return None;
        }
        t.lookup(&format!("notice.{key}")).map(str::to_string)
    }
}

/// Every HTML page route; the application router merges it with the API.
pub fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/", get(home::home))
        .route("/search", get(search::search))
        .route("/settings/locale", post(settings::set_locale))
        .merge(records::routes(&records::ACCOUNT_PAGES))
        .merge(records::routes(&records::CONTACT_PAGES))
        .merge(sharing::routes())
        .merge(personal_data::routes())
        .route("/accounts/{id}", get(accounts::show))
        .route("/accounts/{id}/timeline", get(accounts::timeline_more))
        .route("/contacts/{id}", get(contacts::show))
        .route("/contacts/options/accounts", get(contacts::account_options))
        .route(
            "/contacts/options/reports-to",
            get(contacts::reports_to_options),
        )
        .route("/recycle-bin", get(recycle_bin::list))
        .route(
            "/recycle-bin/{table}/{id}/restore",
            post(recycle_bin::restore),
        )
        .merge(admin::routes())
        .merge(analytics::routes())
}
