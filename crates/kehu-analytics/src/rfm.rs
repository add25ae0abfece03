//! RFM analysis: per customer, how recently, how often and how much they
//! bought as of a date, scored 1…k by quantile class and named by segment.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::purchase::Purchase;
use crate::quantile::quantile_classes;
use crate::segments::SegmentMap;
use crate::sum::CompensatedSum;
use crate::AnalyticsError;

/// Raw RFM measures of one customer as of a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmMeasures<K> {
    /// The customer.
    pub customer: K,
    /// Days from the last purchase to the as-of date (0 = bought that day).
    pub recency_days: i64,
    /// Number of purchases (rows, not days: two orders on one day count 2).
    pub frequency: u32,
    /// Sum of the purchase amounts.
    pub monetary: f64,
    /// Day of the first purchase (for lifecycle "new customer" rules).
    pub first_purchase: NaiveDate,
    /// Day of the last purchase up to the as-of date.
    pub last_purchase: NaiveDate,
}

/// RFM measures, scores and segment of one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmRow<K> {
    /// The raw measures.
    #[serde(flatten)]
    pub measures: RfmMeasures<K>,
    /// Recency score, `classes` = most recent.
    pub r: u8,
    /// Frequency score, `classes` = most purchases.
    pub f: u8,
    /// Monetary score, `classes` = highest total.
    pub m: u8,
    /// Segment name from the (R, F) scores.
    pub segment: String,
}

/// Settings of the RFM scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmConfig {
    /// Number of score classes (default 5); scores run 1…classes.
    pub classes: u8,
    /// Segment names on the 5×5 (R, F) grid.
    pub segments: SegmentMap,
}

impl Default for RfmConfig {
    fn default() -> Self {
        Self {
            classes: 5,
            segments: SegmentMap::default(),
        }
    }
}

/// Aggregates purchases into RFM measures as of `as_of`, one row per
/// customer in key order. Purchases dated after `as_of` are ignored (the
/// analysis looks at the past as of that day); customers with none left do
/// not appear. Errors on a non-finite amount.
pub fn rfm_measures<K>(
    purchases: &[Purchase<K>],
    as_of: NaiveDate,
) -> Result<Vec<RfmMeasures<K>>, AnalyticsError>
where
    K: Ord + Clone,
{
    let mut by_customer: BTreeMap<&K, RfmTotals> = BTreeMap::new();
    for (index, p) in purchases.iter().enumerate() {
        if !p.amount.is_finite() {
            return Err(AnalyticsError::InvalidRow {
                index,
                reason: format!("amount {} is not a finite number", p.amount),
            });
        }
        if p.date > as_of {
            continue;
        }
        by_customer
            .entry(&p.customer)
            .or_insert_with(|| RfmTotals::new(p.date))
            .add(p.date, p.amount);
    }
    Ok(by_customer
        .into_iter()
        .map(|(customer, totals)| totals.measures(customer.clone(), as_of))
        .collect())
}

/// One customer's running RFM totals, for callers that aggregate purchases as they
/// read them (e.g. a large CSV file) instead of collecting them first.
#[derive(Debug, Clone)]
pub struct RfmTotals {
    first: NaiveDate,
    last: NaiveDate,
    count: u32,
    amount: CompensatedSum,
}

impl RfmTotals {
    /// No purchases yet; `date` is any purchase's day (the first one added will do).
    pub fn new(date: NaiveDate) -> Self {
        Self {
            first: date,
            last: date,
            count: 0,
            amount: CompensatedSum::default(),
        }
    }

    /// Counts one purchase (the caller skips those after the as-of day and checks the
    /// amount is finite).
    pub fn add(&mut self, date: NaiveDate, amount: f64) {
        self.first = self.first.min(date);
        self.last = self.last.max(date);
        self.count = self.count.saturating_add(1);
        self.amount.add(amount);
    }

    /// The measures as of `as_of`.
    pub fn measures<K>(&self, customer: K, as_of: NaiveDate) -> RfmMeasures<K> {
        RfmMeasures {
            customer,
            recency_days: (as_of - self.last).num_days(),
            frequency: self.count,
            monetary: self.amount.total(),
            first_purchase: self.first,
            last_purchase: self.last,
        }
    }
}

