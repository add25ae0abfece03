//! List filters and sort orders from query parameters, checked against the field catalogue.
//!
//! `level=VIP` (equals), `name__contains=科技`, `credit_limit__gte=100000`,
//! `created_at__lte=2024-12-31`, `industry__in=制造,零售`, `custom.wechat=abc`;
//! `sort=-created_at` (descending) or `sort=name`.

use crate::consent::{self, Channel};
use crate::entity::{CustomFieldDef, CustomFieldKind, EntityDef, FieldDef, FieldKind};
use crate::field_value::{self, FieldValue};
use crate::validation::FieldErrors;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// How a filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterOp {
    /// Equal to the value.
    Eq,
    /// Contains the text (case-insensitive for Latin letters).
    Contains,
    /// Greater than or equal.
    Gte,
    /// Less than or equal.
    Lte,
    /// One of a comma-separated list.
    In,
}

impl FilterOp {
    fn from_suffix(suffix: &str) -> Option<Self> {
        Some(match suffix {
            "" | "eq" => FilterOp::Eq,
            "contains" => FilterOp::Contains,
            "gte" => FilterOp::Gte,
            "lte" => FilterOp::Lte,
            "in" => FilterOp::In,
            _ => return None,
        })
    }

    /// The query-parameter suffix (`__gte`), empty for equality.
    pub fn suffix(self) -> &'static str {
        match self {
            FilterOp::Eq => "",
            FilterOp::Contains => "__contains",
            FilterOp::Gte => "__gte",
            FilterOp::Lte => "__lte",
            FilterOp::In => "__in",
        }
    }
}

/// What a filter looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterTarget {
    /// A built-in column.
    Field(&'static FieldDef),
    /// A custom field in the `custom` JSON column.
    Custom(CustomFieldDef),
    /// Whether the person consented to a channel (`consent.email=yes`); the value is
    /// `Int(1)` for yes, `Int(0)` for no (which includes "never asked").
    Consent(Channel),
    /// A customer's figure in the latest complete analytics run (customers only).
    Value(ValueColumn),
}

/// The stored customer analytics a customer list can be filtered by, e.g.
/// `lifecycle_stage=at_risk` or `rfm_r=5&rfm_f=3`. They are not columns of `accounts`
/// but of `customer_values` for the latest complete run; a customer never analysed
/// (no purchases) matches none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueColumn {
    /// Lifecycle stage (`new`, `active`, `at_risk`, `dormant`, `lost`).
    LifecycleStage,
    /// RFM segment key (`champions`, …).
    Segment,
    /// Recency score.
    RScore,
    /// Frequency score.
    FScore,
    /// ABC class.
    AbcClass,
}

/// Lifecycle stages in their natural order.
pub const LIFECYCLE_STAGES: &[&str] = &["new", "active", "at_risk", "dormant", "lost"];

impl ValueColumn {
    /// Every analytics filter.
    pub const ALL: [ValueColumn; 5] = [
        ValueColumn::LifecycleStage,
        ValueColumn::Segment,
        ValueColumn::RScore,
        ValueColumn::FScore,
        ValueColumn::AbcClass,
    ];

    /// The query parameter (before any `__in`).
    pub fn param(self) -> &'static str {
        match self {
            ValueColumn::LifecycleStage => "lifecycle_stage",
            ValueColumn::Segment => "rfm_segment",
            ValueColumn::RScore => "rfm_r",
            ValueColumn::FScore => "rfm_f",
            ValueColumn::AbcClass => "abc_class",
        }
    }

    /// The `customer_values` column.
    pub fn column(self) -> &'static str {
        match self {
            ValueColumn::LifecycleStage => "lifecycle",
            ValueColumn::Segment => "segment",
            ValueColumn::RScore => "r_score",
            ValueColumn::FScore => "f_score",
            ValueColumn::AbcClass => "abc_class",
        }
    }

    fn from_param(entity: &EntityDef, name: &str) -> Option<ValueColumn> {
        if entity.name != "account" {
            return None;
        }
        Self::ALL.into_iter().find(|c| c.param() == name)
    }

    fn value(self, raw: &str) -> Result<FilterValue, String> {
        match self {
            ValueColumn::LifecycleStage if LIFECYCLE_STAGES.contains(&raw) => {
                Ok(FilterValue::Text(raw.to_string()))
            }
            ValueColumn::LifecycleStage => {
                Err(format!("must be one of {}", LIFECYCLE_STAGES.join(", ")))
            }
            ValueColumn::AbcClass if ["A", "B", "C"].contains(&raw) => {
                Ok(FilterValue::Text(raw.to_string()))
            }
            ValueColumn::AbcClass => Err("must be A, B or C".into()),
            ValueColumn::Segment => Ok(FilterValue::Text(raw.to_string())),
            ValueColumn::RScore | ValueColumn::FScore => match raw.parse::<i64>() {
                Ok(score) if (1..=100).contains(&score) => Ok(FilterValue::Int(score)),
                _ => Err("must be a score from 1 to 100".into()),
            },
        }
    }
}

