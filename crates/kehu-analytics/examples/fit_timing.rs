//! Times the CLV model fits:
//!
//! ```text
//! cargo run --release -p kehu-analytics --example fit_timing
//! ```
//!
//! 1. BG/NBD, Pareto/NBD and Gamma-Gamma on the CDNOW sample (2,357
//!    customers, from `testdata/cdnow`).
//! 2. BG/NBD on 100,000 customers simulated from the BG/NBD process with the
//!    CDNOW estimates: once with purchase dates on whole days (as real data
//!    are, summarised by `build_summaries`), once with continuous times (no
//!    two customers alike: the worst case for row compression).
//!
//! Each fit is repeated and the median wall time printed.

#[path = "../tests/support/simulate.rs"]
mod simulate;

use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use kehu_analytics::input::read_summaries;
use kehu_analytics::{
    build_summaries, fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, CustomerSummary, ModelFit,
    ModelParameters, Period, Purchase,
};
use simulate::{bgnbd_purchase_times, summaries, SplitMix64};

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/cdnow/cdnow_sample_summary.csv");
    let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cdnow: Vec<CustomerSummary> = read_summaries(file, "cdnow_sample_summary.csv")
        .expect("parses")
        .rows
        .into_iter()
        .map(|(_, s)| s)
        .collect();

    println!("CDNOW sample, {} customers", cdnow.len());
    report("BG/NBD", 21, || fit_bgnbd(&cdnow).expect("fit"));
    report("Pareto/NBD", 5, || fit_pareto_nbd(&cdnow).expect("fit"));
    report("Gamma-Gamma", 21, || fit_gamma_gamma(&cdnow).expect("fit"));

    let mut rng = SplitMix64(20_250_101);
    let purchases = simulate_purchases(&mut rng, 100_000);
    let start = Instant::now();
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).expect("date");
    let daily: Vec<CustomerSummary> = build_summaries(&purchases, end, Period::Week)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    println!(
        "\nSimulated, {} customers with whole-day dates ({} purchase rows summarised in {:.1} ms)",
        daily.len(),
        purchases.len(),
        ms(start.elapsed())
    );
    report("BG/NBD", 11, || fit_bgnbd(&daily).expect("fit"));

    let continuous = summaries(
        &mut rng,
        100_000,
        (27.0, 39.0),
        |rng, age| bgnbd_purchase_times(rng, CDNOW_BGNBD, age),
        [6.25, 3.74, 15.44],
    );
    println!(
        "\nSimulated, {} customers with continuous times",
        continuous.len()
    );
    report("BG/NBD", 11, || fit_bgnbd(&continuous).expect("fit"));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `fit` `runs` times and prints the estimates and the median time.
fn report<P: ModelParameters + std::fmt::Debug>(
    name: &str,
    runs: usize,
    fit: impl Fn() -> ModelFit<P>,
) {
    let mut times = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs {
        let start = Instant::now();
        let fitted = fit();
        times.push(start.elapsed());
        result = Some(fitted);
    }
    times.sort();
    let fitted = result.expect("at least one run");
    let params: Vec<String> = P::NAMES
        .iter()
        .zip(fitted.params.to_vec())
        .zip(
            fitted
                .standard_errors
                .map(|s| s.to_vec())
                .unwrap_or_default(),
        )
        .map(|((n, v), se)| format!("{n} = {v:.4} (se {se:.4})"))
        .collect();
    println!(
        "  {name:<12} median {:>7.2} ms (min {:.2}, max {:.2}; {runs} runs)  LL {:.2}  {}  [{} evaluations]",
        ms(times[runs / 2]),
        ms(times[0]),
        ms(times[runs - 1]),
        fitted.log_likelihood,
        params.join(", "),
        fitted.evaluations
    );
}

/// BG/NBD with the CDNOW estimates (weeks).
const CDNOW_BGNBD: [f64; 4] = [0.243, 4.414, 0.793, 2.426];

/// Customers acquired over the first 12 weeks of 1997, observed to
/// 1997-09-30, with purchases on whole days of random amounts.
fn simulate_purchases(rng: &mut SplitMix64, customers: u32) -> Vec<Purchase<u32>> {
    let origin = NaiveDate::from_ymd_opt(1997, 1, 1).expect("date");
    let mut purchases = Vec::new();
    for customer in 0..customers {
        let first_day = (rng.uniform() * 84.0) as u64;
        let age = (272 - first_day) as f64 / 7.0;
        for t in bgnbd_purchase_times(rng, CDNOW_BGNBD, age) {
            let day = first_day + (t * 7.0) as u64;
            purchases.push(Purchase {
                customer,
                date: origin + Days::new(day),
                amount: 5.0 + 50.0 * rng.uniform(),
                quantity: None,
            });
        }
    }
    purchases
}