/// Scores measures (any order) into 1…k classes and names segments; rows
/// come back in the input order.
///
/// * R and M: quantile classes of recency and monetary (see
///   [`crate::quantile`]: numpy-linear quantiles, right-closed classes, a
///   value on an edge takes the lower class, equal values share a class).
///   R is reversed, R = k + 1 − class, so the most recent customers get k.
/// * F: customers ranked by frequency, ties broken by ascending customer
///   key, and the ranks split into quantile classes (pandas
///   `qcut(frequency.rank(method="first"), k)`), so F classes have equal
///   sizes even though frequencies tie a lot.
/// * Segment: from (R, F) via `config.segments`, scores mapped onto the 5×5
///   grid when k ≠ 5 ([`crate::segments::to_five_grid`]).
pub fn rfm_scores<K>(
    measures: Vec<RfmMeasures<K>>,
    config: &RfmConfig,
) -> Result<Vec<RfmRow<K>>, AnalyticsError>
where
    K: Ord,
{
    let k = config.classes;
    if k == 0 {
        return Err(AnalyticsError::invalid("classes", "must be at least 1"));
    }
    let recency: Vec<f64> = measures.iter().map(|m| m.recency_days as f64).collect();
    let monetary: Vec<f64> = measures.iter().map(|m| m.monetary).collect();
    let r_classes = quantile_classes(&recency, k);
    let m_classes = quantile_classes(&monetary, k);

    let mut by_frequency: Vec<usize> = (0..measures.len()).collect();
    by_frequency.sort_by(|&a, &b| {
        measures[a]
            .frequency
            .cmp(&measures[b].frequency)
            .then_with(|| measures[a].customer.cmp(&measures[b].customer))
    });
    let mut rank = vec![0.0; measures.len()];
    for (position, &index) in by_frequency.iter().enumerate() {
        rank[index] = (position + 1) as f64;
    }
    let f_classes = quantile_classes(&rank, k);

    Ok(measures
        .into_iter()
        .enumerate()
        .map(|(i, measures)| {
            let (r, f, m) = (k + 1 - r_classes[i], f_classes[i], m_classes[i]);
            RfmRow {
                measures,
                r,
                f,
                m,
                segment: config.segments.classify(r, f, k).to_owned(),
            }
        })
        .collect())
}

