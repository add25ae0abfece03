//! The whole HTTP application: pages, API, assets, and the layers around them.

use crate::auth::csrf::require_csrf_token;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Builds the application for a state; tests call it directly with `oneshot`.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .nest("/api/v1", crate::api::routes())
        .route("/api/docs", get(crate::api::docs_page))
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::pages::page_routes())
        .merge(crate::assets::asset_router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_csrf_token,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
