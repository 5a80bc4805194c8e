//! Behavioural features: one row per customer computed from transactions.

mod rfm;

pub use rfm::{RFM_COLUMNS, RfmOptions, rfm};
