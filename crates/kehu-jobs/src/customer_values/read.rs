//! Every customer's purchase totals, read a range of customer ids per statement.
//!
//! Each statement is its own short read transaction, so on SQLite the WAL checkpoints
//! between ranges and the write-ahead log does not grow for the length of the job.
//! A customer's orders are all read in one statement, so each customer's figures are
//! consistent; different customers may be read a fraction of a second apart, which an
//! analysis of years of purchases does not notice.

use chrono::NaiveDate;
use kehu_analytics::PurchaseTotals;
use kehu_core::permission::Visibility;
use kehu_db::orders::{self, PurchaseRow};
use kehu_db::Db;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use tokio::task::JoinSet;

/// Customer ids per range: at ten orders a customer, about 10 ms of SQLite work on an
/// idle machine, each range its own short read (so WAL checkpoints go on in between).
const IDS_PER_READ: i64 = 2_000;

/// One customer's purchases, summed.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerPurchases {
    /// Counts, days and amounts in currency units, as the models read them.
    pub totals: PurchaseTotals<i64>,
    /// The amounts' sum in minor units, exact, as it is stored.
    pub revenue: i64,
}

/// Sums purchases given in customer and date order into one row per customer.
#[derive(Debug, Default)]
pub struct PurchaseSums {
    customers: Vec<CustomerPurchases>,
}

impl PurchaseSums {
    /// Adds the next purchase.
    pub fn add(&mut self, p: PurchaseRow) {
        // Currency units, as `kehu analytics rfm` reads the amounts of a file.
        let amount = p.total as f64 / 100.0;
        match self.customers.last_mut() {
            Some(last) if *last.totals.customer() == p.account_id => {
                last.totals.add(p.date, amount);
                last.revenue += p.total;
            }
            _ => self.customers.push(CustomerPurchases {
                totals: PurchaseTotals::new(p.account_id, p.date, amount),
                revenue: p.total,
            }),
        }
    }

    /// One row per customer, in the order the purchases came.
    pub fn finish(self) -> Vec<CustomerPurchases> {
        self.customers
    }
}

/// Ranges read at once: one per core. Reading is CPU work in SQLite, run inline by the
/// statement's caller, so each range is read on a blocking-pool thread: the runtime's
/// worker threads stay free for the requests the server answers meanwhile, and the
/// operating system shares the cores between the two.
fn reads_in_flight() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.clamp(1, kehu_db::SQLITE_CONNECTIONS as usize / 2)
}

/// The purchases up to `as_of` of every customer, summed, by customer id.
pub async fn purchase_totals(db: &Db, as_of: NaiveDate) -> anyhow::Result<Vec<CustomerPurchases>> {
    let Some((low, high)) = orders::purchase_account_bounds(db).await? else {
        return Ok(Vec::new());
    };
    let mut ranges = id_ranges(low, high).into_iter().enumerate();
    let mut running = JoinSet::new();
    let mut done: BTreeMap<usize, Vec<CustomerPurchases>> = BTreeMap::new();
    let runtime = tokio::runtime::Handle::current();
    loop {
        while running.len() < reads_in_flight() {
            let Some((index, range)) = ranges.next() else {
                break;
            };
            let db = db.clone();
            let runtime = runtime.clone();
            running.spawn_blocking(move || {
                let everything = Visibility::Everything;
                let mut sums = PurchaseSums::default();
                let read =
                    orders::each_purchase(&db, &everything, &everything, as_of, range, |p| {
                        sums.add(p)
                    });
                (index, runtime.block_on(read).map(|()| sums.finish()))
            });
        }
        let Some(finished) = running.join_next().await else {
            break;
        };
        let (index, rows) = finished?;
        done.insert(index, rows?);
    }
    let mut all = Vec::with_capacity(done.values().map(Vec::len).sum());
    for rows in done.into_values() {
        all.extend(rows);
    }
    Ok(all)
}

/// `low..=high` in consecutive ranges of [`IDS_PER_READ`] ids.
fn id_ranges(low: i64, high: i64) -> Vec<RangeInclusive<i64>> {
    let mut ranges = Vec::new();
    let mut start = low;
    while start <= high {
        let end = start.saturating_add(IDS_PER_READ - 1).min(high);
        ranges.push(start..=end);
        start = match end.checked_add(1) {
            Some(next) => next,
            None => break,
        };
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_ids_once() {
        assert_eq!(id_ranges(7, 7), [7..=7]);
        let ranges = id_ranges(1, 2 * IDS_PER_READ + 5);
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges[0], 1..=IDS_PER_READ);
        assert_eq!(*ranges[2].end(), 2 * IDS_PER_READ + 5);
        assert!(ranges.windows(2).all(|w| w[0].end() + 1 == *w[1].start()));
        assert_eq!(id_ranges(i64::MAX - 1, i64::MAX), [i64::MAX - 1..=i64::MAX]);
    }
}
