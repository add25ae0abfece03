//! `/analytics/customers?segment=…|r=…&f=…|class=…|stage=…`: the customers behind a heat
//! map cell or a table row, by revenue, each linking to its 360 page.

use super::{CustomerRow, SEGMENTS, STAGES};
use crate::api::analytics::ListParams;
use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::format::datetime;
use crate::pages::render::{render, OrPage, PageResult};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use kehu_core::permission::Action;
use kehu_db::customer_values::{self, ValueFilter, ValueOrder};

/// At most this many customers per list.
const LIMIT: u64 = 500;

#[derive(Template)]
#[template(path = "analytics/customers.html")]
struct CustomersPage {
    l: Layout,
    t: Tr,
    heading: String,
    computed_at: Option<String>,
    rows: Vec<CustomerRow>,
    count_line: String,
    limited: bool,
}

/// What the list shows, in words: "Champions", "R 5 · F 3", "Class A", "At risk".
fn heading(t: Tr, filter: &ValueFilter) -> String {
    let mut parts = Vec::new();
    if let Some(segment) = filter.segment.as_deref().filter(|s| SEGMENTS.contains(s)) {
        parts.push(t.t(&format!("analytics.segment.{segment}")).to_string());
    }
    if let (Some(r), Some(f)) = (filter.r_score, filter.f_score) {
        parts.push(format!("R {r} · F {f}"));
    }
    if let Some(class) = filter
        .abc_class
        .as_deref()
        .filter(|c| ["A", "B", "C"].contains(c))
    {
        parts.push(t.t(&format!("analytics.class.{class}")).to_string());
    }
    if let Some(stage) = filter.lifecycle.as_deref().filter(|s| STAGES.contains(s)) {
        parts.push(t.t(&format!("analytics.stage.{stage}")).to_string());
    }
    if parts.is_empty() {
        t.t("analytics.all_customers").to_string()
    } else {
        parts.join(" · ")
    }
}

/// `GET /analytics/customers`.
pub async fn list(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> PageResult {
    let t = ctx.t;
    // A malformed score in a hand-edited link just lists everyone.
    let filter = params.parse().map(|(f, _)| f).unwrap_or_default();
    let visibility = ctx.actor().visibility("account", Action::Read);
    let run = customer_values::latest_run(&state.db).await.or_page(&ctx)?;
    let rows = match &run {
        Some(run) => customer_values::list_values(
            &state.db,
            &visibility,
            run.id,
            &filter,
            ValueOrder::Monetary,
            LIMIT,
        )
        .await
        .or_page(&ctx)?,
        None => Vec::new(),
    };
    let settings = crate::analytics_settings::current(&state)
        .await
        .map_err(|e| ctx.internal(e))?;
    let heading = heading(t, &filter);
    Ok(render(&CustomersPage {
        l: ctx.layout(heading.clone(), "analytics"),
        t,
        heading,
        computed_at: run.and_then(|r| r.computed_at).map(datetime),
        limited: rows.len() as u64 == LIMIT,
        count_line: t.fmt(
            "analytics.customer_count",
            &[("count", &rows.len().to_string())],
        ),
        rows: rows
            .iter()
            .map(|v| CustomerRow::new(t, &settings, v))
            .collect(),
    }))
}
