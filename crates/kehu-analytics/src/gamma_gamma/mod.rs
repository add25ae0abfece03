//! The Gamma-Gamma model of spend per purchase (Fader & Hardie, "The
//! Gamma-Gamma model of monetary value", 2013): each purchase of a customer
//! is Gamma(p, ν) distributed, and ν varies across customers as
//! Gamma(q, γ). It turns a customer's observed mean spend into an expected
//! spend that is shrunk towards the population mean.

use serde::{Deserialize, Serialize};

mod likelihood;

use crate::mle::{fit_positive_parameters, FitProblem, ModelFit, ModelParameters};
use crate::summary::CustomerSummary;
use crate::AnalyticsError;
use likelihood::SpendRows;

/// Rows of the Nelder–Mead stage: it only has to land near the optimum, which Newton
/// steps on every row then reach (a million repeat buyers made the simplex alone take
/// seconds).
const FIRST_STAGE_ROWS: usize = 2_000;

/// Gamma-Gamma parameters (`v` is Fader & Hardie's γ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    /// Shape of the spend per purchase.
    pub p: f64,
    /// Shape of the customers' spend-rate distribution.
    pub q: f64,
    /// Scale of the customers' spend-rate distribution (γ).
    pub v: f64,
}

impl ModelParameters for GammaGammaParams {
    const NAMES: &'static [&'static str] = &["p", "q", "v"];

    fn to_vec(&self) -> Vec<f64> {
        vec![self.p, self.q, self.v]
    }

    fn from_slice(v: &[f64]) -> Self {
        Self {
            p: v[0],
            q: v[1],
            v: v[2],
        }
    }
}

/// Fits Gamma-Gamma by maximum likelihood on the customers with a repeat
/// purchase and a positive mean spend (946 of the 2,357 in the CDNOW
/// sample); the others carry no information about spend per repeat purchase.
pub fn fit_gamma_gamma(
    customers: &[CustomerSummary],
) -> Result<ModelFit<GammaGammaParams>, AnalyticsError> {
    const MODEL: &str = "Gamma-Gamma";
    let rows = SpendRows::new(customers)?;
    if rows.customers == 0 {
        return Err(AnalyticsError::NoData { model: MODEL });
    }
    let sample = rows.systematic_sample(FIRST_STAGE_ROWS);
    let problem = FitProblem {
        model: MODEL,
        customers: rows.customers,
        first_stage: &|theta: &[f64]| sample.negative(theta),
        nll: &|theta: &[f64]| rows.negative(theta),
        derivatives: Some(&|theta: &[f64]| rows.negative_derivatives(theta)),
    };
    // Start where the population mean spend p·γ/(q−1) equals the observed one.
    let start = GammaGammaParams {
        p: 1.0,
        q: 2.0,
        v: rows.mean_spend(),
    };
    fit_positive_parameters(&problem, start)
}

impl GammaGammaParams {
    /// Total log-likelihood (convention as in [`fit_gamma_gamma`]) of the
    /// customers with a repeat purchase and a positive mean spend.
    pub fn log_likelihood(&self, customers: &[CustomerSummary]) -> Result<f64, AnalyticsError> {
        Ok(-SpendRows::new(customers)?.negative(&self.to_vec()))
    }

    /// Population mean spend per purchase, p·γ/(q−1); requires q > 1.
    pub fn population_mean_spend(&self) -> Result<f64, AnalyticsError> {
        self.require_finite_mean()?;
        Ok(self.p * self.v / (self.q - 1.0))
    }

    /// Expected spend per future purchase of a customer with x repeat
    /// purchases of mean m̄:
    ///
    /// E[M | p, q, γ, x, m̄] = p (γ + x m̄) / (p x + q − 1),
    ///
    /// a weighted average of the population mean p·γ/(q−1) and m̄ with weight
    /// p·x/(p·x + q − 1) on m̄. Customers without repeat purchases get the
    /// population mean. Requires q > 1 (otherwise the mean spend is infinite).
    pub fn expected_average_spend(
        &self,
        customer: &CustomerSummary,
    ) -> Result<f64, AnalyticsError> {
        self.require_finite_mean()?;
        let x = f64::from(customer.frequency);
        let m = if customer.frequency > 0 {
            customer.monetary_value
        } else {
            0.0
        };
        Ok(self.p * (self.v + x * m) / (self.p * x + self.q - 1.0))
    }

    fn require_finite_mean(&self) -> Result<(), AnalyticsError> {
        if self.q > 1.0 {
            Ok(())
        } else {
            Err(AnalyticsError::invalid(
                "Gamma-Gamma q",
                format!("q = {} ≤ 1 gives an infinite mean spend", self.q),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(frequency: u32, monetary_value: f64) -> CustomerSummary {
        CustomerSummary {
            frequency,
            recency: 1.0,
            age: 2.0,
            monetary_value,
        }
    }

    #[test]
    fn expected_spend_shrinks_towards_the_population_mean() {
        let params = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        let population = params.population_mean_spend().expect("q > 1");
        assert!((population - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        let new = params
            .expected_average_spend(&summary(0, 0.0))
            .expect("q > 1");
        assert!((new - population).abs() < 1e-12);
        let big = params
            .expected_average_spend(&summary(2, 100.0))
            .expect("q > 1");
        assert!(big > population && big < 100.0);
        // More purchases: more weight on the customer's own mean.
        let bigger = params
            .expected_average_spend(&summary(20, 100.0))
            .expect("q > 1");
        assert!(bigger > big && bigger < 100.0);
        let heavy_tail = GammaGammaParams { q: 0.9, ..params };
        assert!(heavy_tail.expected_average_spend(&summary(1, 1.0)).is_err());
    }

    #[test]
    fn fit_recovers_parameters_of_simulated_means() {
        // Deterministic "population": mean spends spread over a Gamma-like
        // range; the fit must at least reproduce the sample's mean spend.
        let customers: Vec<CustomerSummary> = (1..=400)
            .map(|i| summary(1 + i % 5, 10.0 + f64::from((i * 37) % 100)))
            .collect();
        let fit = fit_gamma_gamma(&customers).expect("fit");
        assert_eq!(fit.customers, 400);
        assert!(fit.converged);
        let sample_mean = customers.iter().map(|c| c.monetary_value).sum::<f64>() / 400.0;
        let model_mean = fit.params.population_mean_spend().expect("q > 1");
        assert!((model_mean - sample_mean).abs() < 0.1 * sample_mean);
        assert!(fit.standard_errors.is_some());
    }

    #[test]
    fn one_time_buyers_are_not_fitted() {
        assert!(matches!(
            fit_gamma_gamma(&[summary(0, 0.0)]),
            Err(AnalyticsError::NoData { .. })
        ));
    }
}
