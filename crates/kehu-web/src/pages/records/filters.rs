//! The filter panel of a list: one input per filterable field, using the same
//! `field__op` parameters as the API (`level__in=VIP,普通`, `created_at__gte=2024-01-01`,
//! `custom.wechat__contains=abc`), filled from the current parameters.

use super::EntityPages;
use crate::analytics_settings::segment_label;
use crate::i18n::Tr;
use crate::pages::SelectOption;
use kehu_analytics::{AnalyticsSettings, SEGMENT_KEYS};
use kehu_core::consent::Channel;
use kehu_core::entity::{CustomFieldDef, CustomFieldKind, FieldKind};
use kehu_core::field_security::FieldRules;
use kehu_core::filter::{ValueColumn, LIFECYCLE_STAGES};
use kehu_core::validation::Picklists;
use kehu_db::users::User;

/// Parameters only the pages use (a notice, and the counts a mass update's notice states);
/// they never reach the filter parser.
pub const PAGE_ONLY_PARAMS: &[&str] = &["changed", "moved", "notice"];

/// One input of the filter panel.
pub struct FilterInput {
    /// `multi` (check boxes, `__in`), `range` (from/to) or `text` (`__contains`).
    pub kind: &'static str,
    /// The field's label.
    pub label: String,
    /// The parameter of `multi` and `text` inputs.
    pub key: String,
    /// The choices of a `multi` input.
    pub options: Vec<SelectOption>,
    /// The chosen labels of a `multi` input, for its summary line.
    pub summary: String,
    /// The parameters of a `range` input.
    pub from_key: String,
    /// Upper bound parameter.
    pub to_key: String,
    /// Current lower bound.
    pub from: String,
    /// Current upper bound.
    pub to: String,
    /// HTML input type of a `range` (`date`, `text`) or `text` input.
    pub input: &'static str,
    /// Current text of a `text` input.
    pub value: String,
    /// Whether the filter is in use (kept open).
    pub active: bool,
}

impl FilterInput {
    fn blank(kind: &'static str, label: String) -> FilterInput {
        FilterInput {
            kind,
            label,
            key: String::new(),
            options: Vec::new(),
            summary: String::new(),
            from_key: String::new(),
            to_key: String::new(),
            from: String::new(),
            to: String::new(),
            input: "text",
            value: String::new(),
            active: false,
        }
    }
}

/// Cleans raw list parameters: drops blanks and page-only keys, and joins repeated
/// `__in` parameters (check boxes send one each) into one comma-separated value.
pub fn normalize(raw: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, value) in raw {
        let value = value.trim().to_string();
        if value.is_empty() || PAGE_ONLY_PARAMS.contains(&key.as_str()) {
            continue;
        }
        if key.ends_with("__in") {
            if let Some((_, existing)) = out.iter_mut().find(|(k, _)| *k == key) {
                existing.push(',');
                existing.push_str(&value);
                continue;
            }
        }
        out.push((key, value));
    }
    out
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn multi(
    label: String,
    key: String,
    choices: Vec<(String, String)>,
    params: &[(String, String)],
) -> FilterInput {
    let chosen: Vec<String> = param(params, &key)
        .split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut options: Vec<SelectOption> = choices
        .into_iter()
        .map(|(value, label)| SelectOption {
            selected: chosen.contains(&value),
            value,
            label,
        })
        .collect();
    // Values chosen in a link or saved filter that the list no longer offers stay visible.
    for value in &chosen {
        if !options.iter().any(|o| &o.value == value) {
            options.push(SelectOption {
                value: value.clone(),
                label: value.clone(),
                selected: true,
            });
        }
    }
    let summary = options
        .iter()
        .filter(|o| o.selected)
        .map(|o| o.label.clone())
        .collect::<Vec<_>>()
        .join(", ");
    FilterInput {
        active: !chosen.is_empty(),
        summary,
        options,
        key,
        ..FilterInput::blank("multi", label)
    }
}

