//! The one input row most analyses start from: a customer bought something
//! on a day for an amount.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One purchase (an order line or an order) of a customer. Cancelled orders
/// are expected to be filtered out before they reach this crate.
///
/// `K` is the customer key: anything ordered (a database id, a string).
/// Ties in rankings are broken by ascending key, so its `Ord` matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purchase<K> {
    /// Who bought.
    pub customer: K,
    /// The day of the purchase.
    pub date: NaiveDate,
    /// Amount paid (in currency units, not minor units). Finite; may be 0.
    pub amount: f64,
    /// Number of items, when known. Carried for reports; no formula uses it.
    pub quantity: Option<f64>,
}
