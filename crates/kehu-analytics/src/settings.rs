//! The settings administrators change in the app: number of RFM classes, display names
//! of the ten segments, ABC thresholds and lifecycle rules. Stored as JSON; a missing
//! key takes its default, so settings saved by an older version still load.
//!
//! Segments keep their keys (`champions`, …) whatever they are called on screen, so
//! stored results, links and filters stay valid when an administrator renames one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lifecycle::{AliveStageRules, LifecycleStage, RecencyStageRules};
use crate::AbcThresholds;

/// The keys of the default segments, best first (the segment table's order).
pub const SEGMENT_KEYS: [&str; 10] = [
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
];

/// Fewest and most RFM score classes.
pub const CLASSES: std::ops::RangeInclusive<u8> = 2..=10;
/// Longest segment display name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

/// An administrator's names for one segment; an empty name shows the built-in one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SegmentNames {
    /// English name.
    pub en: String,
    /// Simplified Chinese name.
    pub zh_cn: String,
}

/// How lifecycle stages are decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum LifecycleRules {
    /// Days since the last purchase.
    Recency(RecencyStageRules),
    /// The repeat-purchase model's P(alive).
    PAlive(AliveStageRules),
}

impl Default for LifecycleRules {
    fn default() -> Self {
        LifecycleRules::Recency(RecencyStageRules::default())
    }
}

impl LifecycleRules {
    /// The stage of a customer; by P(alive) only when the model gave one, otherwise by
    /// the default recency rules with the same "new" window (so a failed fit still
    /// stages everyone).
    pub fn stage(
        &self,
        days_since_first: i64,
        recency_days: i64,
        p_alive: Option<f64>,
    ) -> LifecycleStage {
        match (self, p_alive) {
            (LifecycleRules::Recency(rules), _) => rules.stage(days_since_first, recency_days),
            (LifecycleRules::PAlive(rules), Some(p)) => rules.stage(days_since_first, p),
            (LifecycleRules::PAlive(rules), None) => RecencyStageRules {
                new_within_days: rules.new_within_days,
                ..RecencyStageRules::default()
            }
            .stage(days_since_first, recency_days),
        }
    }
}

/// Everything an administrator can set about customer analytics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AnalyticsSettings {
    /// Score classes for R, F and M (default 5).
    pub rfm_classes: u8,
    /// Display names per segment key; segments not listed keep the built-in names.
    pub segment_names: BTreeMap<String, SegmentNames>,
    /// ABC thresholds as cumulative revenue shares (0.80 / 0.95).
    pub abc: AbcThresholds,
    /// Lifecycle rules.
    pub lifecycle: LifecycleRules,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        AnalyticsSettings {
            rfm_classes: 5,
            segment_names: BTreeMap::new(),
            abc: AbcThresholds::default(),
            lifecycle: LifecycleRules::default(),
        }
    }
}

/// A setting that is not acceptable, named like the admin form's field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError {
    /// The field: `rfm_classes`, `abc_a`, `active_within_days`, `segment.champions.en`, …
    pub field: String,
    /// What is wrong, in English.
    pub message: String,
}

