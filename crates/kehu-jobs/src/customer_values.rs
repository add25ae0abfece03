//! The customer value job: reads the purchase history, runs the kehu-analytics models
//! (RFM, ABC, BG/NBD with Gamma-Gamma CLV and P(alive), lifecycle stages) and stores the
//! results per customer.
//!
//! Reading and computing happen outside any transaction; the results are written in
//! small batches (see [`kehu_db::customer_values`]), so the SQLite write lock is never
//! held for the length of the computation.
//!
//! The job analyses every customer of the installation. Scores are relative to all
//! customers (a "champion" is one whatever the viewer's scope), and each reader sees the
//! stored rows of the customers they may see.

use chrono::NaiveDate;
use kehu_analytics::{
    abc_classes, build_summaries, customer_lifetime_value, fit_bgnbd, fit_gamma_gamma, rfm_table,
    AbcThresholds, AnalyticsSettings, ClvSettings, LifecycleRules, Period, Purchase,
    RepeatPurchaseModel, RfmConfig, RfmMeasures,
};
use kehu_core::permission::Visibility;
use kehu_db::customer_values::{self, CustomerValue};
use kehu_db::orders::{self, PurchaseRow};
use kehu_db::Db;
use serde::Serialize;
use serde_json::{json, Value as Json};
use std::collections::HashMap;

pub use kehu_db::customer_values::JOB_KIND;

/// The business day's time zone, UTC+8: the same as the pages'
/// (`kehu_web::pages::format::DISPLAY_OFFSET_SECONDS`; follow it when it becomes a setting).
/// Recency is counted in these days, and the nightly run starts after midnight there
/// rather than at 08:00 when the UTC date changes.
const BUSINESS_OFFSET_SECONDS: i32 = 8 * 3600;

/// Today in the business time zone.
pub fn business_today() -> NaiveDate {
    let offset =
        chrono::FixedOffset::east_opt(BUSINESS_OFFSET_SECONDS).expect("offset is in range");
    chrono::Utc::now().with_timezone(&offset).date_naive()
}

/// Settings of one computation; the defaults are the defaults.
#[derive(Debug, Clone, Serialize)]
pub struct ValueSettings {
    /// RFM classes and segment names.
    pub rfm: RfmConfig,
    /// ABC thresholds (80 % / 95 %).
    pub abc: AbcThresholds,
    /// Lifecycle stages by days since the last purchase or by P(alive).
    pub lifecycle: LifecycleRules,
    /// CLV horizon in months.
    pub horizon_months: u32,
    /// CLV discount rate per month.
    pub monthly_discount_rate: f64,
}

impl Default for ValueSettings {
    fn default() -> Self {
        ValueSettings {
            rfm: RfmConfig::default(),
            abc: AbcThresholds::default(),
            lifecycle: LifecycleRules::default(),
            horizon_months: 12,
            monthly_discount_rate: 0.01,
        }
    }
}

impl ValueSettings {
    /// The computation's settings from the administrators' settings; the CLV horizon
    /// and discount rate are not theirs to set yet and keep their defaults.
    pub fn from_admin(admin: &AnalyticsSettings) -> ValueSettings {
        ValueSettings {
            rfm: RfmConfig {
                classes: admin.rfm_classes,
                ..RfmConfig::default()
            },
            abc: admin.abc,
            lifecycle: admin.lifecycle,
            ..ValueSettings::default()
        }
    }
}

/// The administrators' analytics settings; defaults when none were saved, or when the
/// stored document no longer reads or validates (logged, so the nightly run still
/// happens rather than failing every night).
pub async fn load_settings(db: &Db) -> anyhow::Result<AnalyticsSettings> {
    let Some(stored) = kehu_db::analytics_settings::load(db).await? else {
        return Ok(AnalyticsSettings::default());
    };
    match serde_json::from_value::<AnalyticsSettings>(stored) {
        Ok(settings) if settings.validate().is_empty() => Ok(settings),
        Ok(_) | Err(_) => {
            tracing::warn!("stored analytics settings are not valid; using the defaults");
            Ok(AnalyticsSettings::default())
        }
    }
}

