//! Preparing features for clustering: transforms and scaling, and the
//! fitted preparation of a mixed numeric and categorical basis.

mod basis;
mod scale;

pub use basis::{
    BasisOptions, BasisPreparation, CategoricalStep, DroppedCustomer, LogTransform, MissingValues, NumericStep,
    PreparedBasis, SKEWNESS_THRESHOLD, is_skewed,
};
pub use scale::{StandardScaler, signed_log1p};