impl AnalyticsSettings {
    /// Every problem with the settings; empty when they can be used.
    pub fn validate(&self) -> Vec<SettingError> {
        let mut errors = Vec::new();
        let mut add = |field: &str, message: &str| {
            errors.push(SettingError {
                field: field.to_string(),
                message: message.to_string(),
            })
        };
        if !CLASSES.contains(&self.rfm_classes) {
            add("rfm_classes", "must be from 2 to 10");
        }
        let AbcThresholds { a, b } = self.abc;
        if !(a.is_finite() && a > 0.0 && a < 1.0) {
            add("abc_a", "must be more than 0 % and less than 100 %");
        }
        if !(b.is_finite() && b <= 1.0 && b > a) {
            add("abc_b", "must be above the A threshold and at most 100 %");
        }
        match self.lifecycle {
            LifecycleRules::Recency(r) => {
                if r.new_within_days < 0 {
                    add("new_within_days", "must be 0 or more");
                }
                if r.active_within_days < 0 {
                    add("active_within_days", "must be 0 or more");
                }
                if r.at_risk_within_days < r.active_within_days {
                    add("at_risk_within_days", "must be at least the active limit");
                }
                if r.dormant_within_days < r.at_risk_within_days {
                    add("dormant_within_days", "must be at least the at-risk limit");
                }
            }
            LifecycleRules::PAlive(p) => {
                let share = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
                if p.new_within_days < 0 {
                    add("new_within_days", "must be 0 or more");
                }
                if !share(p.active_min) {
                    add("active_min", "must be from 0 % to 100 %");
                }
                if !share(p.at_risk_min) || p.at_risk_min > p.active_min {
                    add("at_risk_min", "must be from 0 % to the active threshold");
                }
                if !share(p.dormant_min) || p.dormant_min > p.at_risk_min {
                    add("dormant_min", "must be from 0 % to the at-risk threshold");
                }
            }
        }
        for (key, names) in &self.segment_names {
            if !SEGMENT_KEYS.contains(&key.as_str()) {
                add(&format!("segment.{key}"), "is not a segment");
                continue;
            }
            for (lang, name) in [("en", &names.en), ("zh_cn", &names.zh_cn)] {
                if name.trim().chars().count() > MAX_NAME_CHARS {
                    add(
                        &format!("segment.{key}.{lang}"),
                        "must be at most 40 characters",
                    );
                }
            }
        }
        errors
    }

    /// The administrator's name for a segment in a language (`en` or `zh_cn`), if set.
    pub fn segment_name(&self, key: &str, lang: &str) -> Option<&str> {
        let names = self.segment_names.get(key)?;
        let name = match lang {
            "en" => &names.en,
            _ => &names.zh_cn,
        };
        Some(name.trim()).filter(|n| !n.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_missing_keys_take_defaults() {
        assert!(AnalyticsSettings::default().validate().is_empty());
        let loaded: AnalyticsSettings =
            serde_json::from_str(r#"{"rfm_classes": 4}"#).expect("partial settings load");
        assert_eq!(loaded.rfm_classes, 4);
        assert_eq!(loaded.abc, AbcThresholds::default());
        let json = serde_json::to_string(&AnalyticsSettings {
            lifecycle: LifecycleRules::PAlive(AliveStageRules::default()),
            ..AnalyticsSettings::default()
        })
        .unwrap();
        assert!(json.contains(r#""basis":"p_alive""#), "{json}");
    }

    #[test]
    fn every_bad_setting_is_named() {
        let mut settings = AnalyticsSettings {
            rfm_classes: 1,
            abc: AbcThresholds { a: 0.9, b: 0.8 },
            lifecycle: LifecycleRules::Recency(RecencyStageRules {
                new_within_days: 30,
                active_within_days: 100,
                at_risk_within_days: 50,
                dormant_within_days: 365,
            }),
            ..AnalyticsSettings::default()
        };
        settings.segment_names.insert(
            "champions".into(),
            SegmentNames {
                en: "x".repeat(41),
                zh_cn: "冠军".into(),
            },
        );
        settings
            .segment_names
            .insert("nobody".into(), SegmentNames::default());
        let fields: Vec<String> = settings.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "rfm_classes",
                "abc_b",
                "at_risk_within_days",
                "segment.champions.en",
                "segment.nobody"
            ]
        );
        assert_eq!(settings.segment_name("champions", "zh_cn"), Some("冠军"));
        assert_eq!(settings.segment_name("at_risk", "en"), None);
    }

    #[test]
    fn p_alive_rules_fall_back_to_recency_without_a_model() {
        let rules = LifecycleRules::PAlive(AliveStageRules::default());
        assert_eq!(rules.stage(400, 10, Some(0.1)), LifecycleStage::Lost);
        assert_eq!(rules.stage(400, 10, None), LifecycleStage::Active);
        assert_eq!(rules.stage(5, 10, Some(0.1)), LifecycleStage::New);
    }
}
