//! `/analytics/clv-calculator`: the cash-flow CLV model for planning — acquisition cost,
//! first purchase, yearly revenue and its growth, service cost, retention and discount
//! rates, horizon → the discounted CLV and each year's cash flow. A GET form, so a
//! calculation can be bookmarked and nothing is stored.

use crate::i18n::Tr;
use crate::pages::ctx::{Ctx, Layout};
use crate::pages::render::{render, PageResult};
use askama::Template;
use axum::extract::Query;
use kehu_analytics::{cash_flow_clv, CashFlowInputs};
use kehu_core::{FieldErrors, Money};
use std::collections::HashMap;

/// One input of the form, with its current text and error.
pub struct Input {
    /// Parameter name.
    pub name: &'static str,
    /// Translated label.
    pub label: String,
    /// Translated hint (unit).
    pub hint: String,
    /// What the user typed (or the default).
    pub value: String,
    /// Translated error, if any.
    pub error: Option<String>,
}

/// One year of the result table, formatted.
pub struct YearRow {
    /// t.
    pub year: u32,
    /// Survival probability in percent.
    pub survival: String,
    /// Revenue.
    pub revenue: String,
    /// Cost.
    pub cost: String,
    /// Expected net cash flow.
    pub net: String,
    /// Discount factor.
    pub discount_factor: String,
    /// Discounted net.
    pub discounted: String,
    /// Cumulative discounted net.
    pub cumulative: String,
}

#[derive(Template)]
#[template(path = "analytics/calculator.html")]
struct CalculatorPage {
    l: Layout,
    t: Tr,
    inputs: Vec<Input>,
    clv: Option<String>,
    years: Vec<YearRow>,
    failure: Option<String>,
}

/// (name, default, kind) of each input: money in yuan, rates in percent, years.
const FIELDS: &[(&str, &str, Kind)] = &[
    ("acquisition_cost", "2000", Kind::Money),
    ("first_purchase_value", "3000", Kind::Money),
    ("yearly_revenue", "5000", Kind::Money),
    ("revenue_growth_rate", "5", Kind::Percent),
    ("yearly_service_cost", "1000", Kind::Money),
    ("retention_rate", "80", Kind::Share),
    ("discount_rate", "10", Kind::Percent),
    ("years", "5", Kind::Years),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Money,
    Percent,
    /// A probability in percent, 0–100.
    Share,
    Years,
}

/// Parses one input; the error code is translated as `error.<code>`.
fn parse(kind: Kind, text: &str) -> Result<f64, &'static str> {
    match kind {
        Kind::Money => Money::parse_major_units(text).and_then(|minor| {
            if minor < 0 {
                Err("negative")
            } else {
                Ok(minor as f64 / 100.0)
            }
        }),
        Kind::Percent => text
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && (-99.0..=1000.0).contains(p))
            .map(|p| p / 100.0)
            .ok_or("not_number"),
        Kind::Share => text
            .trim()
            .trim_end_matches('%')
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| (0.0..=100.0).contains(p))
            .map(|p| p / 100.0)
            .ok_or("invalid_share"),
        Kind::Years => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|y| (1..=50).contains(y))
            .map(f64::from)
            .ok_or("invalid_years"),
    }
}

fn yuan(value: f64) -> String {
    format!(
        "¥{}",
        Money::format_major_units((value * 100.0).round() as i64)
    )
}

/// `GET /analytics/clv-calculator`: the form, and the result when it was submitted.
pub async fn calculator(ctx: Ctx, Query(params): Query<HashMap<String, String>>) -> PageResult {
    let t = ctx.t;
    let submitted = FIELDS.iter().any(|(name, _, _)| params.contains_key(*name));
    let mut errors = FieldErrors::default();
    let mut values = HashMap::new();
    let mut inputs = Vec::new();
    for (name, default, kind) in FIELDS {
        let text = params
            .get(*name)
            .cloned()
            .unwrap_or_else(|| default.to_string());
        match parse(*kind, &text) {
            Ok(value) => {
                values.insert(*name, value);
            }
            Err(code) => errors.add(*name, code, code),
        }
        inputs.push(Input {
            name,
            label: t.t(&format!("calculator.{name}")).to_string(),
            hint: t
                .t(&format!(
                    "calculator.unit_{}",
                    match kind {
                        Kind::Money => "money",
                        Kind::Percent | Kind::Share => "percent",
                        Kind::Years => "years",
                    }
                ))
                .to_string(),
            value: text,
            error: errors.0.get(*name).map(|e| t.error(e)),
        });
    }
    let mut clv = None;
    let mut years = Vec::new();
    let mut failure = None;
    if submitted && errors.0.is_empty() {
        let inputs = CashFlowInputs {
            acquisition_cost: values["acquisition_cost"],
            first_purchase_value: values["first_purchase_value"],
            yearly_revenue: values["yearly_revenue"],
            revenue_growth_rate: values["revenue_growth_rate"],
            yearly_service_cost: values["yearly_service_cost"],
            retention_rate: values["retention_rate"],
            discount_rate: values["discount_rate"],
            years: values["years"] as u32,
        };
        match cash_flow_clv(&inputs) {
            Ok(result) => {
                clv = Some(yuan(result.clv));
                years = result
                    .years
                    .iter()
                    .map(|y| YearRow {
                        year: y.year,
                        survival: format!("{:.1}%", y.survival * 100.0),
                        revenue: yuan(y.revenue),
                        cost: yuan(y.cost),
                        net: yuan(y.net),
                        discount_factor: format!("{:.4}", y.discount_factor),
                        discounted: yuan(y.discounted_net),
                        cumulative: yuan(y.cumulative),
                    })
                    .collect();
            }
            // The inputs passed their own checks; what is left is a combination the
            // model refuses, shown as one message.
            Err(_) => failure = Some(t.t("calculator.invalid").to_string()),
        }
    }
    Ok(render(&CalculatorPage {
        l: ctx.layout(t.t("calculator.title"), "analytics"),
        t,
        inputs,
        clv,
        years,
        failure,
    }))
}
