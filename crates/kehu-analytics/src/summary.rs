//! Per-customer summaries (frequency, recency, T, monetary value) — the input
//! of the BG/NBD, Pareto/NBD and Gamma-Gamma models — built from purchases.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::purchase::Purchase;
use crate::sum::CompensatedSum;
use crate::AnalyticsError;

/// Average Gregorian month in days (365.25 / 12), the month used throughout
/// this crate: by [`Period::Month`] and by the monthly CLV discounting.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// The time unit in which recency, T and prediction horizons are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// 1 day.
    Day,
    /// 7 days.
    Week,
    /// 365.25 / 12 = 30.4375 days (not calendar months, so that every month
    /// has the same length and times stay fractional).
    Month,
}

impl Period {
    /// Length of one period in days.
    pub fn days(self) -> f64 {
        match self {
            Period::Day => 1.0,
            Period::Week => 7.0,
            Period::Month => DAYS_PER_MONTH,
        }
    }

    /// How many periods make one month of [`DAYS_PER_MONTH`] days: 30.4375
    /// days, 4.348214… weeks (= 365.25 / 84) or 1 month. (The `lifetimes`
    /// Python package uses 30 and 4.345 instead; its CLV numbers therefore
    /// differ from ours in the third or fourth digit.)
    pub fn per_month(self) -> f64 {
        DAYS_PER_MONTH / self.days()
    }

    /// The lower-case name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// What the repeat-purchase models need to know about one customer, in the
/// notation of Fader, Hardie & Lee: x, tₓ, T and the mean repeat spend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// x: number of repeat purchases (purchase days after the first one).
    pub frequency: u32,
    /// tₓ: time from the first to the last purchase, in periods (0 when x = 0).
    pub recency: f64,
    /// T: time from the first purchase to the end of calibration, in periods.
    pub age: f64,
    /// Mean value of the repeat purchases (the first purchase excluded, as in
    /// the Gamma-Gamma model); 0 when x = 0.
    pub monetary_value: f64,
}

impl CustomerSummary {
    /// Checks the summary can enter a likelihood: finite, 0 ≤ tₓ ≤ T.
    pub(crate) fn validate(&self, index: usize) -> Result<(), AnalyticsError> {
        let fail = |reason: String| Err(AnalyticsError::InvalidRow { index, reason });
        if !(self.recency.is_finite() && self.age.is_finite() && self.monetary_value.is_finite()) {
            return fail("recency, T and monetary value must be finite numbers".into());
        }
        if self.recency < 0.0 || self.age < 0.0 {
            return fail(format!(
                "recency ({}) and T ({}) must not be negative",
                self.recency, self.age
            ));
        }
        if self.recency > self.age {
            return fail(format!(
                "recency ({}) is greater than T ({})",
                self.recency, self.age
            ));
        }
        Ok(())
    }
}

/// Builds one [`CustomerSummary`] per customer who bought on or before
/// `calibration_end`, ordered by customer key.
///
/// * Purchases after `calibration_end` are ignored (they are the holdout).
/// * All purchases of one customer on one day count as **one** purchase whose
///   amount is their sum — as the `lifetimes` package and the published
///   CDNOW summaries do — because the models describe shopping trips, not
///   order lines. Zero-amount purchases still count as purchases.
/// * frequency = purchase days − 1; recency = (last day − first day) and
///   T = (`calibration_end` − first day), both in days divided by
///   [`Period::days`] — so T counts `calibration_end` as fully observed.
/// * monetary value = mean amount of the repeat purchase days, 0 when none.
///
/// With `calibration_end` 1997-09-30 and [`Period::Week`] this reproduces the
/// published CDNOW sample summary (T = 272/7 = 38.86 weeks for customer 1).
pub fn build_summaries<K>(
    purchases: &[Purchase<K>],
    calibration_end: NaiveDate,
    period: Period,
) -> Vec<(K, CustomerSummary)>
where
    K: Ord + Clone,
{
    // Day totals per customer; BTreeMaps keep days (and customers) sorted.
    let mut days: BTreeMap<&K, BTreeMap<NaiveDate, CompensatedSum>> = BTreeMap::new();
    for p in purchases.iter().filter(|p| p.date <= calibration_end) {
        days.entry(&p.customer)
            .or_default()
            .entry(p.date)
            .or_default()
            .add(p.amount);
    }
    let period_days = period.days();
    days.into_iter()
        .filter_map(|(customer, by_day)| {
            let first = *by_day.keys().next()?;
            let last = *by_day.keys().next_back()?;
            let frequency = u32::try_from(by_day.len() - 1).unwrap_or(u32::MAX);
            let mut repeat_total = CompensatedSum::default();
            for total in by_day.values().skip(1) {
                repeat_total.add(total.total());
            }
            let monetary_value = if frequency > 0 {
                repeat_total.total() / f64::from(frequency)
            } else {
                0.0
            };
            let span = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / period_days;
            Some((
                customer.clone(),
                CustomerSummary {
                    frequency,
                    recency: span(first, last),
                    age: span(first, calibration_end),
                    monetary_value,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(customer: u32, date: &str, amount: f64) -> Purchase<u32> {
        Purchase {
            customer,
            date: date.parse().expect("test date"),
            amount,
            quantity: None,
        }
    }

    #[test]
    fn same_day_purchases_are_one_purchase_with_summed_amount() {
        let purchases = [
            purchase(7, "2024-01-01", 10.0),
            purchase(7, "2024-01-15", 5.0),
            purchase(7, "2024-01-15", 7.0),
            purchase(7, "2024-01-29", 0.0),
            purchase(7, "2024-03-01", 99.0), // after calibration end
        ];
        let end = "2024-02-12".parse().expect("date");
        let summaries = build_summaries(&purchases, end, Period::Week);
        assert_eq!(summaries.len(), 1);
        let (customer, s) = summaries[0];
        assert_eq!(customer, 7);
        assert_eq!(s.frequency, 2);
        assert!((s.recency - 4.0).abs() < 1e-12);
        assert!((s.age - 6.0).abs() < 1e-12);
        assert!((s.monetary_value - 6.0).abs() < 1e-12); // (12 + 0) / 2
    }

    #[test]
    fn one_time_buyers_and_late_starters() {
        let purchases = [
            purchase(1, "2024-01-10", 20.0),
            purchase(2, "2024-05-01", 20.0), // first purchase after the end
        ];
        let end = "2024-01-31".parse().expect("date");
        let summaries = build_summaries(&purchases, end, Period::Day);
        assert_eq!(summaries.len(), 1);
        let s = summaries[0].1;
        assert_eq!(
            (s.frequency, s.recency, s.age, s.monetary_value),
            (0, 0.0, 21.0, 0.0)
        );
    }

    #[test]
    fn month_period_is_the_average_gregorian_month() {
        let purchases = [
            purchase(1, "2023-01-01", 1.0),
            purchase(1, "2024-01-01", 1.0),
        ];
        let end = "2024-01-01".parse().expect("date");
        let s = build_summaries(&purchases, end, Period::Month)[0].1;
        assert!((s.recency - 365.0 / 30.4375).abs() < 1e-12);
        assert!((Period::Week.per_month() - 365.25 / 84.0).abs() < 1e-15);
    }

    #[test]
    fn validation_rejects_recency_beyond_age() {
        let s = CustomerSummary {
            frequency: 1,
            recency: 5.0,
            age: 4.0,
            monetary_value: 1.0,
        };
        assert!(matches!(
            s.validate(3),
            Err(AnalyticsError::InvalidRow { index: 3, .. })
        ));
    }
}
