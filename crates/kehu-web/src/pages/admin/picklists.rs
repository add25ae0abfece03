//! `/admin/picklists`: the values of each picklist (industry, level, …), added and removed.

use super::{require, tabs, Tab};
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, render_status, see_other, OrPage, PageError, PageResult};
use crate::pages::Notice;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use kehu_db::picklists::{self, LISTS};
use kehu_db::DbError;
use serde::Deserialize;

/// One picklist with its values.
pub struct ListBlock {
    /// The list's name (`industry`).
    pub list: String,
    /// Translated name.
    pub label: String,
    /// Values in order.
    pub values: Vec<String>,
    /// Where the add form posts.
    pub add_action: String,
    /// Where remove forms post.
    pub remove_action: String,
    /// What was typed, when adding failed.
    pub typed: String,
    /// Why adding failed.
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/picklists.html")]
struct PicklistsPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    lists: Vec<ListBlock>,
    notice: Option<String>,
}

async fn page(
    ctx: &Ctx,
    state: &AppState,
    failed: Option<(&str, &str, String)>,
    notice: Option<String>,
) -> Result<PicklistsPage, PageError> {
    let t = ctx.t;
    let all = picklists::all(&state.db).await.or_page(ctx)?;
    let lists = LISTS
        .iter()
        .map(|list| {
            let failure = failed.as_ref().filter(|(l, _, _)| l == list);
            ListBlock {
                list: list.to_string(),
                label: t.picklist(list),
                values: all.get(*list).cloned().unwrap_or_default(),
                add_action: format!("/admin/picklists/{list}/add"),
                remove_action: format!("/admin/picklists/{list}/remove"),
                typed: failure
                    .map(|(_, typed, _)| typed.to_string())
                    .unwrap_or_default(),
                error: failure.map(|(_, _, e)| e.clone()),
            }
        })
        .collect();
    Ok(PicklistsPage {
        l: ctx.layout(t.t("admin.picklists_title"), "admin"),
        t,
        tabs: tabs(ctx, "picklists"),
        csrf: ctx.csrf(),
        lists,
        notice,
    })
}

/// `GET /admin/picklists`.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "settings")?;
    let notice = Notice::from_params(ctx.t, &params);
    Ok(render(&page(&ctx, &state, None, notice).await?))
}

/// A value to add or remove.
#[derive(Debug, Deserialize)]
pub struct ValueForm {
    #[serde(default)]
    value: String,
}

/// `POST /admin/picklists/{list}/add`.
pub async fn add(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(list): Path<String>,
    Form(form): Form<ValueForm>,
) -> PageResult {
    require(&ctx, "settings")?;
    match picklists::add(&state.db, &list, &form.value).await {
        Ok(()) => Ok(see_other(&format!(
            "/admin/picklists?notice=value_added#list-{list}"
        ))),
        Err(DbError::Invalid(errors)) => {
            let message = errors
                .0
                .values()
                .next()
                .map(|e| ctx.t.error(e))
                .unwrap_or_default();
            let page = page(&ctx, &state, Some((&list, &form.value, message)), None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

/// `POST /admin/picklists/{list}/remove`: records keep the text they have.
pub async fn remove(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(list): Path<String>,
    Form(form): Form<ValueForm>,
) -> PageResult {
    require(&ctx, "settings")?;
    picklists::remove(&state.db, &list, &form.value)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/admin/picklists?notice=value_removed#list-{list}"
    )))
}
