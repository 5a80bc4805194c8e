//! The Gaussian-mixture builder and the rules it is checked against.

use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::algorithm::{GaussianMixture, fit};
use super::covariance::{CovarianceType, Covariances};
use crate::CancelToken;
use crate::check;
use crate::error::{Error, Result};

/// How the first responsibilities are made (scikit-learn's `init_params`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GaussianMixtureInit {
    /// One-hot responsibilities from a k-means fit (one k-means++ run of
    /// segmint's [`crate::cluster::KMeans`]).
    #[default]
    KMeans,
    /// Uniform random responsibilities, normalised per row.
    Random,
}

/// Unchecked Gaussian-mixture settings; [`GaussianMixtureParams::fit`] checks
/// them against the data.
///
/// Names and defaults follow scikit-learn's `GaussianMixture`: full
/// covariances, `tol = 1e-3` on the change of the mean per-sample
/// log-likelihood, `reg_covar = 1e-6`, `max_iter = 100`, one run.
/// `weights_init`, `means_init` and `precisions_init` replace the parameters
/// the first M step would estimate, as in scikit-learn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixtureParams {
    n_components: usize,
    /// Covariance type.
    pub covariance_type: CovarianceType,
    /// tol
    pub tol: f64,
    /// reg_covar
    pub reg_covar: f64,
    /// max_iter
    pub max_iter: usize,
    /// n_init
    pub n_init: usize,
    /// init
    pub init: GaussianMixtureInit,
    /// weights_init
    pub weights_init: Option<Array1<f64>>,
    /// means_init
    pub means_init: Option<Array2<f64>>,
    /// precisions_init
    pub precisions_init: Option<Covariances>,
    /// seed
    pub seed: u64,
    /// The cancellation token checked between iterations.
    #[serde(skip)]
    pub cancel: CancelToken,
}

impl GaussianMixtureParams {
    /// Defaults for `n_components` components.
    pub fn new(n_components: usize) -> Self {
        GaussianMixtureParams {
            n_components,
            covariance_type: CovarianceType::Full,
            tol: 1e-3,
            reg_covar: 1e-6,
            max_iter: 100,
            n_init: 1,
            init: GaussianMixtureInit::KMeans,
            weights_init: None,
            means_init: None,
            precisions_init: None,
            seed: 0,
            cancel: CancelToken::default(),
        }
    }

    setters! {
        /// Shape of the component covariances.
        covariance_type: CovarianceType;

        /// Stop when the mean per-sample log-likelihood changes by less than this.
        tol: f64;

        /// Added to the diagonal of every covariance, so that they stay positive definite.
        reg_covar: f64;

        /// Maximum EM iterations per run.
        max_iter: usize;

        /// Independent runs (in parallel); the highest lower bound is kept.
        n_init: usize;

        /// How the first responsibilities are made.
        init: GaussianMixtureInit;

        /// Initial mixing weights (`n_components`, non-negative, summing to 1).
        weights_init: Some(Array1<f64>);

        /// Initial means (`n_components × n_features`).
        means_init: Some(Array2<f64>);

        /// Initial precision matrices (inverse covariances), shaped as the
        /// covariance type requires.
        precisions_init: Some(Covariances);

        /// Stops the fit with [`crate::Error::Cancelled`] once the token is cancelled
        /// (checked between iterations).
        cancel: CancelToken;

        /// Random seed: the same seed gives the same result on any thread count.
        seed: u64;
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.n_components
    }

    /// Checks every rule against data of `n_samples × n_features`.
    pub fn check(&self, n_samples: usize, n_features: usize) -> Result<()> {
        let k = self.n_components;
        if k == 0 {
            return Err(Error::invalid_parameter("n_components", k, "at least 1"));
        }
        if k > n_samples {
            return Err(Error::invalid_parameter(
                "n_components",
                k,
                format!("at most n_samples={n_samples}"),
            ));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::invalid_parameter("tol", self.tol, "a finite number >= 0"));
        }
        if !(self.reg_covar.is_finite() && self.reg_covar >= 0.0) {
            return Err(Error::invalid_parameter(
                "reg_covar",
                self.reg_covar,
                "a finite number >= 0",
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_parameter("max_iter", 0, "at least 1"));
        }
        if self.n_init == 0 {
            return Err(Error::invalid_parameter("n_init", 0, "at least 1"));
        }
        if let Some(w) = &self.weights_init {
            check_weights(w, k)?;
        }
        if let Some(m) = &self.means_init {
            if m.dim() != (k, n_features) {
                return Err(shape("means_init", format!("{k} x {n_features}"), m.shape()));
            }
            check::finite("means_init", m.view())?;
        }
        if let Some(p) = &self.precisions_init {
            p.check_shape("precisions_init", self.covariance_type, k, n_features)?;
        }
        Ok(())
    }

