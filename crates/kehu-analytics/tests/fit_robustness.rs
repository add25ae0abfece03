//! The fits must converge reliably, not only on CDNOW: data simulated from
//! each model in several parameter regimes must give a local maximum of the
//! likelihood close to the true parameters.

#[path = "support/simulate.rs"]
mod simulate;

use kehu_analytics::{
    fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, AnalyticsError, CustomerSummary, ModelFit,
    ModelParameters,
};
use simulate::{bgnbd_purchase_times, pareto_purchase_times, summaries, SplitMix64};

/// The estimate is a local maximum: moving any parameter by ±0.1 % lowers
/// the log-likelihood.
fn assert_local_maximum<P: ModelParameters>(fit: &ModelFit<P>, log_likelihood: impl Fn(&P) -> f64) {
    let best = log_likelihood(&fit.params);
    assert!((best - fit.log_likelihood).abs() < 1e-6 * best.abs());
    let values = fit.params.to_vec();
    for i in 0..values.len() {
        for factor in [0.999, 1.001] {
            let mut moved = values.clone();
            moved[i] *= factor;
            let ll = log_likelihood(&P::from_slice(&moved));
            assert!(ll < best, "{} × {factor}: {ll} ≥ {best}", P::NAMES[i]);
        }
    }
}

/// Each estimate lies within 4 standard errors of the truth.
fn assert_near_truth<P: ModelParameters>(fit: &ModelFit<P>, truth: &[f64]) {
    let se = fit.standard_errors.expect("standard errors").to_vec();
    for (i, ((estimate, true_value), se)) in
        fit.params.to_vec().iter().zip(truth).zip(&se).enumerate()
    {
        assert!(se.is_finite() && *se > 0.0);
        assert!(
            (estimate - true_value).abs() < 4.0 * se,
            "{}: estimate {estimate} ± {se}, truth {true_value}",
            P::NAMES[i]
        );
    }
}

const SPEND: [f64; 3] = [6.25, 3.74, 15.44];

#[test]
fn bgnbd_converges_across_parameter_regimes() {
    let regimes = [
        [0.243, 4.414, 0.793, 2.426], // CDNOW
        [1.5, 8.0, 0.4, 6.0],         // steady buyers, rare dropout
        [0.5, 40.0, 2.5, 1.2],        // rare buyers, quick dropout
        [3.0, 2.0, 0.2, 0.8],         // frequent buyers
    ];
    for (seed, truth) in regimes.iter().enumerate() {
        let mut rng = SplitMix64(seed as u64 + 1);
        let data = summaries(
            &mut rng,
            4000,
            (20.0, 52.0),
            |rng, age| bgnbd_purchase_times(rng, *truth, age),
            SPEND,
        );
        let fit = fit_bgnbd(&data).expect("fit");
        assert!(fit.converged, "regime {truth:?}");
        assert_local_maximum(&fit, |p| p.log_likelihood(&data).expect("valid"));
        assert_near_truth(&fit, truth);
    }
}

#[test]
fn pareto_nbd_converges_across_parameter_regimes() {
    let regimes = [
        [0.553, 10.578, 0.606, 11.669], // CDNOW
        [1.2, 5.0, 1.5, 30.0],          // α < β branch of the likelihood
        [0.8, 20.0, 0.4, 3.0],          // α > β, short lifetimes
    ];
    for (seed, truth) in regimes.iter().enumerate() {
        let mut rng = SplitMix64(seed as u64 + 100);
        let data = summaries(
            &mut rng,
            3000,
            (20.0, 52.0),
            |rng, age| pareto_purchase_times(rng, *truth, age),
            SPEND,
        );
        let fit = fit_pareto_nbd(&data).expect("fit");
        assert!(fit.converged, "regime {truth:?}");
        assert_local_maximum(&fit, |p| p.log_likelihood(&data).expect("valid"));
        assert_near_truth(&fit, truth);
    }
}

#[test]
fn gamma_gamma_converges_across_parameter_regimes() {
    let purchases = [0.243, 4.414, 0.793, 2.426];
    for (seed, truth) in [[6.25, 3.74, 15.44], [2.0, 10.0, 50.0], [12.0, 2.5, 4.0]]
        .iter()
        .enumerate()
    {
        let mut rng = SplitMix64(seed as u64 + 200);
        let data = summaries(
            &mut rng,
            6000,
            (20.0, 52.0),
            |rng, age| bgnbd_purchase_times(rng, purchases, age),
            *truth,
        );
        let fit = fit_gamma_gamma(&data).expect("fit");
        assert!(fit.converged, "regime {truth:?}");
        assert_local_maximum(&fit, |p| p.log_likelihood(&data).expect("valid"));
        assert_near_truth(&fit, truth);
    }
}

#[test]
fn data_without_repeat_purchases_cannot_be_fitted() {
    let one_timers: Vec<CustomerSummary> = (1..=50)
        .map(|i| CustomerSummary {
            frequency: 0,
            recency: 0.0,
            age: f64::from(i),
            monetary_value: 0.0,
        })
        .collect();
    assert!(matches!(
        fit_bgnbd(&one_timers),
        Err(AnalyticsError::NoRepeatPurchases { .. })
    ));
    assert!(matches!(
        fit_pareto_nbd(&one_timers),
        Err(AnalyticsError::NoRepeatPurchases { .. })
    ));
    assert!(matches!(
        fit_gamma_gamma(&one_timers),
        Err(AnalyticsError::NoData { .. })
    ));
}
