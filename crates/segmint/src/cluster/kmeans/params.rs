//! The k-means builder and the rules it is checked against before fitting.

use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::algorithm::{KMeans, fit, weights_of};
use crate::CancelToken;
use crate::check;
use crate::element::Element;
use crate::error::{Error, Result};

/// How the first centres are chosen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum KMeansInit {
    /// Greedy k-means++ (Arthur & Vassilvitskii 2007), as in scikit-learn:
    /// each new centre is the best of `2 + ⌊ln k⌋` candidates drawn with
    /// probability proportional to weight × squared distance.
    #[default]
    KMeansPlusPlus,
    /// `k` distinct rows drawn uniformly.
    Random,
    /// These exact centres (`k × n_features`).
    Centers(Array2<f64>),
}

/// How the Lloyd iterations are computed; all give the same clustering.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum KMeansAlgorithm {
    /// Lloyd: on the benchmarks in docs/benchmarks.md the vectorised Lloyd
    /// kernel beat Hamerly's bounds, so that is what `Auto` runs.
    #[default]
    Auto,
    /// Every row against every centre in each iteration (the vectorised kernel).
    Lloyd,
    /// Hamerly's bounds skip rows whose centre cannot have changed.
    Hamerly,
}

/// Unchecked k-means settings; [`KMeansParams::fit`] checks them against the data.
///
/// Names and defaults follow scikit-learn's `KMeans`: `n_init` "auto" (one
/// run for k-means++, ten for random), `max_iter = 300`, `tol = 1e-4`
/// relative to the mean feature variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeansParams {
    n_clusters: usize,
    n_init: Option<usize>,
    /// Maximum iterations.
    pub max_iter: usize,
    /// Relative tolerance.
    pub tol: f64,
    /// Seed.
    pub seed: u64,
    /// Initialisation method.
    pub init: KMeansInit,
    /// The iteration algorithm.
    #[serde(default)]
    pub algorithm: KMeansAlgorithm,
    /// The cancellation token checked between iterations.
    #[serde(skip)]
    pub cancel: CancelToken,
}

impl KMeansParams {
    /// Defaults for `n_clusters` clusters.
    pub fn new(n_clusters: usize) -> Self {
        KMeansParams {
            n_clusters,
            n_init: None,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            cancel: CancelToken::default(),
            init: KMeansInit::KMeansPlusPlus,
            algorithm: KMeansAlgorithm::Auto,
        }
    }