fn range(
    label: String,
    name: &str,
    input: &'static str,
    params: &[(String, String)],
) -> FilterInput {
    let (from_key, to_key) = (format!("{name}__gte"), format!("{name}__lte"));
    let (from, to) = (
        param(params, &from_key).to_string(),
        param(params, &to_key).to_string(),
    );
    FilterInput {
        active: !from.is_empty() || !to.is_empty(),
        from_key,
        to_key,
        from,
        to,
        input,
        ..FilterInput::blank("range", label)
    }
}

fn contains(label: String, name: &str, params: &[(String, String)]) -> FilterInput {
    let key = format!("{name}__contains");
    let value = param(params, &key).to_string();
    FilterInput {
        active: !value.is_empty(),
        key,
        value,
        ..FilterInput::blank("text", label)
    }
}

/// What the filter panel needs besides the parameters.
pub struct FilterSources<'a> {
    /// Custom fields of the entity.
    pub custom: &'a [CustomFieldDef],
    /// Picklist values.
    pub picklists: &'a Picklists,
    /// Users (for the owner filter).
    pub users: &'a [User],
    /// The signed-in user, listed first among owners.
    pub me: i64,
    /// Analytics settings, for the customer list's analytics filters (segment names).
    pub analytics: Option<&'a AnalyticsSettings>,
}

/// The filter panel's inputs and the parameter names they cover.
/// Hidden fields get no input: filtering on them is refused.
pub fn filter_inputs(
    pages: &EntityPages,
    t: Tr,
    rules: &FieldRules,
    sources: &FilterSources<'_>,
    params: &[(String, String)],
) -> Vec<FilterInput> {
    let entity = pages.entity;
    let mut inputs = Vec::new();
    for name in pages.filters {
        let Some(field) = entity.field(name) else {
            continue;
        };
        if rules.is_hidden(entity.name, name) {
            continue;
        }
        let label = t.field(entity.name, name);
        let key = format!("{name}__in");
        inputs.push(match field.kind {
            FieldKind::Picklist(list) => {
                let values = sources.picklists.get(list).cloned().unwrap_or_default();
                multi(
                    label,
                    key,
                    values.into_iter().map(|v| (v.clone(), v)).collect(),
                    params,
                )
            }
            FieldKind::Choice(values) => multi(
                label,
                key,
                values
                    .iter()
                    .map(|v| (v.to_string(), t.choice(name, v)))
                    .collect(),
                params,
            ),
            FieldKind::UserRef => {
                let mut users: Vec<&User> = sources
                    .users
                    .iter()
                    .filter(|u| u.active || u.id == sources.me)
                    .collect();
                users.sort_by_key(|u| u.id != sources.me);
                let choices = users
                    .into_iter()
                    .map(|u| (u.id.to_string(), u.display_name.clone()))
                    .collect();
                multi(label, key, choices, params)
            }
            FieldKind::Timestamp | FieldKind::Date => range(label, name, "date", params),
            FieldKind::Money | FieldKind::Integer => range(label, name, "number", params),
            _ => contains(label, name, params),
        });
    }
    if let Some(settings) = sources.analytics {
        inputs.extend(value_inputs(t, settings, params));
    }
    for def in sources.custom {
        let name = format!("custom.{}", def.key);
        if rules.is_hidden(entity.name, &name) {
            continue;
        }
        let label = t.custom_field(def);
        inputs.push(match def.kind {
            CustomFieldKind::Select => multi(
                label,
                format!("{name}__in"),
                def.options.iter().map(|o| (o.clone(), o.clone())).collect(),
                params,
            ),
            CustomFieldKind::Number => range(label, &name, "number", params),
            CustomFieldKind::Date => range(label, &name, "date", params),
            CustomFieldKind::Text => contains(label, &name, params),
        });
    }
    if entity.name == "contact" {
        // "May e-mail: yes" — the audience a campaign may reach on that channel.
        for channel in Channel::ALL {
            let choices = [("yes", "personal.yes"), ("no", "personal.no")]
                .into_iter()
                .map(|(value, label)| (value.to_string(), t.t(label).to_string()))
                .collect();
            inputs.push(multi(
                t.t(&format!("personal.may.{}", channel.as_str()))
                    .to_string(),
                format!("consent.{}", channel.as_str()),
                choices,
                params,
            ));
        }
    }
    inputs
}