/// One checked filter condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// The field.
    pub target: FilterTarget,
    /// The comparison.
    pub op: FilterOp,
    /// The value(s), typed like the field; `In` has several.
    pub values: Vec<FilterValue>,
}

/// A typed value to compare with.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// Text comparison.
    Text(String),
    /// Integer comparison (ids, money in minor units).
    Int(i64),
    /// Numeric comparison (custom numbers).
    Float(f64),
    /// Date comparison; on timestamps it covers the whole day.
    Date(NaiveDate),
}

/// A sort order on a sortable field; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sort {
    /// The column.
    pub field: &'static FieldDef,
    /// Largest first.
    pub descending: bool,
}

/// Query parameters that are not filters.
pub const RESERVED_PARAMS: &[&str] = &[
    "q",
    "sort",
    "limit",
    "cursor",
    "view",
    "format",
    "count",
    "deleted",
    "csrf_token",
];

/// Parses `sort=field` / `sort=-field`; only indexed fields may be sorted on.
pub fn parse_sort(entity: &'static EntityDef, raw: Option<&str>) -> Result<Sort, FieldErrors> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("-id");
    let (descending, name) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    match entity.field(name) {
        Some(field) if field.sortable => Ok(Sort { field, descending }),
        _ => {
            let mut errors = FieldErrors::default();
            let sortable: Vec<&str> = entity
                .fields
                .iter()
                .filter(|f| f.sortable)
                .map(|f| f.name)
                .collect();
            errors.add(
                "sort",
                "unknown_sort",
                format!("can sort by: {}", sortable.join(", ")),
            );
            Err(errors)
        }
    }
}