    setters! {
        /// How the iterations are computed.
        algorithm: KMeansAlgorithm;

        /// Number of independent runs; the run with the lowest inertia is kept.
        n_init: Some(usize);

        /// Maximum Lloyd iterations per run.
        max_iter: usize;

        /// Convergence tolerance, relative to the mean per-feature variance of X,
        /// on the sum of squared centre shifts.
        tol: f64;

        /// Stops the fit with [`crate::Error::Cancelled`] once the token is cancelled
        /// (checked between iterations).
        cancel: CancelToken;

        /// Random seed: the same seed gives the same result on any thread count.
        seed: u64;

        /// Initialisation method.
        init: KMeansInit;
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// Runs actually made: `n_init`, or the "auto" rule when unset (1 for
    /// k-means++ and explicit centres, 10 for random).
    pub fn effective_n_init(&self) -> usize {
        match (&self.init, self.n_init) {
            (KMeansInit::Centers(_), _) => 1,
            (_, Some(n)) => n,
            (KMeansInit::Random, None) => 10,
            (KMeansInit::KMeansPlusPlus, None) => 1,
        }
    }

    /// Checks every rule against data of `n_samples × n_features`.
    pub fn check(&self, n_samples: usize, n_features: usize) -> Result<()> {
        let k = self.n_clusters;
        if k == 0 {
            return Err(Error::invalid_parameter("n_clusters", k, "at least 1"));
        }
        if k > n_samples {
            return Err(Error::invalid_parameter(
                "n_clusters",
                k,
                format!("at most n_samples={n_samples} (one sample per cluster at least)"),
            ));
        }
        if self.n_init == Some(0) {
            return Err(Error::invalid_parameter("n_init", 0, "at least 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_parameter("max_iter", 0, "at least 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::invalid_parameter("tol", self.tol, "a finite number >= 0"));
        }
        if let KMeansInit::Centers(c) = &self.init {
            if c.dim() != (k, n_features) {
                return Err(Error::ShapeMismatch {
                    what: "init centers".into(),
                    expected: format!("{k} x {n_features} (n_clusters x n_features)"),
                    found: format!("{} x {}", c.nrows(), c.ncols()),
                });
            }
            check::finite("init centers", c.view())?;
        }
        Ok(())
    }

    /// Fits k-means to the rows of `x` (`f64` or `f32`).
    pub fn fit<F: Element>(&self, x: ArrayView2<'_, F>) -> Result<KMeans<F>> {
        self.check_data(x)?;
        fit(self, x, None)
    }

    /// Fits k-means with a non-negative weight per row.
    pub fn fit_weighted<F: Element>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<KMeans<F>> {
        self.check_data(x)?;
        let w = weights_of(Some(sample_weight), x.nrows())?;
        fit(self, x, w.as_deref())
    }

    fn check_data<F: Element>(&self, x: ArrayView2<'_, F>) -> Result<()> {
        check::non_empty("X", x)?;
        self.check(x.nrows(), x.ncols())?;
        check::finite("X", x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn err(p: KMeansParams, x: ArrayView2<'_, f64>) -> String {
        p.fit(x).unwrap_err().to_string()
    }

    #[test]
    fn distances_that_overflow_are_an_error_not_an_infinite_inertia() {
        let x = array![[0.0, 1.0], [1.0, 0.0], [5.0, 5.0], [6.0, 5.0]] * 1e200;
        let e = err(KMeansParams::new(2).seed(0), x.view());
        assert!(e.contains("overflow to infinity (largest |value| 6e200)"), "{e}");
        assert!(KMeansParams::new(2).seed(0).fit((x * 1e-200).view()).is_ok());
    }

    #[test]
    fn n_clusters_must_be_positive() {
        let x = array![[0.0], [1.0]];
        assert_eq!(
            err(KMeansParams::new(0), x.view()),
            "invalid parameter n_clusters=0: expected at least 1"
        );
    }

    #[test]
    fn n_clusters_must_not_exceed_samples() {
        let x = array![[0.0], [1.0], [2.0]];
        assert_eq!(
            err(KMeansParams::new(5), x.view()),
            "invalid parameter n_clusters=5: expected at most n_samples=3 (one sample per cluster at least)"
        );
    }

    #[test]
    fn n_init_max_iter_and_tol_are_checked() {
        let x = array![[0.0], [1.0]];
        assert!(err(KMeansParams::new(1).n_init(0), x.view()).contains("n_init=0"));
        assert!(err(KMeansParams::new(1).max_iter(0), x.view()).contains("max_iter=0"));
        assert!(err(KMeansParams::new(1).tol(-1.0), x.view()).contains("tol=-1"));
        assert!(err(KMeansParams::new(1).tol(f64::NAN), x.view()).contains("tol=NaN"));
    }

    #[test]
    fn init_centers_must_match_k_and_features() {
        let x = array![[0.0, 1.0], [1.0, 1.0]];
        let p = KMeansParams::new(2).init(KMeansInit::Centers(array![[0.0], [1.0]]));
        assert!(err(p, x.view()).contains("expected 2 x 2"));
    }

    #[test]
    fn nan_in_x_is_rejected() {
        let x = array![[0.0, 1.0], [1.0, f64::INFINITY]];
        assert_eq!(
            err(KMeansParams::new(1), x.view()),
            "X contains a non-finite value (inf) at row 1, column 1"
        );
    }

    #[test]
    fn empty_x_is_rejected() {
        let x = Array2::<f64>::zeros((0, 3));
        assert!(err(KMeansParams::new(1), x.view()).contains("shape 0x3"));
    }

    #[test]
    fn weights_are_checked() {
        let x = array![[0.0], [1.0]];
        let p = KMeansParams::new(1);
        let e = p.fit_weighted(x.view(), array![1.0].view()).unwrap_err();
        assert!(e.to_string().contains("sample_weight"));
        let e = p.fit_weighted(x.view(), array![1.0, -1.0].view()).unwrap_err();
        assert!(e.to_string().contains("-1 at row 1"));
        let e = p.fit_weighted(x.view(), array![0.0, 0.0].view()).unwrap_err();
        assert!(e.to_string().contains("positive total weight"));
    }

    #[test]
    fn n_init_auto_follows_scikit_learn() {
        assert_eq!(KMeansParams::new(3).effective_n_init(), 1);
        assert_eq!(KMeansParams::new(3).init(KMeansInit::Random).effective_n_init(), 10);
        assert_eq!(KMeansParams::new(3).n_init(4).effective_n_init(), 4);
    }
}
