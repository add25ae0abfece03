//! `/analytics`: customer value from the latest stored run, limited to the customers the
//! user may see — the RFM heat map, segments with suggested actions, the ABC Pareto
//! chart, the CLV distribution and top customers, the at-risk list — plus the list of
//! customers behind any cell or row, and the cash-flow CLV calculator.

mod calculator;
mod charts;
mod customers;

use super::account_value::money;
use super::ctx::Ctx;
use super::format::datetime;
use super::render::{render, see_other, OrPage, PageResult};
use super::Notice;
use crate::analytics_settings::segment_label;
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::Router;
use kehu_analytics::{AnalyticsSettings, LifecycleRules};
use kehu_core::filter::ValueColumn;
use kehu_core::permission::{Action, Visibility};
use kehu_db::customer_values::{self, GroupTotal, Grouping, NamedValue, ValueFilter, ValueOrder};

/// The analytics pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/analytics", get(overview))
        .route("/analytics/recompute", post(recompute))
        .route("/analytics/customers", get(customers::list))
        .route("/analytics/clv-calculator", get(calculator::calculator))
}

/// RFM segments in the order the segment table shows them: best first.
pub const SEGMENTS: &[&str] = &[
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
];

/// Lifecycle stages in their natural order.
pub const STAGES: &[&str] = kehu_core::filter::LIFECYCLE_STAGES;

/// How many customers the top lists show.
const TOP: u64 = 20;

/// One cell of the R × F heat map.
pub struct GridCell {
    /// Customers in the cell.
    pub customers: i64,
    /// Their revenue.
    pub revenue: String,
    /// 0 (empty) to 5 (the fullest cell), for the colour.
    pub heat: u8,
    /// The customer list of the cell.
    pub link: String,
    /// "R 5 · F 3: 12 customers", for screen readers and the tooltip.
    pub label: String,
}

/// One row of the heat map (one recency score).
pub struct GridRow {
    /// The recency score.
    pub r: i64,
    /// Cells for F = 1…5.
    pub cells: Vec<GridCell>,
}

/// One row of the segment, class or stage tables.
pub struct GroupRow {
    /// Translated name.
    pub name: String,
    /// Customers.
    pub customers: i64,
    /// Revenue.
    pub revenue: String,
    /// Share of the revenue, in percent.
    pub share: String,
    /// Suggested action (segments only).
    pub action: String,
    /// The customer list of the group.
    pub link: String,
}

/// A customer in a top list.
pub struct CustomerRow {
    /// Customer page.
    pub link: String,
    /// Name.
    pub name: String,
    /// Translated segment.
    pub segment: String,
    /// Translated lifecycle stage.
    pub stage: String,
    /// Revenue to date.
    pub revenue: String,
    /// CLV, or "–".
    pub clv: String,
    /// P(alive) in percent, or "–".
    pub p_alive: String,
    /// CLV × (1 − P(alive)), or "–".
    pub value_at_risk: String,
}

impl CustomerRow {
    /// A top-list row from a stored value.
    pub fn new(t: Tr, settings: &AnalyticsSettings, named: &NamedValue) -> CustomerRow {
        let v = &named.value;
        CustomerRow {
            link: format!("/accounts/{}", v.account_id),
            name: named.name.clone(),
            segment: segment_label(t, settings, &v.segment),
            stage: t.t(&format!("analytics.stage.{}", v.lifecycle)).to_string(),
            revenue: money(v.monetary, None),
            clv: v.clv.map_or_else(|| "–".into(), |c| money(c, None)),
            p_alive: v
                .p_alive
                .map_or_else(|| "–".into(), |p| format!("{:.0}%", p * 100.0)),
            value_at_risk: v
                .value_at_risk()
                .map_or_else(|| "–".into(), |x| money(x.round() as i64, None)),
        }
    }
}

#[derive(Template)]
#[template(path = "analytics/overview.html")]
struct OverviewPage {
    l: super::ctx::Layout,
    t: Tr,
    csrf: String,
    notice: Option<String>,
    /// "Computed … for … customers, as of …", once there is a run.
    computed_at: Option<String>,
    grid: Vec<GridRow>,
    segments: Vec<GroupRow>,
    classes: Vec<GroupRow>,
    stages: Vec<GroupRow>,
    pareto_chart: String,
    clv_chart: String,
    top_clv: Vec<CustomerRow>,
    at_risk: Vec<CustomerRow>,
    model_summary: Option<String>,
    /// How the stages were decided, with the run's thresholds.
    lifecycle_explain: String,
    /// The customer list of the at-risk stage.
    at_risk_link: String,
}

