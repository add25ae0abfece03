//! `/admin/transfer`: hand a user's customers (all, or one level) with their contacts to
//! another user — first a preview of the counts, then one confirmed transaction. Where
//! deactivating a user leads, so that their customers do not stay with nobody.

use super::{require, tabs, Tab};
use crate::api::records::ClientIp;
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::records::list::counted;
use crate::pages::render::{render, render_status, see_other, OrPage, PageResult};
use crate::pages::{Notice, SelectOption};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use kehu_core::entity::ACCOUNT;
use kehu_core::filter::parse_filters;
use kehu_db::transfer::{self, TransferCounts, TransferRequest};
use kehu_db::{picklists, users, DbError};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "admin/transfer.html")]
struct TransferPage {
    l: Layout,
    t: Tr,
    tabs: Vec<Tab>,
    csrf: String,
    from_users: Vec<SelectOption>,
    to_users: Vec<SelectOption>,
    levels: Vec<SelectOption>,
    /// The chosen values, echoed into the confirm form.
    from_user_id: String,
    to_user_id: String,
    level: String,
    /// "12 customers and 30 contacts will move", once both users are chosen.
    preview: Option<String>,
    /// Whether there is anything to move.
    may_confirm: bool,
    error: Option<String>,
    notice: Option<String>,
}

fn user_options(
    all: &[users::User],
    chosen: &str,
    blank: &str,
    active_only: bool,
) -> Vec<SelectOption> {
    let mut options = vec![SelectOption {
        value: String::new(),
        label: blank.to_string(),
        selected: chosen.is_empty(),
    }];
    options.extend(
        all.iter()
            .filter(|u| u.active || !active_only)
            .map(|u| SelectOption {
                value: u.id.to_string(),
                label: format!("{} ({})", u.display_name, u.username),
                selected: u.id.to_string() == chosen,
            }),
    );
    options
}

fn request_from(state_level: &str, from: &str, to: &str) -> Option<TransferRequest> {
    let filters = if state_level.is_empty() {
        Vec::new()
    } else {
        parse_filters(&ACCOUNT, &[], [("level", state_level)]).ok()?
    };
    Some(TransferRequest {
        from_user_id: from.parse().ok()?,
        to_user_id: to.parse().ok()?,
        filters,
    })
}

fn counts_text(t: Tr, counts: &TransferCounts) -> String {
    t.fmt(
        "transfer.preview",
        &[
            ("accounts", &counted(t, "accounts", counts.of("account"))),
            ("contacts", &counted(t, "contacts", counts.of("contact"))),
        ],
    )
}

async fn page(
    ctx: &Ctx,
    state: &AppState,
    values: &HashMap<String, String>,
    notice: Option<String>,
) -> Result<TransferPage, crate::pages::render::PageError> {
    let t = ctx.t;
    let value = |key: &str| {
        values
            .get(key)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let (from, to, level) = (value("from_user_id"), value("to_user_id"), value("level"));
    let all = users::list(&state.db).await.or_page(ctx)?;
    let mut preview = None;
    let mut may_confirm = false;
    let mut error = None;
    if !from.is_empty() && !to.is_empty() {
        match request_from(&level, &from, &to) {
            Some(request) => match transfer::preview(&state.db, ctx.actor(), &request).await {
                Ok(counts) => {
                    may_confirm = counts.0.iter().any(|(_, n)| *n > 0);
                    preview = Some(counts_text(t, &counts));
                }
                Err(DbError::Invalid(fields)) => {
                    error = Some(
                        fields
                            .0
                            .values()
                            .map(|e| t.error(e))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                }
                Err(other) => return Err(ctx.fail(other)),
            },
            None => error = Some(t.t("transfer.choose_both").to_string()),
        }
    }
    let picklists = picklists::all(&state.db).await.or_page(ctx)?;
    let mut levels = vec![SelectOption {
        value: String::new(),
        label: t.t("transfer.all_customers").to_string(),
        selected: level.is_empty(),
    }];
    levels.extend(
        picklists
            .get("level")
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|v| SelectOption {
                selected: v == level,
                label: v.clone(),
                value: v,
            }),
    );
    Ok(TransferPage {
        l: ctx.layout(t.t("transfer.title"), "admin"),
        t,
        tabs: tabs(ctx, "transfer"),
        csrf: ctx.csrf(),
        from_users: user_options(&all, &from, t.t("transfer.choose_user"), false),
        to_users: user_options(&all, &to, t.t("transfer.choose_user"), true),
        levels,
        from_user_id: from,
        to_user_id: to,
        level,
        preview,
        may_confirm,
        error,
        notice,
    })
}

/// "12 customers and 30 contacts were transferred to 王芳", from the parameters the
/// confirmed transfer redirects with.
fn done_text(t: Tr, values: &HashMap<String, String>, all: &[users::User]) -> Option<String> {
    let count = |key: &str| values.get(key).and_then(|v| v.parse::<u64>().ok());
    let recipient: i64 = values.get("moved_to")?.parse().ok()?;
    let name = &all.iter().find(|u| u.id == recipient)?.display_name;
    Some(t.fmt(
        "transfer.done",
        &[
            (
                "accounts",
                &counted(t, "accounts", count("moved_accounts")?),
            ),
            (
                "contacts",
                &counted(t, "contacts", count("moved_contacts")?),
            ),
            ("name", name),
        ],
    ))
}

/// `GET /admin/transfer`: the form, and the preview once both users are chosen.
pub async fn form(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    require(&ctx, "user")?;
    let notice = Notice::from_params(ctx.t, &params);
    let values: HashMap<String, String> = params.into_iter().collect();
    let all = users::list(&state.db).await.or_page(&ctx)?;
    let notice = done_text(ctx.t, &values, &all).or(notice);
    Ok(render(&page(&ctx, &state, &values, notice).await?))
}

/// `POST /admin/transfer`: moves the records in one transaction.
pub async fn confirm(
    ctx: Ctx,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(values): Form<HashMap<String, String>>,
) -> PageResult {
    require(&ctx, "user")?;
    let get = |key: &str| {
        values
            .get(key)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let Some(request) = request_from(&get("level"), &get("from_user_id"), &get("to_user_id"))
    else {
        let page = page(&ctx, &state, &values, None).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    match transfer::transfer(&state.db, ctx.actor(), ip.as_deref(), &request).await {
        Ok(moved) => Ok(see_other(&format!(
            "/admin/transfer?moved_accounts={}&moved_contacts={}&moved_to={}",
            moved.of("account"),
            moved.of("contact"),
            request.to_user_id
        ))),
        Err(DbError::Invalid(_)) => {
            let page = page(&ctx, &state, &values, None).await?;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}
