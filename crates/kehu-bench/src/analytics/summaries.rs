//! Customer summaries for the BG/NBD speed target, drawn from the BG/NBD generative
//! process itself (Fader, Hardie & Lee 2005) with the parameters published for CDNOW, so
//! a correct fit must land near them: each customer buys as a Poisson process with rate
//! λ ~ Gamma(r, α) and after each purchase drops out with probability p ~ Beta(a, b).
//! Like CDNOW's cohort, first purchases fall in the first 12 weeks of a 39-week
//! calibration period.

use super::sampling::{beta, exponential, gamma};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufWriter, Write};
use std::path::Path;

/// The published CDNOW BG/NBD parameters (r, α, a, b).
pub const CDNOW_PARAMETERS: [f64; 4] = [0.243, 4.414, 0.793, 2.426];
const CALIBRATION_WEEKS: f64 = 39.0;
const COHORT_WEEKS: f64 = 12.0;

/// (frequency, recency, T) of one customer, in weeks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub frequency: u32,
    pub recency: f64,
    pub age: f64,
}

pub fn generate(seed: u64, customers: usize) -> Vec<Summary> {
    let [r, alpha, a, b] = CDNOW_PARAMETERS;
    let mut rng = StdRng::seed_from_u64(seed);
    (0..customers)
        .map(|_| {
            let age = CALIBRATION_WEEKS - rng.gen_range(0.0..COHORT_WEEKS);
            let rate = gamma(&mut rng, r, 1.0 / alpha);
            let dropout = beta(&mut rng, a, b);
            let (mut frequency, mut recency, mut t) = (0, 0.0, 0.0);
            loop {
                t += exponential(&mut rng, 1.0 / rate);
                if t > age {
                    break;
                }
                frequency += 1;
                recency = t;
                if rng.gen::<f64>() < dropout {
                    break;
                }
            }
            Summary {
                frequency,
                recency,
                age,
            }
        })
        .collect()
}

/// Writes `customer_id,frequency,recency,T`, read by Kehu and by `lifetimes`.
pub fn write_csv(rows: &[Summary], path: &Path) -> anyhow::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"customer_id,frequency,recency,T\n")?;
    for (i, s) in rows.iter().enumerate() {
        writeln!(
            out,
            "{},{},{:.4},{:.4}",
            i + 1,
            s.frequency,
            s.recency,
            s.age
        )?;
    }
    out.flush()?;
    Ok(())
}
