//! Deterministic simulation of the repeat-purchase models, shared by the
//! robustness tests and the timing example (`#[path]`-included by both).

#![allow(dead_code)] // each includer uses a different part

use kehu_analytics::CustomerSummary;

/// Small deterministic generator (SplitMix64), so runs are reproducible.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * self.uniform()).cos()
    }

    /// Gamma(shape, 1) by Marsaglia & Tsang, boosted for shape < 1.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.uniform().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = self.normal();
            let v = (1.0 + c * z).powi(3);
            if v <= 0.0 {
                continue;
            }
            if self.uniform().ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    pub fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }
}

/// Purchase times (periods since the first purchase) of one BG/NBD customer
/// observed for `age` periods: Poisson purchases at rate λ ~ Gamma(r, α),
/// dropout with probability p ~ Beta(a, b) after each repeat purchase.
pub fn bgnbd_purchase_times(
    rng: &mut SplitMix64,
    [r, alpha, a, b]: [f64; 4],
    age: f64,
) -> Vec<f64> {
    let lambda = rng.gamma(r) / alpha;
    let x = rng.gamma(a);
    let p = x / (x + rng.gamma(b));
    let mut times = vec![0.0];
    let mut t = 0.0;
    loop {
        t += rng.exponential(lambda);
        if t > age {
            return times;
        }
        times.push(t);
        if rng.uniform() < p {
            return times;
        }
    }
}

/// Purchase times of one Pareto/NBD customer: Poisson purchases at rate
/// λ ~ Gamma(r, α) during an exponential lifetime with rate μ ~ Gamma(s, β).
pub fn pareto_purchase_times(
    rng: &mut SplitMix64,
    [r, alpha, s, beta]: [f64; 4],
    age: f64,
) -> Vec<f64> {
    let lambda = rng.gamma(r) / alpha;
    let mu = rng.gamma(s) / beta;
    let end = rng.exponential(mu).min(age);
    let mut times = vec![0.0];
    let mut t = 0.0;
    loop {
        t += rng.exponential(lambda);
        if t > end {
            return times;
        }
        times.push(t);
    }
}

/// Summaries of `n` customers with ages spread uniformly over
/// [`min_age`, `max_age`], purchase times from `times`, spends per purchase
/// Gamma(p, ν) with ν ~ Gamma(q, v) (the Gamma-Gamma model).
pub fn summaries(
    rng: &mut SplitMix64,
    n: usize,
    (min_age, max_age): (f64, f64),
    times: impl Fn(&mut SplitMix64, f64) -> Vec<f64>,
    [p, q, v]: [f64; 3],
) -> Vec<CustomerSummary> {
    (0..n)
        .map(|_| {
            let age = min_age + (max_age - min_age) * rng.uniform();
            let t = times(rng, age);
            let nu = rng.gamma(q) / v;
            let x = t.len() - 1;
            let spend: f64 = (0..x).map(|_| rng.gamma(p) / nu).sum();
            CustomerSummary {
                frequency: x as u32,
                recency: *t.last().unwrap_or(&0.0),
                age,
                monetary_value: if x > 0 { spend / x as f64 } else { 0.0 },
            }
        })
        .collect()
}
