//! One customer's purchases summed up — counts, amounts and dates — which is all RFM
//! and the repeat-purchase models read. For callers that sum purchases as they read them
//! (the customer value job reads ten million orders from the database) instead of
//! collecting every [`crate::Purchase`] first.

use chrono::NaiveDate;

use crate::rfm::RfmMeasures;
use crate::sum::CompensatedSum;
use crate::summary::{CustomerSummary, Period};

/// The purchases of one customer, summed as they are added in date order.
///
/// The sums are the ones [`crate::rfm_measures`] and [`crate::build_summaries`] form, in
/// the same order, so the measures and summaries come out bit for bit the same as theirs
/// (and as `kehu analytics rfm` prints for the same purchases).
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseTotals<K> {
    customer: K,
    purchases: u32,
    first: NaiveDate,
    last: NaiveDate,
    days: u32,
    /// Every purchase.
    amount: CompensatedSum,
    /// The purchases of the last day added.
    last_day: CompensatedSum,
    /// The day totals of the days after the first, but for the last day.
    repeat_days: CompensatedSum,
}

impl<K: Clone> PurchaseTotals<K> {
    /// A customer's first purchase.
    pub fn new(customer: K, date: NaiveDate, amount: f64) -> Self {
        let mut totals = PurchaseTotals {
            customer,
            purchases: 0,
            first: date,
            last: date,
            days: 1,
            amount: CompensatedSum::default(),
            last_day: CompensatedSum::default(),
            repeat_days: CompensatedSum::default(),
        };
        totals.add(date, amount);
        totals
    }

    /// Adds a purchase on the day of the last one or later (a purchase history is read
    /// in date order); an earlier day is an error of the caller's.
    pub fn add(&mut self, date: NaiveDate, amount: f64) {
        debug_assert!(date >= self.last, "purchases are added in date order");
        if date > self.last {
            // The day before is complete: it counts as a repeat day unless it was the first.
            if self.days > 1 {
                self.repeat_days.add(self.last_day.total());
            }
            self.last_day = CompensatedSum::default();
            self.days = self.days.saturating_add(1);
            self.last = date;
        }
        self.purchases = self.purchases.saturating_add(1);
        self.amount.add(amount);
        self.last_day.add(amount);
    }

    /// The customer.
    pub fn customer(&self) -> &K {
        &self.customer
    }

    /// Number of purchases (rows; two orders on one day count 2).
    pub fn purchases(&self) -> u32 {
        self.purchases
    }

    /// Sum of all amounts.
    pub fn amount(&self) -> f64 {
        self.amount.total()
    }

    /// The RFM measures as of `as_of` (on or after the last purchase); what
    /// [`crate::rfm_measures`] gives for the purchases added.
    pub fn rfm_measures(&self, as_of: NaiveDate) -> RfmMeasures<K> {
        RfmMeasures {
            customer: self.customer.clone(),
            recency_days: (as_of - self.last).num_days(),
            frequency: self.purchases,
            monetary: self.amount.total(),
            first_purchase: self.first,
            last_purchase: self.last,
        }
    }

    /// The repeat-purchase summary with calibration ending on `calibration_end` (on or
    /// after the last purchase); what [`crate::build_summaries`] gives: purchase days
    /// count once, and the monetary value is the mean of the days after the first.
    pub fn summary(&self, calibration_end: NaiveDate, period: Period) -> CustomerSummary {
        let frequency = self.days - 1;
        let mut repeat = self.repeat_days;
        if frequency > 0 {
            repeat.add(self.last_day.total());
        }
        let span = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / period.days();
        CustomerSummary {
            frequency,
            recency: span(self.first, self.last),
            age: span(self.first, calibration_end),
            monetary_value: if frequency > 0 {
                repeat.total() / f64::from(frequency)
            } else {
                0.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{build_summaries, rfm_measures, Purchase};

    fn purchase(customer: u32, date: &str, amount: f64) -> Purchase<u32> {
        Purchase {
            customer,
            date: date.parse().expect("test date"),
            amount,
            quantity: None,
        }
    }

    /// Adds each customer's purchases in date order (any order within a day).
    fn totals(purchases: &[Purchase<u32>], customer: u32) -> PurchaseTotals<u32> {
        let mut own: Vec<&Purchase<u32>> = purchases
            .iter()
            .filter(|p| p.customer == customer)
            .collect();
        own.sort_by_key(|p| p.date);
        let mut totals = PurchaseTotals::new(customer, own[0].date, own[0].amount);
        for p in &own[1..] {
            totals.add(p.date, p.amount);
        }
        totals
    }

    #[test]
    fn totals_give_the_measures_and_summaries_of_their_purchases() {
        let purchases = [
            purchase(7, "2024-01-01", 10.0),
            purchase(7, "2024-01-01", 4.0), // same first day: one purchase day of 14
            purchase(7, "2024-01-15", 5.0),
            purchase(7, "2024-01-15", 7.0),
            purchase(7, "2024-01-29", 0.0),
            purchase(8, "2024-02-01", 3.0), // one-time buyer
        ];
        let end: NaiveDate = "2024-02-12".parse().expect("date");
        let measures = rfm_measures(&purchases, end).expect("valid");
        let summaries = build_summaries(&purchases, end, Period::Week);
        for (i, customer) in [7, 8].into_iter().enumerate() {
            let t = totals(&purchases, customer);
            assert_eq!(t.rfm_measures(end), measures[i]);
            assert_eq!(t.summary(end, Period::Week), summaries[i].1);
        }
        let seven = totals(&purchases, 7).summary(end, Period::Week);
        assert_eq!(seven.frequency, 2);
        assert_eq!(seven.monetary_value, 6.0); // (12 + 0) / 2; the first day's 14 is left out
        let eight = totals(&purchases, 8).summary(end, Period::Day);
        assert_eq!((eight.frequency, eight.recency, eight.age), (0, 0.0, 11.0));
        assert_eq!(eight.monetary_value, 0.0);
    }

    #[test]
    fn sums_of_cents_come_out_as_the_batch_functions_give_them() {
        // Amounts that binary floats do not hold, several a day, over many days.
        let mut purchases = Vec::new();
        let mut state = 17u64;
        for customer in 0..50u32 {
            for k in 0..(customer % 13 + 1) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                let cents = (state >> 33) % 100_000;
                let day = chrono::Duration::days(i64::from(k / 2 * 3 + customer % 5));
                let date = "2024-01-01".parse::<NaiveDate>().expect("date") + day;
                let p = purchase(customer, "2024-01-01", cents as f64 / 100.0);
                purchases.push(Purchase { date, ..p });
            }
        }
        let end: NaiveDate = "2024-06-30".parse().expect("date");
        let measures = rfm_measures(&purchases, end).expect("valid");
        let summaries = build_summaries(&purchases, end, Period::Week);
        for customer in 0..50u32 {
            let t = totals(&purchases, customer);
            let i = customer as usize;
            assert_eq!(t.rfm_measures(end), measures[i], "customer {customer}");
            assert_eq!(
                t.summary(end, Period::Week),
                summaries[i].1,
                "customer {customer}"
            );
        }
    }
}
