//! Reading SQLite rows by column name through [`DynRow`].

use crate::conn::DynRow;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::Statement;
use serde_json::Value as Json;
use std::cell::Cell;

/// The result column names of a statement, looked up once per statement, not per row.
pub(super) fn column_names(statement: &Statement<'_>) -> Vec<String> {
    statement
        .column_names()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// One row of a SQLite result, readable by column name.
pub struct SqliteRow<'a> {
    row: &'a rusqlite::Row<'a>,
    names: &'a [String],
    /// The column after the one read last: rows are mostly read in column order, so the
    /// next name asked for is usually found there without a search.
    next: Cell<usize>,
}

impl<'a> SqliteRow<'a> {
    pub(super) fn new(row: &'a rusqlite::Row<'a>, names: &'a [String]) -> Self {
        SqliteRow {
            row,
            names,
            next: Cell::new(0),
        }
    }

    fn value(&self, column: &str) -> sqlx::Result<ValueRef<'_>> {
        let guess = self.next.get();
        let index = Some(guess)
            .filter(|&i| self.names.get(i).is_some_and(|name| name == column))
            .or_else(|| self.names.iter().position(|name| name == column))
            .or_else(|| {
                self.names
                    .iter()
                    .position(|name| name.eq_ignore_ascii_case(column))
            })
            .ok_or_else(|| sqlx::Error::ColumnNotFound(column.to_string()))?;
        self.next.set(index + 1);
        self.row.get_ref(index).map_err(decode_error)
    }

    /// Column `index` as an integer, found by position: for reads of millions of rows,
    /// where finding each column by its name took longer than SQLite took to read it.
    pub(crate) fn int_at(&self, index: usize) -> sqlx::Result<Option<i64>> {
        int_of(
            self.name(index),
            self.row.get_ref(index).map_err(decode_error)?,
        )
    }

    /// Column `index` as a date, found by position (see [`SqliteRow::int_at`]).
    pub(crate) fn date_at(&self, index: usize) -> sqlx::Result<Option<NaiveDate>> {
        date_of(
            self.name(index),
            self.row.get_ref(index).map_err(decode_error)?,
        )
    }

    fn name(&self, index: usize) -> &str {
        self.names.get(index).map_or("?", String::as_str)
    }

    /// The first column as an integer (ids, counts).
    pub(crate) fn first_int(&self) -> sqlx::Result<i64> {
        match self.row.get_ref(0).map_err(decode_error)? {
            ValueRef::Integer(i) => Ok(i),
            other => Err(mismatch("the first column", "an integer", other)),
        }
    }
}

fn decode_error(error: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

fn mismatch(column: &str, wanted: &str, found: ValueRef<'_>) -> sqlx::Error {
    sqlx::Error::Decode(
        format!("{column}: expected {wanted}, found {:?}", found.data_type()).into(),
    )
}

fn text_of<'v>(column: &str, value: ValueRef<'v>) -> sqlx::Result<Option<&'v str>> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) => std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|e| sqlx::Error::Decode(Box::new(e))),
        other => Err(mismatch(column, "text", other)),
    }
}

/// A stored timestamp: RFC 3339 as Kehu writes them, or SQLite's own `YYYY-MM-DD HH:MM:SS`
/// (taken as UTC), or seconds since the epoch.
fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    ["%F %T%.f", "%FT%T%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// `YYYY-MM-DD` as Kehu stores dates, read without chrono's format parser: the customer
/// value job reads ten million order dates, and the parser took longer per date than
/// SQLite took to read the row. Anything else (or an impossible day) gives `None`, for
/// the parser to accept or reject as before.
fn plain_date(bytes: &[u8]) -> Option<NaiveDate> {
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

fn int_of(column: &str, value: ValueRef<'_>) -> sqlx::Result<Option<i64>> {
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(i)),
        // SUM() and AVG() of integers come back as REAL when a row holds one.
        ValueRef::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        other => Err(mismatch(column, "an integer", other)),
    }
}

fn date_of(column: &str, value: ValueRef<'_>) -> sqlx::Result<Option<NaiveDate>> {
    if let ValueRef::Text(bytes) = value {
        if let Some(date) = plain_date(bytes) {
            return Ok(Some(date));
        }
    }
    text_of(column, value)?
        .map(|text| {
            NaiveDate::parse_from_str(text, "%F").map_err(|e| sqlx::Error::Decode(Box::new(e)))
        })
        .transpose()
}

impl DynRow for SqliteRow<'_> {
    fn text(&self, column: &str) -> sqlx::Result<Option<String>> {
        Ok(match self.value(column)? {
            // Numbers read as text the way SQLite's CAST would write them.
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            other => text_of(column, other)?.map(str::to_string),
        })
    }

    fn int(&self, column: &str) -> sqlx::Result<Option<i64>> {
        int_of(column, self.value(column)?)
    }

    fn float(&self, column: &str) -> sqlx::Result<Option<f64>> {
        match self.value(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Real(f) => Ok(Some(f)),
            ValueRef::Integer(i) => Ok(Some(i as f64)),
            other => Err(mismatch(column, "a number", other)),
        }
    }

    fn boolean(&self, column: &str) -> sqlx::Result<Option<bool>> {
        Ok(self.int(column)?.map(|i| i != 0))
    }

    fn date(&self, column: &str) -> sqlx::Result<Option<NaiveDate>> {
        date_of(column, self.value(column)?)
    }

    fn timestamp(&self, column: &str) -> sqlx::Result<Option<DateTime<Utc>>> {
        match self.value(column)? {
            ValueRef::Integer(seconds) => Ok(DateTime::from_timestamp(seconds, 0)),
            other => text_of(column, other)?
                .map(|text| {
                    parse_timestamp(text).ok_or_else(|| {
                        sqlx::Error::Decode(format!("{column}: not a timestamp: {text}").into())
                    })
                })
                .transpose(),
        }
    }

    fn json(&self, column: &str) -> sqlx::Result<Option<Json>> {
        text_of(column, self.value(column)?)?
            .map(|text| serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e))))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_in_every_form_the_database_holds() {
        let at = parse_timestamp("2024-01-02T03:04:05.123456Z").unwrap();
        assert_eq!(at.to_rfc3339(), "2024-01-02T03:04:05.123456+00:00");
        let sqlite_now = parse_timestamp("2024-01-02 03:04:05").unwrap();
        assert_eq!(sqlite_now.to_rfc3339(), "2024-01-02T03:04:05+00:00");
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn plain_dates_read_as_the_format_parser_reads_them() {
        for text in ["2024-02-29", "1997-01-01", "0001-12-31", "9999-12-31"] {
            assert_eq!(
                plain_date(text.as_bytes()),
                Some(NaiveDate::parse_from_str(text, "%F").unwrap()),
                "{text}"
            );
        }
        // Impossible days and other shapes are left to the parser.
        for text in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "2024/01/01",
            "２０２４-01-01",
            "",
        ] {
            assert_eq!(plain_date(text.as_bytes()), None, "{text}");
        }
    }
}
