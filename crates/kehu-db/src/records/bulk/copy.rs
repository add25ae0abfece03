//! Writing batches to PostgreSQL with `COPY … FROM STDIN` (text format): no statement to
//! parse and no parameters to bind per row, which is most of an INSERT's cost once the
//! table has no indexes to maintain. COPY cannot return the new ids, so the load takes
//! them from the table's identity sequence beforehand ([`reserve_ids`]) and writes them.

use super::prepare::Batch;
use crate::{DbError, DbResult, Tx};
use sea_query::Value;
use std::fmt::Write as _;

/// One `COPY` of a batch's rows.
pub(super) struct Copy {
    sql: String,
    data: Vec<u8>,
    ids: Vec<i64>,
}

impl Copy {
    /// The batch's rows as COPY text, with `ids` (one per row, in order) as their ids.
    pub fn new(table: &str, batch: &Batch, ids: &[i64]) -> DbResult<Copy> {
        if ids.len() != batch.rows {
            return Err(DbError::Internal(anyhow::anyhow!(
                "{} ids for a batch of {} rows",
                ids.len(),
                batch.rows
            )));
        }
        let mut sql = format!("COPY \"{table}\" (\"id\"");
        for column in batch.columns() {
            let _ = write!(sql, ", \"{column}\"");
        }
        sql.push_str(") FROM STDIN");
        let mut data = Vec::new();
        for (id, values) in ids.iter().zip(batch.row_values()) {
            let _ = write!(Text(&mut data), "{id}");
            for value in values {
                data.push(b'\t');
                push_value(&mut data, value)?;
            }
            data.push(b'\n');
        }
        Ok(Copy {
            sql,
            data,
            ids: ids.to_vec(),
        })
    }

    /// Sends the rows; gives their ids.
    pub async fn execute(self, tx: &mut Tx) -> DbResult<Vec<i64>> {
        let Tx::Postgres(tx) = tx else {
            return Err(DbError::Internal(anyhow::anyhow!(
                "COPY is for PostgreSQL only"
            )));
        };
        let mut copy = tx.copy_in_raw(&self.sql).await?;
        copy.send(self.data).await?;
        let copied = copy.finish().await?;
        if copied != self.ids.len() as u64 {
            return Err(DbError::Internal(anyhow::anyhow!(
                "COPY of {} rows wrote {copied}",
                self.ids.len()
            )));
        }
        Ok(self.ids)
    }
}

/// `count` new ids from the identity sequence of `table`'s `id`, ascending: the ids the
/// same number of INSERTs would have been given.
pub(super) async fn reserve_ids(tx: &mut Tx, table: &str, count: usize) -> DbResult<Vec<i64>> {
    let Tx::Postgres(tx) = tx else {
        return Err(DbError::Internal(anyhow::anyhow!(
            "identity sequences are PostgreSQL's"
        )));
    };
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id \
         FROM generate_series(1, $2) ORDER BY id",
    )
    .bind(format!("\"{table}\""))
    .bind(count as i64)
    .fetch_all(&mut **tx)
    .await?;
    Ok(ids)
}

/// `fmt::Write` into the COPY buffer.
struct Text<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// One value in COPY's text format: `\N` for NULL, the type's text form otherwise.
fn push_value(out: &mut Vec<u8>, value: &Value) -> DbResult<()> {
    let mut text = Text(out);
    let written = match value {
        Value::Bool(Some(b)) => text.write_str(if *b { "t" } else { "f" }),
        Value::BigInt(Some(i)) => write!(text, "{i}"),
        Value::Int(Some(i)) => write!(text, "{i}"),
        Value::Double(Some(f)) => push_float(&mut text, *f),
        Value::String(Some(s)) => {
            push_escaped(text.0, s);
            Ok(())
        }
        Value::Json(Some(json)) => {
            push_escaped(text.0, &json.to_string());
            Ok(())
        }
        Value::ChronoDate(Some(date)) => write!(text, "{}", date.format("%Y-%m-%d")),
        Value::ChronoDateTimeUtc(Some(at)) => {
            text.write_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
        }
        Value::Bool(None)
        | Value::BigInt(None)
        | Value::Int(None)
        | Value::Double(None)
        | Value::String(None)
        | Value::Json(None)
        | Value::ChronoDate(None)
        | Value::ChronoDateTimeUtc(None) => text.write_str("\\N"),
        other => {
            return Err(DbError::Internal(anyhow::anyhow!(
                "no COPY text for the bind value {other:?}"
            )))
        }
    };
    written.map_err(|e| DbError::Internal(e.into()))
}

/// PostgreSQL's spelling of the floats Rust prints differently; Rust's shortest
/// round-trip digits for the rest.
fn push_float(text: &mut Text<'_>, f: f64) -> std::fmt::Result {
    if f.is_nan() {
        text.write_str("NaN")
    } else if f.is_infinite() {
        text.write_str(if f > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        write!(text, "{f}")
    }
}

/// Text with COPY's backslash escapes for the characters that separate fields and rows.
fn push_escaped(out: &mut Vec<u8>, s: &str) {
    for byte in s.bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use serde_json::json;

    fn text(value: Value) -> String {
        let mut out = Vec::new();
        push_value(&mut out, &value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_have_copy_text() {
        assert_eq!(text(Value::BigInt(Some(-42))), "-42");
        assert_eq!(text(Value::Bool(Some(true))), "t");
        assert_eq!(text(Value::Double(Some(0.1))), "0.1");
        assert_eq!(text(Value::Double(Some(f64::NEG_INFINITY))), "-Infinity");
        assert_eq!(text(Value::String(None)), "\\N");
        assert_eq!(text(Value::BigInt(None)), "\\N");
        assert_eq!(
            text("杭州\t云帆\\科技\r\n有限公司".into()),
            "杭州\\t云帆\\\\科技\\r\\n有限公司"
        );
        assert_eq!(
            text(Value::Json(Some(Box::new(json!({"note": "a\tb"}))))),
            "{\"note\":\"a\\\\tb\"}"
        );
        assert_eq!(
            text(NaiveDate::from_ymd_opt(1975, 4, 30).unwrap().into()),
            "1975-04-30"
        );
        let at = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap();
        assert_eq!(text(at.into()), "2024-02-29T23:59:58.000000Z");
    }

    #[test]
    fn a_literal_backslash_n_is_not_null() {
        assert_eq!(text("\\N".into()), "\\\\N");
    }

    #[test]
    fn unknown_value_kinds_are_refused() {
        let mut out = Vec::new();
        assert!(push_value(&mut out, &Value::Char(Some('x'))).is_err());
    }
}