/// The lifecycle rules of a run in words, from the settings it stored.
fn lifecycle_explain(t: Tr, parameters: &serde_json::Value) -> String {
    let rules: Option<LifecycleRules> =
        serde_json::from_value(parameters["lifecycle"].clone()).ok();
    match rules {
        Some(LifecycleRules::Recency(r)) => t.fmt(
            "analytics.lifecycle_explain_recency",
            &[
                ("new", &r.new_within_days.to_string()),
                ("active", &r.active_within_days.to_string()),
                ("at_risk", &r.at_risk_within_days.to_string()),
                ("dormant", &r.dormant_within_days.to_string()),
            ],
        ),
        Some(LifecycleRules::PAlive(a)) => t.fmt(
            "analytics.lifecycle_explain_p_alive",
            &[
                ("new", &a.new_within_days.to_string()),
                ("active", &format!("{:.0}", a.active_min * 100.0)),
                ("at_risk", &format!("{:.0}", a.at_risk_min * 100.0)),
                ("dormant", &format!("{:.0}", a.dormant_min * 100.0)),
            ],
        ),
        None => t.t("analytics.lifecycle_explain").to_string(),
    }
}

/// The share of `part` in `whole` as "12.3%".
fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0%".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// The customer list filtered by stored analytics (`/accounts?rfm_r__in=5&rfm_f__in=3`),
/// so that the user can sort, page, export and act on those customers there; the `__in`
/// form is what the list's filter panel shows as chosen.
pub fn customer_list_link(filters: &[(ValueColumn, &str)]) -> String {
    let pairs: Vec<(String, String)> = filters
        .iter()
        .map(|(column, value)| (format!("{}__in", column.param()), value.to_string()))
        .collect();
    crate::pages::url::with_query("/accounts", &pairs)
}

/// Table rows for groups, in `order` (groups not in it follow), labelled from the
/// catalogue's `analytics.<section>` table (segments as the admin named them) and
/// linking to the customer list filtered on the group.
fn group_rows(
    t: Tr,
    settings: &AnalyticsSettings,
    totals: &[GroupTotal],
    order: &[&str],
    section: &str,
    column: ValueColumn,
    with_action: bool,
) -> Vec<GroupRow> {
    let revenue: i64 = totals.iter().map(|g| g.revenue).sum();
    let mut sorted: Vec<&GroupTotal> = totals.iter().collect();
    sorted.sort_by_key(|g| {
        order
            .iter()
            .position(|k| *k == g.key)
            .unwrap_or(order.len())
    });
    sorted
        .into_iter()
        .map(|g| GroupRow {
            name: if column == ValueColumn::Segment {
                segment_label(t, settings, &g.key)
            } else {
                t.lookup(&format!("analytics.{section}.{}", g.key))
                    .map_or_else(|| g.key.clone(), str::to_string)
            },
            customers: g.customers,
            revenue: money(g.revenue, None),
            share: percent(g.revenue, revenue),
            action: if with_action {
                t.lookup(&format!("analytics.action.{}", g.key))
                    .unwrap_or_default()
                    .to_string()
            } else {
                String::new()
            },
            link: customer_list_link(&[(column, g.key.as_str())]),
        })
        .collect()
}

/// The classes × classes heat map, most recent row first.
fn heat_map(t: Tr, cells: &[GroupTotal], classes: i64) -> Vec<GridRow> {
    let fullest = cells.iter().map(|c| c.customers).max().unwrap_or(0);
    (1..=classes)
        .rev()
        .map(|r| GridRow {
            r,
            cells: (1..=classes)
                .map(|f| {
                    let cell = cells
                        .iter()
                        .find(|c| c.r_score == Some(r) && c.f_score == Some(f));
                    let customers = cell.map_or(0, |c| c.customers);
                    GridCell {
                        customers,
                        revenue: money(cell.map_or(0, |c| c.revenue), None),
                        heat: if fullest == 0 || customers == 0 {
                            0
                        } else {
                            (1 + customers * 4 / fullest) as u8
                        },
                        link: customer_list_link(&[
                            (ValueColumn::RScore, &r.to_string()),
                            (ValueColumn::FScore, &f.to_string()),
                        ]),
                        label: t.fmt(
                            "analytics.cell_label",
                            &[
                                ("r", &r.to_string()),
                                ("f", &f.to_string()),
                                ("count", &customers.to_string()),
                            ],
                        ),
                    }
                })
                .collect(),
        })
        .collect()
}

