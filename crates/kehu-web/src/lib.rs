//! Kehu's web layer: the HTML pages, the `/api/v1` REST API, sign-in and CSRF.
//!
//! A handler reads as: parse input → check permission → call one repository or core
//! function → render. SQL lives in `kehu-db`, rules in `kehu-core`.

pub mod analytics_settings;
pub mod api;
pub mod assets;
pub mod auth;
pub mod error;
pub mod export;
pub mod i18n;
pub mod lists;
pub mod pages;
mod router;
pub mod state;

pub use router::router;
pub use state::{AppState, WebConfig};
