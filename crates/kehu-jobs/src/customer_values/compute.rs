//! From each customer's purchase totals to their stored values: RFM scores and segment,
//! ABC class, BG/NBD predictions with Gamma-Gamma spend and CLV, lifecycle stage.

use super::predict::Predictor;
use super::read::CustomerPurchases;
use super::ValueSettings;
use chrono::NaiveDate;
use kehu_analytics::{
    abc_classes, fit_bgnbd, fit_gamma_gamma, rfm_scores, ClvSettings, CustomerSummary,
    GammaGammaParams, LifecycleRules, Period, RfmRow,
};
use kehu_db::customer_values::CustomerValue;
use serde_json::{json, Value as Json};
use std::ops::Range;

/// What a computation produced, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedValues {
    /// One row per customer with purchases, by customer id.
    pub values: Vec<CustomerValue>,
    /// Fitted model parameters and fit quality (or why a model could not be fitted).
    pub model: Json,
    /// Purchases counted.
    pub purchases: usize,
}

/// The time unit of the repeat-purchase models.
pub(super) const PERIOD: Period = Period::Week;

/// Computes every customer's values from their purchase totals (by customer id, all
/// purchases on or before `as_of`), as of that day.
pub fn compute_values(
    purchases: Vec<CustomerPurchases>,
    as_of: NaiveDate,
    settings: &ValueSettings,
) -> anyhow::Result<ComputedValues> {
    let analysis = Analysis::new(purchases, as_of, settings)?;
    Ok(ComputedValues {
        values: analysis.values(0..analysis.len())?,
        purchases: analysis.purchases(),
        model: analysis.model,
    })
}

/// Everything that takes all customers at once — RFM and ABC classes, the fitted models
/// and their CLV curves — from which [`Analysis::values`] gives any customer's values.
/// The job stores the values a range of customers at a time as they are made, so the
/// million rows never wait in memory all at once, and making them overlaps storing them.
pub struct Analysis {
    purchases: Vec<CustomerPurchases>,
    rfm: Vec<RfmRow<i64>>,
    abc: Vec<&'static str>,
    summaries: Vec<CustomerSummary>,
    predictor: Option<Predictor>,
    as_of: NaiveDate,
    lifecycle: LifecycleRules,
    /// Fitted model parameters and fit quality (or why a model could not be fitted).
    pub model: Json,
}

impl Analysis {
    /// Scores the customers and fits the models to their purchase totals (by customer
    /// id, all purchases on or before `as_of`).
    pub fn new(
        purchases: Vec<CustomerPurchases>,
        as_of: NaiveDate,
        settings: &ValueSettings,
    ) -> anyhow::Result<Analysis> {
        // Scores and classes on one thread, the model fits on another: each is about
        // half a second on a million customers, and neither needs the other.
        let (scores, (summaries, bgnbd, spend)) = std::thread::scope(|scope| {
            let scores = scope.spawn(|| scores_and_classes(&purchases, as_of, settings));
            let summaries: Vec<CustomerSummary> = purchases
                .iter()
                .map(|c| c.totals.summary(as_of, PERIOD))
                .collect();
            let bgnbd = fit_bgnbd(&summaries);
            let spend = fit_gamma_gamma(&summaries);
            let scores = scores
                .join()
                .map_err(|_| anyhow::anyhow!("the scoring thread panicked"));
            (scores, (summaries, bgnbd, spend))
        });
        let (rfm, abc) = scores??;
        let mut model =
            json!({ "period": PERIOD.name(), "horizon_months": settings.horizon_months });
        model["bgnbd"] = match &bgnbd {
            Ok(fit) => serde_json::to_value(fit)?,
            Err(error) => json!({ "error": error.to_string() }),
        };
        model["gamma_gamma"] = match &spend {
            Ok(fit) => serde_json::to_value(fit)?,
            Err(error) => json!({ "error": error.to_string() }),
        };
        // Gamma-Gamma only where its fit is credible (see `spend_fit_problem`); otherwise
        // each customer's own average order (first purchase included) stands in, and the
        // model says so and why, for the pages to tell the reader.
        let spend_problem = match &spend {
            Ok(fit) => spend_fit_problem(&fit.params, &summaries),
            Err(_) => Some("not_fitted"),
        };
        let spend_model = spend
            .as_ref()
            .ok()
            .filter(|_| spend_problem.is_none())
            .map(|fit| fit.params);
        model["spend"] = json!(if spend_model.is_some() {
            "gamma_gamma"
        } else {
            "observed_average"
        });
        model["spend_problem"] = json!(spend_problem);
        let predictor = match &bgnbd {
            Ok(fit) => Some(Predictor::new(
                fit.params,
                spend_model,
                ClvSettings {
                    months: settings.horizon_months,
                    periods_per_month: PERIOD.per_month(),
                    monthly_discount_rate: settings.monthly_discount_rate,
                },
                &summaries,
            )?),
            Err(_) => None,
        };
        Ok(Analysis {
            purchases,
            rfm,
            abc,
            summaries,
            predictor,
            as_of,
            lifecycle: settings.lifecycle,
            model,
        })
    }

