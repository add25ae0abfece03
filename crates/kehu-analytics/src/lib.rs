//! Customer value maths for Kehu: RFM scores and segments, ABC classes,
//! customer lifetime value (a yearly cash-flow model and the probabilistic
//! BG/NBD, Pareto/NBD and Gamma-Gamma models) and lifecycle stages.
//!
//! Pure: functions take plain rows ([`Purchase`], [`CustomerSummary`]) and
//! return plain rows; no I/O except [`input`], which parses CSV from any
//! [`std::io::Read`].
//!
//! | question | module |
//! |---|---|
//! | how recent, frequent, valuable is each customer? | [`rfm`], [`segments`], [`quantile`] |
//! | who brings 80 % of revenue? | [`abc`] |
//! | what is a customer worth (planning numbers)? | [`clv_cashflow`] |
//! | what will each customer buy, are they still alive? | [`bgnbd`], [`pareto_nbd`], [`gamma_gamma`], [`clv`] |
//! | from purchases to model input | [`summary`], [`totals`] |
//! | new / active / at risk / dormant / lost | [`lifecycle`] |
//! | fitting machinery | [`mle`], [`optimize`], [`special`] |

pub mod abc;
pub mod bgnbd;
pub mod clv;
pub mod clv_cashflow;
mod error;
pub mod gamma_gamma;
mod grouped;
pub mod input;
pub mod lifecycle;
pub mod mle;
pub mod optimize;
pub mod pareto_nbd;
pub mod purchase;
pub mod quantile;
pub mod rfm;
pub mod segments;
pub mod settings;
pub mod special;
mod sum;
pub mod summary;
pub mod totals;

pub use abc::{abc_classes, AbcClass, AbcRow, AbcThresholds};
pub use bgnbd::{fit_bgnbd, BgNbdParams};
pub use clv::{customer_lifetime_value, ClvCurve, ClvSettings, RepeatPurchaseModel};
pub use clv_cashflow::{cash_flow_clv, CashFlowClv, CashFlowInputs, CashFlowYear};
pub use error::AnalyticsError;
pub use gamma_gamma::{fit_gamma_gamma, GammaGammaParams};
pub use lifecycle::{
    rank_by_value_at_risk, value_at_risk, AliveStageRules, LifecycleStage, RecencyStageRules,
    ValueAtRisk,
};
pub use mle::{ModelFit, ModelParameters};
pub use pareto_nbd::{fit_pareto_nbd, ParetoNbdParams};
pub use purchase::Purchase;
pub use rfm::{rfm_measures, rfm_scores, rfm_table, RfmConfig, RfmMeasures, RfmRow, RfmTotals};
pub use segments::{SegmentMap, SegmentRule};
pub use settings::{AnalyticsSettings, LifecycleRules, SegmentNames, SettingError, SEGMENT_KEYS};
pub use summary::{build_summaries, CustomerSummary, Period};
pub use totals::PurchaseTotals;
