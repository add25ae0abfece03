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
    /// with this history (the conditional expectation E[Y(t) | x, tₓ, T]):
    /// what they buy if still alive, times the chance that they are.
    fn expected_purchases(&self, customer: &CustomerSummary, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        self.expected_purchases_if_alive(customer, t) * self.p_alive(customer)
    }
    /// Expected number of purchases in the next `t` periods by a customer with
    /// this history who is still alive (E[Y(t) | alive, x, T]). In both models
    /// it depends on the frequency x and the age T alone, not on tₓ, so
    /// customers of the same frequency and age share it (see [`ClvCurve`]).
    fn expected_purchases_if_alive(&self, customer: &CustomerSummary, t: f64) -> f64;
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
    Ok(ClvCurve::of(model, customer, settings)?.value(model.p_alive(customer), expected_spend))
}

/// The part of [`customer_lifetime_value`] that costs: each month's cumulative expected
/// purchases if the customer is alive (a Gauss hypergeometric series per month under
/// BG/NBD), with the month's discount factor. They depend on the frequency x and the age
/// T alone, which many customers share (customers acquired on the same day with the same
/// number of repeat purchases), so a caller pricing a million customers computes a curve
/// once per (x, T) and [`ClvCurve::value`] per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ClvCurve {
    /// (E[Y(m·k) | alive], 1 / (1 + d)^m) for m = 1..H.
    months: Vec<(f64, f64)>,
}

impl ClvCurve {
    /// The curve of `customer`'s frequency and age under `model`.
    pub fn of(
        model: &impl RepeatPurchaseModel,
        customer: &CustomerSummary,
        settings: &ClvSettings,
    ) -> Result<ClvCurve, AnalyticsError> {
        settings.validate()?;
        let mut months = Vec::with_capacity(settings.months as usize);
        let mut discount = 1.0;
        for month in 1..=settings.months {
            let if_alive = model.expected_purchases_if_alive(
                customer,
                f64::from(month) * settings.periods_per_month,
            );
            discount /= 1.0 + settings.monthly_discount_rate;
            months.push((if_alive, discount));
        }
        Ok(ClvCurve { months })
    }

    /// The CLV at `expected_spend` per purchase of a customer on this curve who is alive
    /// with probability `p_alive`: each month's cumulative purchases are the model's
    /// [`RepeatPurchaseModel::expected_purchases`] (if-alive value times P(alive)), and
    /// the months are summed in the order of the formula, so the value is the same to
    /// the last bit whether the curve was computed for this customer or shared.
    pub fn value(&self, p_alive: f64, expected_spend: f64) -> f64 {
        let mut previous = 0.0;
        self.months
            .iter()
            .fold(0.0, |value, &(if_alive, discount)| {
                let cumulative = if_alive * p_alive;
                let purchases = cumulative - previous;
                previous = cumulative;
                value + expected_spend * purchases * discount
            })
    }

    /// Expected purchases over the whole horizon (H·k periods) of a customer on this
    /// curve alive with probability `p_alive`: the model's `expected_purchases` at H·k,
    /// to the bit, without another series.
    pub fn expected_purchases(&self, p_alive: f64) -> f64 {
        self.months
            .last()
            .map_or(0.0, |&(if_alive, _)| if_alive * p_alive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One purchase per period forever, whatever the history.
    struct Steady;

    impl RepeatPurchaseModel for Steady {
        fn expected_purchases_if_alive(&self, _: &CustomerSummary, t: f64) -> f64 {
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

    #[test]
    fn a_shared_curve_prices_every_customer_of_its_frequency_and_age_as_the_formula() {
        // CDNOW's published BG/NBD parameters; three customers of frequency 2 and age 30
        // weeks who last bought at different times, and the month-by-month formula.
        let model = crate::BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let settings = ClvSettings {
            months: 12,
            periods_per_month: 4.348214,
            monthly_discount_rate: 0.01,
        };
        let customer = |recency| CustomerSummary {
            frequency: 2,
            recency,
            age: 30.0,
            monetary_value: 35.0,
        };
        let curve = ClvCurve::of(&model, &customer(1.0), &settings).unwrap();
        for recency in [1.0, 12.5, 29.0] {
            let c = customer(recency);
            let mut formula = 0.0;
            let (mut previous, mut discount) = (0.0, 1.0);
            for month in 1..=12 {
                let cumulative = model.expected_purchases(&c, f64::from(month) * 4.348214);
                discount /= 1.01;
                formula += 35.0 * (cumulative - previous) * discount;
                previous = cumulative;
            }
            let p_alive = model.p_alive(&c);
            assert_eq!(curve.value(p_alive, 35.0), formula, "recency {recency}");
            assert_eq!(
                customer_lifetime_value(&model, &c, 35.0, &settings).unwrap(),
                formula
            );
            assert_eq!(
                curve.expected_purchases(p_alive),
                model.expected_purchases(&c, 12.0 * 4.348214)
            );
        }
        // Someone who bought recently is worth more than someone gone quiet.
        assert!(
            curve.value(model.p_alive(&customer(29.0)), 35.0)
                > curve.value(model.p_alive(&customer(1.0)), 35.0)
        );
    }
}
