//! The Pareto/NBD repeat-purchase model (Schmittlein, Morrison & Colombo
//! 1987): while alive a customer buys at Poisson rate λ ~ Gamma(r, α); their
//! lifetime is exponential with rate μ ~ Gamma(s, β). The likelihood follows
//! Fader & Hardie's note "A note on deriving the Pareto/NBD model and
//! related expressions" (2005), whose choice of ₂F₁ branch keeps the
//! hypergeometric argument in [0, 1).

use serde::{Deserialize, Serialize};

use crate::clv::RepeatPurchaseModel;
use crate::grouped::GroupedCustomers;
use crate::mle::{fit_positive_parameters, positive_finite, FitProblem, ModelFit, ModelParameters};
use crate::special::{hyp2f1, ln_gamma, log_add_exp, logistic};
use crate::summary::CustomerSummary;
use crate::AnalyticsError;

/// Pareto/NBD parameters: purchase rate λ ~ Gamma(shape `r`, rate `alpha`),
/// dropout rate μ ~ Gamma(shape `s`, rate `beta`), per period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdParams {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Rate of the purchase-rate distribution.
    pub alpha: f64,
    /// Shape of the dropout-rate distribution.
    pub s: f64,
    /// Rate of the dropout-rate distribution.
    pub beta: f64,
}

impl ModelParameters for ParetoNbdParams {
    const NAMES: &'static [&'static str] = &["r", "alpha", "s", "beta"];

    fn to_vec(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.s, self.beta]
    }

    fn from_slice(v: &[f64]) -> Self {
        Self {
            r: v[0],
            alpha: v[1],
            s: v[2],
            beta: v[3],
        }
    }
}

/// Rows above which the Nelder–Mead stage runs on a systematic sample. Much
/// larger than BG/NBD's: the Pareto/NBD likelihood has a flat ridge in
/// (s, β), along which a small sample's optimum wanders far from the full
/// one, and without analytic derivatives the Newton walk back is costly.
const FIRST_STAGE_ROWS: usize = 20_000;

/// Fits Pareto/NBD by maximum likelihood. Per customer,
///
/// L = Γ(r+x) αʳ βˢ / Γ(r) · [ 1/((α+T)^(r+x) (β+T)ˢ) + s/(r+s+x) · A₀ ],
///
/// where, for α ≥ β,
/// A₀ = ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+tₓ)) / (α+tₓ)^(r+s+x)
///    − ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+T)) / (α+T)^(r+s+x),
/// and for α < β the same with s+1 → r+x and α−β, α+· → β−α, β+·.
/// On the CDNOW sample the log-likelihood at the published estimates is
/// −9595.0.
pub fn fit_pareto_nbd(
    customers: &[CustomerSummary],
) -> Result<ModelFit<ParetoNbdParams>, AnalyticsError> {
    const MODEL: &str = "Pareto/NBD";
    let data = GroupedCustomers::new(customers)?;
    if data.rows() == 0 {
        return Err(AnalyticsError::NoData { model: MODEL });
    }
    if data.groups.iter().all(|g| g.x == 0.0) {
        return Err(AnalyticsError::NoRepeatPurchases { model: MODEL });
    }
    let sample = data.systematic_sample(FIRST_STAGE_ROWS);
    let problem = FitProblem {
        model: MODEL,
        customers: customers.len(),
        first_stage: &|theta: &[f64]| negative_log_likelihood(&sample, theta),
        nll: &|theta: &[f64]| negative_log_likelihood(&data, theta),
        derivatives: None,
    };
    fit_positive_parameters(&problem, starting_values(&data))
}

/// r = s = 1, α matching the mean purchase rate, β the mean age.
fn starting_values(data: &GroupedCustomers) -> ParetoNbdParams {
    let purchases: f64 = data.groups.iter().map(|g| g.x * g.weight).sum();
    let exposure: f64 = data.age.iter().zip(&data.weight).map(|(t, w)| t * w).sum();
    let customers = data.customers();
    let alpha = if purchases > 0.0 && exposure > 0.0 {
        exposure / purchases
    } else {
        1.0
    };
    let beta = if exposure > 0.0 {
        exposure / customers
    } else {
        1.0
    };
    ParetoNbdParams {
        r: 1.0,
        alpha,
        s: 1.0,
        beta,
    }
}