/// What a computation produced, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedValues {
    /// One row per customer with purchases.
    pub values: Vec<CustomerValue>,
    /// Fitted model parameters and fit quality (or why a model could not be fitted).
    pub model: Json,
    /// Purchases read.
    pub purchases: usize,
}

/// Computes every customer's values from purchases (sorted or not), as of a day.
pub fn compute_values(
    purchases: &[PurchaseRow],
    as_of: NaiveDate,
    settings: &ValueSettings,
) -> anyhow::Result<ComputedValues> {
    let rows: Vec<Purchase<i64>> = purchases
        .iter()
        .map(|p| Purchase {
            customer: p.account_id,
            date: p.date,
            amount: p.total as f64 / 100.0,
            quantity: None,
        })
        .collect();
    // Revenue is summed in minor units, exactly.
    let mut revenue: HashMap<i64, i64> = HashMap::new();
    for p in purchases.iter().filter(|p| p.date <= as_of) {
        *revenue.entry(p.account_id).or_default() += p.total;
    }
    let rfm = rfm_table(&rows, as_of, &settings.rfm)?;
    let abc: HashMap<i64, &'static str> = abc_classes(
        rfm.iter()
            .map(|r| (r.measures.customer, r.measures.monetary))
            .collect(),
        &settings.abc,
    )?
    .into_iter()
    .map(|row| (row.customer, row.class.as_str()))
    .collect();

    let period = Period::Week;
    let summaries = build_summaries(&rows, as_of, period);
    let summary_list: Vec<_> = summaries.iter().map(|(_, s)| *s).collect();
    let clv_settings = ClvSettings {
        months: settings.horizon_months,
        periods_per_month: period.per_month(),
        monthly_discount_rate: settings.monthly_discount_rate,
    };
    let bgnbd = fit_bgnbd(&summary_list);
    let spend = fit_gamma_gamma(&summary_list);
    let mut model = json!({ "period": period.name(), "horizon_months": settings.horizon_months });
    model["bgnbd"] = match &bgnbd {
        Ok(fit) => serde_json::to_value(fit)?,
        Err(error) => json!({ "error": error.to_string() }),
    };
    model["gamma_gamma"] = match &spend {
        Ok(fit) => serde_json::to_value(fit)?,
        Err(error) => json!({ "error": error.to_string() }),
    };
    let horizon_periods = f64::from(settings.horizon_months) * period.per_month();
    let mut predictions: HashMap<i64, (f64, f64, Option<f64>, Option<i64>)> = HashMap::new();
    // Gamma-Gamma only where its fit is credible (see `spend_fit_problem`); otherwise
    // each customer's own average order (first purchase included) stands in, and the
    // model says so and why, for the pages to tell the reader.
    let spend_problem = match &spend {
        Ok(fit) => spend_fit_problem(&fit.params, &summary_list),
        Err(_) => Some("not_fitted"),
    };
    let spend_model = spend.as_ref().ok().filter(|_| spend_problem.is_none());
    model["spend"] = json!(if spend_model.is_some() {
        "gamma_gamma"
    } else {
        "observed_average"
    });
    model["spend_problem"] = json!(spend_problem);
    if let Ok(fit) = &bgnbd {
        let rfm_by_customer: HashMap<i64, &RfmMeasures<i64>> = rfm
            .iter()
            .map(|r| (r.measures.customer, &r.measures))
            .collect();
        for (customer, summary) in &summaries {
            let expected = fit.params.expected_purchases(summary, horizon_periods);
            let alive = fit.params.p_alive(summary);
            let avg_spend = match spend_model {
                Some(spend) => spend.params.expected_average_spend(summary)?,
                None => rfm_by_customer
                    .get(customer)
                    .map_or(0.0, |m| m.monetary / f64::from(m.frequency.max(1))),
            };
            let clv = customer_lifetime_value(&fit.params, summary, avg_spend, &clv_settings)?;
            predictions.insert(
                *customer,
                (
                    expected,
                    alive,
                    Some(avg_spend),
                    Some((clv * 100.0).round() as i64),
                ),
            );
        }
    }

    let values = rfm
        .iter()
        .map(|row| {
            let m = &row.measures;
            let prediction = predictions.get(&m.customer);
            let days_since_first = (as_of - m.first_purchase).num_days();
            CustomerValue {
                account_id: m.customer,
                first_order_date: m.first_purchase,
                last_order_date: m.last_purchase,
                recency_days: m.recency_days,
                frequency: i64::from(m.frequency),
                monetary: revenue.get(&m.customer).copied().unwrap_or(0),
                r_score: i64::from(row.r),
                f_score: i64::from(row.f),
                m_score: i64::from(row.m),
                segment: row.segment.clone(),
                abc_class: abc.get(&m.customer).copied().unwrap_or("C").to_string(),
                expected_purchases: prediction.map(|p| p.0),
                p_alive: prediction.map(|p| p.1),
                expected_avg_spend: prediction.and_then(|p| p.2),
                clv: prediction.and_then(|p| p.3),
                lifecycle: settings
                    .lifecycle
                    .stage(days_since_first, m.recency_days, prediction.map(|p| p.1))
                    .as_str()
                    .to_string(),
            }
        })
        .collect();
    Ok(ComputedValues {
        values,
        model,
        purchases: purchases.len(),
    })
}

