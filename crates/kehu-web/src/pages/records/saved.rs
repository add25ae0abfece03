//! Saved filters (查询方案): saving the current list query under a name, deleting one.

use super::filters::normalize;
use super::EntityPages;
use crate::pages::ctx::Ctx;
use crate::pages::render::{see_other, OrPage, PageResult};
use crate::pages::url::{parse_query, with, with_query};
use crate::state::AppState;
use axum::extract::{Form, Path, State};
use kehu_core::filter::{SavedQuery, RESERVED_PARAMS};
use kehu_db::{saved_filters, DbError};
use serde::Deserialize;

/// The "save current filter as…" form.
#[derive(Debug, Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// Splits list parameters into a saved query (search text, sort, filters).
pub fn saved_query(params: &[(String, String)]) -> SavedQuery {
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    SavedQuery {
        q: get("q"),
        sort: get("sort"),
        filters: params
            .iter()
            .filter(|(k, _)| !RESERVED_PARAMS.contains(&k.as_str()))
            .cloned()
            .collect(),
    }
}

/// `POST /accounts/saved-filters`: saves (or replaces by name) and shows the list with it.
pub async fn save(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    Form(input): Form<SaveForm>,
) -> PageResult {
    let query = saved_query(&normalize(parse_query(&input.query)));
    let notice = match saved_filters::save(
        &state.db,
        ctx.auth.user.id,
        pages.entity.name,
        &input.name,
        &query,
    )
    .await
    {
        Ok(_) => "filter_saved",
        Err(DbError::Invalid(_)) => "filter_name_required",
        Err(other) => return Err(ctx.fail(other)),
    };
    Ok(see_other(&with_query(
        &pages.base(),
        &with(&query.to_params(), "notice", notice),
    )))
}

/// `POST /accounts/saved-filters/{id}/delete`: deletes one of the user's saved filters.
pub async fn delete(
    pages: &'static EntityPages,
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    saved_filters::delete(&state.db, ctx.auth.user.id, id)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "{}?notice=filter_deleted",
        pages.base()
    )))
}
