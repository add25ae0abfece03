//! CSV input for the analytics commands: purchases
//! (`customer_id,date,amount[,quantity]`) and customer summaries
//! (`customer_id,frequency,recency,T[,monetary_value]`). Columns are found by
//! header name (case-insensitive, any order, extra columns ignored); every
//! error names the source, the line and the column, so a user can fix the
//! file without guessing.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use chrono::NaiveDate;
use serde::{Serialize, Serializer};

use crate::purchase::Purchase;
use crate::rfm::{RfmMeasures, RfmTotals};
use crate::summary::CustomerSummary;

/// A customer id as written in a file, ordered "naturally": ids made of
/// digits compare by numeric value (so `2` < `10` and `0007` = `7` in
/// rank), then all other ids by text. Used to break ties in rankings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerId(pub String);

impl CustomerId {
    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digits(&self) -> Option<&str> {
        let s = self.0.as_str();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| {
            let trimmed = s.trim_start_matches('0');
            if trimmed.is_empty() {
                "0"
            } else {
                trimmed
            }
        })
    }
}

impl Ord for CustomerId {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_kind = match (self.digits(), other.digits()) {
            (Some(a), Some(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        // Raw text last, so that `07` and `7` stay distinct (Ord agrees with Eq).
        by_kind.then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for CustomerId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for CustomerId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A problem in an input file, located by line (1 = header) and, where it
/// concerns one field, by column name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// What the user called the input (usually the file name).
    pub source_name: String,
    /// 1-based line number in the file.
    pub line: u64,
    /// Header name of the offending column, if the problem is one field.
    pub column: Option<String>,
    /// What is wrong, quoting the offending value.
    pub problem: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(
                f,
                "{} line {}, column \"{}\": {}",
                self.source_name, self.line, column, self.problem
            ),
            None => write!(
                f,
                "{} line {}: {}",
                self.source_name, self.line, self.problem
            ),
        }
    }
}

/// Purchases read from CSV, keyed by [`CustomerId`].
pub type PurchaseRows = Vec<Purchase<CustomerId>>;

/// Customer summaries read from CSV, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRows {
    /// One row per customer.
    pub rows: Vec<(CustomerId, CustomerSummary)>,
    /// Whether the file had a `monetary_value` column (needed for spend
    /// models); without it every monetary value is 0.
    pub has_monetary_value: bool,
}

/// Reads purchases from CSV with a header row containing `customer_id`,
/// `date` (YYYY-MM-DD) and `amount`, and optionally `quantity`.
pub fn read_purchases<R: Read>(reader: R, source_name: &str) -> Result<PurchaseRows, InputError> {
    let mut table = Table::open(reader, source_name)?;
    let customer = table.required("customer_id")?;
    let date = table.required("date")?;
    let amount = table.required("amount")?;
    let quantity = table.optional("quantity");
    let mut purchases = Vec::new();
    while let Some(row) = table.next_row()? {
        purchases.push(Purchase {
            customer: row.customer_id(&customer)?,
            date: row.date(&date)?,
            amount: row.number(&amount)?,
            quantity: quantity.as_ref().map(|q| row.number(q)).transpose()?,
        });
    }
    Ok(purchases)
}

/// Reads purchases like [`read_purchases`] (same columns, same checks, same errors)
/// and aggregates them as they are read into the RFM measures as of `as_of`: one row
/// per customer with a purchase on or before that day, in [`CustomerId`] order — what
/// [`crate::rfm_measures`] gives for the purchases, without holding them all.
pub fn read_rfm_measures<R: Read>(
    reader: R,
    source_name: &str,
    as_of: NaiveDate,
) -> Result<Vec<RfmMeasures<CustomerId>>, InputError> {
    let mut table = Table::open(reader, source_name)?;
    let customer = table.required("customer_id")?;
    let date = table.required("date")?;
    let amount = table.required("amount")?;
    let quantity = table.optional("quantity");
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut totals: Vec<(CustomerId, RfmTotals)> = Vec::new();
    while let Some(row) = table.next_row()? {
        let id = row.text(&customer)?;
        let day = row.date(&date)?;
        let value = row.number(&amount)?;
        if let Some(quantity) = &quantity {
            row.number(quantity)?;
        }
        if day > as_of {
            continue;
        }
        let position = match index.get(id) {
            Some(&position) => position,
            None => {
                index.insert(id.to_owned(), totals.len());
                totals.push((CustomerId(id.to_owned()), RfmTotals::new(day)));
                totals.len() - 1
            }
        };
        totals[position].1.add(day, value);
    }
    drop(index);
    totals.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(totals
        .into_iter()
        .map(|(id, totals)| totals.measures(id, as_of))
        .collect())
}

