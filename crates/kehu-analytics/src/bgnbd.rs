//! The BG/NBD repeat-purchase model (Fader, Hardie & Lee 2005, "Counting
//! your customers the easy way"): while alive a customer buys at Poisson rate
//! λ ~ Gamma(r, α); after each purchase they drop out with probability
//! p ~ Beta(a, b).

use serde::{Deserialize, Serialize};

use crate::clv::RepeatPurchaseModel;
use crate::grouped::GroupedCustomers;
use crate::mle::{fit_positive_parameters, positive_finite, FitProblem, ModelFit, ModelParameters};
use crate::optimize::Derivatives;
use crate::special::{digamma, hyp2f1, ln_gamma, logistic, softplus, trigamma};
use crate::summary::CustomerSummary;
use crate::AnalyticsError;

/// BG/NBD parameters: purchase rate λ ~ Gamma(shape `r`, rate `alpha`) per
/// period, dropout probability p ~ Beta(`a`, `b`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Rate (inverse scale, in periods) of the purchase-rate distribution.
    pub alpha: f64,
    /// First shape of the dropout-probability distribution.
    pub a: f64,
    /// Second shape of the dropout-probability distribution.
    pub b: f64,
}

impl ModelParameters for BgNbdParams {
    const NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];

    fn to_vec(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.a, self.b]
    }

    fn from_slice(v: &[f64]) -> Self {
        Self {
            r: v[0],
            alpha: v[1],
            a: v[2],
            b: v[3],
        }
    }
}

/// Rows above which the Nelder–Mead stage runs on a systematic sample and
/// only the Newton polish (with analytic derivatives, a few iterations even
/// from a rough start) sees every row. Keeps the CDNOW sample at about 2 ms
/// and 10⁵ customers at a few tens of ms.
const FIRST_STAGE_ROWS: usize = 500;

/// Fits BG/NBD by maximum likelihood.
///
/// The log-likelihood of one customer (FHL 2005, eq. 6) is
///
/// ln L = lnΓ(r+x) − lnΓ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
///        + ln[(α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+tₓ)^−(r+x)],
///
/// summed over customers; on the CDNOW sample it gives −9582.4 at the
/// published estimates. Errors on invalid summaries or an empty input.
pub fn fit_bgnbd(customers: &[CustomerSummary]) -> Result<ModelFit<BgNbdParams>, AnalyticsError> {
    const MODEL: &str = "BG/NBD";
    let data = GroupedCustomers::new(customers)?;
    if data.rows() == 0 {
        return Err(AnalyticsError::NoData { model: MODEL });
    }
    if data.groups.iter().all(|g| g.x == 0.0) {
        return Err(AnalyticsError::NoRepeatPurchases { model: MODEL });
    }
    let sample = data.systematic_sample(FIRST_STAGE_ROWS);
    let full = Likelihood { data: &data };
    let coarse = Likelihood { data: &sample };
    let problem = FitProblem {
        model: MODEL,
        customers: customers.len(),
        first_stage: &|theta: &[f64]| coarse.negative(theta),
        nll: &|theta: &[f64]| full.negative(theta),
        derivatives: Some(&|theta: &[f64]| full.negative_derivatives(theta)),
    };
    fit_positive_parameters(&problem, starting_values(&data))
}

/// A neutral start: r = 1, a = b = 1, and α matching the mean purchase rate
/// (E[λ] = r/α ≈ Σx / ΣT).
fn starting_values(data: &GroupedCustomers) -> BgNbdParams {
    let purchases: f64 = data.groups.iter().map(|g| g.x * g.weight).sum();
    let exposure: f64 = data.age.iter().zip(&data.weight).map(|(t, w)| t * w).sum();
    let alpha = if purchases > 0.0 && exposure > 0.0 {
        exposure / purchases
    } else {
        1.0
    };
    BgNbdParams {
        r: 1.0,
        alpha,
        a: 1.0,
        b: 1.0,
    }
}

impl BgNbdParams {
    /// Total log-likelihood of `customers` under these parameters (e.g. to
    /// compare a fit with published estimates).
    pub fn log_likelihood(&self, customers: &[CustomerSummary]) -> Result<f64, AnalyticsError> {
        let data = GroupedCustomers::new(customers)?;
        Ok(-Likelihood { data: &data }.negative(&self.to_vec()))
    }

