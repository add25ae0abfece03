//! ECharts options for the analytics page, as JSON that is safe inside a
//! `<script type="application/json">` element.

use crate::i18n::Tr;
use kehu_db::customer_values::NamedValue;
use serde_json::{json, Value};

/// How many of the top customers the Pareto chart draws.
pub const PARETO_CUSTOMERS: u64 = 1_000;

/// CLV histogram buckets: lower edges in yuan.
const CLV_EDGES: &[i64] = &[0, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000];

/// JSON for a `<script type="application/json">` element. The template inserts it
/// unescaped (HTML entities would not be decoded inside a script element), so every
/// character that could end the element or start markup is written as a JSON escape.
pub fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Revenue per customer (bars, best first) and the cumulative share of all revenue
/// (line) with the 80 % and 95 % class limits marked.
pub fn pareto(t: Tr, by_revenue: &[NamedValue], total_revenue: i64) -> String {
    let mut cumulative = 0i64;
    let mut names = Vec::with_capacity(by_revenue.len());
    let mut bars = Vec::with_capacity(by_revenue.len());
    let mut shares = Vec::with_capacity(by_revenue.len());
    for named in by_revenue {
        cumulative += named.value.monetary;
        names.push(named.name.clone());
        bars.push(named.value.monetary as f64 / 100.0);
        shares.push(if total_revenue > 0 {
            (cumulative as f64 * 1000.0 / total_revenue as f64).round() / 10.0
        } else {
            0.0
        });
    }
    script_json(&json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [t.t("analytics.revenue"), t.t("analytics.cumulative_share")]},
        "grid": {"left": 60, "right": 50, "bottom": 40},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"show": false}},
        "yAxis": [
            {"type": "value", "name": "¥"},
            {"type": "value", "name": "%", "max": 100},
        ],
        "series": [
            {"name": t.t("analytics.revenue"), "type": "bar", "data": bars},
            {
                "name": t.t("analytics.cumulative_share"),
                "type": "line",
                "yAxisIndex": 1,
                "showSymbol": false,
                "data": shares,
                "markLine": {"symbol": "none", "data": [{"yAxis": 80}, {"yAxis": 95}]},
            },
        ],
    }))
}

/// Customers per CLV range.
pub fn clv_histogram(t: Tr, clv_minor: &[i64]) -> String {
    let mut counts = vec![0u64; CLV_EDGES.len()];
    for clv in clv_minor {
        let yuan = clv / 100;
        let bucket = CLV_EDGES
            .iter()
            .rposition(|edge| yuan >= *edge)
            .unwrap_or(0);
        counts[bucket] += 1;
    }
    let labels: Vec<String> = CLV_EDGES
        .iter()
        .enumerate()
        .map(|(i, low)| match CLV_EDGES.get(i + 1) {
            Some(high) => format!("¥{}–{}", short_yuan(*low), short_yuan(*high)),
            None => format!("≥ ¥{}", short_yuan(*low)),
        })
        .collect();
    script_json(&json!({
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 50, "right": 20, "bottom": 40},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "name": t.t("analytics.customers")},
        "series": [{"name": t.t("analytics.customers"), "type": "bar", "data": counts}],
    }))
}

fn short_yuan(yuan: i64) -> String {
    if yuan >= 1_000 && yuan % 1_000 == 0 {
        format!("{}k", yuan / 1_000)
    } else {
        yuan.to_string()
    }
}

/// "BG/NBD r = 0.243, α = 4.41, a = 0.793, b = 2.43; log-likelihood −9582.4", or why
/// the model could not be fitted.
pub fn model_summary(t: Tr, model: &Value) -> Option<String> {
    let fit = model.get("bgnbd")?;
    if fit.get("error").is_some() {
        return Some(t.t("analytics.model_not_fitted").to_string());
    }
    let param = |name: &str| {
        fit["params"][name]
            .as_f64()
            .map_or("–".into(), |v| format!("{v:.3}"))
    };
    let mut summary = format!(
        "BG/NBD r = {}, α = {}, a = {}, b = {}; {} {:.1}",
        param("r"),
        param("alpha"),
        param("a"),
        param("b"),
        t.t("analytics.log_likelihood"),
        fit["log_likelihood"].as_f64().unwrap_or(f64::NAN),
    );
    // Whether CLVs price orders with the spend model or with each customer's own
    // average, so that nobody reads a fallback as a model prediction.
    if model["spend"].as_str() == Some("observed_average") {
        let q = model["gamma_gamma"]["params"]["q"]
            .as_f64()
            .map_or("–".into(), |q| format!("{q:.2}"));
        summary.push_str(". ");
        summary.push_str(&t.fmt("analytics.spend_own_average", &[("q", &q)]));
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_script_element() {
        let text = script_json(&json!({"name": "</script><b>&"}));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], "</script><b>&");
    }

    #[test]
    fn clv_buckets_count_each_customer_once() {
        let chart = clv_histogram(
            Tr::new(crate::i18n::Locale::En),
            &[0, 99_999, 100_000, 60_000_000],
        );
        let option: Value = serde_json::from_str(&chart).unwrap();
        assert_eq!(option["series"][0]["data"], json!([2, 1, 0, 0, 0, 0, 1]));
    }
}
