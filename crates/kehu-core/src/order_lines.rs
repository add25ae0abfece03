//! Order lines (product, quantity, unit price) as an API client sends them, checked
//! before anything is written: when an order has lines, its total is their sum.

use crate::validation::FieldErrors;
use serde_json::Value as Json;

/// Most lines one order may have.
pub const MAX_LINES: usize = 500;
/// Longest product text, in characters.
const MAX_PRODUCT_CHARS: usize = 200;

/// One checked order line; money in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// What was sold.
    pub product: String,
    /// How many, more than zero.
    pub quantity: i64,
    /// Price of one, zero or more.
    pub unit_price: i64,
    /// quantity × unit price.
    pub amount: i64,
}

/// Checked lines with their sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLines {
    /// The lines, in the order given.
    pub lines: Vec<OrderLine>,
    /// Sum of the line amounts: the order's total.
    pub total: i64,
    /// Sum of the quantities.
    pub quantity: i64,
}

/// Checks the `lines` array of an order and, when the request also gives a `total`,
/// that it equals the lines' sum. Errors name the field: `lines[2].quantity`, `total`.
pub fn check_lines(lines: &Json, given_total: Option<&Json>) -> Result<CheckedLines, FieldErrors> {
    let mut errors = FieldErrors::default();
    let Some(items) = lines.as_array() else {
        errors.add("lines", "invalid", "must be a list of lines");
        return Err(errors);
    };
    if items.is_empty() {
        errors.add("lines", "required", "must have at least one line");
        return Err(errors);
    }
    if items.len() > MAX_LINES {
        errors.add("lines", "too_many", format!("at most {MAX_LINES} lines"));
        return Err(errors);
    }
    let mut checked = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let name = |field: &str| format!("lines[{i}].{field}");
        let Some(item) = item.as_object() else {
            errors.add(format!("lines[{i}]"), "invalid", "must be an object");
            continue;
        };
        let product = item
            .get("product")
            .and_then(Json::as_str)
            .map(str::trim)
            .unwrap_or("");
        if product.is_empty() {
            errors.add(name("product"), "required", "is required");
        } else if product.chars().count() > MAX_PRODUCT_CHARS {
            errors.add(
                name("product"),
                "too_long",
                format!("must be at most {MAX_PRODUCT_CHARS} characters"),
            );
        }
        let quantity = item.get("quantity").and_then(Json::as_i64);
        match quantity {
            Some(q) if q > 0 => {}
            _ => errors.add(
                name("quantity"),
                "invalid",
                "must be a whole number greater than 0",
            ),
        }
        let unit_price = item.get("unit_price").and_then(Json::as_i64);
        match unit_price {
            Some(p) if p >= 0 => {}
            _ => errors.add(
                name("unit_price"),
                "invalid",
                "must be a whole number of minor units (fen/cents), 0 or more",
            ),
        }
        if let (Some(q), Some(p)) = (quantity, unit_price) {
            match q.checked_mul(p) {
                Some(amount) if q > 0 && p >= 0 => checked.push(OrderLine {
                    product: product.to_string(),
                    quantity: q,
                    unit_price: p,
                    amount,
                }),
                None => errors.add(
                    name("quantity"),
                    "too_large",
                    "quantity × price is too large",
                ),
                _ => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let sum = |f: fn(&OrderLine) -> i64| {
        checked
            .iter()
            .try_fold(0i64, |acc, line| acc.checked_add(f(line)))
    };
    let (Some(total), Some(quantity)) = (sum(|l| l.amount), sum(|l| l.quantity)) else {
        errors.add("lines", "too_large", "the lines' total is too large");
        return Err(errors);
    };
    match given_total {
        None | Some(Json::Null) => {}
        Some(given) if given.as_i64() == Some(total) => {}
        Some(_) => {
            errors.add(
                "total",
                "total_mismatch",
                format!("must equal the sum of the lines ({total}), or be left out"),
            );
            return Err(errors);
        }
    }
    Ok(CheckedLines {
        lines: checked,
        total,
        quantity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn total_is_the_sum_of_the_lines() {
        let lines = json!([
            {"product": "茶叶", "quantity": 2, "unit_price": 1500},
            {"product": "Teapot", "quantity": 1, "unit_price": 8800}
        ]);
        let checked = check_lines(&lines, None).unwrap();
        assert_eq!(checked.total, 2 * 1500 + 8800);
        assert_eq!(checked.quantity, 3);
        assert_eq!(checked.lines[0].amount, 3000);
        assert!(check_lines(&lines, Some(&json!(11_800))).is_ok());
    }

    #[test]
    fn bad_lines_and_a_mismatched_total_name_the_field() {
        let lines = json!([
            {"product": "", "quantity": 0, "unit_price": -1},
            {"product": "x", "quantity": 1.5, "unit_price": 100}
        ]);
        let errors = check_lines(&lines, None).unwrap_err();
        for field in [
            "lines[0].product",
            "lines[0].quantity",
            "lines[0].unit_price",
            "lines[1].quantity",
        ] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
        let ok = json!([{"product": "x", "quantity": 3, "unit_price": 100}]);
        let errors = check_lines(&ok, Some(&json!(301))).unwrap_err();
        assert_eq!(errors.get("total").unwrap().code, "total_mismatch");
        assert!(check_lines(&json!([]), None).is_err());
        assert!(check_lines(&json!("x"), None).is_err());
        let huge = json!([{"product": "x", "quantity": i64::MAX, "unit_price": 2}]);
        assert!(check_lines(&huge, None).is_err());
    }
}
