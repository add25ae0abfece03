//! The few random distributions the analytics data need, drawn from a seeded
//! generator (the workspace has `rand` but not `rand_distr`).

use rand::Rng;

/// Uniform on (0, 1]: safe to take the logarithm of.
fn open_unit(rng: &mut impl Rng) -> f64 {
    1.0 - rng.gen::<f64>()
}

/// Standard normal (Box–Muller; one of the pair is enough here).
pub fn normal(rng: &mut impl Rng) -> f64 {
    let radius = (-2.0 * open_unit(rng).ln()).sqrt();
    radius * (std::f64::consts::TAU * rng.gen::<f64>()).cos()
}

/// Exponential with the given mean.
pub fn exponential(rng: &mut impl Rng, mean: f64) -> f64 {
    -mean * open_unit(rng).ln()
}

/// Gamma with the given shape and scale (Marsaglia & Tsang 2000; shapes
/// below 1 through the boost Gamma(k) = Gamma(k + 1) · U^(1/k)).
pub fn gamma(rng: &mut impl Rng, shape: f64, scale: f64) -> f64 {
    if shape < 1.0 {
        return gamma(rng, shape + 1.0, scale) * open_unit(rng).powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = open_unit(rng);
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v * scale;
        }
    }
}

/// Beta(a, b) as a ratio of gammas.
pub fn beta(rng: &mut impl Rng, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a, 1.0);
    let y = gamma(rng, b, 1.0);
    x / (x + y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn mean_and_variance(draws: &[f64]) -> (f64, f64) {
        let n = draws.len() as f64;
        let mean = draws.iter().sum::<f64>() / n;
        let variance = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        (mean, variance)
    }

    #[test]
    fn gamma_and_beta_have_their_moments() {
        let mut rng = StdRng::seed_from_u64(7);
        for (shape, scale) in [(0.243, 1.0 / 4.414), (2.5, 3.0)] {
            let draws: Vec<f64> = (0..200_000)
                .map(|_| gamma(&mut rng, shape, scale))
                .collect();
            let (mean, variance) = mean_and_variance(&draws);
            assert!(
                (mean / (shape * scale) - 1.0).abs() < 0.03,
                "{shape}: {mean}"
            );
            assert!((variance / (shape * scale * scale) - 1.0).abs() < 0.08);
        }
        let draws: Vec<f64> = (0..200_000).map(|_| beta(&mut rng, 0.793, 2.426)).collect();
        let (mean, _) = mean_and_variance(&draws);
        assert!((mean - 0.793 / (0.793 + 2.426)).abs() < 0.005, "{mean}");
    }
}
