//! Behavioural features: one row per customer computed from transactions.

mod behaviour;
mod rfm;
mod summary;

pub use behaviour::{CORE_COLUMNS, DAYS_PER_MONTH, EngagementOptions, FeatureOptions, Sources, customer_features};
pub use rfm::{RFM_COLUMNS, rfm};
pub use summary::{CalibrationHoldout, Period, RfmSummary, SummaryOptions, calibration_holdout, rfm_summary};
