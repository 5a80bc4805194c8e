//! The mini-batch k-means builder and its rules.

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use super::algorithm::{MiniBatchKMeans, fit};
use crate::CancelToken;
use crate::check;
use crate::cluster::kmeans::weights_of;
use crate::cluster::{Element, KMeansInit};
use crate::error::{Error, Result};

/// Unchecked mini-batch k-means settings; names and defaults follow
/// scikit-learn's `MiniBatchKMeans`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MiniBatchKMeansParams {
    pub(super) n_clusters: usize,
    pub(super) batch_size: usize,
    pub(super) max_iter: usize,
    pub(super) tol: f64,
    pub(super) max_no_improvement: Option<usize>,
    pub(super) init: KMeansInit,
    pub(super) init_size: Option<usize>,
    pub(super) n_init: Option<usize>,
    pub(super) reassignment_ratio: f64,
    pub(super) seed: u64,
    #[serde(skip)]
    pub(super) cancel: CancelToken,
}

impl MiniBatchKMeans<f64> {
    /// Settings for `n_clusters` clusters.
    pub fn params(n_clusters: usize) -> MiniBatchKMeansParams {
        MiniBatchKMeansParams::new(n_clusters)
    }
}

impl MiniBatchKMeansParams {
    /// Defaults: batches of 1024, at most 100 passes over the data, stop after
    /// 10 batches without improvement of the smoothed batch inertia.
    pub fn new(n_clusters: usize) -> Self {
        MiniBatchKMeansParams {
            n_clusters,
            batch_size: 1024,
            max_iter: 100,
            tol: 0.0,
            max_no_improvement: Some(10),
            init: KMeansInit::KMeansPlusPlus,
            init_size: None,
            n_init: None,
            reassignment_ratio: 0.01,
            seed: 0,
            cancel: CancelToken::default(),
        }
    }

    setters! {
        /// Rows per batch.
        batch_size: usize;

        /// Maximum passes over the data (epochs).
        max_iter: usize;

        /// Stop when the squared centre shift of one batch falls to `tol` × mean
        /// feature variance (0 disables it, the default).
        tol: f64;

        /// Stop after this many batches without improvement of the smoothed
        /// batch inertia (`None` disables it).
        max_no_improvement: Option<usize>;

        /// Initialisation.
        init: KMeansInit;

        /// Rows sampled for the initialisation (default 3 × batch_size, at least k).
        init_size: Some(usize);

        /// Initialisations tried (default 1 for k-means++, 3 for random), the
        /// best on a validation batch kept.
        n_init: Some(usize);

        /// Centres whose weight falls below this share of the largest are moved
        /// to random rows of the batch from time to time.
        reassignment_ratio: f64;

        /// Seed: batches, initialisation and reassignments depend only on it.
        seed: u64;

        /// Stops the fit with [`crate::Error::Cancelled`] once the token is cancelled
        /// (checked before each batch).
        cancel: CancelToken;
    }

    pub(super) fn effective_n_init(&self) -> usize {
        match (&self.init, self.n_init) {
            (KMeansInit::Centers(_), _) => 1,
            (_, Some(n)) => n,
            (KMeansInit::Random, None) => 3,
            (KMeansInit::KMeansPlusPlus, None) => 1,
        }
    }

    /// Checks every rule against data of `n_samples × n_features`.
    pub fn check(&self, n_samples: usize, n_features: usize) -> Result<()> {
        let base = crate::cluster::KMeansParams::new(self.n_clusters)
            .init(self.init.clone())
            .tol(self.tol)
            .max_iter(self.max_iter);
        let base = match self.n_init {
            Some(n) => base.n_init(n),
            None => base,
        };
        base.check(n_samples, n_features)?;
        if self.batch_size == 0 {
            return Err(Error::invalid_parameter("batch_size", 0, "at least 1"));
        }
        if self.init_size.is_some_and(|s| s < self.n_clusters) {
            return Err(Error::invalid_parameter(
                "init_size",
                self.init_size.unwrap_or_default(),
                format!("at least n_clusters={}", self.n_clusters),
            ));
        }
        if self.max_no_improvement == Some(0) {
            return Err(Error::invalid_parameter("max_no_improvement", 0, "at least 1, or None"));
        }
        if !(self.reassignment_ratio.is_finite() && self.reassignment_ratio >= 0.0) {
            return Err(Error::invalid_parameter(
                "reassignment_ratio",
                self.reassignment_ratio,
                "a finite number >= 0",
            ));
        }
        Ok(())
    }

    /// Fits on all rows of `x`, sampling batches.
    pub fn fit<F: Element>(&self, x: ArrayView2<'_, F>) -> Result<MiniBatchKMeans<F>> {
        self.check_data(x)?;
        fit(self, x, None)
    }

    /// Fits with a non-negative weight per row.
    pub fn fit_weighted<F: Element>(
        &self,
        x: ArrayView2<'_, F>,
        sample_weight: ArrayView1<'_, F>,
    ) -> Result<MiniBatchKMeans<F>> {
        self.check_data(x)?;
        let w = weights_of(Some(sample_weight), x.nrows())?;
        fit(self, x, w.as_deref())
    }

    /// Starts an empty model to be fed with [`MiniBatchKMeans::partial_fit`].
    pub fn start<F: Element>(&self) -> MiniBatchKMeans<F> {
        MiniBatchKMeans::empty(self.clone())
    }

    pub(super) fn check_data<F: Element>(&self, x: ArrayView2<'_, F>) -> Result<()> {
        check::non_empty("X", x)?;
        self.check(x.nrows(), x.ncols())?;
        check::finite("X", x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn rules_are_checked() {
        let x = array![[0.0], [1.0], [2.0]];
        let err = |p: MiniBatchKMeansParams| p.fit(x.view()).unwrap_err().to_string();
        assert!(err(MiniBatchKMeansParams::new(4)).contains("n_clusters=4"));
        assert!(err(MiniBatchKMeansParams::new(2).batch_size(0)).contains("batch_size=0"));
        assert!(err(MiniBatchKMeansParams::new(2).init_size(1)).contains("init_size=1"));
        assert!(err(MiniBatchKMeansParams::new(2).max_no_improvement(Some(0))).contains("max_no_improvement=0"));
        assert!(err(MiniBatchKMeansParams::new(2).reassignment_ratio(-1.0)).contains("reassignment_ratio=-1"));
    }
}