/// Reads customer summaries from CSV with a header row containing
/// `customer_id`, `frequency` (whole number ≥ 0), `recency` and `T`
/// (0 ≤ recency ≤ T), and optionally `monetary_value`. A customer id may
/// appear only once.
pub fn read_summaries<R: Read>(reader: R, source_name: &str) -> Result<SummaryRows, InputError> {
    let mut table = Table::open(reader, source_name)?;
    let customer = table.required("customer_id")?;
    let frequency = table.required("frequency")?;
    let recency = table.required("recency")?;
    let age = table.required("T")?;
    let monetary = table.optional("monetary_value");
    let mut rows = Vec::new();
    let mut seen: HashMap<CustomerId, u64> = HashMap::new();
    while let Some(row) = table.next_row()? {
        let id = row.customer_id(&customer)?;
        if let Some(first) = seen.insert(id.clone(), row.line) {
            return Err(row.error(
                &customer,
                format!("customer \"{id}\" appears twice (first on line {first})"),
            ));
        }
        let summary = CustomerSummary {
            frequency: row.count(&frequency)?,
            recency: row.non_negative(&recency)?,
            age: row.non_negative(&age)?,
            monetary_value: monetary
                .as_ref()
                .map(|m| row.number(m))
                .transpose()?
                .unwrap_or(0.0),
        };
        if summary.recency > summary.age {
            return Err(row.error(
                &recency,
                format!(
                    "{} is greater than T ({}); recency cannot exceed T",
                    summary.recency, summary.age
                ),
            ));
        }
        rows.push((id, summary));
    }
    Ok(SummaryRows {
        rows,
        has_monetary_value: monetary.is_some(),
    })
}

/// A CSV reader that knows its header and reports located errors.
///
/// Records are read as bytes and checked for UTF-8 once; fields are trimmed when they
/// are used. (A `StringRecord` trimmed by the reader costs an allocation per line,
/// a tenth of the time of `kehu analytics rfm` on ten million purchases.)
struct Table<R: Read> {
    reader: csv::Reader<R>,
    source_name: String,
    headers: Vec<String>,
    record: csv::ByteRecord,
}

impl<R: Read> Table<R> {
    fn open(reader: R, source_name: &str) -> Result<Self, InputError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true) // short rows get a per-field error, not a csv error
            .from_reader(reader);
        let headers: Vec<String> = match reader.headers() {
            Ok(h) => h.iter().map(|name| name.trim().to_owned()).collect(),
            Err(e) => return Err(csv_error(source_name, &e)),
        };
        let table = Self {
            reader,
            source_name: source_name.to_owned(),
            headers,
            record: csv::ByteRecord::new(),
        };
        if table.headers.iter().all(String::is_empty) {
            return Err(table.header_error("the file is empty; expected a header row".into()));
        }
        Ok(table)
    }

    fn header_error(&self, problem: String) -> InputError {
        InputError {
            source_name: self.source_name.clone(),
            line: 1,
            column: None,
            problem,
        }
    }

    /// Index of the column named `name` (case-insensitive), if present once.
    fn find(&self, name: &str) -> Result<Option<Column>, InputError> {
        let mut matches = self
            .headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.eq_ignore_ascii_case(name));
        let first = matches.next();
        if matches.next().is_some() {
            return Err(self.header_error(format!("column \"{name}\" appears more than once")));
        }
        Ok(first.map(|(index, _)| Column {
            index,
            name: name.to_owned(),
        }))
    }

    fn required(&self, name: &str) -> Result<Column, InputError> {
        self.find(name)?.ok_or_else(|| {
            self.header_error(format!(
                "missing column \"{name}\" (the header has: {})",
                self.headers.join(", ")
            ))
        })
    }

    fn optional(&self, name: &str) -> Option<Column> {
        // A duplicated optional column is reported when it is required
        // elsewhere; here the first one wins.
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
            .map(|index| Column {
                index,
                name: name.to_owned(),
            })
    }

    /// The next non-blank record, or `None` at the end.
    fn next_row(&mut self) -> Result<Option<Row<'_>>, InputError> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let line = self.record.position().map_or(0, csv::Position::line);
                    if !is_utf8(&self.record) {
                        return Err(InputError {
                            source_name: self.source_name.clone(),
                            line,
                            column: None,
                            problem: INVALID_UTF8.to_owned(),
                        });
                    }
                    if (0..self.record.len()).all(|i| field(&self.record, i).is_empty()) {
                        continue; // tolerate blank lines, e.g. a trailing one
                    }
                    return Ok(Some(Row {
                        record: &self.record,
                        source_name: &self.source_name,
                        line,
                    }));
                }
                Err(e) => return Err(csv_error(&self.source_name, &e)),
            }
        }
    }
}

