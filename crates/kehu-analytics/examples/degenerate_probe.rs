#[path = "../tests/support/simulate.rs"]
mod simulate;
use kehu_analytics::{fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd};
use simulate::{summaries, SplitMix64};
use std::time::Instant;
fn main() {
    let mut rng = SplitMix64(7);
    // Pure Poisson buyers who never drop out.
    let data = summaries(
        &mut rng,
        4000,
        (20.0, 52.0),
        |rng, age| {
            let lambda = rng.gamma(0.8) / 5.0;
            let mut t = 0.0;
            let mut times = vec![0.0];
            loop {
                t += rng.exponential(lambda);
                if t > age {
                    return times;
                }
                times.push(t);
            }
        },
        [6.25, 3.74, 15.44],
    );
    let s = Instant::now();
    let f = fit_bgnbd(&data);
    println!(
        "bgnbd {:?} {:?}",
        s.elapsed(),
        f.map(|f| (
            f.params,
            f.log_likelihood,
            f.converged,
            f.evaluations,
            f.standard_errors
        ))
    );
    let s = Instant::now();
    let f = fit_pareto_nbd(&data);
    println!(
        "pnbd {:?} {:?}",
        s.elapsed(),
        f.map(|f| (
            f.params,
            f.log_likelihood,
            f.converged,
            f.evaluations,
            f.standard_errors
        ))
    );
    // Everyone spends exactly the same: Gamma-Gamma degenerate.
    let mut same = data.clone();
    for c in &mut same {
        c.monetary_value = 10.0;
    }
    let s = Instant::now();
    let f = fit_gamma_gamma(&same);
    println!(
        "gg {:?} {:?}",
        s.elapsed(),
        f.map(|f| (f.params, f.log_likelihood, f.converged, f.evaluations))
    );
}