/// Fewest repeat buyers a Gamma-Gamma fit is believed on.
const MIN_REPEAT_BUYERS: usize = 30;

/// Why a Gamma-Gamma fit should not price anyone's future orders, or `None` if it may.
///
/// A customer with no repeat purchase gets the model's population mean p·γ/(q − 1)
/// as expected spend. With q ≤ 1 that mean is infinite; with q just above 1 (what
/// a fit on a few dozen customers with varied spend lands on) it is many times any
/// real order, and one-time buyers came out with CLVs of about 8 orders. So the fit
/// must rest on enough repeat buyers and its mean must stay within a factor of two of
/// the repeat buyers' observed average spend.
fn spend_fit_problem(
    params: &kehu_analytics::GammaGammaParams,
    summaries: &[kehu_analytics::CustomerSummary],
) -> Option<&'static str> {
    let repeat: Vec<f64> = summaries
        .iter()
        .filter(|s| s.frequency > 0)
        .map(|s| s.monetary_value)
        .collect();
    if repeat.len() < MIN_REPEAT_BUYERS {
        return Some("too_few_repeat_buyers");
    }
    let Ok(model_mean) = params.population_mean_spend() else {
        return Some("infinite_mean");
    };
    let observed = repeat.iter().sum::<f64>() / repeat.len() as f64;
    let ratio = model_mean / observed;
    if !(ratio.is_finite() && (0.5..=2.0).contains(&ratio)) {
        return Some("mean_far_from_observed");
    }
    None
}