    /// ln[a / (b+x−1)] + (r+x)·ln[(α+T)/(α+tₓ)]: the log-odds of "dropped out
    /// after the last purchase" vs "alive", for a customer with x > 0.
    fn dropout_log_odds(&self, c: &CustomerSummary) -> f64 {
        let x = f64::from(c.frequency);
        (self.a / (self.b + x - 1.0)).ln()
            + (self.r + x) * ((self.alpha + c.age) / (self.alpha + c.recency)).ln()
    }

    /// Evaluates `f(a)` where it has a removable singularity at a = 1 (the
    /// factor 1/(a−1) in the expectations): near 1 it averages a = 1 ± 10⁻⁴,
    /// which is accurate to about 10⁻⁸ where direct evaluation would cancel.
    fn around_a_equal_one(&self, f: impl Fn(f64) -> f64) -> f64 {
        if (self.a - 1.0).abs() < 1e-6 {
            0.5 * (f(1.0 + 1e-4) + f(1.0 - 1e-4))
        } else {
            f(self.a)
        }
    }
}

impl RepeatPurchaseModel for BgNbdParams {
    /// FHL 2005, eq. 10: E[Y(t) | x, tₓ, T] is this times P(alive), with
    /// E[Y(t) | alive, x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x)
    ///   · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))].
    fn expected_purchases_if_alive(&self, c: &CustomerSummary, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let x = f64::from(c.frequency);
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        let horizon_share = t / (alpha + c.age + t);
        let bracket = |a: f64| {
            let tail = (r + x) * (-horizon_share).ln_1p();
            let f = hyp2f1(r + x, b + x, a + b + x - 1.0, horizon_share);
            (a + b + x - 1.0) / (a - 1.0) * -(tail.exp() * f - 1.0)
        };
        self.around_a_equal_one(bracket)
    }

    /// P(alive | x, tₓ, T) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x)).
    fn p_alive(&self, c: &CustomerSummary) -> f64 {
        if c.frequency == 0 {
            return 1.0;
        }
        logistic(-self.dropout_log_odds(c))
    }

    /// FHL 2005, eq. 9: E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r
    /// · ₂F₁(r, b; a+b−1; t/(α+t))].
    fn expected_purchases_new_customer(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let (r, alpha, b) = (self.r, self.alpha, self.b);
        let share = t / (alpha + t);
        self.around_a_equal_one(|a| {
            let f = hyp2f1(r, b, a + b - 1.0, share);
            (a + b - 1.0) / (a - 1.0) * (1.0 - (r * (-share).ln_1p()).exp() * f)
        })
    }
}

/// The BG/NBD log-likelihood over grouped rows, with analytic derivatives.
struct Likelihood<'a> {
    data: &'a GroupedCustomers,
}