/// [`rfm_measures`] then [`rfm_scores`]: the RFM table of all customers who
/// bought on or before `as_of`, in key order.
pub fn rfm_table<K>(
    purchases: &[Purchase<K>],
    as_of: NaiveDate,
    config: &RfmConfig,
) -> Result<Vec<RfmRow<K>>, AnalyticsError>
where
    K: Ord + Clone,
{
    rfm_scores(rfm_measures(purchases, as_of)?, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("test date")
    }

    fn purchase(customer: u32, date: &str, amount: f64) -> Purchase<u32> {
        Purchase {
            customer,
            date: day(date),
            amount,
            quantity: None,
        }
    }

    fn measures(
        customer: u32,
        recency_days: i64,
        frequency: u32,
        monetary: f64,
    ) -> RfmMeasures<u32> {
        RfmMeasures {
            customer,
            recency_days,
            frequency,
            monetary,
            first_purchase: day("2024-01-01"),
            last_purchase: day("2024-01-01"),
        }
    }

    #[test]
    fn measures_count_rows_and_ignore_later_purchases() {
        let purchases = [
            purchase(2, "2024-03-01", 10.0),
            purchase(1, "2024-01-10", 0.1),
            purchase(1, "2024-01-10", 0.2),
            purchase(1, "2024-02-01", 0.0),
            purchase(1, "2024-05-01", 99.0), // after as-of
            purchase(3, "2024-06-01", 5.0),  // only after as-of
        ];
        let rows = rfm_measures(&purchases, day("2024-03-31")).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].customer, 1);
        assert_eq!(rows[0].recency_days, 59);
        assert_eq!(rows[0].frequency, 3);
        assert!((rows[0].monetary - 0.3).abs() < 1e-16);
        assert_eq!(rows[0].first_purchase, day("2024-01-10"));
        assert_eq!(rows[1].recency_days, 30);
        let bad = [purchase(1, "2024-01-01", f64::NAN)];
        assert!(rfm_measures(&bad, day("2024-01-02")).is_err());
    }

    #[test]
    fn ten_distinct_customers_fill_every_class_twice() {
        let rows: Vec<RfmMeasures<u32>> = (1..=10)
            .map(|i| measures(i, i64::from(i) * 10, i, f64::from(i) * 100.0))
            .collect();
        let scored = rfm_scores(rows, &RfmConfig::default()).expect("valid");
        let r: Vec<u8> = scored.iter().map(|s| s.r).collect();
        let f: Vec<u8> = scored.iter().map(|s| s.f).collect();
        let m: Vec<u8> = scored.iter().map(|s| s.m).collect();
        assert_eq!(r, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]); // most recent = 5
        assert_eq!(f, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(m, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert_eq!(scored[0].segment, "new_customers"); // R5 F1
        assert_eq!(scored[9].segment, "cant_lose"); // R1 F5
        assert_eq!(scored[4].segment, "need_attention"); // R3 F3
    }

    #[test]
    fn frequency_ties_are_broken_by_customer_id() {
        // All bought twice: F follows the id order, in equal-sized classes.
        let rows: Vec<RfmMeasures<u32>> = [50, 10, 40, 20, 30]
            .iter()
            .map(|&id| measures(id, 5, 2, 1.0))
            .collect();
        let scored = rfm_scores(rows, &RfmConfig::default()).expect("valid");
        let f: Vec<(u32, u8)> = scored.iter().map(|s| (s.measures.customer, s.f)).collect();
        assert_eq!(f, [(50, 5), (10, 1), (40, 4), (20, 2), (30, 3)]);
        // Equal recency and monetary: everyone shares the lowest class
        // (R reversed → 5, M → 1).
        assert!(scored.iter().all(|s| s.r == 5 && s.m == 1));
    }

    #[test]
    fn zero_amounts_share_the_lowest_monetary_class() {
        let amounts = [0.0, 0.0, 0.0, 10.0, 20.0, 30.0, 0.0, 40.0];
        let rows: Vec<RfmMeasures<u32>> = amounts
            .iter()
            .enumerate()
            .map(|(i, &a)| measures(i as u32, 1, 1, a))
            .collect();
        let scored = rfm_scores(rows, &RfmConfig::default()).expect("valid");
        let m: Vec<u8> = scored.iter().map(|s| s.m).collect();
        // Sorted: 0,0,0,0,10,20,30,40 → edges 0, 0, 0, 12, 26, 40, so class
        // 2 is empty and 10 lands in class 3.
        assert_eq!(m, [1, 1, 1, 3, 4, 5, 1, 5]);
    }

    #[test]
    fn single_customer_and_fewer_customers_than_classes() {
        let one = rfm_scores(vec![measures(1, 3, 4, 50.0)], &RfmConfig::default()).expect("valid");
        assert_eq!((one[0].r, one[0].f, one[0].m), (5, 1, 1));
        assert_eq!(one[0].segment, "new_customers");

        let three = vec![
            measures(1, 30, 1, 5.0),
            measures(2, 10, 3, 50.0),
            measures(3, 20, 2, 20.0),
        ];
        let scored = rfm_scores(three, &RfmConfig::default()).expect("valid");
        let scores: Vec<(u8, u8, u8)> = scored.iter().map(|s| (s.r, s.f, s.m)).collect();
        assert_eq!(scores, [(1, 1, 1), (5, 5, 5), (3, 3, 3)]);
        assert!(
            rfm_scores(Vec::<RfmMeasures<u32>>::new(), &RfmConfig::default())
                .expect("valid")
                .is_empty()
        );
    }

    #[test]
    fn three_classes_map_to_the_five_grid() {
        let config = RfmConfig {
            classes: 3,
            ..RfmConfig::default()
        };
        let rows: Vec<RfmMeasures<u32>> = (1..=9)
            .map(|i| measures(i, i64::from(i), i, f64::from(i)))
            .collect();
        let scored = rfm_scores(rows, &config).expect("valid");
        assert_eq!((scored[0].r, scored[0].f), (3, 1));
        assert_eq!(scored[0].segment, "new_customers"); // grid R5 F1
        assert_eq!((scored[8].r, scored[8].f), (1, 3));
        assert_eq!(scored[8].segment, "cant_lose"); // grid R1 F5
        let zero = RfmConfig {
            classes: 0,
            ..RfmConfig::default()
        };
        assert!(rfm_scores(Vec::<RfmMeasures<u32>>::new(), &zero).is_err());
    }
}
