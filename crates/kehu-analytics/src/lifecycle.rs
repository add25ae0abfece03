//! Lifecycle stages (new, active, at risk, dormant, lost) from recency
//! thresholds or from the probability of being alive, and the value at risk
//! that tells which slipping customers are worth a call first.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::AnalyticsError;

/// Where a customer is in their relationship with the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LifecycleStage {
    /// First purchase recently: too early to judge.
    New,
    /// Buying as expected.
    Active,
    /// Quieter than usual: worth a reminder.
    AtRisk,
    /// Long quiet: needs a win-back action.
    Dormant,
    /// Presumed gone.
    Lost,
}

impl LifecycleStage {
    /// snake_case name for files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStage::New => "new",
            LifecycleStage::Active => "active",
            LifecycleStage::AtRisk => "at_risk",
            LifecycleStage::Dormant => "dormant",
            LifecycleStage::Lost => "lost",
        }
    }
}

/// Stage rules on days: new if the first purchase was fewer than
/// `new_within_days` days ago; otherwise by days since the last purchase:
/// active ≤ `active_within_days` < at risk ≤ `at_risk_within_days` <
/// dormant ≤ `dormant_within_days` < lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecencyStageRules {
    /// Customers younger than this (days since first purchase) are new.
    pub new_within_days: i64,
    /// Last purchase at most this many days ago: active.
    pub active_within_days: i64,
    /// …at most this many: at risk.
    pub at_risk_within_days: i64,
    /// …at most this many: dormant; beyond: lost.
    pub dormant_within_days: i64,
}

impl Default for RecencyStageRules {
    /// 30 days new; active within 90 days, at risk to 180, dormant to 365.
    fn default() -> Self {
        Self {
            new_within_days: 30,
            active_within_days: 90,
            at_risk_within_days: 180,
            dormant_within_days: 365,
        }
    }
}

impl RecencyStageRules {
    /// Checks 0 ≤ new, and 0 ≤ active ≤ at risk ≤ dormant.
    pub fn validate(&self) -> Result<(), AnalyticsError> {
        let ordered = 0 <= self.active_within_days
            && self.active_within_days <= self.at_risk_within_days
            && self.at_risk_within_days <= self.dormant_within_days;
        if self.new_within_days < 0 || !ordered {
            return Err(AnalyticsError::invalid(
                "lifecycle day thresholds",
                "need new ≥ 0 and 0 ≤ active ≤ at risk ≤ dormant",
            ));
        }
        Ok(())
    }

    /// Stage of a customer whose first purchase was `days_since_first` days
    /// ago and last purchase `recency_days` days ago.
    pub fn stage(&self, days_since_first: i64, recency_days: i64) -> LifecycleStage {
        if days_since_first < self.new_within_days {
            LifecycleStage::New
        } else if recency_days <= self.active_within_days {
            LifecycleStage::Active
        } else if recency_days <= self.at_risk_within_days {
            LifecycleStage::AtRisk
        } else if recency_days <= self.dormant_within_days {
            LifecycleStage::Dormant
        } else {
            LifecycleStage::Lost
        }
    }
}

/// Stage rules on the model's P(alive): new as in [`RecencyStageRules`],
/// otherwise active if P(alive) ≥ `active_min`, at risk if ≥ `at_risk_min`,
/// dormant if ≥ `dormant_min`, lost below.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AliveStageRules {
    /// Customers younger than this (days since first purchase) are new.
    pub new_within_days: i64,
    /// Lowest P(alive) of an active customer.
    pub active_min: f64,
    /// Lowest P(alive) of an at-risk customer.
    pub at_risk_min: f64,
    /// Lowest P(alive) of a dormant customer.
    pub dormant_min: f64,
}

impl Default for AliveStageRules {
    /// 30 days new; active from 0.7, at risk from 0.4, dormant from 0.15.
    fn default() -> Self {
        Self {
            new_within_days: 30,
            active_min: 0.7,
            at_risk_min: 0.4,
            dormant_min: 0.15,
        }
    }
}

impl AliveStageRules {
    /// Checks new ≥ 0 and 0 ≤ dormant ≤ at risk ≤ active ≤ 1.
    pub fn validate(&self) -> Result<(), AnalyticsError> {
        let ordered = 0.0 <= self.dormant_min
            && self.dormant_min <= self.at_risk_min
            && self.at_risk_min <= self.active_min
            && self.active_min <= 1.0;
        if self.new_within_days < 0 || !ordered {
            return Err(AnalyticsError::invalid(
                "lifecycle P(alive) thresholds",
                "need new ≥ 0 and 0 ≤ dormant ≤ at risk ≤ active ≤ 1",
            ));
        }
        Ok(())
    }