/// Parses the filter parameters of a list request; reserved parameters are skipped and
/// blank values ignored (an empty form field means "any").
pub fn parse_filters<'a>(
    entity: &'static EntityDef,
    custom_fields: &[CustomFieldDef],
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Filter>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut filters = Vec::new();
    for (key, raw) in params {
        if RESERVED_PARAMS.contains(&key) || raw.trim().is_empty() {
            continue;
        }
        let (name, suffix) = key.split_once("__").unwrap_or((key, ""));
        let Some(op) = FilterOp::from_suffix(suffix) else {
            errors.add(
                key,
                "unknown_filter",
                "operator must be one of __contains, __gte, __lte, __in",
            );
            continue;
        };
        if let Some(channel) = name.strip_prefix("consent.") {
            match consent_filter(entity, channel, op, raw) {
                Ok(filter) => filters.push(filter),
                Err(message) => errors.add(key, "invalid_filter", message),
            }
            continue;
        }
        let target = if let Some(column) = ValueColumn::from_param(entity, name) {
            if !matches!(op, FilterOp::Eq | FilterOp::In) {
                errors.add(key, "unknown_filter", "takes a value or a list (__in)");
                continue;
            }
            FilterTarget::Value(column)
        } else if let Some(custom_key) = name.strip_prefix("custom.") {
            match custom_fields.iter().find(|c| c.key == custom_key) {
                Some(def) => FilterTarget::Custom(def.clone()),
                None => {
                    errors.add(key, "unknown_filter", "is not a field of this record");
                    continue;
                }
            }
        } else {
            match entity.field(name) {
                Some(def) => FilterTarget::Field(def),
                None => {
                    errors.add(key, "unknown_filter", "is not a field of this record");
                    continue;
                }
            }
        };
        let pieces: Vec<&str> = if op == FilterOp::In {
            raw.split([',', '，'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        } else {
            vec![raw.trim()]
        };
        if pieces.len() > 100 {
            errors.add(key, "too_many_values", "at most 100 values");
            continue;
        }
        let mut values = Vec::new();
        for piece in pieces {
            match filter_value(&target, op, piece) {
                Ok(value) => values.push(value),
                Err(message) => errors.add(key, "invalid_filter", message),
            }
        }
        filters.push(Filter { target, op, values });
    }
    errors.into_result().map(|()| filters)
}

/// `consent.<channel>=yes|no`, on the entities that describe people.
fn consent_filter(
    entity: &EntityDef,
    channel: &str,
    op: FilterOp,
    raw: &str,
) -> Result<Filter, String> {
    if !consent::is_person_entity(entity.name) {
        return Err("only people have consent".into());
    }
    let channel = Channel::parse(channel).ok_or("the channel must be email, call or message")?;
    if op != FilterOp::Eq {
        return Err("compare consent with = yes or = no".into());
    }
    let yes = consent::parse_yes_no(raw).ok_or("must be yes or no")?;
    Ok(Filter {
        target: FilterTarget::Consent(channel),
        op,
        values: vec![FilterValue::Int(i64::from(yes))],
    })
}

fn filter_value(target: &FilterTarget, op: FilterOp, raw: &str) -> Result<FilterValue, String> {
    if raw.chars().count() > 200 {
        return Err("is too long".into());
    }
    if let FilterTarget::Value(column) = target {
        return column.value(raw);
    }
    if op == FilterOp::Contains {
        return match target {
            FilterTarget::Field(def)
                if def.kind.is_integer_column() || def.kind == FieldKind::Date =>
            {
                Err("“contains” works on text fields".into())
            }
            _ => Ok(FilterValue::Text(raw.to_string())),
        };
    }
    match target {
        FilterTarget::Field(def) => match def.kind {
            FieldKind::Timestamp | FieldKind::Date => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(FilterValue::Date)
                .map_err(|_| "must be a date like 2024-03-31".into()),
            FieldKind::Tags => Ok(FilterValue::Text(raw.to_string())),
            kind => match field_value::parse_form(kind, raw) {
                Ok(FieldValue::Int(i)) => Ok(FilterValue::Int(i)),
                Ok(FieldValue::Text(t)) => Ok(FilterValue::Text(t)),
                Ok(_) => Err("has the wrong type".into()),
                // Text comparisons need not be valid values (e.g. a partial phone number).
                Err(_) if !kind.is_integer_column() => Ok(FilterValue::Text(raw.to_string())),
                Err((_, message)) => Err(message),
            },
        },
        FilterTarget::Custom(def) => match def.kind {
            CustomFieldKind::Number => raw
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(FilterValue::Float)
                .ok_or_else(|| "must be a number".into()),
            CustomFieldKind::Date => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(FilterValue::Date)
                .map_err(|_| "must be a date like 2024-03-31".into()),
            CustomFieldKind::Text | CustomFieldKind::Select => {
                Ok(FilterValue::Text(raw.to_string()))
            }
        },
        // Parsed by `consent_filter`, which never gets here.
        FilterTarget::Consent(_) => consent::parse_yes_no(raw)
            .map(|yes| FilterValue::Int(i64::from(yes)))
            .ok_or_else(|| "must be yes or no".into()),
        FilterTarget::Value(column) => column.value(raw),
    }
}

/// A saved filter's content, stored as JSON: the raw parameters, re-checked when used so
/// that a since-deleted custom field gives a clear error instead of a wrong list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SavedQuery {
    /// Search text.
    #[serde(default)]
    pub q: String,
    /// Sort parameter.
    #[serde(default)]
    pub sort: String,
    /// Filter parameters as (key, value).
    #[serde(default)]
    pub filters: Vec<(String, String)>,
}

