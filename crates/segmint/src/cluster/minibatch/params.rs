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

    /// Rows per batch.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Maximum passes over the data (epochs).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Stop when the squared centre shift of one batch falls to `tol` × mean
    /// feature variance (0 disables it, the default).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Stop after this many batches without improvement of the smoothed
    /// batch inertia (`None` disables it).
    pub fn max_no_improvement(mut self, batches: Option<usize>) -> Self {
        self.max_no_improvement = batches;
        self
    }

    /// Initialisation.
    pub fn init(mut self, init: KMeansInit) -> Self {
        self.init = init;
        self
    }

    /// Rows sampled for the initialisation (default 3 × batch_size, at least k).
    pub fn init_size(mut self, init_size: usize) -> Self {
        self.init_size = Some(init_size);
        self
    }

    /// Initialisations tried (default 1 for k-means++, 3 for random), the
    /// best on a validation batch kept.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = Some(n_init);
        self
    }

    /// Centres whose weight falls below this share of the largest are moved
    /// to random rows of the batch from time to time.
    pub fn reassignment_ratio(mut self, ratio: f64) -> Self {
        self.reassignment_ratio = ratio;
        self
    }

    /// Seed: batches, initialisation and reassignments depend only on it.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Stops the fit with [`crate::Error::Cancelled`] once `token` is cancelled
    /// (checked before each batch).
    pub fn cancel(mut self, token: CancelToken) -> Self {
        self.cancel = token;
        self
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