/// `YYYY-MM-DD` written with exactly those digits, parsed without chrono's format
/// machinery (which costs more than the rest of reading a purchase line); anything
/// else is left to the general parser, which gives the same dates.
fn plain_iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

const INVALID_UTF8: &str = "is not valid UTF-8 text";

fn is_utf8(record: &csv::ByteRecord) -> bool {
    record.as_slice().is_ascii() || record.iter().all(|f| std::str::from_utf8(f).is_ok())
}

/// Field `index` of a record that passed [`is_utf8`], trimmed; "" when absent.
fn field(record: &csv::ByteRecord, index: usize) -> &str {
    record
        .get(index)
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .map_or("", str::trim)
}

fn csv_error(source_name: &str, error: &csv::Error) -> InputError {
    let line = error.position().map_or(1, csv::Position::line);
    let problem = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => INVALID_UTF8.to_owned(),
        csv::ErrorKind::Io(e) => format!("could not be read ({e})"),
        _ => format!("is not valid CSV ({error})"),
    };
    InputError {
        source_name: source_name.to_owned(),
        line,
        column: None,
        problem,
    }
}

/// A located column: header position and the name to print in errors.
#[derive(Debug, Clone)]
struct Column {
    index: usize,
    name: String,
}

/// One data line, with typed accessors that produce located errors.
struct Row<'a> {
    record: &'a csv::ByteRecord,
    source_name: &'a str,
    line: u64,
}

