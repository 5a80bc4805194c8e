//! Exploratory factor analysis: minres, maximum likelihood or principal-axes
//! extraction, varimax or promax rotation, regression factor scores.
//!
//! Checked against R psych's `fa` on factor_analyzer's test06 data
//! (`tests/factor_analysis.rs`).

mod extract;
mod model;
mod params;
mod rotate;

pub use model::{FactorAnalysis, FactorVariance};
pub use params::{FactorAnalysisParams, FactorMethod};
pub use rotate::Rotation;

pub(crate) use params::enough_rows;
