//! sea-query values bound to SQLite statements, encoded as the database already stores
//! them (the text forms sqlx used before: dates `%F`, times `%T%.f`, JSON as text).

use super::internal;
use crate::{DbError, DbResult};
use chrono::{Datelike, NaiveDate, SecondsFormat};
use rusqlite::types::{ToSqlOutput, Value as Sql};
use rusqlite::Statement;
use sea_query::Value;

/// Binds `values` to the statement's `?` parameters, in order.
pub(super) fn bind(statement: &mut Statement<'_>, values: &sea_query::Values) -> DbResult<()> {
    for (index, value) in values.0.iter().enumerate() {
        statement
            .raw_bind_parameter(index + 1, ToSqlOutput::Owned(sql_value(value)?))
            .map_err(internal)?;
    }
    Ok(())
}

/// A date as SQLite holds it, `%F` (`2024-02-29`); for years 0–9999 without chrono's
/// format machinery, which took longer than the insert when the customer value job
/// wrote two million dates.
pub(crate) fn date_text(date: NaiveDate) -> String {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        return date.format("%F").to_string();
    }
    let mut text = String::with_capacity(10);
    for (number, digits) in [(year as u32, 4), (date.month(), 2), (date.day(), 2)] {
        if !text.is_empty() {
            text.push('-');
        }
        for place in (0..digits).rev() {
            let digit = number / 10u32.pow(place) % 10;
            text.push(char::from(b'0' + digit as u8));
        }
    }
    text
}

fn sql_value(value: &Value) -> DbResult<Sql> {
    fn or_null<T>(value: &Option<T>, f: impl FnOnce(&T) -> Sql) -> Sql {
        value.as_ref().map_or(Sql::Null, f)
    }
    Ok(match value {
        Value::Bool(v) => or_null(v, |b| Sql::Integer(i64::from(*b))),
        Value::TinyInt(v) => or_null(v, |i| Sql::Integer(i64::from(*i))),
        Value::SmallInt(v) => or_null(v, |i| Sql::Integer(i64::from(*i))),
        Value::Int(v) => or_null(v, |i| Sql::Integer(i64::from(*i))),
        Value::BigInt(v) => or_null(v, |i| Sql::Integer(*i)),
        Value::TinyUnsigned(v) => or_null(v, |i| Sql::Integer(i64::from(*i))),
        Value::SmallUnsigned(v) => or_null(v, |i| Sql::Integer(i64::from(*i))),
        Value::Unsigned(v) => or_null(v, |i| Sql::Integer(i64::from(*i))),
        Value::BigUnsigned(Some(i)) => Sql::Integer(i64::try_from(*i).map_err(|_| {
            DbError::Internal(anyhow::anyhow!("{i} does not fit a SQLite integer"))
        })?),
        Value::BigUnsigned(None) => Sql::Null,
        Value::Float(v) => or_null(v, |f| Sql::Real(f64::from(*f))),
        Value::Double(v) => or_null(v, |f| Sql::Real(*f)),
        Value::String(v) => or_null(v, |s| Sql::Text(s.to_string())),
        Value::Char(v) => or_null(v, |c| Sql::Text(c.to_string())),
        Value::Bytes(v) => or_null(v, |b| Sql::Blob(b.to_vec())),
        Value::Json(v) => or_null(v, |j| Sql::Text(j.to_string())),
        Value::ChronoDate(v) => or_null(v, |d| Sql::Text(date_text(**d))),
        Value::ChronoTime(v) => or_null(v, |t| Sql::Text(t.format("%T%.f").to_string())),
        Value::ChronoDateTime(v) => or_null(v, |t| Sql::Text(t.format("%F %T%.f").to_string())),
        Value::ChronoDateTimeUtc(v) => or_null(v, |t| {
            Sql::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        Value::ChronoDateTimeLocal(v) => or_null(v, |t| {
            Sql::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        Value::ChronoDateTimeWithTimeZone(v) => or_null(v, |t| {
            Sql::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        // Kinds another crate of the build may switch on in sea-query; Kehu binds none.
        #[allow(unreachable_patterns)]
        other => {
            return Err(DbError::Internal(anyhow::anyhow!(
                "no SQLite encoding for {other:?}"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn dates_are_written_as_the_format_writes_them() {
        for text in [
            "2024-02-29",
            "0001-01-01",
            "0999-12-31",
            "9999-12-31",
            "1970-06-05",
        ] {
            let date: NaiveDate = text.parse().unwrap();
            assert_eq!(date_text(date), text);
        }
        for date in [NaiveDate::MIN, NaiveDate::MAX] {
            assert_eq!(date_text(date), date.format("%F").to_string());
        }
    }

    #[test]
    fn values_are_stored_in_the_text_forms_the_database_holds() {
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(
            sql_value(&date.into()).unwrap(),
            Sql::Text("2024-02-29".into())
        );
        assert_eq!(sql_value(&true.into()).unwrap(), Sql::Integer(1));
        assert_eq!(
            sql_value(&serde_json::json!({"a": [1]}).into()).unwrap(),
            Sql::Text(r#"{"a":[1]}"#.into())
        );
        let at = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(
            sql_value(&at.into()).unwrap(),
            Sql::Text("2024-01-02T03:04:05+00:00".into())
        );
        assert_eq!(sql_value(&Value::String(None)).unwrap(), Sql::Null);
        assert!(sql_value(&Value::BigUnsigned(Some(u64::MAX))).is_err());
    }
}