/// `GET /analytics`.
async fn overview(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> PageResult {
    let t = ctx.t;
    let visibility = ctx.actor().visibility("account", Action::Read);
    let run = customer_values::latest_run(&state.db).await.or_page(&ctx)?;
    let mut page = OverviewPage {
        l: ctx
            .layout(t.t("analytics.title"), "analytics")
            .with_charts(),
        t,
        csrf: ctx.csrf(),
        notice: Notice::from_params(t, &params),
        computed_at: None,
        grid: heat_map(t, &[], 5),
        segments: Vec::new(),
        classes: Vec::new(),
        stages: Vec::new(),
        pareto_chart: String::new(),
        clv_chart: String::new(),
        top_clv: Vec::new(),
        at_risk: Vec::new(),
        model_summary: None,
        lifecycle_explain: t.t("analytics.lifecycle_explain").to_string(),
        at_risk_link: customer_list_link(&[(ValueColumn::LifecycleStage, "at_risk")]),
    };
    let Some(run) = run else {
        return Ok(render(&page));
    };
    let settings = crate::analytics_settings::current(&state)
        .await
        .map_err(|e| ctx.internal(e))?;
    let db = &state.db;
    let group = |grouping| customer_values::group_totals(db, &visibility, run.id, grouping);
    let cells = group(Grouping::RfmCell).await.or_page(&ctx)?;
    let segments = group(Grouping::Segment).await.or_page(&ctx)?;
    let classes = group(Grouping::AbcClass).await.or_page(&ctx)?;
    let stages = group(Grouping::Lifecycle).await.or_page(&ctx)?;
    let everyone = ValueFilter::default();
    let list = |order, limit| {
        customer_values::list_values(db, &visibility, run.id, &everyone, order, limit)
    };
    let by_revenue = list(ValueOrder::Monetary, charts::PARETO_CUSTOMERS)
        .await
        .or_page(&ctx)?;
    let by_clv = list(ValueOrder::Clv, TOP).await.or_page(&ctx)?;
    let at_risk = list(ValueOrder::ValueAtRisk, TOP).await.or_page(&ctx)?;
    let clv_values = customer_values::clv_values(db, &visibility, run.id)
        .await
        .or_page(&ctx)?;

    let customers: i64 = segments.iter().map(|s| s.customers).sum();
    page.computed_at = run.computed_at.map(|at| {
        t.fmt(
            "analytics.computed",
            &[
                ("at", &datetime(at)),
                ("as_of", &run.as_of.to_string()),
                ("count", &customers.to_string()),
            ],
        )
    });
    // The grid has as many classes as the run was computed with.
    let classes_used = run.parameters["rfm"]["classes"].as_i64().unwrap_or(5);
    page.grid = heat_map(t, &cells, classes_used.clamp(1, 10));
    let settings = &settings;
    page.segments = group_rows(
        t,
        settings,
        &segments,
        SEGMENTS,
        "segment",
        ValueColumn::Segment,
        true,
    );
    page.classes = group_rows(
        t,
        settings,
        &classes,
        &["A", "B", "C"],
        "class",
        ValueColumn::AbcClass,
        false,
    );
    page.stages = group_rows(
        t,
        settings,
        &stages,
        STAGES,
        "stage",
        ValueColumn::LifecycleStage,
        false,
    );
    page.lifecycle_explain = lifecycle_explain(t, &run.parameters);
    let total_revenue: i64 = classes.iter().map(|c| c.revenue).sum();
    page.pareto_chart = charts::pareto(t, &by_revenue, total_revenue);
    page.clv_chart = charts::clv_histogram(t, &clv_values);
    page.top_clv = by_clv
        .iter()
        .map(|v| CustomerRow::new(t, settings, v))
        .collect();
    page.at_risk = at_risk
        .iter()
        .map(|v| CustomerRow::new(t, settings, v))
        .collect();
    page.model_summary = charts::model_summary(t, &run.model);
    Ok(render(&page))
}

/// `POST /analytics/recompute`: queues the customer value job.
async fn recompute(ctx: Ctx, State(state): State<AppState>) -> PageResult {
    if ctx.actor().visibility("account", Action::Read) == Visibility::Nothing {
        return Err(ctx.not_found());
    }
    let queued = customer_values::request_recompute(&state.db, Some(ctx.auth.user.id))
        .await
        .or_page(&ctx)?;
    Ok(see_other(if queued.is_some() {
        "/analytics?notice=recompute_queued"
    } else {
        "/analytics?notice=recompute_already_queued"
    }))
}
