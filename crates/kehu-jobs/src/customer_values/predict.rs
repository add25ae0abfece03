//! Each customer's BG/NBD predictions, Gamma-Gamma spend and CLV, from CLV curves
//! shared by the customers of the same frequency and age.

use kehu_analytics::{
    BgNbdParams, ClvCurve, ClvSettings, CustomerSummary, GammaGammaParams, PurchaseTotals,
    RepeatPurchaseModel,
};
use std::collections::HashMap;

/// One customer's predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Prediction {
    pub expected_purchases: f64,
    pub p_alive: f64,
    pub avg_spend: f64,
    /// Minor units.
    pub clv: i64,
}

/// A purchase history's frequency x and age T (as bits): all that a [`ClvCurve`] depends on.
type CurveKey = (u32, u64);

fn curve_key(summary: &CustomerSummary) -> CurveKey {
    (summary.frequency, summary.age.to_bits())
}

/// The fitted models and their CLV curves.
pub(super) struct Predictor {
    model: BgNbdParams,
    spend: Option<GammaGammaParams>,
    /// The curve of every (x, T) among the customers. A curve costs a hypergeometric
    /// series per month; customers acquired on the same day with as many repeat purchases
    /// share one, and the benchmark's million customers have 54,836
    /// (x, T) pairs, so each is computed once instead of for every customer.
    curves: HashMap<CurveKey, ClvCurve>,
}

impl Predictor {
    pub(super) fn new(
        model: BgNbdParams,
        spend: Option<GammaGammaParams>,
        clv: ClvSettings,
        summaries: &[CustomerSummary],
    ) -> anyhow::Result<Predictor> {
        let mut histories: HashMap<CurveKey, &CustomerSummary> = HashMap::new();
        for summary in summaries {
            histories.entry(curve_key(summary)).or_insert(summary);
        }
        let histories: Vec<(CurveKey, &CustomerSummary)> = histories.into_iter().collect();
        let curves = in_parallel(&histories, |part| {
            part.iter()
                .map(|&(key, summary)| Ok((key, ClvCurve::of(&model, summary, &clv)?)))
                .collect()
        })?;
        tracing::info!(
            curves = curves.len(),
            customers = summaries.len(),
            "CLV curves computed"
        );
        Ok(Predictor {
            model,
            spend,
            curves: curves.into_iter().collect(),
        })
    }

    /// One customer's predictions. Expected purchases are over the CLV's horizon, from
    /// its curve: the same number as the model's `expected_purchases` at that horizon,
    /// without another series.
    pub(super) fn predict(
        &self,
        summary: &CustomerSummary,
        totals: &PurchaseTotals<i64>,
    ) -> anyhow::Result<Prediction> {
        let curve = &self.curves[&curve_key(summary)];
        let p_alive = self.model.p_alive(summary);
        let avg_spend = match &self.spend {
            Some(spend) => spend.expected_average_spend(summary)?,
            None => totals.amount() / f64::from(totals.purchases().max(1)),
        };
        Ok(Prediction {
            expected_purchases: curve.expected_purchases(p_alive),
            p_alive,
            avg_spend,
            clv: (curve.value(p_alive, avg_spend) * 100.0).round() as i64,
        })
    }
}

/// `f` of consecutive parts of `items` on all cores, results in order: the curves of
/// tens of thousands of histories take a dozen hypergeometric series each.
fn in_parallel<T: Sync, U: Send>(
    items: &[T],
    f: impl Fn(&[T]) -> anyhow::Result<Vec<U>> + Sync,
) -> anyhow::Result<Vec<U>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = items.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per_thread)
            .map(|part| scope.spawn(|| f(part)))
            .collect();
        let mut all = Vec::with_capacity(items.len());
        for part in parts {
            let results = part
                .join()
                .map_err(|_| anyhow::anyhow!("a prediction thread panicked"))??;
            all.extend(results);
        }
        Ok(all)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_results_keep_their_order_and_errors() {
        let items: Vec<u32> = (0..1_001).collect();
        let double = |part: &[u32]| Ok(part.iter().map(|n| n * 2).collect());
        let doubled = in_parallel(&items, double).unwrap();
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        let failed = in_parallel(&items, |part| {
            part.iter()
                .map(|&n| {
                    anyhow::ensure!(n != 700, "item {n}");
                    Ok(n)
                })
                .collect()
        });
        assert_eq!(failed.unwrap_err().to_string(), "item 700");
        assert!(in_parallel(&[] as &[u32], double).unwrap().is_empty());
    }
}
