//! The one error type of the analytics maths (input parsing has its own,
//! [`crate::input::InputError`], because it carries line and column).

/// Why an analytics computation refused its input or could not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyticsError {
    /// A setting or model parameter is outside its allowed range.
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// The setting's name as the user knows it (e.g. `retention_rate`).
        name: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// One input row (0-based position in the slice given) is not usable.
    #[error("row {index}: {reason}")]
    InvalidRow {
        /// Position of the row in the input slice.
        index: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A model fit was asked for with no usable customers.
    #[error("no customers to fit the {model} model on")]
    NoData {
        /// The model that was to be fitted.
        model: &'static str,
    },
    /// Nobody bought twice: the data say nothing about repeat buying, and
    /// the likelihood has no finite maximum.
    #[error("the {model} model needs at least one customer with a repeat purchase")]
    NoRepeatPurchases {
        /// The model that was to be fitted.
        model: &'static str,
    },
    /// The optimiser could not find a finite maximum of the likelihood.
    #[error("the {model} fit did not converge")]
    NotConverged {
        /// The model that was being fitted.
        model: &'static str,
    },
    /// A configured segment map does not cover the 5×5 R/F grid exactly once.
    #[error("invalid segment map: {0}")]
    InvalidSegmentMap(String),
}

impl AnalyticsError {
    /// Shorthand for [`AnalyticsError::InvalidParameter`].
    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}