    /// Stage of a customer whose first purchase was `days_since_first` days
    /// ago and whose probability of being alive is `p_alive`.
    pub fn stage(&self, days_since_first: i64, p_alive: f64) -> LifecycleStage {
        if days_since_first < self.new_within_days {
            LifecycleStage::New
        } else if p_alive >= self.active_min {
            LifecycleStage::Active
        } else if p_alive >= self.at_risk_min {
            LifecycleStage::AtRisk
        } else if p_alive >= self.dormant_min {
            LifecycleStage::Dormant
        } else {
            LifecycleStage::Lost
        }
    }
}

/// Value at risk = CLV × (1 − P(alive)): the part of a customer's value
/// that is lost if they have in fact churned. Pass the CLV the customer
/// would have if retained (e.g. from their past yearly value); a CLV from
/// BG/NBD already weighs P(alive) in.
pub fn value_at_risk(clv: f64, p_alive: f64) -> f64 {
    clv * (1.0 - p_alive.clamp(0.0, 1.0))
}

/// One customer in a value-at-risk ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValueAtRisk<K> {
    /// The customer.
    pub customer: K,
    /// Their lifetime value.
    pub clv: f64,
    /// Their probability of being alive.
    pub p_alive: f64,
    /// clv × (1 − p_alive).
    pub value_at_risk: f64,
}

/// Computes value at risk for `(customer, clv, p_alive)` rows and sorts them
/// most valuable first (ties by ascending customer; NaN last), the order a
/// retention campaign should work through.
pub fn rank_by_value_at_risk<K: Ord>(customers: Vec<(K, f64, f64)>) -> Vec<ValueAtRisk<K>> {
    let mut rows: Vec<ValueAtRisk<K>> = customers
        .into_iter()
        .map(|(customer, clv, p_alive)| ValueAtRisk {
            customer,
            clv,
            p_alive,
            value_at_risk: value_at_risk(clv, p_alive),
        })
        .collect();
    rows.sort_by(|x, y| {
        match (x.value_at_risk.is_nan(), y.value_at_risk.is_nan()) {
            (false, true) => Ordering::Less,
            (true, false) => Ordering::Greater,
            _ => y.value_at_risk.total_cmp(&x.value_at_risk),
        }
        .then_with(|| x.customer.cmp(&y.customer))
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleStage::*;

    #[test]
    fn recency_rules_draw_the_stage_borders_inclusively() {
        let rules = RecencyStageRules::default();
        assert_eq!(rules.stage(29, 500), New);
        assert_eq!(rules.stage(30, 90), Active);
        assert_eq!(rules.stage(400, 91), AtRisk);
        assert_eq!(rules.stage(400, 180), AtRisk);
        assert_eq!(rules.stage(400, 365), Dormant);
        assert_eq!(rules.stage(400, 366), Lost);
        assert!(rules.validate().is_ok());
        let bad = RecencyStageRules {
            at_risk_within_days: 30,
            ..rules
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn p_alive_rules() {
        let rules = AliveStageRules::default();
        assert_eq!(rules.stage(5, 0.01), New);
        assert_eq!(rules.stage(100, 0.7), Active);
        assert_eq!(rules.stage(100, 0.5), AtRisk);
        assert_eq!(rules.stage(100, 0.15), Dormant);
        assert_eq!(rules.stage(100, 0.1), Lost);
        assert!(rules.validate().is_ok());
        let bad = AliveStageRules {
            active_min: 1.5,
            ..rules
        };
        assert!(bad.validate().is_err());
        assert_eq!(Dormant.as_str(), "dormant");
    }

    #[test]
    fn value_at_risk_ranking() {
        let ranked = rank_by_value_at_risk(vec![
            ("c", 100.0, 0.75),
            ("b", 400.0, 0.75),
            ("d", f64::NAN, 0.5),
            ("a", 200.0, 0.5),
            ("e", 50.0, 0.0),
        ]);
        let order: Vec<&str> = ranked.iter().map(|r| r.customer).collect();
        assert_eq!(order, ["a", "b", "e", "c", "d"]); // a and b tie at 100
        assert_eq!(ranked[0].value_at_risk, 100.0);
        assert_eq!(ranked[3].value_at_risk, 25.0);
        assert_eq!(value_at_risk(100.0, 1.5), 0.0);
    }
}