    /// Customers analysed.
    pub fn len(&self) -> usize {
        self.purchases.len()
    }

    /// Whether there was no one to analyse.
    pub fn is_empty(&self) -> bool {
        self.purchases.is_empty()
    }

    /// Purchases counted.
    pub fn purchases(&self) -> usize {
        self.purchases
            .iter()
            .map(|c| c.totals.purchases() as usize)
            .sum()
    }

    /// The values of the customers at `positions` (in customer id order).
    pub fn values(&self, positions: Range<usize>) -> anyhow::Result<Vec<CustomerValue>> {
        positions
            .map(|i| {
                let (row, customer) = (&self.rfm[i], &self.purchases[i]);
                let prediction = match &self.predictor {
                    Some(predictor) => {
                        Some(predictor.predict(&self.summaries[i], &customer.totals)?)
                    }
                    None => None,
                };
                let m = &row.measures;
                let days_since_first = (self.as_of - m.first_purchase).num_days();
                Ok(CustomerValue {
                    account_id: *customer.totals.customer(),
                    first_order_date: m.first_purchase,
                    last_order_date: m.last_purchase,
                    recency_days: m.recency_days,
                    frequency: i64::from(m.frequency),
                    monetary: customer.revenue,
                    r_score: i64::from(row.r),
                    f_score: i64::from(row.f),
                    m_score: i64::from(row.m),
                    segment: row.segment.clone(),
                    abc_class: self.abc[i].to_string(),
                    expected_purchases: prediction.map(|p| p.expected_purchases),
                    p_alive: prediction.map(|p| p.p_alive),
                    expected_avg_spend: prediction.map(|p| p.avg_spend),
                    clv: prediction.map(|p| p.clv),
                    lifecycle: self
                        .lifecycle
                        .stage(
                            days_since_first,
                            m.recency_days,
                            prediction.map(|p| p.p_alive),
                        )
                        .as_str()
                        .to_string(),
                })
            })
            .collect()
    }
}

/// Every customer's RFM scores and segment and their ABC class, in customer id order.
type Scores = (Vec<RfmRow<i64>>, Vec<&'static str>);

fn scores_and_classes(
    purchases: &[CustomerPurchases],
    as_of: NaiveDate,
    settings: &ValueSettings,
) -> anyhow::Result<Scores> {
    let rfm = rfm_scores(
        purchases
            .iter()
            .map(|c| c.totals.rfm_measures(as_of))
            .collect(),
        &settings.rfm,
    )?;
    // Keyed by position: rows are in customer id order, so positions break revenue ties
    // by id as the issue asks, without a map from ids.
    let mut abc = vec![""; rfm.len()];
    let revenues = rfm
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.measures.monetary))
        .collect();
    for row in abc_classes(revenues, &settings.abc)? {
        abc[row.customer] = row.class.as_str();
    }
    Ok((rfm, abc))
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
    params: &GammaGammaParams,
    summaries: &[CustomerSummary],
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

#[cfg(test)]
mod tests {
    use super::super::read::PurchaseSums;
    use super::*;
    use kehu_analytics::{AbcThresholds, AnalyticsSettings, LifecycleRules, RepeatPurchaseModel};
    use kehu_db::orders::PurchaseRow;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// What the job reads for these (customer, day, total) orders.
    fn totals(orders: &[(i64, NaiveDate, i64)]) -> Vec<CustomerPurchases> {
        let mut sorted = orders.to_vec();
        sorted.sort_by_key(|&(account_id, date, _)| (account_id, date));
        let mut sums = PurchaseSums::default();
        for (account_id, date, total) in sorted {
            sums.add(PurchaseRow {
                account_id,
                date,
                total,
            });
        }
        sums.finish()
    }

    fn by_id(computed: &ComputedValues, id: i64) -> CustomerValue {
        computed
            .values
            .iter()
            .find(|v| v.account_id == id)
            .cloned()
            .unwrap()
    }

    #[test]
    fn recent_frequent_big_spenders_are_champions_and_class_a() {
        let mut orders = Vec::new();
        // Customers 1–10: customer n bought n times, every 20 days up to the as-of day,
        // for n × ¥100 each time.
        for n in 1..=10i64 {
            for k in 0..n {
                let date = day("2024-06-30") - chrono::Duration::days(20 * k + (10 - n));
                orders.push((n, date, n * 10_000));
            }
        }
        let computed = compute_values(
            totals(&orders),
            day("2024-06-30"),
            &ValueSettings::default(),
        )
        .unwrap();
        assert_eq!(computed.values.len(), 10);
        assert_eq!(computed.purchases, 55);
        let best = by_id(&computed, 10);
        assert_eq!((best.r_score, best.f_score), (5, 5));
        assert_eq!(best.segment, "champions");
        assert_eq!(best.abc_class, "A");
        assert_eq!(best.monetary, 10 * 10 * 10_000);
        assert_eq!(best.lifecycle, "active");
        let least = by_id(&computed, 1);
        assert_eq!(least.abc_class, "C");
        assert_eq!(least.frequency, 1);
    }

