//! A typed value of one field, parsed from JSON (API) or a form string (web, import).

use crate::entity::{CustomFieldKind, FieldKind};
use crate::{Email, Money, Phone};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value as Json;

/// The value of a field after parsing; `Null` clears the field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// No value.
    Null,
    /// Text, e-mail, phone, URL, picklist and choice values.
    Text(String),
    /// Integers, money in minor units and references (ids).
    Int(i64),
    /// Non-integer numbers (custom number fields).
    Float(f64),
    /// Calendar dates.
    Date(NaiveDate),
    /// System timestamps.
    Timestamp(DateTime<Utc>),
    /// Tags.
    List(Vec<String>),
}

impl FieldValue {
    /// The JSON form used by the API, exports and the audit log.
    pub fn to_json(&self) -> Json {
        match self {
            FieldValue::Null => Json::Null,
            FieldValue::Text(s) => Json::String(s.clone()),
            FieldValue::Int(i) => Json::from(*i),
            FieldValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or(Json::Null),
            FieldValue::Date(d) => Json::String(d.format("%Y-%m-%d").to_string()),
            FieldValue::Timestamp(t) => Json::String(t.to_rfc3339()),
            FieldValue::List(items) => {
                Json::Array(items.iter().cloned().map(Json::String).collect())
            }
        }
    }

    /// The text shown in a form field or a CSV cell (money in major units).
    pub fn to_form_text(&self, kind: FieldKind) -> String {
        match (self, kind) {
            (FieldValue::Null, _) => String::new(),
            (FieldValue::Int(minor), FieldKind::Money) => {
                Money::format_major_units(*minor).replace(',', "")
            }
            (FieldValue::Text(s), _) => s.clone(),
            (FieldValue::Int(i), _) => i.to_string(),
            (FieldValue::Float(f), _) => f.to_string(),
            (FieldValue::Date(d), _) => d.format("%Y-%m-%d").to_string(),
            (FieldValue::Timestamp(t), _) => t.format("%Y-%m-%d %H:%M").to_string(),
            (FieldValue::List(items), _) => items.join(", "),
        }
    }

    /// Whether the value is empty (null, blank text or no tags).
    pub fn is_empty(&self) -> bool {
        match self {
            FieldValue::Null => true,
            FieldValue::Text(s) => s.trim().is_empty(),
            FieldValue::List(items) => items.is_empty(),
            _ => false,
        }
    }
}

/// Why a value was refused: a stable code (for translation) and an English message.
pub type ParseFailure = (&'static str, String);

fn failure(code: &'static str, message: impl Into<String>) -> ParseFailure {
    (code, message.into())
}

/// Parses an API JSON value for a built-in field. Picklist membership is checked later,
/// by [`crate::validation`], because the allowed values live in the database.
pub fn parse_json(kind: FieldKind, value: &Json) -> Result<FieldValue, ParseFailure> {
    if value.is_null() {
        return Ok(FieldValue::Null);
    }
    match kind {
        FieldKind::Money | FieldKind::Integer => match value.as_i64() {
            Some(i) => Ok(FieldValue::Int(i)),
            None => Err(failure("not_integer", "must be a whole number")),
        },
        FieldKind::UserRef | FieldKind::TeamRef | FieldKind::AccountRef | FieldKind::ContactRef => {
            match value.as_i64() {
                Some(i) if i > 0 => Ok(FieldValue::Int(i)),
                _ => Err(failure(
                    "not_id",
                    "must be the id (a positive integer) of a record",
                )),
            }
        }
        FieldKind::Tags => match value.as_array() {
            Some(items) => {
                let mut tags = Vec::new();
                for item in items {
                    let Some(tag) = item.as_str() else {
                        return Err(failure("not_text_list", "must be a list of strings"));
                    };
                    tags.push(tag.to_string());
                }
                parse_tags(tags)
            }
            None => Err(failure("not_text_list", "must be a list of strings")),
        },
        FieldKind::Timestamp => Err(failure("read_only", "is set by the system")),
        _ => match value.as_str() {
            Some(text) => parse_text(kind, text),
            None => Err(failure("not_text", "must be a string")),
        },
    }
}

/// Parses a form field or CSV cell for a built-in field; blank means null.
/// Money is written in major units here (`1234.50`), unlike the API's minor units.
pub fn parse_form(kind: FieldKind, text: &str) -> Result<FieldValue, ParseFailure> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(FieldValue::Null);
    }
    match kind {
        FieldKind::Money => Money::parse_major_units(trimmed)
            .map(FieldValue::Int)
            .map_err(|code| failure(code, "must be an amount like 1234.50")),
        FieldKind::Integer => trimmed
            .parse()
            .map(FieldValue::Int)
            .map_err(|_| failure("not_integer", "must be a whole number")),
        FieldKind::UserRef | FieldKind::TeamRef | FieldKind::AccountRef | FieldKind::ContactRef => {
            match trimmed.parse::<i64>() {
                Ok(i) if i > 0 => Ok(FieldValue::Int(i)),
                _ => Err(failure("not_id", "must be the id of a record")),
            }
        }
        FieldKind::Tags => parse_tags(
            trimmed
                .split([',', '，', ';', '；'])
                .map(str::to_string)
                .collect(),
        ),
        FieldKind::Timestamp => Err(failure("read_only", "is set by the system")),
        _ => parse_text(kind, trimmed),
    }
}

