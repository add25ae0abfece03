//! `/admin/...`: users, teams, roles, picklists and custom fields. Each area needs its
//! administration grant; to anyone else the pages do not exist (404).

pub mod analytics;
pub mod audit;
mod audit_text;
pub mod custom_fields;
pub mod picklists;
pub mod roles;
pub mod teams;
pub mod transfer;
pub mod users;

use super::ctx::{Ctx, ADMIN_AREAS};
use super::render::{see_other, PageError, PageResult};
use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;

/// A tab of the administration pages.
pub struct Tab {
    /// Link.
    pub link: String,
    /// Label.
    pub label: String,
    /// Whether it is the page shown.
    pub current: bool,
}

/// The tabs the user may open, `current` highlighted.
pub fn tabs(ctx: &Ctx, current: &str) -> Vec<Tab> {
    ADMIN_AREAS
        .iter()
        .filter(|(_, area)| ctx.actor().may_administer(area))
        .map(|(page, _)| Tab {
            link: format!("/admin/{page}"),
            label: ctx
                .t
                .t(&format!("admin.tab_{}", page.replace('-', "_")))
                .to_string(),
            current: *page == current,
        })
        .collect()
}

/// Refuses (as "not found") users without the area's administration grant.
pub fn require(ctx: &Ctx, area: &str) -> Result<(), PageError> {
    if ctx.actor().may_administer(area) {
        Ok(())
    } else {
        Err(ctx.not_found())
    }
}

/// `GET /admin`: the first area the user may administer.
async fn index(ctx: Ctx) -> PageResult {
    match ADMIN_AREAS
        .iter()
        .find(|(_, area)| ctx.actor().may_administer(area))
    {
        Some((page, _)) => Ok(see_other(&format!("/admin/{page}"))),
        None => Err(ctx.not_found()),
    }
}

/// The administration routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/new", get(users::new_form))
        .route(
            "/admin/users/{id}",
            get(users::edit_form).post(users::update),
        )
        .route("/admin/users/{id}/active", post(users::set_active))
        .route("/admin/teams", get(teams::list).post(teams::create))
        .route(
            "/admin/teams/{id}",
            get(teams::edit_form).post(teams::update),
        )
        .route("/admin/teams/{id}/delete", post(teams::delete))
        .route("/admin/roles", get(roles::list).post(roles::create))
        .route(
            "/admin/roles/{id}",
            get(roles::edit_form).post(roles::update),
        )
        .route("/admin/audit", get(audit::search))
        .route(
            "/admin/transfer",
            get(transfer::form).post(transfer::confirm),
        )
        .route(
            "/admin/analytics",
            get(analytics::form).post(analytics::update),
        )
        .route("/admin/picklists", get(picklists::list))
        .route("/admin/picklists/{list}/add", post(picklists::add))
        .route("/admin/picklists/{list}/remove", post(picklists::remove))
        .route(
            "/admin/custom-fields",
            get(custom_fields::list).post(custom_fields::create),
        )
        .route(
            "/admin/custom-fields/{id}/delete",
            post(custom_fields::delete),
        )
}
