//! The demo company's purchase history: a few years of orders per customer with the
//! seasonality of Chinese B2B trade, so every RFM segment and lifecycle stage has
//! customers in it.
//!
//! Each customer gets a buying rate, a typical order size and a fate (still buying,
//! gone quiet at some point, or only just started). Orders arrive as a Poisson process
//! whose rate rises in the weeks before 春节, around 618, before Double 11 and at year
//! end, and drops during the Spring Festival holiday itself.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One order to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrder {
    /// Index of the customer in the generated customer list.
    pub customer: usize,
    /// The order number.
    pub number: String,
    /// The order date.
    pub date: NaiveDate,
    /// Total in fen.
    pub total: i64,
    /// Number of items.
    pub quantity: i64,
    /// `completed`, `pending` (recent orders) or `cancelled`.
    pub status: &'static str,
}

/// Share of customers that never ordered (leads still being worked).
const NO_ORDERS: f64 = 0.15;
/// Share of orders that were cancelled.
const CANCELLED: f64 = 0.03;
/// Orders this many days old or newer may still be pending.
const PENDING_DAYS: i64 = 7;
/// Purchase history reaches back at most this many days.
const HISTORY_DAYS: i64 = 3 * 365;

/// Spring Festival (春节) days of the years the demo history can cover.
const SPRING_FESTIVAL: &[(i32, u32, u32)] = &[
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
];

/// How busy a day is compared with an ordinary one.
pub fn seasonal_factor(day: NaiveDate) -> f64 {
    if let Some(&(y, m, d)) = SPRING_FESTIVAL.iter().find(|(y, _, _)| *y == day.year()) {
        let festival = NaiveDate::from_ymd_opt(y, m, d).expect("valid festival date");
        let until = (festival - day).num_days();
        if (1..=21).contains(&until) {
            return 2.0; // stocking up before the holiday
        }
        if (-7..=0).contains(&until) {
            return 0.2; // everyone is home
        }
    }
    match (day.month(), day.day()) {
        (11, 1..=11) => 2.5,  // Double 11 (双十一)
        (6, 1..=18) => 1.6,   // 618
        (12, 10..=31) => 1.8, // year-end budgets
        _ => 1.0,
    }
}

/// The largest [`seasonal_factor`], for thinning.
const PEAK_FACTOR: f64 = 2.5;

/// Generates orders for customers created at `created`, reproducibly for a seed.
pub fn generate_orders(seed: u64, now: DateTime<Utc>, created: &[DateTime<Utc>]) -> Vec<NewOrder> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6f72_6465_7273);
    let today = now.date_naive();
    let earliest = today - Duration::days(HISTORY_DAYS);
    let mut orders = Vec::new();
    for (customer, created_at) in created.iter().enumerate() {
        if rng.gen_bool(NO_ORDERS) {
            continue;
        }
        let start = created_at.date_naive().max(earliest);
        // Orders per 30 days: most customers buy every few months, a few every week.
        let monthly_rate = [0.15, 0.3, 0.6, 1.2, 3.0][rng.gen_range(0..5)];
        // A third of the customers stop buying at some point.
        let end = if rng.gen_bool(0.35) {
            let active_days = (today - start).num_days().max(1);
            start + Duration::days(rng.gen_range(0..active_days))
        } else {
            today
        };
        // Typical order: ¥500 to ¥50,000, log-uniform.
        let typical_yuan = 10f64.powf(rng.gen_range(2.7..4.7));
        let daily_peak_rate = monthly_rate / 30.0 * PEAK_FACTOR;
        // The first purchase comes with the customer; then the Poisson process.
        let mut day = start;
        let mut first = true;
        loop {
            if !first {
                let gap = -rng.gen::<f64>().max(f64::MIN_POSITIVE).ln() / daily_peak_rate;
                day += Duration::days(gap.ceil().max(1.0) as i64);
                if day > end {
                    break;
                }
                if !rng.gen_bool(seasonal_factor(day) / PEAK_FACTOR) {
                    continue;
                }
            }
            first = false;
            let size = typical_yuan * rng.gen_range(0.4..1.8);
            let quantity = rng.gen_range(1..=20);
            let age = (today - day).num_days();
            let status = if rng.gen_bool(CANCELLED) {
                "cancelled"
            } else if age <= PENDING_DAYS && rng.gen_bool(0.5) {
                "pending"
            } else {
                "completed"
            };
            orders.push(NewOrder {
                customer,
                number: String::new(),
                date: day,
                total: (size * 100.0).round() as i64,
                quantity,
                status,
            });
        }
    }
    // Numbered in date order, as a shop system would.
    orders.sort_by_key(|o| (o.date, o.customer));
    for (sequence, order) in orders.iter_mut().enumerate() {
        order.number = format!("SO{}-{:06}", order.date.format("%Y%m%d"), sequence + 1);
    }
    orders
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> (DateTime<Utc>, Vec<NewOrder>) {
        let now = DateTime::parse_from_rfc3339("2026-11-27T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let created: Vec<_> = (0..2_000)
            .map(|i| now - Duration::days(1_200 - (i % 1_200) as i64))
            .collect();
        (now, generate_orders(7, now, &created))
    }

    #[test]
    fn orders_are_more_frequent_before_double_eleven_than_in_august() {
        let (_, orders) = history();
        let days = |month: u32, from: u32, to: u32| {
            orders
                .iter()
                .filter(|o| o.date.month() == month && (from..=to).contains(&o.date.day()))
                .count() as f64
                / f64::from(to - from + 1)
        };
        let double_eleven = days(11, 1, 11);
        let august = days(8, 1, 31);
        assert!(
            double_eleven > 1.8 * august,
            "per day: Double 11 {double_eleven:.1}, August {august:.1}"
        );
    }

    #[test]
    fn history_is_reproducible_dated_in_the_past_and_numbered_uniquely() {
        let (now, orders) = history();
        assert_eq!(orders, history().1);
        assert!(
            orders.len() > 10_000 && orders.len() < 60_000,
            "{}",
            orders.len()
        );
        assert!(orders
            .iter()
            .all(|o| o.date <= now.date_naive() && o.total > 0));
        let mut numbers: Vec<_> = orders.iter().map(|o| &o.number).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), orders.len());
        assert!(orders.iter().any(|o| o.status == "cancelled"));
    }
}