fn parse_text(kind: FieldKind, raw: &str) -> Result<FieldValue, ParseFailure> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(FieldValue::Null);
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(failure("control_characters", "contains control characters"));
    }
    let too_long = |max: usize| failure("too_long", format!("must be at most {max} characters"));
    match kind {
        FieldKind::Text { max } => {
            if text.contains('\n') {
                return Err(failure("multi_line", "must be a single line"));
            }
            if text.chars().count() > max {
                return Err(too_long(max));
            }
            Ok(FieldValue::Text(text.to_string()))
        }
        FieldKind::LongText { max } => {
            if text.chars().count() > max {
                return Err(too_long(max));
            }
            Ok(FieldValue::Text(text.to_string()))
        }
        FieldKind::Email => Email::parse(text)
            .map(|e| FieldValue::Text(e.into()))
            .map_err(|code| failure(code, "must be an e-mail address like name@example.com")),
        FieldKind::Phone => Phone::parse(text)
            .map(|p| FieldValue::Text(p.into()))
            .map_err(|code| failure(code, "must be a phone number (digits, spaces, -, +)")),
        FieldKind::Url => parse_url(text),
        FieldKind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(FieldValue::Date)
            .map_err(|_| failure("invalid_date", "must be a date like 2024-03-31")),
        FieldKind::Picklist(_) => {
            if text.chars().count() > 100 {
                return Err(too_long(100));
            }
            Ok(FieldValue::Text(text.to_string()))
        }
        FieldKind::Choice(options) => {
            if options.contains(&text) {
                Ok(FieldValue::Text(text.to_string()))
            } else {
                Err(failure(
                    "not_in_list",
                    format!("must be one of: {}", options.join(", ")),
                ))
            }
        }
        _ => Err(failure("not_text", "has the wrong type")),
    }
}

fn parse_url(text: &str) -> Result<FieldValue, ParseFailure> {
    if text.chars().count() > 255 {
        return Err(failure("too_long", "must be at most 255 characters"));
    }
    let with_scheme = if text.starts_with("http://") || text.starts_with("https://") {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let host = with_scheme.split("://").nth(1).unwrap_or("");
    let host = host.split(['/', '?', '#']).next().unwrap_or("");
    if host.contains('.') && !host.contains(char::is_whitespace) && !host.starts_with('.') {
        Ok(FieldValue::Text(with_scheme))
    } else {
        Err(failure(
            "invalid_url",
            "must be a web address like example.com",
        ))
    }
}

fn parse_tags(raw: Vec<String>) -> Result<FieldValue, ParseFailure> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.trim();
        if tag.is_empty() || tags.iter().any(|t| t == tag) {
            continue;
        }
        if tag.chars().count() > 40 || tag.contains('"') || tag.chars().any(char::is_control) {
            return Err(failure(
                "invalid_tag",
                "tags are at most 40 characters, without quotes",
            ));
        }
        tags.push(tag.to_string());
    }
    if tags.len() > 30 {
        return Err(failure("too_many_tags", "at most 30 tags"));
    }
    Ok(if tags.is_empty() {
        FieldValue::Null
    } else {
        FieldValue::List(tags)
    })
}

/// Parses a value of a custom field from API JSON.
pub fn parse_custom_json(
    kind: CustomFieldKind,
    options: &[String],
    value: &Json,
) -> Result<Json, ParseFailure> {
    match value {
        Json::Null => Ok(Json::Null),
        Json::Number(n) if kind == CustomFieldKind::Number => {
            if n.as_f64().is_some_and(f64::is_finite) {
                Ok(value.clone())
            } else {
                Err(failure("not_number", "must be a number"))
            }
        }
        Json::String(s) => parse_custom_text(kind, options, s),
        _ => Err(failure(
            if kind == CustomFieldKind::Number {
                "not_number"
            } else {
                "not_text"
            },
            "has the wrong type",
        )),
    }
}

