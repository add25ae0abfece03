//! The customer 360 page's purchase panels: the customer's latest orders and what the
//! latest analytics run says about it (lifecycle stage, RFM segment, ABC class, CLV).

use super::ctx::Ctx;
use super::format::datetime;
use super::render::{OrPage, PageError};
use crate::analytics_settings::segment_label;
use crate::i18n::Tr;
use crate::state::AppState;
use kehu_core::entity::ORDER;
use kehu_core::filter::{Filter, FilterOp, FilterTarget, FilterValue, Sort};
use kehu_core::permission::Action;
use kehu_core::Money;
use kehu_db::customer_values;
use kehu_db::records::{self, ListQuery};

/// Orders shown on the customer page; the rest are in the API's order list.
const RECENT_ORDERS: u64 = 10;

/// One order in the customer's panel.
pub struct OrderLine {
    /// Order number.
    pub number: String,
    /// Order date.
    pub date: String,
    /// Total, formatted with the currency.
    pub total: String,
    /// Translated status.
    pub status: String,
    /// Whether it was cancelled (shown struck through; it does not count).
    pub cancelled: bool,
    /// Its lines, "茶叶 × 2 · ¥30.00", when it has any.
    pub lines: Vec<String>,
}

/// The latest analytics of the customer, translated.
pub struct ValueCard {
    /// Lifecycle stage.
    pub stage: String,
    /// RFM segment, unless it reads the same as the stage (zh-CN: 新客户 twice).
    pub segment: Option<String>,
    /// "R 5 · F 4 · M 3".
    pub scores: String,
    /// ABC class.
    pub abc_class: String,
    /// Revenue to date.
    pub revenue: String,
    /// Purchases to date.
    pub purchases: i64,
    /// CLV over the horizon, if the model could be fitted.
    pub clv: Option<String>,
    /// P(alive) in percent, if known.
    pub p_alive: Option<String>,
    /// Expected purchases over the CLV horizon, if the model could be fitted.
    pub expected_purchases: Option<String>,
    /// Why the CLV rests on the customer's own average order, when it does.
    pub clv_note: Option<String>,
    /// When the figures were computed.
    pub computed_at: String,
}

/// Money in minor units as `¥1,234.50` (or with the currency code when not CNY).
pub fn money(minor: i64, currency: Option<&str>) -> String {
    match currency {
        None | Some("CNY") => format!("¥{}", Money::format_major_units(minor)),
        Some(code) => format!("{code} {}", Money::format_major_units(minor)),
    }
}

/// The customer's latest orders the user may see, newest first.
pub async fn recent_orders(
    state: &AppState,
    ctx: &Ctx,
    account_id: i64,
) -> Result<Vec<OrderLine>, PageError> {
    let query = ListQuery {
        text: None,
        filters: vec![Filter {
            target: FilterTarget::Field(ORDER.field("account_id").expect("orders have a customer")),
            op: FilterOp::Eq,
            values: vec![FilterValue::Int(account_id)],
        }],
        sort: Sort {
            field: ORDER.field("order_date").expect("orders have a date"),
            descending: true,
        },
        limit: RECENT_ORDERS,
        cursor: None,
        in_recycle_bin: false,
        whole_words: false,
    };
    let columns: Vec<_> = ["name", "order_date", "status", "total", "currency"]
        .iter()
        .filter_map(|f| ORDER.field(f))
        .collect();
    let visibility = ctx.actor().visibility(ORDER.name, Action::Read);
    let mut page = records::list(&state.db, &ORDER, &visibility, &query, &columns)
        .await
        .or_page(ctx)?;
    for order in &mut page.records {
        order.mask(&ctx.actor().fields);
    }
    let t = ctx.t;
    // Lines of the orders just read, which the user may therefore see.
    let ids: Vec<i64> = page.records.iter().map(|o| o.id).collect();
    let mut lines = kehu_db::orders::lines_of(&state.db, &ids)
        .await
        .or_page(ctx)?;
    Ok(page
        .records
        .iter()
        .map(|order| {
            let status = order.text("status").unwrap_or_default();
            let currency = order.text("currency");
            let lines = lines
                .remove(&order.id)
                .unwrap_or_default()
                .iter()
                .map(|l| {
                    format!(
                        "{} × {} · {}",
                        l.product,
                        l.quantity,
                        money(l.amount, currency)
                    )
                })
                .collect();
            OrderLine {
                number: order.text("name").unwrap_or_default().to_string(),
                date: order
                    .get("order_date")
                    .to_json()
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                total: money(order.int("total").unwrap_or(0), order.text("currency")),
                status: t.choice("status", status),
                cancelled: status == kehu_core::entity::CANCELLED,
                lines,
            }
        })
        .collect())
}

/// The customer's figures from the latest complete run, if it was analysed.
pub async fn value_card(
    state: &AppState,
    ctx: &Ctx,
    account_id: i64,
) -> Result<Option<ValueCard>, PageError> {
    let visibility = ctx.actor().visibility("account", Action::Read);
    let Some(run) = customer_values::latest_run(&state.db).await.or_page(ctx)? else {
        return Ok(None);
    };
    let value = customer_values::value_of_account(&state.db, &visibility, account_id)
        .await
        .or_page(ctx)?;
    let t: Tr = ctx.t;
    let settings = crate::analytics_settings::current(state)
        .await
        .map_err(|e| ctx.internal(e))?;
    let own_average = run.model["spend"].as_str() == Some("observed_average");
    Ok(value.map(|v| {
        let stage = t.t(&format!("analytics.stage.{}", v.lifecycle)).to_string();
        let segment = segment_label(t, &settings, &v.segment);
        ValueCard {
            segment: (segment != stage).then_some(segment),
            stage,
            expected_purchases: v.expected_purchases.map(|n| format!("{n:.1}")),
            // Say what the CLV is made of when it rests on the customer's own average
            // order (the spend model's fit is not credible): with the expected purchases
            // named, "≈ 8 × their order" for a new one-time buyer reads as what it is.
            clv_note: (own_average && v.clv.is_some()).then(|| {
                let average = v.monetary / v.frequency.max(1);
                let purchases = format!("{:.1}", v.expected_purchases.unwrap_or(0.0));
                t.fmt(
                    "analytics.clv_own_average",
                    &[
                        ("average", &money(average, None)),
                        ("purchases", &purchases),
                    ],
                )
            }),
            scores: format!("R {} · F {} · M {}", v.r_score, v.f_score, v.m_score),
            abc_class: v.abc_class.clone(),
            revenue: money(v.monetary, None),
            purchases: v.frequency,
            clv: v.clv.map(|c| money(c, None)),
            p_alive: v.p_alive.map(|p| format!("{:.0}%", p * 100.0)),
            computed_at: run.computed_at.map(datetime).unwrap_or_default(),
        }
    }))
}
