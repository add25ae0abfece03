//! ABC analysis: which customers bring the bulk of the revenue. Customers
//! sorted by revenue are class A while the cumulative revenue share stays
//! within the A threshold (default 80 %), B within the B threshold (95 %),
//! C after that.

use serde::{Deserialize, Serialize};

use crate::sum::CompensatedSum;
use crate::AnalyticsError;

/// An ABC class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AbcClass {
    /// The few customers bringing most of the revenue.
    A,
    /// The middle.
    B,
    /// The long tail, and customers without revenue.
    C,
}

impl AbcClass {
    /// "A", "B" or "C".
    pub fn as_str(self) -> &'static str {
        match self {
            AbcClass::A => "A",
            AbcClass::B => "B",
            AbcClass::C => "C",
        }
    }
}

/// Cumulative revenue shares (0…1) closing classes A and B.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AbcThresholds {
    /// Class A while the cumulative share is ≤ this (default 0.80).
    pub a: f64,
    /// Class B while the cumulative share is ≤ this (default 0.95).
    pub b: f64,
}

impl Default for AbcThresholds {
    fn default() -> Self {
        Self { a: 0.80, b: 0.95 }
    }
}

/// One customer's ABC result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbcRow<K> {
    /// The customer.
    pub customer: K,
    /// Revenue as given.
    pub revenue: f64,
    /// Share of total revenue (0 when the total is not positive).
    pub share: f64,
    /// Cumulative share up to and including this customer, in ranking order.
    pub cumulative_share: f64,
    /// The class.
    pub class: AbcClass,
}

/// Shares within this of a threshold count as equal to it, so that e.g.
/// 80.00 of 100.00 is class A despite binary rounding of the sums.
const SHARE_TOLERANCE: f64 = 1e-12;

/// Classifies customers by revenue; rows come back ranked: revenue
/// descending, ties by ascending customer key.
///
/// * A customer is A if the cumulative share including them is ≤ `a`,
///   else B if ≤ `b`, else C — except that the top customer is always A
///   when the total is positive (one customer with 90 % of revenue is the
///   definition of an A customer, not a B).
/// * Customers with zero or negative revenue (refunds) are C and do not
///   count in the total; when no customer has positive revenue everyone is
///   C with share 0.
///
/// Errors unless 0 < a ≤ b ≤ 1 and every revenue is finite.
pub fn abc_classes<K>(
    revenues: Vec<(K, f64)>,
    thresholds: &AbcThresholds,
) -> Result<Vec<AbcRow<K>>, AnalyticsError>
where
    K: Ord,
{
    let (a, b) = (thresholds.a, thresholds.b);
    if !(a > 0.0 && a <= b && b <= 1.0) {
        return Err(AnalyticsError::invalid(
            "ABC thresholds",
            format!("need 0 < A ≤ B ≤ 1, got A = {a}, B = {b}"),
        ));
    }
    if let Some(index) = revenues.iter().position(|(_, r)| !r.is_finite()) {
        return Err(AnalyticsError::InvalidRow {
            index,
            reason: "revenue is not a finite number".into(),
        });
    }
    let mut ranked = revenues;
    ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    let mut total = CompensatedSum::default();
    for (_, r) in &ranked {
        if *r > 0.0 {
            total.add(*r);
        }
    }
    let total = total.total();
    let mut cumulative = CompensatedSum::default();
    Ok(ranked
        .into_iter()
        .enumerate()
        .map(|(position, (customer, revenue))| {
            if revenue <= 0.0 || total <= 0.0 {
                let cumulative_share = if total > 0.0 {
                    cumulative.total() / total
                } else {
                    0.0
                };
                return AbcRow {
                    customer,
                    revenue,
                    share: 0.0,
                    cumulative_share,
                    class: AbcClass::C,
                };
            }
            cumulative.add(revenue);
            let cumulative_share = cumulative.total() / total;
            let class = if position == 0 || cumulative_share <= a + SHARE_TOLERANCE {
                AbcClass::A
            } else if cumulative_share <= b + SHARE_TOLERANCE {
                AbcClass::B
            } else {
                AbcClass::C
            };
            AbcRow {
                customer,
                revenue,
                share: revenue / total,
                cumulative_share,
                class,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(revenues: &[(u32, f64)]) -> Vec<(u32, AbcClass)> {
        abc_classes(revenues.to_vec(), &AbcThresholds::default())
            .expect("valid")
            .into_iter()
            .map(|row| (row.customer, row.class))
            .collect()
    }

    #[test]
    fn classic_split_with_exact_boundaries() {
        use AbcClass::*;
        let got = classes(&[(1, 5.0), (2, 50.0), (3, 30.0), (4, 10.0), (5, 5.0)]);
        // 50 → .5 A, 30 → .8 A (boundary), 10 → .9 B, 5 → .95 B (boundary), 5 → 1 C
        assert_eq!(got, [(2, A), (3, A), (4, B), (1, B), (5, C)]);
    }

    #[test]
    fn decimal_amounts_on_a_boundary_stay_in_the_lower_class() {
        use AbcClass::*;
        // 0.7 + 0.1 is 0.7999999999999999 in binary; 0.1·8 shares must be A.
        let got = classes(&[(1, 0.7), (2, 0.1), (3, 0.1), (4, 0.05), (5, 0.05)]);
        assert_eq!(got, [(1, A), (2, A), (3, B), (4, B), (5, C)]);
    }

    #[test]
    fn ties_are_ranked_by_customer_id() {
        use AbcClass::*;
        let got = classes(&[(9, 10.0), (3, 10.0), (5, 10.0), (1, 10.0), (7, 10.0)]);
        assert_eq!(got, [(1, A), (3, A), (5, A), (7, A), (9, C)]);
    }

    #[test]
    fn dominant_customer_is_a() {
        use AbcClass::*;
        let got = classes(&[(1, 97.0), (2, 2.0), (3, 1.0)]);
        assert_eq!(got, [(1, A), (2, C), (3, C)]);
    }

    #[test]
    fn zero_total_and_non_positive_revenue_are_c() {
        use AbcClass::*;
        assert_eq!(classes(&[(1, 0.0), (2, 0.0)]), [(1, C), (2, C)]);
        let rows = abc_classes(vec![(1, 0.0)], &AbcThresholds::default()).expect("valid");
        assert_eq!(rows[0].share, 0.0);
        assert_eq!(
            classes(&[(1, -5.0), (2, 10.0), (3, 0.0)]),
            [(2, A), (3, C), (1, C)]
        );
        assert!(classes(&[]).is_empty());
    }

    #[test]
    fn invalid_thresholds_and_revenue_are_rejected() {
        let bad = AbcThresholds { a: 0.9, b: 0.8 };
        assert!(abc_classes(vec![(1, 1.0)], &bad).is_err());
        assert!(abc_classes(vec![(1, f64::INFINITY)], &AbcThresholds::default()).is_err());
    }
}