/// Parses a value of a custom field from a form string; blank means null.
pub fn parse_custom_text(
    kind: CustomFieldKind,
    options: &[String],
    raw: &str,
) -> Result<Json, ParseFailure> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(Json::Null);
    }
    match kind {
        CustomFieldKind::Text => {
            if text.chars().count() > 500 {
                Err(failure("too_long", "must be at most 500 characters"))
            } else {
                Ok(Json::String(text.to_string()))
            }
        }
        CustomFieldKind::Number => match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(serde_json::Number::from_f64(n)
                .map(Json::Number)
                .unwrap_or(Json::Null)),
            _ => Err(failure("not_number", "must be a number")),
        },
        CustomFieldKind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(|d| Json::String(d.format("%Y-%m-%d").to_string()))
            .map_err(|_| failure("invalid_date", "must be a date like 2024-03-31")),
        CustomFieldKind::Select => {
            if options.iter().any(|o| o == text) {
                Ok(Json::String(text.to_string()))
            } else {
                Err(failure(
                    "not_in_list",
                    format!("must be one of: {}", options.join(", ")),
                ))
            }
        }
    }
}

/// The same JSON as [`FieldValue::to_json`], written straight to the output: list pages
/// serialise thousands of values, and building a JSON tree first doubled the work.
impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Null => serializer.serialize_unit(),
            FieldValue::Text(s) => serializer.serialize_str(s),
            FieldValue::Int(i) => serializer.serialize_i64(*i),
            FieldValue::Float(f) if f.is_finite() => serializer.serialize_f64(*f),
            FieldValue::Float(_) => serializer.serialize_unit(),
            FieldValue::Date(d) => serializer.collect_str(&d.format("%Y-%m-%d")),
            FieldValue::Timestamp(t) => serializer.serialize_str(&t.to_rfc3339()),
            FieldValue::List(items) => serializer.collect_seq(items),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serialising_writes_the_same_json_as_to_json() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T03:04:05.123456+00:00")
            .unwrap()
            .with_timezone(&Utc);
        for value in [
            FieldValue::Null,
            FieldValue::Text("华信 \"科技\"\n".into()),
            FieldValue::Int(-42),
            FieldValue::Float(2.5),
            FieldValue::Float(f64::NAN),
            FieldValue::Date(NaiveDate::from_ymd_opt(2026, 2, 3).unwrap()),
            FieldValue::Timestamp(at),
            FieldValue::List(vec!["VIP".into(), "展会".into()]),
        ] {
            assert_eq!(
                serde_json::to_value(&value).unwrap(),
                value.to_json(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn money_is_minor_units_in_json_and_major_in_forms() {
        assert_eq!(
            parse_json(FieldKind::Money, &json!(12345)),
            Ok(FieldValue::Int(12345))
        );
        assert!(parse_json(FieldKind::Money, &json!("123.45")).is_err());
        assert_eq!(
            parse_form(FieldKind::Money, "123.45"),
            Ok(FieldValue::Int(12345))
        );
        assert_eq!(
            FieldValue::Int(12345).to_form_text(FieldKind::Money),
            "123.45"
        );
    }

    #[test]
    fn text_limits_count_characters_not_bytes() {
        let name = "北".repeat(200);
        assert!(parse_form(FieldKind::Text { max: 200 }, &name).is_ok());
        let (code, message) =
            parse_form(FieldKind::Text { max: 200 }, &format!("{name}京")).unwrap_err();
        assert_eq!(code, "too_long");
        assert!(message.contains("200"));
    }

    #[test]
    fn wrong_json_types_are_named() {
        assert_eq!(
            parse_json(FieldKind::Text { max: 10 }, &json!(5))
                .unwrap_err()
                .0,
            "not_text"
        );
        assert_eq!(
            parse_json(FieldKind::Tags, &json!("vip")).unwrap_err().0,
            "not_text_list"
        );
        assert_eq!(
            parse_json(FieldKind::AccountRef, &json!(-1)).unwrap_err().0,
            "not_id"
        );
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            parse_form(FieldKind::Tags, " vip, 老客户，vip ,"),
            Ok(FieldValue::List(vec!["vip".into(), "老客户".into()]))
        );
    }

    #[test]
    fn urls_get_a_scheme() {
        assert_eq!(
            parse_form(FieldKind::Url, "example.com"),
            Ok(FieldValue::Text("https://example.com".into()))
        );
        assert!(parse_form(FieldKind::Url, "not a url").is_err());
    }

    #[test]
    fn custom_selects_check_options() {
        let options = vec!["微信".to_string(), "电话".to_string()];
        assert_eq!(
            parse_custom_text(CustomFieldKind::Select, &options, "微信"),
            Ok(json!("微信"))
        );
        assert_eq!(
            parse_custom_text(CustomFieldKind::Select, &options, "QQ")
                .unwrap_err()
                .0,
            "not_in_list"
        );
        assert_eq!(
            parse_custom_json(CustomFieldKind::Number, &[], &json!("x"))
                .unwrap_err()
                .0,
            "not_number"
        );
        assert_eq!(
            parse_custom_json(CustomFieldKind::Number, &[], &json!(2.5)),
            Ok(json!(2.5))
        );
    }
}