impl SavedQuery {
    /// The query string that reproduces this list.
    pub fn to_params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if !self.q.is_empty() {
            params.push(("q".to_string(), self.q.clone()));
        }
        if !self.sort.is_empty() {
            params.push(("sort".to_string(), self.sort.clone()));
        }
        params.extend(self.filters.iter().cloned());
        params
    }
}

/// Reads a JSON custom value as a comparable filter value (for tests and reports).
pub fn json_as_filter_value(value: &Json) -> Option<FilterValue> {
    match value {
        Json::String(s) => Some(FilterValue::Text(s.clone())),
        Json::Number(n) => n.as_f64().map(FilterValue::Float),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::ACCOUNT;

    #[test]
    fn parses_operators_and_types() {
        let filters = parse_filters(
            &ACCOUNT,
            &[],
            [
                ("credit_limit__gte", "1000.00"),
                ("industry__in", "制造, 零售"),
                ("q", "ignored"),
                ("city", ""),
            ],
        )
        .unwrap();
        assert_eq!(filters.len(), 2);
        assert_eq!(filters[0].values, vec![FilterValue::Int(100_000)]);
        assert_eq!(filters[1].op, FilterOp::In);
        assert_eq!(filters[1].values.len(), 2);
    }

    #[test]
    fn unknown_fields_and_operators_are_errors() {
        let errors =
            parse_filters(&ACCOUNT, &[], [("colour", "red"), ("name__like", "x")]).unwrap_err();
        assert_eq!(errors.get("colour").unwrap().code, "unknown_filter");
        assert_eq!(errors.get("name__like").unwrap().code, "unknown_filter");
        let errors = parse_filters(&ACCOUNT, &[], [("credit_limit__gte", "lots")]).unwrap_err();
        assert_eq!(
            errors.get("credit_limit__gte").unwrap().code,
            "invalid_filter"
        );
    }

    #[test]
    fn consent_filters() {
        let filters = parse_filters(&ACCOUNT, &[], [("consent.email", "yes")]).unwrap();
        assert_eq!(filters[0].target, FilterTarget::Consent(Channel::Email));
        assert_eq!(filters[0].values, vec![FilterValue::Int(1)]);
        let errors = parse_filters(
            &ACCOUNT,
            &[],
            [("consent.fax", "yes"), ("consent.call", "perhaps")],
        )
        .unwrap_err();
        assert!(errors.get("consent.fax").is_some());
        assert!(errors.get("consent.call").is_some());
        let errors =
            parse_filters(&crate::entity::ORDER, &[], [("consent.email", "yes")]).unwrap_err();
        assert!(errors.get("consent.email").is_some());
    }

    #[test]
    fn customers_filter_by_their_stored_analytics() {
        let filters = parse_filters(
            &ACCOUNT,
            &[],
            [("lifecycle_stage__in", "at_risk,dormant"), ("rfm_r", "5")],
        )
        .unwrap();
        assert_eq!(
            filters[0].target,
            FilterTarget::Value(ValueColumn::LifecycleStage)
        );
        assert_eq!(filters[0].values.len(), 2);
        assert_eq!(filters[1].values, vec![FilterValue::Int(5)]);
        let errors = parse_filters(
            &ACCOUNT,
            &[],
            [("lifecycle_stage", "sleepy"), ("rfm_f__gte", "2")],
        )
        .unwrap_err();
        assert_eq!(
            errors.get("lifecycle_stage").unwrap().code,
            "invalid_filter"
        );
        assert_eq!(errors.get("rfm_f__gte").unwrap().code, "unknown_filter");
        // Contacts have no analytics of their own.
        let errors =
            parse_filters(&crate::entity::CONTACT, &[], [("lifecycle_stage", "new")]).unwrap_err();
        assert_eq!(
            errors.get("lifecycle_stage").unwrap().code,
            "unknown_filter"
        );
    }

    #[test]
    fn sorts_only_on_indexed_fields() {
        let sort = parse_sort(&ACCOUNT, Some("-created_at")).unwrap();
        assert!(sort.descending);
        assert_eq!(sort.field.name, "created_at");
        assert_eq!(parse_sort(&ACCOUNT, None).unwrap().field.name, "id");
        assert!(parse_sort(&ACCOUNT, Some("description")).is_err());
    }
}
