//! The pages every catalogued entity has — list, new, edit, delete, mass update, saved
//! filters — shared by customers and contacts and configured per entity.

pub mod edit;
pub mod filters;
pub mod form;
pub mod list;
pub mod mass_update;
pub mod saved;
pub mod table;

use crate::state::AppState;
use axum::routing::{get, post};
use axum::Router;
use kehu_core::entity::{EntityDef, ACCOUNT, CONTACT};

/// What differs between the customer and contact pages.
pub struct EntityPages {
    /// The entity.
    pub entity: &'static EntityDef,
    /// The top-bar entry these pages belong to.
    pub nav: &'static str,
    /// The list's columns (field names).
    pub columns: &'static [&'static str],
    /// The list's built-in filters (field names); custom fields are added after them.
    pub filters: &'static [&'static str],
}

impl EntityPages {
    /// The URL path of the list (`/accounts`).
    pub fn base(&self) -> String {
        format!("/{}", self.entity.table)
    }

    /// A catalogue key of these pages (`accounts.title`).
    pub fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.entity.table)
    }
}

/// The customer pages.
pub static ACCOUNT_PAGES: EntityPages = EntityPages {
    entity: &ACCOUNT,
    nav: "accounts",
    columns: &[
        "name",
        "level",
        "industry",
        "province",
        "lifecycle_status",
        "owner_id",
        "phone",
        "created_at",
    ],
    filters: &[
        "level",
        "industry",
        "lifecycle_status",
        "province",
        "owner_id",
        "credit_limit",
        "created_at",
    ],
};

/// The contact pages.
pub static CONTACT_PAGES: EntityPages = EntityPages {
    entity: &CONTACT,
    nav: "contacts",
    columns: &[
        "name",
        "account_id",
        "title",
        "mobile",
        "email",
        "owner_id",
        "created_at",
    ],
    filters: &["owner_id", "created_at", "birthday"],
};

/// The shared routes of one entity, relative to its base path.
pub fn routes(pages: &'static EntityPages) -> Router<AppState> {
    let base = pages.base();
    Router::new()
        .route(
            &base,
            get(move |ctx, state, query| list::list(pages, ctx, state, query))
                .post(move |ctx, state, ip, form| edit::create(pages, ctx, state, ip, form)),
        )
        .route(
            &format!("{base}/new"),
            get(move |ctx, state, query| edit::new_form(pages, ctx, state, query)),
        )
        .route(
            &format!("{base}/{{id}}/edit"),
            get(move |ctx, state, id| edit::edit_form(pages, ctx, state, id)).post(
                move |ctx, state, ip, id, form| edit::update(pages, ctx, state, ip, id, form),
            ),
        )
        .route(
            &format!("{base}/{{id}}/delete"),
            post(move |ctx, state, ip, id| edit::delete(pages, ctx, state, ip, id)),
        )
        .route(
            &format!("{base}/mass-update"),
            get(move |ctx, state, query| mass_update::form(pages, ctx, state, query))
                .post(move |ctx, state, ip, form| mass_update::submit(pages, ctx, state, ip, form)),
        )
        .route(
            &format!("{base}/saved-filters"),
            post(move |ctx, state, form| saved::save(pages, ctx, state, form)),
        )
        .route(
            &format!("{base}/saved-filters/{{id}}/delete"),
            post(move |ctx, state, id| saved::delete(pages, ctx, state, id)),
        )
}
