//! Preparing features for clustering: transforms and scaling.

mod scale;

pub use scale::{StandardScaler, signed_log1p};