impl ParetoNbdParams {
    /// Total log-likelihood of `customers` under these parameters.
    pub fn log_likelihood(&self, customers: &[CustomerSummary]) -> Result<f64, AnalyticsError> {
        let data = GroupedCustomers::new(customers)?;
        Ok(-negative_log_likelihood(&data, &self.to_vec()))
    }

    /// ln[ s/(r+s+x) · (α+T)^(r+x) (β+T)ˢ · A₀ ]: the log-odds of "died
    /// between tₓ and T" against "alive at T".
    fn death_log_odds(&self, c: &CustomerSummary) -> f64 {
        let x = f64::from(c.frequency);
        let recency = if c.frequency == 0 { 0.0 } else { c.recency };
        let ln_a0 = ln_a0_pair(self, x, recency, c.age).finish();
        (self.s / (self.r + self.s + x)).ln()
            + (self.r + x) * (self.alpha + c.age).ln()
            + self.s * (self.beta + c.age).ln()
            + ln_a0
    }
}

/// [1 − (1+h)^−k] / k, continuous at k = 0 where it equals ln(1+h); `ln1h`
/// is ln(1+h).
fn dropout_integral(k: f64, ln1h: f64) -> f64 {
    if k * ln1h == 0.0 {
        ln1h
    } else {
        -(-k * ln1h).exp_m1() / k
    }
}

impl RepeatPurchaseModel for ParetoNbdParams {
    /// E[Y(t) | x, tₓ, T] is this times P(alive), with
    /// E[Y(t) | alive, x, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)],
    /// taken to its limit (r+x)(β+T)/(α+T) · ln((β+T+t)/(β+T)) at s = 1.
    fn expected_purchases_if_alive(&self, c: &CustomerSummary, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let x = f64::from(c.frequency);
        let beta_t = self.beta + c.age;
        let ln1h = (t / beta_t).ln_1p();
        (self.r + x) * beta_t / (self.alpha + c.age) * dropout_integral(self.s - 1.0, ln1h)
    }

    /// P(alive | x, tₓ, T) = 1 / (1 + s/(r+s+x) · (α+T)^(r+x) (β+T)ˢ · A₀).
    fn p_alive(&self, c: &CustomerSummary) -> f64 {
        logistic(-self.death_log_odds(c))
    }

    /// E[X(t)] = rβ / (α(s−1)) · [1 − (β/(β+t))^(s−1)] (limit at s = 1 as above).
    fn expected_purchases_new_customer(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        self.r * self.beta / self.alpha * dropout_integral(self.s - 1.0, (t / self.beta).ln_1p())
    }
}

/// The two terms of ln A₀ before their difference is taken:
/// ln[₂F₁(…; z(tₓ)) / (m+tₓ)^(r+s+x)] and the same at T, m = max(α, β).
struct LnA0Pair {
    at_recency: f64,
    at_age: f64,
}

impl LnA0Pair {
    /// ln A₀ = ln(e^at_recency − e^at_age); −∞ when tₓ = T.
    fn finish(&self) -> f64 {
        let gap = self.at_age - self.at_recency;
        if gap < 0.0 {
            self.at_recency + (-gap.exp_m1()).ln()
        } else {
            f64::NEG_INFINITY
        }
    }
}

fn ln_a0_term(p: &ParetoNbdParams, x: f64, time: f64) -> f64 {
    let rsx = p.r + p.s + x;
    // Fader & Hardie's branch choice: the larger rate goes in the
    // denominator so that the ₂F₁ argument lies in [0, 1).
    let (larger, second) = if p.alpha >= p.beta {
        (p.alpha, p.s + 1.0)
    } else {
        (p.beta, p.r + x)
    };
    let base = larger + time;
    let z = (p.alpha - p.beta).abs() / base;
    hyp2f1(rsx, second, rsx + 1.0, z).ln() - rsx * base.ln()
}

fn ln_a0_pair(p: &ParetoNbdParams, x: f64, recency: f64, age: f64) -> LnA0Pair {
    LnA0Pair {
        at_recency: ln_a0_term(p, x, recency),
        at_age: ln_a0_term(p, x, age),
    }
}