/// The customer list's filters on the latest analytics run: lifecycle stage, RFM
/// segment, R and F scores and ABC class (the analytics pages link here with them).
fn value_inputs(
    t: Tr,
    settings: &AnalyticsSettings,
    params: &[(String, String)],
) -> Vec<FilterInput> {
    let key = |column: ValueColumn| format!("{}__in", column.param());
    let scores: Vec<(String, String)> = (1..=i64::from(settings.rfm_classes))
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    vec![
        multi(
            t.t("list.filter_lifecycle_stage").to_string(),
            key(ValueColumn::LifecycleStage),
            LIFECYCLE_STAGES
                .iter()
                .map(|s| {
                    (
                        s.to_string(),
                        t.t(&format!("analytics.stage.{s}")).to_string(),
                    )
                })
                .collect(),
            params,
        ),
        multi(
            t.t("list.filter_rfm_segment").to_string(),
            key(ValueColumn::Segment),
            SEGMENT_KEYS
                .iter()
                .map(|s| (s.to_string(), segment_label(t, settings, s)))
                .collect(),
            params,
        ),
        multi(
            t.t("list.filter_rfm_r").to_string(),
            key(ValueColumn::RScore),
            scores.clone(),
            params,
        ),
        multi(
            t.t("list.filter_rfm_f").to_string(),
            key(ValueColumn::FScore),
            scores,
            params,
        ),
        multi(
            t.t("list.filter_abc_class").to_string(),
            key(ValueColumn::AbcClass),
            ["A", "B", "C"]
                .iter()
                .map(|c| {
                    (
                        c.to_string(),
                        t.t(&format!("analytics.class.{c}")).to_string(),
                    )
                })
                .collect(),
            params,
        ),
    ]
}

/// The parameter names the panel's inputs send.
pub fn covered_keys(inputs: &[FilterInput]) -> Vec<String> {
    inputs
        .iter()
        .flat_map(|i| match i.kind {
            "range" => vec![i.from_key.clone(), i.to_key.clone()],
            _ => vec![i.key.clone()],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn check_boxes_are_joined_and_blanks_dropped() {
        let raw = pairs(&[
            ("level__in", "VIP"),
            ("q", " "),
            ("level__in", "普通"),
            ("notice", "filter_saved"),
            ("city", "深圳"),
        ]);
        assert_eq!(
            normalize(raw),
            pairs(&[("level__in", "VIP,普通"), ("city", "深圳")])
        );
    }

    #[test]
    fn inputs_show_the_current_filter() {
        let picklists = Picklists::from([(
            "level".to_string(),
            vec!["VIP".to_string(), "普通".to_string()],
        )]);
        let sources = FilterSources {
            custom: &[],
            picklists: &picklists,
            users: &[],
            me: 1,
            analytics: None,
        };
        let params = pairs(&[("level__in", "VIP,Gold"), ("created_at__gte", "2024-01-01")]);
        let inputs = filter_inputs(
            &super::super::ACCOUNT_PAGES,
            Tr::new(crate::i18n::Locale::En),
            &FieldRules::default(),
            &sources,
            &params,
        );
        let level = inputs.iter().find(|i| i.key == "level__in").unwrap();
        assert!(level.active);
        assert_eq!(level.summary, "VIP, Gold");
        assert_eq!(level.options.len(), 3);
        let created = inputs
            .iter()
            .find(|i| i.from_key == "created_at__gte")
            .unwrap();
        assert_eq!(created.from, "2024-01-01");
        assert!(covered_keys(&inputs).contains(&"created_at__lte".to_string()));
    }
}
