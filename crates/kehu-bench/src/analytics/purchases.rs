//! The purchase history the RFM benchmarks read: `customers` customers making exactly
//! `purchases` purchases between 2022-01-01 and the as-of day 2024-12-31, with the
//! skew of real shops — a few heavy buyers, many who bought once or twice, customers who
//! stopped buying, spend per customer spread over two orders of magnitude.
//!
//! Seeded: the same seed gives the same purchases, written to CSV for `kehu analytics
//! rfm` and pandas, and loaded into the `orders` table for the in-app recomputation.

use super::sampling::{exponential, gamma, normal};
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{BufWriter, Write};
use std::path::Path;

/// The first day purchases can fall on.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 1).expect("valid date")
}

/// The day RFM is computed as of: the last day of the history.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).expect("valid date")
}

fn history_days() -> i64 {
    (as_of() - first_day()).num_days() + 1
}

/// One purchase: customer ids run 1…customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedPurchase {
    pub customer: u32,
    /// Days after [`first_day`].
    pub day: u16,
    /// Amount in cents (at least 1).
    pub cents: u32,
}

impl GeneratedPurchase {
    pub fn date(&self) -> NaiveDate {
        first_day() + Duration::days(i64::from(self.day))
    }
}

/// Shape of the Gamma distribution of how much customers buy: below 1, so most buy
/// rarely and a few very often (the top 1 % make about a tenth of the purchases).
const ACTIVITY_SHAPE: f64 = 0.6;
/// Mean days a customer keeps buying after the first purchase.
const MEAN_ACTIVE_DAYS: f64 = 500.0;
/// Median amount of a customer's orders, and the spread of customers' medians and of
/// one customer's orders (log scale).
const MEDIAN_ORDER_CENTS: f64 = 8_000.0;
const CUSTOMER_SPEND_SPREAD: f64 = 0.8;
const ORDER_SPEND_SPREAD: f64 = 0.5;

/// The purchases, in date order (then customer), as an order table fills up.
pub fn generate(seed: u64, customers: u32, purchases: usize) -> Vec<GeneratedPurchase> {
    assert!(
        purchases >= customers as usize,
        "every customer buys at least once"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let activity: Vec<f64> = (0..customers)
        .map(|_| gamma(&mut rng, ACTIVITY_SHAPE, 1.0))
        .collect();
    let counts = apportion(&activity, purchases - customers as usize);
    let mut rows = Vec::with_capacity(purchases);
    let days = history_days();
    for (index, repeat) in counts.into_iter().enumerate() {
        let customer = index as u32 + 1;
        let first = rng.gen_range(0..days);
        let active_days = exponential(&mut rng, MEAN_ACTIVE_DAYS) as i64;
        let last = (first + active_days).min(days - 1);
        let median = MEDIAN_ORDER_CENTS * (CUSTOMER_SPEND_SPREAD * normal(&mut rng)).exp();
        for n in 0..=repeat {
            let day = if n == 0 {
                first
            } else {
                rng.gen_range(first..=last)
            };
            let cents = (median * (ORDER_SPEND_SPREAD * normal(&mut rng)).exp()).round();
            rows.push(GeneratedPurchase {
                customer,
                day: day as u16,
                cents: cents.clamp(1.0, f64::from(u32::MAX)) as u32,
            });
        }
    }
    rows.sort_unstable_by_key(|p| (p.day, p.customer));
    rows
}

/// Splits `total` into whole shares proportional to `weights` (largest remainder),
/// so the purchase count comes out exact.
fn apportion(weights: &[f64], total: usize) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut shares: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let missing = total - shares.iter().sum::<usize>();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    for &index in by_remainder.iter().take(missing) {
        shares[index] += 1;
    }
    shares
}

/// Writes `customer_id,date,amount` CSV, the input of `kehu analytics rfm`.
pub fn write_csv(rows: &[GeneratedPurchase], path: &Path) -> anyhow::Result<()> {
    let dates: Vec<String> = (0..history_days())
        .map(|d| {
            (first_day() + Duration::days(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect();
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(b"customer_id,date,amount\n")?;
    for p in rows {
        writeln!(
            out,
            "{},{},{}.{:02}",
            p.customer,
            dates[usize::from(p.day)],
            p.cents / 100,
            p.cents % 100
        )?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_and_skewed_and_the_seed_repeats() {
        let rows = generate(11, 10_000, 100_000);
        assert_eq!(rows.len(), 100_000);
        assert_eq!(rows, generate(11, 10_000, 100_000));
        let mut per_customer = vec![0usize; 10_001];
        for p in &rows {
            per_customer[p.customer as usize] += 1;
            assert!(p.date() <= as_of());
        }
        let bought: Vec<usize> = per_customer[1..].to_vec();
        assert!(bought.iter().all(|&n| n >= 1));
        let mut sorted = bought.clone();
        sorted.sort_unstable();
        let top_percent: usize = sorted[sorted.len() * 99 / 100..].iter().sum();
        // The top 1 % make far more than 1 % of the purchases; the median customer few.
        assert!(top_percent > 100_000 / 20, "{top_percent}");
        assert!(
            sorted[sorted.len() / 2] < 10,
            "{}",
            sorted[sorted.len() / 2]
        );
    }

    #[test]
    fn apportion_hits_the_total() {
        assert_eq!(apportion(&[1.0, 1.0, 2.0], 5), vec![1, 1, 3]);
        assert_eq!(apportion(&[0.3, 0.3, 0.4], 10).iter().sum::<usize>(), 10);
    }
}