impl Row<'_> {
    fn error(&self, column: &Column, problem: String) -> InputError {
        InputError {
            source_name: self.source_name.to_owned(),
            line: self.line,
            column: Some(column.name.clone()),
            problem,
        }
    }

    fn text(&self, column: &Column) -> Result<&str, InputError> {
        match field(self.record, column.index) {
            "" => Err(self.error(column, "is empty; a value is required".into())),
            value => Ok(value),
        }
    }

    fn customer_id(&self, column: &Column) -> Result<CustomerId, InputError> {
        Ok(CustomerId(self.text(column)?.to_owned()))
    }

    fn date(&self, column: &Column) -> Result<NaiveDate, InputError> {
        let value = self.text(column)?;
        plain_iso_date(value)
            .or_else(|| {
                NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .ok()
                    .filter(|_| value.len() == 10)
            })
            .ok_or_else(|| {
                self.error(
                    column,
                    format!("\"{value}\" is not a date (expected YYYY-MM-DD)"),
                )
            })
    }

    fn number(&self, column: &Column) -> Result<f64, InputError> {
        let value = self.text(column)?;
        value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                self.error(
                    column,
                    format!("\"{value}\" is not a number (expected e.g. 12.50)"),
                )
            })
    }

    fn non_negative(&self, column: &Column) -> Result<f64, InputError> {
        let value = self.number(column)?;
        if value < 0.0 {
            return Err(self.error(column, format!("{value} is negative; expected 0 or more")));
        }
        Ok(value)
    }

    fn count(&self, column: &Column) -> Result<u32, InputError> {
        let value = self.text(column)?;
        value
            .parse::<f64>()
            .ok()
            .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v <= f64::from(u32::MAX))
            .map(|v| v as u32)
            .ok_or_else(|| {
                self.error(
                    column,
                    format!("\"{value}\" is not a whole number of 0 or more"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchases(text: &str) -> Result<PurchaseRows, String> {
        read_purchases(text.as_bytes(), "transactions.csv").map_err(|e| e.to_string())
    }

    fn summaries(text: &str) -> Result<SummaryRows, String> {
        read_summaries(text.as_bytes(), "summary.csv").map_err(|e| e.to_string())
    }

    #[test]
    fn streamed_rfm_measures_equal_those_of_the_collected_purchases() {
        let text = "customer_id,date,amount,quantity\n\
                    10,2024-03-01,5.10,1\n\
                    2,2024-01-05,0.1,1\n\
                    b,2024-02-01,7,2\n\
                    \u{3000}2 , 2024-01-05 ,0.2,1\n\
                    10,2024-02-01,1.25,1\n\
                    0002,2024-03-30,3,1\n\
                    2,2024-01-01,0,1\n\
                    late,2024-05-01,9,1\n\
                    10,2024-04-02,99,1\n";
        let as_of: NaiveDate = "2024-03-31".parse().unwrap();
        let streamed = read_rfm_measures(text.as_bytes(), "t.csv", as_of).unwrap();
        let collected = read_purchases(text.as_bytes(), "t.csv").unwrap();
        assert_eq!(
            streamed,
            crate::rfm_measures(&collected, as_of).unwrap(),
            "ids trimmed of (full-width) spaces, in natural order, later days ignored"
        );
        let ids: Vec<&str> = streamed.iter().map(|m| m.customer.as_str()).collect();
        assert_eq!(ids, ["0002", "2", "10", "b"]);
        assert_eq!((streamed[1].frequency, streamed[1].recency_days), (3, 86));
        assert!((streamed[1].monetary - 0.3).abs() < 1e-15);
    }

    #[test]
    fn streamed_rfm_measures_report_errors_like_read_purchases() {
        let as_of: NaiveDate = "2024-03-31".parse().unwrap();
        for text in [
            "customer_id,date,amount\n1,2024-01-01,1\n1,2024-1-01,2\n",
            "customer_id,date,amount\n1,2024-02-30,1\n",
            "customer_id,date,amount,quantity\n1,2099-01-01,1,x\n",
            "customer_id,date\n1,2024-01-01\n",
            "customer_id,date,amount\n,2024-01-01,1\n",
        ] {
            let streamed = read_rfm_measures(text.as_bytes(), "t.csv", as_of).unwrap_err();
            let collected = read_purchases(text.as_bytes(), "t.csv").unwrap_err();
            assert_eq!(streamed, collected, "{text}");
        }
        let mut bytes = b"customer_id,date,amount,note\n1,2024-01-01,1,ok\n".to_vec();
        bytes.extend_from_slice(b"2,2024-01-01,1,\xff\n");
        let error = read_rfm_measures(bytes.as_slice(), "t.csv", as_of).unwrap_err();
        assert_eq!(error.to_string(), "t.csv line 3: is not valid UTF-8 text");
    }

    #[test]
    fn plain_dates_parse_like_chrono() {
        for text in [
            "2024-02-29",
            "2023-02-29",
            "0000-01-01",
            "1997-13-01",
            "1997-00-10",
            "1997-01-32",
            "1997-1-010",
            "19970-1-01",
            "+997-01-01",
            "1997/01/01",
        ] {
            let chrono = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
            if let Some(fast) = plain_iso_date(text) {
                assert_eq!(Some(fast), chrono, "{text}");
            } else if text.bytes().filter(u8::is_ascii_digit).count() == 8 {
                assert_eq!(chrono, None, "{text}: a valid plain date was refused");
            }
        }
    }

    #[test]
    fn purchases_are_found_by_header_name_in_any_order() {
        let rows = purchases(
            "amount,extra,Date,customer_id\n12.5,x,1997-01-01,0001\n\n3,y,1997-02-03,2\n",
        )
        .expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].customer.as_str(), "0001");
        assert_eq!(rows[0].amount, 12.5);
        assert_eq!(
            rows[1].date,
            NaiveDate::from_ymd_opt(1997, 2, 3).expect("date")
        );
        assert_eq!(rows[1].quantity, None);
    }

    #[test]
    fn bad_date_names_line_and_column() {
        let text = "customer_id,date,amount\n1,1997-01-01,1\n1,1997-13-01,2\n";
        assert_eq!(
            purchases(text).unwrap_err(),
            "transactions.csv line 3, column \"date\": \"1997-13-01\" is not a date (expected YYYY-MM-DD)"
        );
        let text = "customer_id,date,amount\n1,01/02/1997,1\n";
        assert!(purchases(text)
            .unwrap_err()
            .contains("line 2, column \"date\""));
    }

    #[test]
    fn bad_amount_and_quantity_are_reported() {
        let text = "customer_id,date,amount\n1,1997-01-01,12,50\n1,1997-01-02,abc\n";
        assert_eq!(
            purchases(text).unwrap_err(),
            "transactions.csv line 3, column \"amount\": \"abc\" is not a number (expected e.g. 12.50)"
        );
        let text = "customer_id,date,amount,quantity\n1,1997-01-01,1,NaN\n";
        assert!(purchases(text)
            .unwrap_err()
            .starts_with("transactions.csv line 2, column \"quantity\""));
        let text = "customer_id,date,amount\n1,1997-01-01,inf\n";
        assert!(purchases(text)
            .unwrap_err()
            .contains("\"inf\" is not a number"));
    }

    #[test]
    fn missing_column_and_empty_values_are_reported() {
        assert_eq!(
            purchases("customer_id,amount\n1,2\n").unwrap_err(),
            "transactions.csv line 1: missing column \"date\" (the header has: customer_id, amount)"
        );
        assert_eq!(
            purchases("customer_id,date,amount\n1,1997-01-01\n").unwrap_err(),
            "transactions.csv line 2, column \"amount\": is empty; a value is required"
        );
        assert_eq!(
            purchases("").unwrap_err(),
            "transactions.csv line 1: the file is empty; expected a header row"
        );
        assert!(purchases("customer_id,date,date,amount\n")
            .unwrap_err()
            .contains("appears more than once"));
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_line() {
        let mut bytes = b"customer_id,date,amount\n1,1997-01-01,1\n".to_vec();
        bytes.extend_from_slice(b"\xff\xfe,1997-01-01,1\n");
        let error = read_purchases(bytes.as_slice(), "t.csv").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.to_string().contains("UTF-8"));
    }

    #[test]
    fn summaries_are_validated() {
        let ok = summaries("customer_id,frequency,recency,T,monetary_value\n1,2,30.43,38.86,22.35\n2,0,0,38.86,0\n")
            .expect("valid");
        assert!(ok.has_monetary_value);
        assert_eq!(ok.rows[0].1.frequency, 2);
        assert_eq!(ok.rows[0].1.age, 38.86);
        let no_money = summaries("customer_id,frequency,recency,T\n1,2.0,3,4\n").expect("valid");
        assert!(!no_money.has_monetary_value);
        assert_eq!(
            summaries("customer_id,frequency,recency,T\n1,2.5,3,4\n").unwrap_err(),
            "summary.csv line 2, column \"frequency\": \"2.5\" is not a whole number of 0 or more"
        );
        assert_eq!(
            summaries("customer_id,frequency,recency,T\n1,2,5,4\n").unwrap_err(),
            "summary.csv line 2, column \"recency\": 5 is greater than T (4); recency cannot exceed T"
        );
        assert_eq!(
            summaries("customer_id,frequency,recency,T\n1,2,-1,4\n").unwrap_err(),
            "summary.csv line 2, column \"recency\": -1 is negative; expected 0 or more"
        );
        assert_eq!(
            summaries("customer_id,frequency,recency,T\n7,1,1,4\n7,1,1,4\n").unwrap_err(),
            "summary.csv line 3, column \"customer_id\": customer \"7\" appears twice (first on line 2)"
        );
    }

    #[test]
    fn customer_ids_order_naturally() {
        let mut ids: Vec<CustomerId> = ["10", "b", "2", "0003", "a", "3"]
            .iter()
            .map(|s| CustomerId((*s).to_owned()))
            .collect();
        ids.sort();
        let order: Vec<&str> = ids.iter().map(CustomerId::as_str).collect();
        assert_eq!(order, ["2", "0003", "3", "10", "a", "b"]);
    }
}
