//! Behavioural features: one row per customer computed from transactions.

mod behaviour;
pub mod clv;
mod lines;
mod predictive;
mod rfm;
mod summary;

pub use behaviour::{
    CORE_COLUMNS, DAYS_PER_MONTH, DEFAULT_RECENT_DAYS, EngagementOptions, FeatureOptions, Sources, customer_features,
};
pub use predictive::{PredictiveModels, PredictiveOptions, PredictiveValue, predictive_value, predictive_value_of};
pub use rfm::{RFM_COLUMNS, rfm};
pub use summary::{
    CalibrationHoldout, Period, RfmSummary, SummaryColumns, SummaryOptions, calibration_holdout,
    calibration_holdout_columns, rfm_summary, rfm_summary_columns,
};
