//! Reading purchase history for `kehu import orders`: `customer_id,date,amount[,quantity]`
//! with a header row, extra columns ignored.
//!
//! Every row is checked before anything is written, and a problem is reported by line
//! (1 = the header) and column, so users can fix the file in a spreadsheet.

use chrono::NaiveDate;
use kehu_core::Money;
use std::fmt;
use std::io::Read;

/// One order as read from the file, not yet matched to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    /// The 1-based line the row starts on.
    pub line: u64,
    /// The customer's id or customer code, as written.
    pub customer: String,
    /// The order date.
    pub date: NaiveDate,
    /// The order total in minor units (fen/cents); never negative.
    pub total: i64,
    /// How many items, when the file has a `quantity` column and the cell is not empty.
    pub quantity: Option<i64>,
}

/// What is wrong with a file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RowError {
    /// The 1-based line (1 = header).
    pub line: u64,
    /// The column the problem is in, if it is one cell.
    pub column: Option<String>,
    /// What is wrong, quoting the value.
    pub problem: String,
}

impl RowError {
    /// An error in one cell.
    pub fn cell(line: u64, column: &str, problem: impl Into<String>) -> Self {
        RowError {
            line,
            column: Some(column.to_string()),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(
                f,
                "line {}, column \"{column}\": {}",
                self.line, self.problem
            ),
            None => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

/// Reads and checks every row; the first problem found stops the reading.
pub fn read_order_rows<R: Read>(reader: R) -> Result<Vec<OrderRow>, RowError> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| RowError {
            line: 1,
            column: None,
            problem: format!("cannot read the header: {e}"),
        })?
        .clone();
    let position = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let required = |name: &str| {
        position(name).ok_or_else(|| RowError {
            line: 1,
            column: Some(name.to_string()),
            problem: "the header has no such column".into(),
        })
    };
    let (customer, date, amount) = (
        required("customer_id")?,
        required("date")?,
        required("amount")?,
    );
    let quantity = position("quantity");
    let mut rows = Vec::new();
    for record in csv.records() {
        let record = record.map_err(|e| RowError {
            line: e.position().map_or(0, |p| p.line()),
            column: None,
            problem: format!("not valid CSV: {e}"),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |index: usize| record.get(index).unwrap_or("");
        let customer_id = cell(customer);
        if customer_id.is_empty() {
            return Err(RowError::cell(line, "customer_id", "is empty"));
        }
        let day = NaiveDate::parse_from_str(cell(date), "%Y-%m-%d").map_err(|_| {
            RowError::cell(
                line,
                "date",
                format!("{:?} is not a date like 2024-03-31", cell(date)),
            )
        })?;
        let total = Money::parse_major_units(cell(amount)).map_err(|_| {
            RowError::cell(
                line,
                "amount",
                format!("{:?} is not an amount like 1234.50", cell(amount)),
            )
        })?;
        if total < 0 {
            return Err(RowError::cell(line, "amount", "must not be negative"));
        }
        let quantity =
            match quantity.map(cell).filter(|q| !q.is_empty()) {
                None => None,
                Some(text) => Some(text.parse::<i64>().ok().filter(|q| *q >= 0).ok_or_else(
                    || RowError::cell(line, "quantity", format!("{text:?} is not a whole number")),
                )?),
            };
        rows.push(OrderRow {
            line,
            customer: customer_id.to_string(),
            date: day,
            total,
            quantity,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<OrderRow>, RowError> {
        read_order_rows(text.as_bytes())
    }

    #[test]
    fn reads_amounts_exactly_and_ignores_extra_columns() {
        let rows = read(
            "date,customer_id,amount,note\n2024-01-02,C-7,\"1,234.50\",x\n2024-01-03,12,0.1,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, rows[0].customer.as_str(), rows[0].total),
            (2, "C-7", 123_450)
        );
        assert_eq!(rows[1].total, 10);
        assert_eq!(rows[1].quantity, None);
    }

    #[test]
    fn names_the_line_and_column_of_a_bad_cell() {
        let error = read("customer_id,date,amount,quantity\n1,2024-01-01,5,1\n2,2024-02-30,5,1\n")
            .unwrap_err();
        assert_eq!((error.line, error.column.as_deref()), (3, Some("date")));
        let error = read("customer_id,date,amount\n1,2024-01-01,five\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 2, column \"amount\": \"five\" is not an amount like 1234.50"
        );
        let error = read("customer_id,date,amount,quantity\n1,2024-01-01,5,2.5\n").unwrap_err();
        assert_eq!(error.column.as_deref(), Some("quantity"));
        let error = read("customer_id,date,amount\n1,2024-01-01,-5\n").unwrap_err();
        assert_eq!(error.column.as_deref(), Some("amount"));
    }

    #[test]
    fn a_missing_column_is_named() {
        let error = read("customer_id,amount\n1,5\n").unwrap_err();
        assert_eq!((error.line, error.column.as_deref()), (1, Some("date")));
    }
}
