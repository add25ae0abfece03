//! Customer lifetime value from a repeat-purchase model (BG/NBD or
//! Pareto/NBD) and an expected spend per purchase (Gamma-Gamma): the
//! discounted sum of expected monthly purchases times expected spend.

use serde::{Deserialize, Serialize};

use crate::summary::CustomerSummary;
use crate::AnalyticsError;

/// What CLV and lifecycle code needs from a fitted repeat-purchase model.
/// Times are in the periods the model was fitted in.
pub trait RepeatPurchaseModel {
    /// Expected number of purchases in the next `t` periods by a customer
    /// with this history (the conditional expectation E[Y(t) | x, tₓ, T]).
    fn expected_purchases(&self, customer: &CustomerSummary, t: f64) -> f64;
    /// Probability that the customer is still alive (has not churned
    /// unobserved) at the end of calibration.
    fn p_alive(&self, customer: &CustomerSummary) -> f64;
    /// Expected purchases of a newly acquired customer in their first `t`
    /// periods (the unconditional E[X(t)]), e.g. for acquisition planning.
    fn expected_purchases_new_customer(&self, t: f64) -> f64;
}

/// How far ahead, in what steps, and at what discount CLV is summed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClvSettings {
    /// Months to sum over (H).
    pub months: u32,
    /// Model periods per month (e.g. [`crate::Period::per_month`]: 4.348214
    /// for weeks, from a month of 365.25/12 days).
    pub periods_per_month: f64,
    /// Discount rate per month d (e.g. 0.01; an annual rate R converts as
    /// (1+R)^(1/12) − 1).
    pub monthly_discount_rate: f64,
}

impl ClvSettings {
    fn validate(&self) -> Result<(), AnalyticsError> {
        if !(self.periods_per_month.is_finite() && self.periods_per_month > 0.0) {
            return Err(AnalyticsError::invalid(
                "periods_per_month",
                "must be a positive number",
            ));
        }
        if !(self.monthly_discount_rate.is_finite() && self.monthly_discount_rate > -1.0) {
            return Err(AnalyticsError::invalid(
                "monthly_discount_rate",
                "must be a number greater than -1",
            ));
        }
        Ok(())
    }
}

/// Discounted expected value of a customer's purchases over the next
/// `settings.months` months:
///
/// CLV = Σ_{m=1..H} s · (E[Y(m·k)] − E[Y((m−1)·k)]) / (1 + d)^m
///
/// with s = `expected_spend` per purchase (e.g. the Gamma-Gamma conditional
/// mean), E[Y(t)] the model's conditional expected purchases in the next t
/// periods, k = periods per month and d the monthly discount rate. Each
/// month's purchases are discounted as if made at the month's end (as the
/// `lifetimes` package does).
pub fn customer_lifetime_value(
    model: &impl RepeatPurchaseModel,
    customer: &CustomerSummary,
    expected_spend: f64,
    settings: &ClvSettings,
) -> Result<f64, AnalyticsError> {
    Ok(ClvMonths::of(model, customer, settings)?.value(expected_spend))
}

/// The model's part of [`customer_lifetime_value`]: each month's expected purchases and
/// discount factor. They depend on the purchase history (x, tₓ, T) alone, which many
/// customers share (in a year of daily orders, thousands of one-time buyers share each
/// first purchase day), so a caller pricing a million customers computes them once per
/// history and [`ClvMonths::value`] per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ClvMonths {
    /// (E[Y(m·k)] − E[Y((m−1)·k)], 1 / (1 + d)^m) for m = 1..H.
    months: Vec<(f64, f64)>,
}

impl ClvMonths {
    /// The months of `customer`'s history under `model`.
    pub fn of(
        model: &impl RepeatPurchaseModel,
        customer: &CustomerSummary,
        settings: &ClvSettings,
    ) -> Result<ClvMonths, AnalyticsError> {
        settings.validate()?;
        let mut months = Vec::with_capacity(settings.months as usize);
        let mut previous = 0.0;
        let mut discount = 1.0;
        for month in 1..=settings.months {
            let cumulative =
                model.expected_purchases(customer, f64::from(month) * settings.periods_per_month);
            discount /= 1.0 + settings.monthly_discount_rate;
            months.push((cumulative - previous, discount));
            previous = cumulative;
        }
        Ok(ClvMonths { months })
    }

    /// The CLV at `expected_spend` per purchase, summed month by month in the order
    /// (and with the roundings) of the formula, so the value is the same to the last bit
    /// whether the months were computed for this customer or shared.
    pub fn value(&self, expected_spend: f64) -> f64 {
        self.months
            .iter()
            .fold(0.0, |value, &(purchases, discount)| {
                value + expected_spend * purchases * discount
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One purchase per period forever, whatever the history.
    struct Steady;

    impl RepeatPurchaseModel for Steady {
        fn expected_purchases(&self, _: &CustomerSummary, t: f64) -> f64 {
            t
        }
        fn p_alive(&self, _: &CustomerSummary) -> f64 {
            1.0
        }
        fn expected_purchases_new_customer(&self, t: f64) -> f64 {
            t
        }
    }

    #[test]
    fn clv_discounts_each_month_at_its_end() {
        let c = CustomerSummary {
            frequency: 1,
            recency: 1.0,
            age: 2.0,
            monetary_value: 10.0,
        };
        let settings = ClvSettings {
            months: 2,
            periods_per_month: 4.0,
            monthly_discount_rate: 0.1,
        };
        let clv = customer_lifetime_value(&Steady, &c, 10.0, &settings).expect("valid");
        // 4 purchases × 10 in each month, discounted 1/1.1 and 1/1.21.
        let expected = 40.0 / 1.1 + 40.0 / 1.21;
        assert!((clv - expected).abs() < 1e-12);
        let bad = ClvSettings {
            monthly_discount_rate: -1.0,
            ..settings
        };
        assert!(customer_lifetime_value(&Steady, &c, 10.0, &bad).is_err());
    }
}