    #[test]
    fn same_day_orders_are_one_purchase_day_for_the_models() {
        // Customer 1 placed two orders on each of three days; customer 2 one order on
        // each of six days. Same counts and revenue for RFM, but customer 1 made only
        // two repeat purchase days, so the model expects fewer purchases from them.
        let mut orders = Vec::new();
        for k in 0..3 {
            let date = day("2024-01-01") + chrono::Duration::days(60 * k);
            orders.extend([(1, date, 10_000), (1, date, 10_000)]);
        }
        for k in 0..6 {
            orders.push((
                2,
                day("2024-01-01") + chrono::Duration::days(24 * k),
                10_000,
            ));
        }
        for n in 3..40 {
            orders.push((n, day("2024-02-01") + chrono::Duration::days(n), 10_000));
            orders.push((n, day("2024-05-01") + chrono::Duration::days(n), 20_000));
        }
        let computed = compute_values(
            totals(&orders),
            day("2024-06-30"),
            &ValueSettings::default(),
        )
        .unwrap();
        let (one, two) = (by_id(&computed, 1), by_id(&computed, 2));
        assert_eq!((one.frequency, one.monetary), (6, 60_000));
        assert_eq!((two.frequency, two.monetary), (6, 60_000));
        assert!(
            one.expected_purchases.unwrap() < two.expected_purchases.unwrap(),
            "{one:?} {two:?}"
        );
    }

    #[test]
    fn every_customer_is_priced_by_the_models_formulas() {
        // 200 customers; those with the same id modulo 7 started on the same day and
        // those with the same id modulo 5 bought as often, so many share a CLV curve
        // while buying last on different days.
        // A quarter of them stopped after the first third of their time.
        let as_of = day("2024-06-30");
        let mut orders = Vec::new();
        for n in 1..=200i64 {
            let first = day("2023-01-01") + chrono::Duration::days(n % 7 * 30);
            let mut span = (as_of - first).num_days() - n % 40;
            if n % 4 == 0 {
                span /= 3;
            }
            let repeats = n % 5;
            for k in 0..=repeats {
                let date = first + chrono::Duration::days(span * k / repeats.max(1));
                orders.push((n, date, 2_000 + n * 37 + k * 500));
            }
        }
        let purchases = totals(&orders);
        let settings = ValueSettings::default();
        let computed = compute_values(purchases.clone(), as_of, &settings).unwrap();
        let summaries: Vec<CustomerSummary> = purchases
            .iter()
            .map(|c| c.totals.summary(as_of, PERIOD))
            .collect();
        let model = fit_bgnbd(&summaries).unwrap().params;
        let spend = fit_gamma_gamma(&summaries).unwrap().params;
        assert_eq!(spend_fit_problem(&spend, &summaries), None);
        let clv = ClvSettings {
            months: 12,
            periods_per_month: PERIOD.per_month(),
            monthly_discount_rate: 0.01,
        };
        for (value, summary) in computed.values.iter().zip(&summaries) {
            let avg = spend.expected_average_spend(summary).unwrap();
            let expected_clv =
                kehu_analytics::customer_lifetime_value(&model, summary, avg, &clv).unwrap();
            assert_eq!(value.clv, Some((expected_clv * 100.0).round() as i64));
            assert_eq!(value.p_alive, Some(model.p_alive(summary)));
            assert_eq!(value.expected_avg_spend, Some(avg));
            assert_eq!(
                value.expected_purchases,
                Some(model.expected_purchases(summary, 12.0 * PERIOD.per_month()))
            );
        }
        assert!(computed.values.iter().any(|v| v.clv.unwrap() > 0));
    }

    #[test]
    fn the_admins_thresholds_change_classes_and_stages() {
        // Revenue 80 / 15 / 5; customer 1 last bought 100 days ago.
        let orders = [
            (1, day("2024-01-01"), 400_000),
            (1, day("2024-03-22"), 400_000),
            (2, day("2024-06-20"), 150_000),
            (3, day("2024-06-20"), 50_000),
        ];
        let as_of = day("2024-06-30");
        let before = compute_values(totals(&orders), as_of, &ValueSettings::default()).unwrap();
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
        let after =
            compute_values(totals(&orders), as_of, &ValueSettings::from_admin(&admin)).unwrap();
        assert_eq!(by_id(&after, 2).abc_class, "C");
        assert_eq!(by_id(&after, 1).lifecycle, "active");
        assert!(after.values.iter().all(|v| (1..=3).contains(&v.r_score)));
    }

    #[test]
    fn a_spend_fit_on_few_buyers_or_far_from_their_spend_is_not_used() {
        let summary = |frequency, monetary_value| CustomerSummary {
            frequency,
            recency: 10.0,
            age: 20.0,
            monetary_value,
        };
        let params = |q| GammaGammaParams { p: 6.0, q, v: 15.0 };
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
