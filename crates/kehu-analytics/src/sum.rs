//! Compensated summation, so that money totals over many rows do not pick up
//! binary rounding (e.g. 0.1 + 0.2 + … drifting by cents over 10⁶ rows).

/// A running sum with Neumaier's compensation: error independent of the
/// number of terms instead of growing with it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CompensatedSum {
    sum: f64,
    compensation: f64,
}

impl CompensatedSum {
    /// Adds one term.
    pub(crate) fn add(&mut self, value: f64) {
        let t = self.sum + value;
        if self.sum.abs() >= value.abs() {
            self.compensation += (self.sum - t) + value;
        } else {
            self.compensation += (value - t) + self.sum;
        }
        self.sum = t;
    }

    /// The compensated total.
    pub(crate) fn total(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compensated_sum(values: impl IntoIterator<Item = f64>) -> f64 {
        let mut sum = CompensatedSum::default();
        for v in values {
            sum.add(v);
        }
        sum.total()
    }

    #[test]
    fn tenths_add_up_exactly() {
        let naive: f64 = std::iter::repeat_n(0.1, 1_000_000).sum();
        let compensated = compensated_sum(std::iter::repeat_n(0.1, 1_000_000));
        assert!((naive - 100_000.0).abs() > 1e-7);
        assert!((compensated - 100_000.0).abs() < 1e-9);
    }

    #[test]
    fn large_and_small_terms_cancel_correctly() {
        assert_eq!(compensated_sum([1e16, 1.0, -1e16]), 1.0);
    }
}