    /// Fits the mixture to the rows of `x` by expectation–maximisation.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<GaussianMixture> {
        check::non_empty("X", x)?;
        self.check(x.nrows(), x.ncols())?;
        check::finite("X", x)?;
        fit(self, x)
    }
}

fn check_weights(w: &Array1<f64>, k: usize) -> Result<()> {
    if w.len() != k {
        return Err(shape("weights_init", k.to_string(), w.shape()));
    }
    if let Some((i, v)) = w.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
        return Err(Error::invalid_parameter(
            "weights_init",
            format!("{v} at {i}"),
            "weights in [0, 1]",
        ));
    }
    let total: f64 = w.sum();
    if (total - 1.0).abs() > 1e-8 {
        return Err(Error::invalid_parameter(
            "weights_init",
            format!("weights summing to {total}"),
            "weights summing to 1",
        ));
    }
    Ok(())
}

pub(super) fn shape(what: &str, expected: String, found: &[usize]) -> Error {
    Error::ShapeMismatch {
        what: what.into(),
        expected,
        found: found.iter().map(ToString::to_string).collect::<Vec<_>>().join(" x "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, array};

    fn err(p: GaussianMixtureParams) -> String {
        let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]];
        p.fit(x.view()).unwrap_err().to_string()
    }

    #[test]
    fn n_components_must_be_between_one_and_n_samples() {
        assert_eq!(
            err(GaussianMixtureParams::new(0)),
            "invalid parameter n_components=0: expected at least 1"
        );
        assert_eq!(
            err(GaussianMixtureParams::new(4)),
            "invalid parameter n_components=4: expected at most n_samples=3"
        );
    }

    #[test]
    fn tol_must_be_finite_and_non_negative() {
        assert!(err(GaussianMixtureParams::new(1).tol(-1.0)).contains("tol=-1"));
        assert!(err(GaussianMixtureParams::new(1).tol(f64::NAN)).contains("tol=NaN"));
    }

    #[test]
    fn reg_covar_must_be_finite_and_non_negative() {
        assert_eq!(
            err(GaussianMixtureParams::new(1).reg_covar(-1e-3)),
            "invalid parameter reg_covar=-0.001: expected a finite number >= 0"
        );
    }

    #[test]
    fn max_iter_and_n_init_must_be_positive() {
        assert!(err(GaussianMixtureParams::new(1).max_iter(0)).contains("max_iter=0"));
        assert!(err(GaussianMixtureParams::new(1).n_init(0)).contains("n_init=0"));
    }

    #[test]
    fn weights_init_must_be_a_distribution_over_the_components() {
        let p = GaussianMixtureParams::new(2);
        assert!(err(p.clone().weights_init(array![1.0])).contains("weights_init"));
        assert!(err(p.clone().weights_init(array![-0.5, 1.5])).contains("-0.5 at 0"));
        assert!(err(p.weights_init(array![0.5, 0.6])).contains("summing to 1"));
    }

    #[test]
    fn means_init_must_match_components_and_features() {
        let p = GaussianMixtureParams::new(2).means_init(array![[0.0], [1.0]]);
        assert_eq!(err(p), "shape mismatch for means_init: expected 2 x 2, found 2 x 1");
        let p = GaussianMixtureParams::new(1).means_init(array![[0.0, f64::NAN]]);
        assert!(err(p).contains("means_init contains a non-finite value"));
    }

    #[test]
    fn precisions_init_must_fit_the_covariance_type() {
        let p = GaussianMixtureParams::new(2).precisions_init(Covariances::Diag(array![[1.0, 1.0], [1.0, 1.0]]));
        assert!(err(p).contains("precisions_init: expected full"));
        let p = GaussianMixtureParams::new(2).precisions_init(Covariances::Full(Array3::zeros((2, 3, 3))));
        assert!(err(p).contains("expected 2 x 2 x 2"));
        let p = GaussianMixtureParams::new(1)
            .covariance_type(CovarianceType::Spherical)
            .precisions_init(Covariances::Spherical(array![-1.0]));
        assert!(err(p).contains("positive"));
    }
}