impl Likelihood<'_> {
    /// −ln L; +∞ outside the parameter domain.
    fn negative(&self, theta: &[f64]) -> f64 {
        let Some([r, alpha, a, b]) = positive_finite::<4>(theta) else {
            return f64::INFINITY;
        };
        let d = self.data;
        let ln_alpha = alpha.ln();
        let shared = ln_gamma(a + b) - ln_gamma(b) - ln_gamma(r);
        let mut total = 0.0;
        for g in &d.groups {
            let x = g.x;
            let rx = r + x;
            let rows = g.rows.clone();
            if x == 0.0 {
                // x = 0: ln L = r ln α − r ln(α+T); the gamma terms cancel.
                let mut sum = 0.0;
                for i in rows {
                    sum += d.weight[i] * (alpha + d.age[i]).ln();
                }
                total += g.weight * r * ln_alpha - r * sum;
                continue;
            }
            total += g.weight
                * (ln_gamma(rx) + ln_gamma(b + x) - ln_gamma(a + b + x) + shared + r * ln_alpha);
            let ln_odds = (a / (b + x - 1.0)).ln();
            let mut sum = 0.0;
            // Rows are sorted by T: customers acquired on the same day share
            // ln(α+T), so it is recomputed only when T changes.
            let (mut last_age, mut ln_age) = (f64::NAN, 0.0);
            for i in rows {
                if d.age[i] != last_age {
                    last_age = d.age[i];
                    ln_age = (alpha + last_age).ln();
                }
                let ln_recency = (alpha + d.recency[i]).ln();
                sum += d.weight[i] * (softplus(ln_odds + rx * (ln_age - ln_recency)) - rx * ln_age);
            }
            total += sum;
        }
        -total
    }

    /// −ln L with its gradient and Hessian in (r, α, a, b).
    fn negative_derivatives(&self, theta: &[f64]) -> Derivatives {
        let nan = || Derivatives {
            value: f64::INFINITY,
            gradient: vec![f64::NAN; 4],
            hessian: vec![vec![f64::NAN; 4]; 4],
        };
        let Some([r, alpha, a, b]) = positive_finite::<4>(theta) else {
            return nan();
        };
        let d = self.data;
        let ln_alpha = alpha.ln();
        let shared = ln_gamma(a + b) - ln_gamma(b) - ln_gamma(r);
        let (psi_r, psi_b, psi_ab) = (digamma(r), digamma(b), digamma(a + b));
        let (tri_r, tri_b, tri_ab) = (trigamma(r), trigamma(b), trigamma(a + b));
        let mut value = 0.0;
        let mut g = [0.0; 4];
        let mut h = [[0.0; 4]; 4];
        for group in &d.groups {
            let x = group.x;
            let rx = r + x;
            let w_g = group.weight;
            // Terms of ln L that depend on x only: r ln α and, for x > 0,
            // the log-gamma/log-beta part.
            value += w_g * r * ln_alpha;
            g[0] += w_g * ln_alpha;
            g[1] += w_g * r / alpha;
            h[0][1] += w_g / alpha;
            h[1][1] -= w_g * r / (alpha * alpha);
            if x > 0.0 {
                value += w_g * (ln_gamma(rx) + ln_gamma(b + x) - ln_gamma(a + b + x) + shared);
                let (psi_abx, tri_abx) = (digamma(a + b + x), trigamma(a + b + x));
                g[0] += w_g * (digamma(rx) - psi_r);
                g[2] += w_g * (psi_ab - psi_abx);
                g[3] += w_g * (psi_ab + digamma(b + x) - psi_b - psi_abx);
                h[0][0] += w_g * (trigamma(rx) - tri_r);
                h[2][2] += w_g * (tri_ab - tri_abx);
                h[2][3] += w_g * (tri_ab - tri_abx);
                h[3][3] += w_g * (tri_ab + trigamma(b + x) - tri_b - tri_abx);
            }
            let inv_bx = if x > 0.0 { 1.0 / (b + x - 1.0) } else { 0.0 };
            let ln_odds = if x > 0.0 { (a * inv_bx).ln() } else { 0.0 };
            for i in group.rows.clone() {
                let w = d.weight[i];
                let ln_age = (alpha + d.age[i]).ln();
                let p = 1.0 / (alpha + d.age[i]);
                // −(r+x) ln(α+T)
                value -= w * rx * ln_age;
                g[0] -= w * ln_age;
                g[1] -= w * rx * p;
                h[0][1] -= w * p;
                h[1][1] += w * rx * p * p;
                if x == 0.0 {
                    continue;
                }
                // softplus(u), u = ln(a/(b+x−1)) + (r+x)(ln(α+T) − ln(α+tₓ))
                let q = 1.0 / (alpha + d.recency[i]);
                let diff = ln_age - (alpha + d.recency[i]).ln();
                let u = ln_odds + rx * diff;
                let s = logistic(u);
                let s2 = s * (1.0 - s);
                value += w * softplus(u);
                let du = [diff, rx * (p - q), 1.0 / a, -inv_bx];
                for k in 0..4 {
                    g[k] += w * s * du[k];
                    for l in k..4 {
                        h[k][l] += w * s2 * du[k] * du[l];
                    }
                }
                // Second derivatives of u itself.
                h[0][1] += w * s * (p - q);
                h[1][1] += w * s * rx * (q * q - p * p);
                h[2][2] -= w * s / (a * a);
                h[3][3] += w * s * inv_bx * inv_bx;
            }
        }
        let mut hessian = vec![vec![0.0; 4]; 4];
        for k in 0..4 {
            for l in k..4 {
                hessian[k][l] = -h[k][l];
                hessian[l][k] = -h[k][l];
            }
        }
        Derivatives {
            value: -value,
            gradient: g.iter().map(|v| -v).collect(),
            hessian,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::numerical_derivatives;

    fn customers() -> Vec<CustomerSummary> {
        let rows = [
            (0, 0.0, 38.0),
            (0, 0.0, 30.5),
            (1, 10.0, 38.0),
            (2, 30.43, 38.86),
            (2, 5.0, 20.0),
            (5, 35.0, 36.0),
            (3, 12.0, 39.0),
            (0, 0.0, 38.0),
        ];
        rows.iter()
            .map(|&(frequency, recency, age)| CustomerSummary {
                frequency,
                recency,
                age,
                monetary_value: 0.0,
            })
            .collect()
    }

    #[test]
    fn analytic_derivatives_match_finite_differences() {
        let data = GroupedCustomers::new(&customers()).expect("valid");
        let lik = Likelihood { data: &data };
        let theta = [0.7, 3.0, 0.8, 2.5];
        let analytic = lik.negative_derivatives(&theta);
        let numeric = numerical_derivatives(|t| lik.negative(t), &theta);
        assert!((analytic.value - numeric.value).abs() < 1e-12);
        for k in 0..4 {
            let scale = numeric.gradient[k].abs().max(1.0);
            assert!((analytic.gradient[k] - numeric.gradient[k]).abs() < 1e-6 * scale);
            for l in 0..4 {
                let scale = numeric.hessian[k][l].abs().max(1.0);
                assert!(
                    (analytic.hessian[k][l] - numeric.hessian[k][l]).abs() < 1e-4 * scale,
                    "H[{k}][{l}] {} vs {}",
                    analytic.hessian[k][l],
                    numeric.hessian[k][l]
                );
            }
        }
    }

    #[test]
    fn grouped_likelihood_equals_the_per_customer_formula() {
        let params = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let direct: f64 = customers()
            .iter()
            .map(|c| {
                let (r, al, a, b) = (params.r, params.alpha, params.a, params.b);
                let x = f64::from(c.frequency);
                let beta = |p: f64, q: f64| ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q);
                let head =
                    ln_gamma(r + x) - ln_gamma(r) + r * al.ln() + beta(a, b + x) - beta(a, b);
                let mut l = (al + c.age).powf(-(r + x));
                if c.frequency > 0 {
                    l += a / (b + x - 1.0) * (al + c.recency).powf(-(r + x));
                }
                head + l.ln()
            })
            .sum();
        let grouped = params.log_likelihood(&customers()).expect("valid");
        assert!((direct - grouped).abs() < 1e-10, "{direct} vs {grouped}");
    }

    #[test]
    fn predictions_behave_at_the_edges() {
        let params = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let one_timer = CustomerSummary {
            frequency: 0,
            recency: 0.0,
            age: 10.0,
            monetary_value: 0.0,
        };
        assert_eq!(params.p_alive(&one_timer), 1.0);
        assert_eq!(params.expected_purchases(&one_timer, 0.0), 0.0);
        let e1 = params.expected_purchases(&one_timer, 10.0);
        let e2 = params.expected_purchases(&one_timer, 20.0);
        assert!(e1 > 0.0 && e2 > e1);
        // A customer who bought often but long ago is probably gone.
        let lapsed = CustomerSummary {
            frequency: 10,
            recency: 5.0,
            age: 60.0,
            monetary_value: 0.0,
        };
        assert!(params.p_alive(&lapsed) < 0.01);
    }

    #[test]
    fn a_equal_to_one_is_handled_continuously() {
        let at = |a: f64| BgNbdParams {
            r: 0.5,
            alpha: 5.0,
            a,
            b: 2.0,
        };
        let c = CustomerSummary {
            frequency: 3,
            recency: 20.0,
            age: 30.0,
            monetary_value: 0.0,
        };
        let exact = at(1.0).expected_purchases(&c, 26.0);
        let near = at(1.0 + 1e-3).expected_purchases(&c, 26.0);
        let far = at(1.0 - 1e-3).expected_purchases(&c, 26.0);
        assert!(exact.is_finite());
        assert!((exact - 0.5 * (near + far)).abs() < 1e-6 * exact);
        let new = at(1.0).expected_purchases_new_customer(52.0);
        let new_near = at(1.0 + 1e-3).expected_purchases_new_customer(52.0);
        assert!((new - new_near).abs() < 1e-3 * new);
    }

    #[test]
    fn fit_rejects_empty_and_invalid_input() {
        assert!(matches!(fit_bgnbd(&[]), Err(AnalyticsError::NoData { .. })));
        let bad = [CustomerSummary {
            frequency: 1,
            recency: 5.0,
            age: 2.0,
            monetary_value: 0.0,
        }];
        assert!(matches!(
            fit_bgnbd(&bad),
            Err(AnalyticsError::InvalidRow { index: 0, .. })
        ));
    }
}