/// −ln L over grouped rows; +∞ outside the domain.
fn negative_log_likelihood(data: &GroupedCustomers, theta: &[f64]) -> f64 {
    let Some([r, alpha, s, beta]) = positive_finite::<4>(theta) else {
        return f64::INFINITY;
    };
    let p = ParetoNbdParams { r, alpha, s, beta };
    let head = r * alpha.ln() + s * beta.ln() - ln_gamma(r);
    let mut total = 0.0;
    for g in &data.groups {
        let x = g.x;
        let rx = r + x;
        let ln_weight = s.ln() - (r + s + x).ln();
        total += g.weight * (ln_gamma(rx) + head);
        // Rows are sorted by T then tₓ, so equal times are neighbours and
        // their ₂F₁ terms are computed once (all of x = 0 share tₓ = 0).
        let mut cached_recency: Option<(f64, f64)> = None;
        let mut cached_age: Option<(f64, f64)> = None;
        let mut sum = 0.0;
        for i in g.rows.clone() {
            let (recency, age) = (data.recency[i], data.age[i]);
            let at_recency = match cached_recency {
                Some((t, v)) if t == recency => v,
                _ => {
                    let v = ln_a0_term(&p, x, recency);
                    cached_recency = Some((recency, v));
                    v
                }
            };
            let at_age = match cached_age {
                Some((t, v)) if t == age => v,
                _ => {
                    let v = ln_a0_term(&p, x, age);
                    cached_age = Some((age, v));
                    v
                }
            };
            let ln_a0 = LnA0Pair { at_recency, at_age }.finish();
            let alive = -rx * (alpha + age).ln() - s * (beta + age).ln();
            sum += data.weight[i] * log_add_exp(alive, ln_weight + ln_a0);
        }
        total += sum;
    }
    if total.is_nan() {
        f64::INFINITY
    } else {
        -total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (r+s+x) ∫_{tₓ}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ by Simpson's rule.
    fn a0_by_quadrature(p: &ParetoNbdParams, x: f64, recency: f64, age: f64) -> f64 {
        let n = 20_000;
        let h = (age - recency) / n as f64;
        let f = |tau: f64| (p.alpha + tau).powf(-(p.r + x)) * (p.beta + tau).powf(-(p.s + 1.0));
        let mut sum = f(recency) + f(age);
        for i in 1..n {
            let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
            sum += weight * f(recency + i as f64 * h);
        }
        (p.r + p.s + x) * sum * h / 3.0
    }

    #[test]
    fn hypergeometric_a0_equals_the_defining_integral_on_both_branches() {
        for (alpha, beta) in [(10.578, 11.669), (11.669, 10.578), (4.0, 0.5), (0.3, 9.0)] {
            let p = ParetoNbdParams {
                r: 0.553,
                alpha,
                s: 0.606,
                beta,
            };
            for (x, recency, age) in [(0.0, 0.0, 38.86), (2.0, 30.43, 38.86), (7.0, 1.0, 20.0)] {
                let exact = a0_by_quadrature(&p, x, recency, age);
                let via_2f1 = ln_a0_pair(&p, x, recency, age).finish().exp();
                assert!(
                    (via_2f1 - exact).abs() < 1e-9 * exact,
                    "α={alpha} β={beta} x={x}: {via_2f1} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn expectations_are_continuous_at_s_equal_one() {
        let at = |s: f64| ParetoNbdParams {
            r: 0.5,
            alpha: 10.0,
            s,
            beta: 12.0,
        };
        let c = CustomerSummary {
            frequency: 2,
            recency: 20.0,
            age: 30.0,
            monetary_value: 0.0,
        };
        let exact = at(1.0).expected_purchases(&c, 52.0);
        let near = at(1.0 + 1e-7).expected_purchases(&c, 52.0);
        assert!((exact - near).abs() < 1e-6 * exact);
        let new = at(1.0).expected_purchases_new_customer(52.0);
        assert!((new - 0.5 * 12.0 / 10.0 * (1.0f64 + 52.0 / 12.0).ln()).abs() < 1e-12);
    }

    #[test]
    fn purchase_at_the_end_of_calibration_means_alive() {
        let p = ParetoNbdParams {
            r: 0.553,
            alpha: 10.578,
            s: 0.606,
            beta: 11.669,
        };
        let c = CustomerSummary {
            frequency: 3,
            recency: 30.0,
            age: 30.0,
            monetary_value: 0.0,
        };
        assert_eq!(p.p_alive(&c), 1.0);
        let gone = CustomerSummary {
            recency: 1.0,
            age: 100.0,
            frequency: 15,
            ..c
        };
        assert!(p.p_alive(&gone) < 0.01);
    }
}