/// Reads the purchases, computes and stores a new run; gives the run's id.
pub async fn recompute(
    db: &Db,
    as_of: NaiveDate,
    settings: &ValueSettings,
    requested_by: Option<i64>,
) -> anyhow::Result<i64> {
    let started = std::time::Instant::now();
    let purchases =
        orders::purchases(db, &Visibility::Everything, &Visibility::Everything, as_of).await?;
    let read = started.elapsed();
    let parameters = serde_json::to_value(settings)?;
    let run_id = customer_values::start_run(db, as_of, &parameters, requested_by).await?;
    let owned = settings.clone();
    let computed =
        tokio::task::spawn_blocking(move || compute_values(&purchases, as_of, &owned)).await?;
    let computed_in = started.elapsed() - read;
    let computed = match computed {
        Ok(computed) => computed,
        Err(error) => {
            customer_values::discard_run(db, run_id).await?;
            return Err(error);
        }
    };
    customer_values::store_values(db, run_id, &computed.values).await?;
    customer_values::finish_run(
        db,
        run_id,
        &computed.model,
        computed.values.len() as i64,
        computed.purchases as i64,
    )
    .await?;
    // How long each phase took, so that slow runs on big databases can be told apart.
    tracing::info!(
        run_id,
        customers = computed.values.len(),
        purchases = computed.purchases,
        read_ms = read.as_millis() as u64,
        compute_ms = computed_in.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "customer values computed"
    );
    Ok(run_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn recent_frequent_big_spenders_are_champions_and_class_a() {
        let mut purchases = Vec::new();
        // Customers 1–10: customer n bought n times, every 20 days up to the as-of day,
        // for n × ¥100 each time.
        for n in 1..=10i64 {
            for k in 0..n {
                purchases.push(PurchaseRow {
                    account_id: n,
                    date: day("2024-06-30") - chrono::Duration::days(20 * k + (10 - n)),
                    total: n * 10_000,
                });
            }
        }
        let computed =
            compute_values(&purchases, day("2024-06-30"), &ValueSettings::default()).unwrap();
        assert_eq!(computed.values.len(), 10);
        let best = computed.values.iter().find(|v| v.account_id == 10).unwrap();
        assert_eq!((best.r_score, best.f_score), (5, 5));
        assert_eq!(best.segment, "champions");
        assert_eq!(best.abc_class, "A");
        assert_eq!(best.monetary, 10 * 10 * 10_000);
        assert_eq!(best.lifecycle, "active");
        let least = computed.values.iter().find(|v| v.account_id == 1).unwrap();
        assert_eq!(least.abc_class, "C");
        assert_eq!(least.frequency, 1);
    }

    #[test]
    fn the_admins_thresholds_change_classes_and_stages() {
        // Revenue 80 / 15 / 5; customer 1 last bought 100 days ago.
        let purchases = [
            (1, "2024-01-01", 400_000),
            (1, "2024-03-22", 400_000),
            (2, "2024-06-20", 150_000),
            (3, "2024-06-20", 50_000),
        ]
        .map(|(account_id, date, total)| PurchaseRow {
            account_id,
            date: day(date),
            total,
        });
        let as_of = day("2024-06-30");
        let by_id = |computed: &ComputedValues, id: i64| {
            computed
                .values
                .iter()
                .find(|v| v.account_id == id)
                .cloned()
                .unwrap()
        };
        let before = compute_values(&purchases, as_of, &ValueSettings::default()).unwrap();
        assert_eq!(by_id(&before, 2).abc_class, "B");
        assert_eq!(by_id(&before, 1).lifecycle, "at_risk");
        let admin = AnalyticsSettings {
            abc: AbcThresholds { a: 0.5, b: 0.9 },
            lifecycle: LifecycleRules::Recency(kehu_analytics::RecencyStageRules {
                active_within_days: 120,
                ..Default::default()
            }),
            rfm_classes: 3,
            ..AnalyticsSettings::default()
        };
        let after = compute_values(&purchases, as_of, &ValueSettings::from_admin(&admin)).unwrap();
        assert_eq!(by_id(&after, 2).abc_class, "C");
        assert_eq!(by_id(&after, 1).lifecycle, "active");
        assert!(after.values.iter().all(|v| (1..=3).contains(&v.r_score)));
    }

    #[test]
    fn a_spend_fit_on_few_buyers_or_far_from_their_spend_is_not_used() {
        let summary = |frequency, monetary_value| kehu_analytics::CustomerSummary {
            frequency,
            recency: 10.0,
            age: 20.0,
            monetary_value,
        };
        let params = |q| kehu_analytics::GammaGammaParams { p: 6.0, q, v: 15.0 };
        let many: Vec<_> = (0..40).map(|_| summary(2, 35.0)).collect();
        // p·v/(q−1) = 90/3.5 ≈ 25.7, within a factor of two of 35.
        assert_eq!(spend_fit_problem(&params(4.5), &many), None);
        assert_eq!(
            spend_fit_problem(&params(4.5), &many[..5]),
            Some("too_few_repeat_buyers")
        );
        assert_eq!(
            spend_fit_problem(&params(0.8), &many),
            Some("infinite_mean")
        );
        // q = 1.1: a mean of 900 against orders of 35.
        assert_eq!(
            spend_fit_problem(&params(1.1), &many),
            Some("mean_far_from_observed")
        );
    }
}
