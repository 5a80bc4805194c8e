//! Dimension reduction and the statistics of survey scales.
//!
//! - [`Pca`]: principal components, exact (SVD or the covariance's
//!   eigen-decomposition) or randomized (Halko, Martinsson & Tropp 2011),
//!   with scikit-learn's conventions;
//! - [`FactorAnalysis`]: exploratory factor analysis (minres, maximum
//!   likelihood, principal axes; varimax, promax) as R psych's `fa`;
//! - [`adequacy`]: KMO, Bartlett's sphericity test, Horn's parallel
//!   analysis, the Kaiser count and scree data, Cronbach's α.
//!
//! Missing answers: the survey functions and the factor analysis compute
//! correlations on **complete cases** (a row with a NaN is left out and
//! counted); infinities are an error. PCA accepts finite data only.
//!
//! The linear algebra is faer's (`linalg`); every result is deterministic.

pub mod adequacy;
mod factor;
pub(crate) mod linalg;
mod pca;

pub use adequacy::{
    Bartlett, CronbachAlpha, CronbachBand, Kmo, KmoBand, ParallelAnalysis, ParallelAnalysisParams, Scree,
    bartlett_sphericity, cronbach_alpha, kaiser_count, kmo, parallel_analysis, scree,
};
pub use factor::{FactorAnalysis, FactorAnalysisParams, FactorMethod, FactorVariance, Rotation};
pub use pca::{Pca, PcaParams, SvdSolver};

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// Fails on an infinity; NaN (a missing answer) is allowed.
pub(crate) fn finite_or_missing(what: &'static str, x: ArrayView2<'_, f64>) -> Result<()> {
    match x.indexed_iter().find(|(_, v)| v.is_infinite()) {
        Some(((row, column), &value)) => Err(Error::NonFinite {
            what,
            row,
            column,
            value,
        }),
        None => Ok(()),
    }
}

/// Indices of the rows without a NaN.
pub(crate) fn complete_rows(x: ArrayView2<'_, f64>) -> Vec<usize> {
    x.rows()
        .into_iter()
        .enumerate()
        .filter(|(_, row)| row.iter().all(|v| !v.is_nan()))
        .map(|(i, _)| i)
        .collect()
}
