//! Customer summaries compressed for fast likelihoods: identical (x, tₓ, T)
//! rows merged into one weighted row, rows grouped by x so that the terms
//! that depend on x only (the log-gamma functions) are computed once per
//! group per evaluation.

use std::ops::Range;

use crate::summary::CustomerSummary;
use crate::AnalyticsError;

/// Rows sharing one repeat-purchase count x.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FrequencyGroup {
    /// x as a float, ready for the formulas.
    pub x: f64,
    /// The group's rows in [`GroupedCustomers`]' columns.
    pub rows: Range<usize>,
    /// Number of customers in the group.
    pub weight: f64,
}

/// Weighted unique (x, tₓ, T) rows, sorted by x, then T, then tₓ.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupedCustomers {
    pub groups: Vec<FrequencyGroup>,
    pub recency: Vec<f64>,
    pub age: Vec<f64>,
    pub weight: Vec<f64>,
}

impl GroupedCustomers {
    /// Validates and compresses. tₓ is set to 0 when x = 0 (the models ignore
    /// it then), so that one-time buyers merge by T alone.
    pub(crate) fn new(customers: &[CustomerSummary]) -> Result<Self, AnalyticsError> {
        let mut keys: Vec<(u32, f64, f64)> = Vec::with_capacity(customers.len());
        for (index, c) in customers.iter().enumerate() {
            c.validate(index)?;
            let recency = if c.frequency == 0 { 0.0 } else { c.recency };
            keys.push((c.frequency, c.age, recency));
        }
        keys.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(a.2.total_cmp(&b.2))
        });
        let mut grouped = Self {
            groups: Vec::new(),
            recency: Vec::new(),
            age: Vec::new(),
            weight: Vec::new(),
        };
        let mut previous: Option<(u32, f64, f64)> = None;
        for key in keys {
            if previous == Some(key) {
                grouped.add_to_last_row(1.0);
            } else {
                grouped.push_row(key.0, key.2, key.1, 1.0);
            }
            previous = Some(key);
        }
        Ok(grouped)
    }

    fn push_row(&mut self, x: u32, recency: f64, age: f64, weight: f64) {
        let row = self.weight.len();
        let xf = f64::from(x);
        match self.groups.last_mut() {
            Some(g) if g.x == xf => {
                g.rows.end = row + 1;
                g.weight += weight;
            }
            _ => self.groups.push(FrequencyGroup {
                x: xf,
                rows: row..row + 1,
                weight,
            }),
        }
        self.recency.push(recency);
        self.age.push(age);
        self.weight.push(weight);
    }

    fn add_to_last_row(&mut self, weight: f64) {
        if let (Some(w), Some(g)) = (self.weight.last_mut(), self.groups.last_mut()) {
            *w += weight;
            g.weight += weight;
        }
    }

    /// Number of weighted rows.
    pub(crate) fn rows(&self) -> usize {
        self.weight.len()
    }

    /// Total weight (number of customers).
    pub(crate) fn customers(&self) -> f64 {
        self.groups.iter().map(|g| g.weight).sum()
    }

    /// A systematic sample of about `target_rows` rows carrying the same total
    /// weight, for a cheap first optimisation on large inputs.
    ///
    /// Sample points are spaced evenly along the cumulative weight in the
    /// (x, T, tₓ) order, so every frequency group and every part of the T
    /// range is represented in proportion (a stratified sample, much closer
    /// to the full likelihood than a random one). The result only seeds the
    /// Newton polish, which then runs on all rows.
    pub(crate) fn systematic_sample(&self, target_rows: usize) -> Self {
        if self.rows() <= target_rows || target_rows == 0 {
            return self.clone();
        }
        let total = self.customers();
        let spacing = total / target_rows as f64;
        let mut sample = Self {
            groups: Vec::new(),
            recency: Vec::new(),
            age: Vec::new(),
            weight: Vec::new(),
        };
        let mut next_point = 0.5 * spacing;
        let mut cumulative = 0.0;
        for g in &self.groups {
            for i in g.rows.clone() {
                cumulative += self.weight[i];
                let mut hits = 0.0;
                while next_point < cumulative {
                    hits += 1.0;
                    next_point += spacing;
                }
                if hits > 0.0 {
                    // x is exact in f64 for any u32 count.
                    sample.push_row(g.x as u32, self.recency[i], self.age[i], hits * spacing);
                }
            }
        }
        sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(frequency: u32, recency: f64, age: f64) -> CustomerSummary {
        CustomerSummary {
            frequency,
            recency,
            age,
            monetary_value: 0.0,
        }
    }

    #[test]
    fn identical_rows_merge_and_groups_follow_frequency() {
        let customers = [
            summary(2, 3.0, 10.0),
            summary(0, 0.0, 10.0),
            summary(2, 3.0, 10.0),
            summary(0, 0.0, 12.0),
            summary(0, 0.0, 10.0),
            summary(1, 1.0, 10.0),
        ];
        let g = GroupedCustomers::new(&customers).expect("valid");
        assert_eq!(g.rows(), 4);
        assert_eq!(g.customers(), 6.0);
        let xs: Vec<f64> = g.groups.iter().map(|g| g.x).collect();
        assert_eq!(xs, [0.0, 1.0, 2.0]);
        assert_eq!(g.weight, [2.0, 1.0, 1.0, 2.0]);
        assert_eq!(g.groups[0].weight, 3.0);
    }

    #[test]
    fn systematic_sample_keeps_total_weight_and_groups() {
        let customers: Vec<CustomerSummary> = (0..1000)
            .map(|i| summary(i % 3, f64::from(i % 3), 10.0 + f64::from(i) / 100.0))
            .collect();
        let g = GroupedCustomers::new(&customers).expect("valid");
        let s = g.systematic_sample(100);
        assert!(s.rows() <= 100);
        assert!((s.customers() - 1000.0).abs() < 1e-9);
        for (full, sampled) in g.groups.iter().zip(&s.groups) {
            assert_eq!(full.x, sampled.x);
            assert!((full.weight - sampled.weight).abs() <= 10.0 + 1e-9);
        }
    }
}
