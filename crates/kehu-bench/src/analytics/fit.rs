//! Target 2: BG/NBD maximum-likelihood fits, Kehu's `fit_bgnbd` in process against
//! `lifetimes`' `BetaGeoFitter.fit` (timed inside Python), on the same summary file.

use super::python::Python;
use super::{median, Measured};
use anyhow::{bail, Context as _};
use kehu_analytics::input::read_summaries;
use kehu_analytics::{fit_bgnbd, CustomerSummary};
use serde::Deserialize;
use std::path::Path;
use std::time::Instant;

/// Parameters agree when they match to this relative difference (3 significant digits).
const AGREEMENT: f64 = 5e-4;

#[derive(Debug, Deserialize)]
struct LifetimesResult {
    params: std::collections::BTreeMap<String, f64>,
    seconds: Vec<f64>,
}

pub fn measure(python: &Python, summary: &Path, rounds: usize) -> anyhow::Result<Measured> {
    let file =
        std::fs::File::open(summary).with_context(|| format!("opening {}", summary.display()))?;
    let rows = read_summaries(file, &summary.display().to_string())?;
    let summaries: Vec<CustomerSummary> = rows.rows.iter().map(|(_, s)| *s).collect();

    let mut kehu_seconds = Vec::new();
    let mut fitted = None;
    // One unmeasured fit first, as the Python side pays its imports outside the timing.
    for round in 0..=rounds {
        let started = Instant::now();
        let fit = fit_bgnbd(&summaries)?;
        if round > 0 {
            kehu_seconds.push(started.elapsed().as_secs_f64());
        }
        fitted = Some(fit);
    }
    let fit = fitted.expect("at least one fit");

    let output = python
        .script("bgnbd_lifetimes.py")
        .arg("--summary")
        .arg(summary)
        .args(["--rounds", &(rounds + 1).to_string()])
        .output()?;
    if !output.status.success() {
        bail!(
            "bgnbd_lifetimes.py failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let lifetimes: LifetimesResult = serde_json::from_slice(&output.stdout)?;
    let lifetimes_seconds = lifetimes.seconds[1..].to_vec();

    let p = fit.params;
    let ours = [("r", p.r), ("alpha", p.alpha), ("a", p.a), ("b", p.b)];
    let mut worst: f64 = 0.0;
    for (name, value) in ours {
        let theirs = lifetimes.params[name];
        worst = worst.max(((value - theirs) / theirs).abs());
    }
    let described = format!(
        "r {:.4} α {:.4} a {:.4} b {:.4} (lifetimes {:.4} {:.4} {:.4} {:.4}), log-likelihood {:.1}",
        p.r,
        p.alpha,
        p.a,
        p.b,
        lifetimes.params["r"],
        lifetimes.params["alpha"],
        lifetimes.params["a"],
        lifetimes.params["b"],
        fit.log_likelihood
    );
    if worst > AGREEMENT {
        bail!("the fits disagree (largest relative difference {worst:.1e}): {described}");
    }
    Ok(Measured {
        kehu: median(kehu_seconds.clone()),
        baseline: median(lifetimes_seconds.clone()),
        kehu_rounds: kehu_seconds,
        baseline_rounds: lifetimes_seconds,
        agreement: described,
    })
}
