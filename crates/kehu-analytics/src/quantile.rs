//! Quantile classes ("qcut"): split values into k classes at their
//! 0, 1/k, …, 1 quantiles, as RFM scoring needs.
//!
//! Semantics follow pandas `qcut(values, k, include_lowest=True)` with numpy's
//! default "linear" quantiles (Hyndman & Fan type 7):
//!
//! * edge j (j = 0…k) is the (j/k)-quantile: with the values sorted
//!   v₀ ≤ … ≤ vₙ₋₁ and h = (n−1)·j/k, edge = v⌊h⌋ + (h−⌊h⌋)(v⌊h⌋₊₁ − v⌊h⌋);
//! * classes are right-closed intervals (eⱼ₋₁, eⱼ], the lowest value (e₀)
//!   belongs to class 1, and a value equal to an edge takes the lower class.
//!
//! **Coinciding edges** (many equal values, e.g. lots of zero amounts):
//! pandas refuses them or drops them and renumbers the classes. Here a value
//! simply takes the lowest class j whose upper edge eⱼ is ≥ the value, so
//! classes whose interval is empty are skipped, scores keep their place on
//! the quantile grid (the top values still get class k), equal values always
//! share a class, and all-equal values all get class 1.
//!
//! h is computed from the exact fraction (n−1)·j/k, so a value that sits
//! exactly on a quantile is recognised as such (0.2·(n−1) in floating point
//! is not always exact).

/// Linear-interpolated quantile (numpy's default) of **sorted** `values` at
/// position `numerator / denominator` (0 ≤ numerator ≤ denominator).
/// Returns NaN for an empty slice.
pub fn quantile_of_sorted(sorted: &[f64], numerator: usize, denominator: usize) -> f64 {
    let n = sorted.len();
    if n == 0 || denominator == 0 {
        return f64::NAN;
    }
    let scaled = (n - 1) * numerator.min(denominator);
    let lower = scaled / denominator;
    let remainder = scaled % denominator;
    if remainder == 0 || lower + 1 >= n {
        return sorted[lower.min(n - 1)];
    }
    let fraction = remainder as f64 / denominator as f64;
    let (a, b) = (sorted[lower], sorted[lower + 1]);
    a + fraction * (b - a)
}

/// The k + 1 class edges (the 0, 1/k, …, 1 quantiles) of `values`, which need
/// not be sorted. Empty for no values.
pub fn quantile_edges(values: &[f64], classes: u8) -> Vec<f64> {
    if values.is_empty() || classes == 0 {
        return Vec::new();
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let k = usize::from(classes);
    (0..=k).map(|j| quantile_of_sorted(&sorted, j, k)).collect()
}

/// Class 1…k of each value (same order as `values`), with the semantics in
/// the module documentation. `classes` must be at least 1.
pub fn quantile_classes(values: &[f64], classes: u8) -> Vec<u8> {
    let edges = quantile_edges(values, classes);
    values
        .iter()
        .map(|v| {
            // First upper edge e₁…eₖ that is ≥ v; eₖ is the maximum, so one exists.
            let index = edges[1..].partition_point(|e| e < v);
            u8::try_from(index + 1).unwrap_or(classes).min(classes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        // numpy.quantile(v, [0, .2, .4, .6, .8, 1]) = [1, 1.8, 2.6, 3.4, 5.2, 10]
        let edges = quantile_edges(&v, 5);
        let expected = [1.0, 1.8, 2.6, 3.4, 5.2, 10.0];
        for (e, x) in edges.iter().zip(expected) {
            assert!((e - x).abs() < 1e-12, "{edges:?}");
        }
        assert_eq!(quantile_of_sorted(&v, 1, 2), 3.0);
    }

    #[test]
    fn distinct_values_fill_equal_classes() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        // pandas.qcut(range(1, 11), 5, labels=False) + 1
        assert_eq!(quantile_classes(&values, 5), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn value_on_an_edge_takes_the_lower_class() {
        // n = 11: edges are exactly v₀, v₂, v₄, v₆, v₈, v₁₀.
        let values: Vec<f64> = (0..=10).map(f64::from).collect();
        assert_eq!(
            quantile_classes(&values, 5),
            [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
    }

    #[test]
    fn ties_share_a_class_and_empty_classes_are_skipped() {
        // Six zeros out of ten: edges 0, 0, 0, 0.8, 3.4, 9 (three coincide).
        let values = [0.0, 0.0, 5.0, 0.0, 0.0, 9.0, 0.0, 2.0, 3.0, 0.0];
        let classes = quantile_classes(&values, 5);
        assert_eq!(classes, [1, 1, 5, 1, 1, 5, 1, 4, 4, 1]);
    }

    #[test]
    fn all_equal_values_are_class_one() {
        assert_eq!(quantile_classes(&[7.0; 6], 5), [1; 6]);
    }

    #[test]
    fn fewer_values_than_classes_spread_over_the_grid() {
        // Edges at 0, .4, .8, 1.2, 1.6, 2 positions: the middle value is class 3.
        assert_eq!(quantile_classes(&[30.0, 10.0, 20.0], 5), [5, 1, 3]);
        assert_eq!(quantile_classes(&[1.0, 2.0], 5), [1, 5]);
    }

    #[test]
    fn single_value_and_empty_input() {
        assert_eq!(quantile_classes(&[42.0], 5), [1]);
        assert!(quantile_classes(&[], 5).is_empty());
        assert!(quantile_edges(&[], 5).is_empty());
    }

    #[test]
    fn other_class_counts() {
        let values: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(quantile_classes(&values, 3), [1, 1, 1, 2, 2, 2, 3, 3, 3]);
        assert_eq!(quantile_classes(&values, 1), [1; 9]);
    }
}
