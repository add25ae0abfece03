//! `/search?q=`: customers and contacts matching what was typed in the top bar, with
//! the phone numbers and e-mail addresses that show why each matched.

use super::ctx::{Ctx, Layout};
use super::lookup;
use super::render::{render, OrPage, PageResult};
use crate::api::related::global_search;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use kehu_core::entity::ACCOUNT;
use kehu_db::records::Record;
use serde::Deserialize;

/// Results per entity.
const PER_ENTITY: u64 = 20;

/// One search result.
pub struct Hit {
    /// `customer` / `contact`, translated.
    pub kind: String,
    /// CSS hook (`account`, `contact`).
    pub entity: &'static str,
    /// Name.
    pub name: String,
    /// Link.
    pub link: String,
    /// Contact points and other context (phone, e-mail, customer).
    pub context: Vec<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    l: Layout,
    t: Tr,
    q: String,
    hits: Vec<Hit>,
    error: Option<String>,
}

/// The search box.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

fn context(record: &Record, fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|f| record.text(f))
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// `GET /search?q=…`.
pub async fn search(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> PageResult {
    let t = ctx.t;
    let q = params.q.trim().to_string();
    let mut hits = Vec::new();
    let mut error = None;
    if q.chars().count() > 200 {
        error = Some(t.fmt("error.too_long", &[("max", "200")]));
    } else if !q.is_empty() {
        let (accounts, contacts) = global_search(&state.db, ctx.actor(), &q, PER_ENTITY)
            .await
            .or_page(&ctx)?;
        let account_ids: Vec<i64> = contacts
            .iter()
            .filter_map(|c| c.int("account_id"))
            .collect();
        let account_names = lookup::names_of(&state.db, &ACCOUNT, ctx.actor(), &account_ids)
            .await
            .or_page(&ctx)?;
        hits.extend(accounts.iter().map(|r| Hit {
            kind: t.entity("account"),
            entity: "account",
            name: r.text("name").unwrap_or_default().to_string(),
            link: format!("/accounts/{}", r.id),
            context: context(r, &["code", "phone", "email", "city"]),
        }));
        hits.extend(contacts.iter().map(|r| {
            let mut context = context(r, &["mobile", "phone", "email", "title"]);
            if let Some(name) = r.int("account_id").and_then(|id| account_names.get(&id)) {
                context.insert(0, name.clone());
            }
            Hit {
                kind: t.entity("contact"),
                entity: "contact",
                name: r.text("name").unwrap_or_default().to_string(),
                link: format!("/contacts/{}", r.id),
                context,
            }
        }));
    }
    let mut l = ctx.layout(t.t("search.title"), "search");
    l.search_q = q.clone();
    Ok(render(&SearchPage {
        l,
        t,
        q,
        hits,
        error,
    }))
}
