//! How values read on a page: times in the display time zone, money with separators,
//! fixed choices translated, references (owner, team, customer, contact) by name.

use crate::i18n::Tr;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use kehu_core::entity::{EntityDef, FieldKind};
use kehu_core::{FieldValue, Money};
use serde_json::Value as Json;
use std::collections::HashMap;

/// The time zone pages show times in: UTC+8 (China, Hong Kong, Taiwan, Singapore,
/// Malaysia, the Philippines), where Kehu's users mostly work.
// TODO(lead): make this a setting of `WebConfig` once deployments elsewhere need it.
pub const DISPLAY_OFFSET_SECONDS: i32 = 8 * 3600;

fn offset() -> FixedOffset {
    FixedOffset::east_opt(DISPLAY_OFFSET_SECONDS).expect("offset is in range")
}

/// `2024-03-31 14:05` in the display time zone.
pub fn datetime(at: DateTime<Utc>) -> String {
    at.with_timezone(&offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `14:05` in the display time zone.
pub fn time_of_day(at: DateTime<Utc>) -> String {
    at.with_timezone(&offset()).format("%H:%M").to_string()
}

/// Today's date in the display time zone.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&offset()).date_naive()
}

/// The text of an empty value.
pub const EMPTY: &str = "—";

/// Display names of the records a page refers to, looked up once per page.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// User id → display name.
    pub users: HashMap<i64, String>,
    /// Team id → name.
    pub teams: HashMap<i64, String>,
    /// Customer id → name.
    pub accounts: HashMap<i64, String>,
    /// Contact id → name.
    pub contacts: HashMap<i64, String>,
}

impl Names {
    fn of(map: &HashMap<i64, String>, id: i64) -> String {
        map.get(&id).cloned().unwrap_or_else(|| format!("#{id}"))
    }

    /// A user's name.
    pub fn user(&self, id: i64) -> String {
        Self::of(&self.users, id)
    }

    /// The text of a reference of this kind.
    pub fn reference(&self, kind: FieldKind, id: i64) -> String {
        match kind {
            FieldKind::UserRef => Self::of(&self.users, id),
            FieldKind::TeamRef => Self::of(&self.teams, id),
            FieldKind::AccountRef => Self::of(&self.accounts, id),
            FieldKind::ContactRef => Self::of(&self.contacts, id),
            _ => id.to_string(),
        }
    }
}

/// The link of a reference value, for kinds that have pages.
pub fn reference_link(kind: FieldKind, value: &FieldValue) -> Option<String> {
    match (kind, value) {
        (FieldKind::AccountRef, FieldValue::Int(id)) => Some(format!("/accounts/{id}")),
        (FieldKind::ContactRef, FieldValue::Int(id)) => Some(format!("/contacts/{id}")),
        (FieldKind::Url, FieldValue::Text(url))
            if url.starts_with("https://") || url.starts_with("http://") =>
        {
            Some(url.clone())
        }
        (FieldKind::Email, FieldValue::Text(email)) => Some(format!("mailto:{email}")),
        (FieldKind::Phone, FieldValue::Text(phone)) => {
            Some(format!("tel:{}", phone.replace(' ', "")))
        }
        _ => None,
    }
}

/// A built-in field's value as people read it; empty values are [`EMPTY`].
pub fn field_text(
    t: Tr,
    field_name: &str,
    kind: FieldKind,
    value: &FieldValue,
    names: &Names,
) -> String {
    match (kind, value) {
        (_, v) if v.is_empty() => EMPTY.to_string(),
        (FieldKind::Money, FieldValue::Int(minor)) => Money::format_major_units(*minor),
        (FieldKind::Choice(_), FieldValue::Text(v)) => t.choice(field_name, v),
        (
            FieldKind::UserRef | FieldKind::TeamRef | FieldKind::AccountRef | FieldKind::ContactRef,
            FieldValue::Int(id),
        ) => names.reference(kind, *id),
        (_, FieldValue::Timestamp(at)) => datetime(*at),
        (kind, value) => value.to_form_text(kind),
    }
}

/// A custom field's stored JSON value as people read it.
pub fn custom_text(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => EMPTY.to_string(),
        Some(Json::String(s)) if s.trim().is_empty() => EMPTY.to_string(),
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(other) => other.to_string(),
    }
}

/// A value as recorded in a timeline event (JSON), shown like the field shows it.
pub fn change_text(
    t: Tr,
    entity: &EntityDef,
    field_name: &str,
    value: &Json,
    names: &Names,
) -> String {
    if field_name.starts_with("custom.") {
        return custom_text(Some(value));
    }
    let Some(field) = entity.field(field_name) else {
        return custom_text(Some(value));
    };
    let typed = match (field.kind, value) {
        (_, Json::Null) => FieldValue::Null,
        (FieldKind::Timestamp, Json::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(at) => FieldValue::Timestamp(at.with_timezone(&Utc)),
            Err(_) => FieldValue::Text(s.clone()),
        },
        (FieldKind::Date, Json::String(s)) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) => FieldValue::Date(d),
            Err(_) => FieldValue::Text(s.clone()),
        },
        (_, Json::String(s)) => FieldValue::Text(s.clone()),
        (_, Json::Number(n)) => match n.as_i64() {
            Some(i) => FieldValue::Int(i),
            None => FieldValue::Float(n.as_f64().unwrap_or_default()),
        },
        (_, Json::Array(items)) => FieldValue::List(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        ),
        (_, other) => FieldValue::Text(other.to_string()),
    };
    field_text(t, field_name, field.kind, &typed, names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;
    use kehu_core::entity::ACCOUNT;
    use serde_json::json;

    #[test]
    fn shows_values_as_people_read_them() {
        let t = Tr::new(Locale::En);
        let mut names = Names::default();
        names.users.insert(3, "Wang Fang".into());
        assert_eq!(
            change_text(t, &ACCOUNT, "credit_limit", &json!(123456), &names),
            "1,234.56"
        );
        assert_eq!(
            change_text(t, &ACCOUNT, "owner_id", &json!(3), &names),
            "Wang Fang"
        );
        assert_eq!(
            change_text(t, &ACCOUNT, "owner_id", &json!(4), &names),
            "#4"
        );
        assert_eq!(
            change_text(t, &ACCOUNT, "lifecycle_status", &json!("active"), &names),
            "Active"
        );
        assert_eq!(
            change_text(t, &ACCOUNT, "tags", &json!(["a", "b"]), &names),
            "a, b"
        );
        assert_eq!(
            change_text(t, &ACCOUNT, "email", &Json::Null, &names),
            EMPTY
        );
        assert_eq!(custom_text(Some(&json!(120.0))), "120");
        assert_eq!(custom_text(Some(&json!(2.5))), "2.5");
    }

    #[test]
    fn times_are_shown_in_the_display_zone() {
        let at = DateTime::parse_from_rfc3339("2024-03-31T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(datetime(at), "2024-04-01 07:30");
        assert_eq!(time_of_day(at), "07:30");
    }
}
