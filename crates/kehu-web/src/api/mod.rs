//! `/api/v1`: JSON REST over customers, contacts, orders, users and teams.

pub mod analytics;
pub mod audit;
pub mod json;
pub mod mass_update;
pub mod openapi;
pub mod order_lines;
pub mod people;
pub mod personal_data;
pub mod records;
pub mod related;
pub mod sharing;
pub mod transfer;

use crate::state::AppState;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use kehu_core::entity::{ACCOUNT, CONTACT, ORDER};

/// All API routes, to be nested at `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .nest(
            "/accounts",
            records::routes(&ACCOUNT)
                .merge(personal_data::routes(&ACCOUNT))
                .merge(mass_update::routes(&ACCOUNT)),
        )
        .nest(
            "/contacts",
            records::routes(&CONTACT)
                .merge(personal_data::routes(&CONTACT))
                .merge(mass_update::routes(&CONTACT)),
        )
        .nest("/orders", records::routes(&ORDER))
        .nest("/analytics", analytics::routes())
        .route("/accounts/{id}/contacts", get(related::contacts_of_account))
        .route("/accounts/{id}/timeline", get(related::account_timeline))
        .route("/search", get(related::search))
        .route("/transfers/preview", post(transfer::preview))
        .route("/transfers", post(transfer::execute))
        .route("/audit", get(audit::search))
        .route("/users", get(people::list_users).post(people::create_user))
        .route(
            "/users/{id}",
            get(people::read_user)
                .patch(people::update_user)
                .delete(people::deactivate_user),
        )
        .route("/teams", get(people::list_teams).post(people::create_team))
        .route(
            "/teams/{id}",
            get(people::read_team)
                .patch(people::update_team)
                .delete(people::delete_team),
        )
        .route("/openapi.json", get(openapi_json))
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi::document())
}

/// `/api/docs`: Swagger UI over the OpenAPI document, from the embedded npm assets.
pub async fn docs_page() -> Html<&'static str> {
    Html(DOCS_PAGE)
}

const DOCS_PAGE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Kehu API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/swagger-ui.css"></head>
<body><div id="swagger"></div>
<script src="/assets/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger" });</script>
</body></html>"##;
