//! Fitting mini-batch k-means and the fitted model.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::params::MiniBatchKMeansParams;
use crate::cluster::kmeans::init::{kmeans_plus_plus, random_rows};
use crate::cluster::kmeans::kernel::{PackedCenters, Sums, assign};
use crate::cluster::kmeans::{mean_variance, weights_of};
use crate::cluster::{Element, KMeans, KMeansInit};
use crate::error::Result;

/// A mini-batch k-means model: fitted by [`MiniBatchKMeansParams::fit`], or
/// grown batch by batch with [`Self::partial_fit`]. Serialises with serde,
/// and a reloaded model continues `partial_fit` exactly where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "F: Element")]
pub struct MiniBatchKMeans<F: Element = f64> {
    params: MiniBatchKMeansParams,
    centers: Array2<F>,
    counts: Vec<f64>,
    n_steps: usize,
    n_iter: usize,
    converged: bool,
    inertia: f64,
    rows_since_reassign: usize,
    #[serde(skip)]
    labels: Array1<usize>,
}

impl<F: Element> MiniBatchKMeans<F> {
    pub(super) fn empty(params: MiniBatchKMeansParams) -> Self {
        MiniBatchKMeans {
            params,
            centers: Array2::from_elem((0, 0), F::ZERO),
            counts: Vec::new(),
            n_steps: 0,
            n_iter: 0,
            converged: false,
            inertia: f64::NAN,
            rows_since_reassign: 0,
            labels: Array1::zeros(0),
        }
    }

    /// Cluster centres (`0 × 0` before the first batch).
    pub fn centers(&self) -> ArrayView2<'_, F> {
        self.centers.view()
    }

    /// Labels of the rows of the last `fit` or `partial_fit` call.
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// Inertia of the rows of the last `fit` or `partial_fit` call.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Passes over the data (`fit`), counted as scikit-learn does.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Batches processed so far.
    pub fn n_steps(&self) -> usize {
        self.n_steps
    }

    /// Whether `fit` stopped on `tol` or on lack of improvement rather than `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Total weight each centre has absorbed.
    pub fn counts(&self) -> &[f64] {
        &self.counts
    }

    /// The nearest centre of each row.
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array1<usize>> {
        self.as_kmeans()?.predict(x)
    }

    /// Euclidean distance of each row to each centre.
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.as_kmeans()?.transform(x)
    }

    /// Opposite of the (weighted) inertia of `x`.
    pub fn score(&self, x: ArrayView2<'_, F>, sample_weight: Option<ArrayView1<'_, F>>) -> Result<f64> {
        self.as_kmeans()?.score(x, sample_weight)
    }

    /// Updates the centres with one batch (initialising them from it first).
    pub fn partial_fit(&mut self, x: ArrayView2<'_, F>, sample_weight: Option<ArrayView1<'_, F>>) -> Result<()> {
        if self.counts.is_empty() {
            self.params.check_data(x)?;
        } else {
            crate::check::n_features("X", x, self.centers.ncols())?;
            crate::check::finite("X", x)?;
        }
        let w = weights_of(sample_weight, x.nrows())?;
        let x = x.as_standard_layout();
        if self.counts.is_empty() {
            let mut rng = stream(self.params.seed, 0);
            self.centers = initial_centers(&self.params, x.view(), w.as_deref(), &mut rng);
            self.counts = vec![0.0; self.params.n_clusters];
        }
        let mut rng = stream(self.params.seed, self.n_steps as u64 + 1);
        self.step(x.view(), w.as_deref(), &mut rng);
        self.n_steps += 1;
        self.label(x.view(), w.as_deref());
        Ok(())
    }

    /// Moves each centre towards the mean of its batch rows with learning
    /// rate (batch weight) / (total weight seen); reassigns starved centres.
    /// Returns the batch inertia (before the move) and Σ‖shift‖².
    fn step(&mut self, batch: ArrayView2<'_, F>, w: Option<&[F]>, rng: &mut ChaCha8Rng) -> (f64, f64) {
        let mut labels = vec![0; batch.nrows()];
        let (partial, _) = assign(
            batch,
            w,
            &PackedCenters::new(self.centers.view()),
            &mut labels,
            Sums::All,
            true,
        );
        let old = self.centers.clone();
        for (j, mut center) in self.centers.outer_iter_mut().enumerate() {
            let added = partial.weights()[j];
            if added > 0.0 {
                let total = self.counts[j] + added;
                for (c, s) in center.iter_mut().zip(partial.sum(j)) {
                    *c = F::from_f64((c.to_f64() * self.counts[j] + s) / total);
                }
                self.counts[j] = total;
            }
        }
        self.reassign_starved(batch, rng);
        let shift = self
            .centers
            .iter()
            .zip(old.iter())
            .map(|(a, b)| (a.to_f64() - b.to_f64()).powi(2))
            .sum();
        (partial.inertia(), shift)
    }

    /// Every 10·k rows, centres with less than `reassignment_ratio` of the
    /// largest weight jump to random distinct rows of the batch (at most half
    /// the batch), taking the smallest weight of the others.
    fn reassign_starved(&mut self, batch: ArrayView2<'_, F>, rng: &mut ChaCha8Rng) {
        self.rows_since_reassign += batch.nrows();
        let k = self.params.n_clusters;
        if self.params.reassignment_ratio <= 0.0 || self.rows_since_reassign <= 10 * k {
            return;
        }
        self.rows_since_reassign = 0;
        let largest = self.counts.iter().copied().fold(0.0, f64::max);
        let mut starved: Vec<usize> = (0..k)
            .filter(|&j| self.counts[j] < self.params.reassignment_ratio * largest)
            .collect();
        starved.truncate(batch.nrows() / 2);
        if starved.is_empty() {
            return;
        }
        let floor = (0..k)
            .filter(|j| !starved.contains(j))
            .map(|j| self.counts[j])
            .fold(f64::INFINITY, f64::min);
        let rows = rand::seq::index::sample(rng, batch.nrows(), starved.len()).into_vec();
        for (&j, &r) in starved.iter().zip(&rows) {
            self.centers.row_mut(j).assign(&batch.row(r));
            self.counts[j] = if floor.is_finite() { floor } else { 0.0 };
        }
    }

    fn label(&mut self, x: ArrayView2<'_, F>, w: Option<&[F]>) {
        let mut labels = vec![0; x.nrows()];
        let centers = PackedCenters::new(self.centers.view());
        self.inertia = assign(x, w, &centers, &mut labels, Sums::Skip, true).0.inertia();
        self.labels = Array1::from(labels);
    }

    fn as_kmeans(&self) -> Result<KMeans<F>> {
        KMeans::from_centers(self.centers.clone())
    }
}

/// The random stream of one step: the same for a seed whatever came before.
fn stream(seed: u64, step: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(step);
    rng
}

/// Initialises on `init_size` random rows, `n_init` times, keeping the
/// centres with the lowest inertia on a random validation batch.
fn initial_centers<F: Element>(
    params: &MiniBatchKMeansParams,
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    rng: &mut ChaCha8Rng,
) -> Array2<F> {
    let n = x.nrows();
    let k = params.n_clusters;
    let init_size = params.init_size.unwrap_or(3 * params.batch_size).max(k).min(n);
    let sample =
        |rng: &mut ChaCha8Rng, size: usize| -> Vec<usize> { (0..size).map(|_| rng.random_range(0..n)).collect() };
    let init_rows = if init_size == n {
        (0..n).collect()
    } else {
        sample(rng, init_size)
    };
    let x_init = x.select(Axis(0), &init_rows);
    let w_init: Option<Vec<F>> = w.map(|w| init_rows.iter().map(|&i| w[i]).collect());
    let validation = sample(rng, params.batch_size.min(n));
    let x_valid = x.select(Axis(0), &validation);
    let w_valid: Option<Vec<F>> = w.map(|w| validation.iter().map(|&i| w[i]).collect());
    let mut best: Option<(f64, Array2<F>)> = None;
    for _ in 0..params.effective_n_init() {
        let centers = match &params.init {
            KMeansInit::Centers(c) => c.mapv(F::from_f64),
            KMeansInit::Random => random_rows(x_init.view(), k, rng),
            KMeansInit::KMeansPlusPlus => kmeans_plus_plus(x_init.view(), w_init.as_deref(), k, rng),
        };
        let mut labels = vec![0; x_valid.nrows()];
        let packed = PackedCenters::new(centers.view());
        let (pass, _) = assign(
            x_valid.view(),
            w_valid.as_deref(),
            &packed,
            &mut labels,
            Sums::Skip,
            true,
        );
        let inertia = pass.inertia();
        if best.as_ref().is_none_or(|(b, _)| inertia < *b) {
            best = Some((inertia, centers));
        }
    }
    best.map(|(_, c)| c).expect("effective_n_init is at least 1")
}

/// Fits on all rows: random batches with replacement, for `max_iter` passes
/// at most, stopping early on `tol` or when the exponentially smoothed batch
/// inertia has not improved for `max_no_improvement` batches (scikit-learn's rules).
pub(super) fn fit<F: Element>(
    params: &MiniBatchKMeansParams,
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
) -> Result<MiniBatchKMeans<F>> {
    let x = x.as_standard_layout();
    let x = x.view();
    let n = x.nrows();
    let batch_size = params.batch_size.min(n);
    let tol = params.tol * mean_variance(x);
    let mut model = MiniBatchKMeans::empty(params.clone());
    model.centers = initial_centers(params, x, w, &mut stream(params.seed, 0));
    model.counts = vec![0.0; params.n_clusters];

    // scikit-learn's count: whole batches within max_iter passes (rounded down),
    // so that n_iter (passes begun) never exceeds max_iter.
    let n_steps = (params.max_iter * n / batch_size).max(1);
    let alpha = (2.0 * batch_size as f64 / (n as f64 + 1.0)).min(1.0);
    let (mut smoothed, mut best, mut stale) = (f64::INFINITY, f64::INFINITY, 0usize);
    for step in 0..n_steps {
        params.cancel.check()?;
        let mut rng = stream(params.seed, step as u64 + 1);
        let rows: Vec<usize> = (0..batch_size).map(|_| rng.random_range(0..n)).collect();
        let batch = x.select(Axis(0), &rows);
        let batch_w: Option<Vec<F>> = w.map(|w| rows.iter().map(|&i| w[i]).collect());
        let (inertia, shift) = model.step(batch.view(), batch_w.as_deref(), &mut rng);
        model.n_steps = step + 1;
        let inertia = inertia / batch_size as f64;
        smoothed = if step == 0 {
            inertia
        } else {
            smoothed * (1.0 - alpha) + inertia * alpha
        };
        if params.tol > 0.0 && shift <= tol {
            model.converged = true;
            break;
        }
        if smoothed < best {
            (best, stale) = (smoothed, 0);
        } else {
            stale += 1;
        }
        if params.max_no_improvement.is_some_and(|m| stale >= m) {
            model.converged = true;
            break;
        }
    }
    model.n_iter = (model.n_steps * batch_size).div_ceil(n);
    model.label(x, w);
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::MiniBatchKMeansParams;
    use ndarray::array;

    fn blobs(n: usize) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        Array2::from_shape_fn((n, 2), |(i, f)| centres[i % 3][f] + rng.random::<f64>() - 0.5)
    }

    #[test]
    fn finds_the_blobs_and_is_close_to_full_kmeans() {
        let x = blobs(3000);
        let mb = MiniBatchKMeans::params(3)
            .batch_size(100)
            .seed(1)
            .fit(x.view())
            .unwrap();
        for i in 0..3000 {
            assert_eq!(mb.labels()[i], mb.labels()[i % 3]);
        }
        let full = KMeans::params(3).seed(1).fit(x.view()).unwrap();
        assert!(
            mb.inertia() < 1.05 * full.inertia(),
            "{} vs {}",
            mb.inertia(),
            full.inertia()
        );
        assert!(mb.n_steps() > 0 && mb.n_iter() >= 1);
    }

    #[test]
    fn max_iter_passes_count_whole_batches_as_scikit_learn_does() {
        // 100 rows in batches of 30 for 10 passes: scikit-learn takes 1000 // 30 = 33
        // steps and reports n_iter_ = ceil(33 * 30 / 100) = 10.
        let mb = MiniBatchKMeans::params(3)
            .batch_size(30)
            .max_iter(10)
            .tol(0.0)
            .max_no_improvement(None)
            .seed(1)
            .fit(blobs(100).view())
            .unwrap();
        assert_eq!((mb.n_steps(), mb.n_iter()), (33, 10));
    }

    #[test]
    fn unit_weights_are_the_unweighted_fit() {
        let x = blobs(3000);
        let params = MiniBatchKMeans::params(3).batch_size(100).seed(3);
        let ones = Array1::ones(3000);
        assert_eq!(
            params.fit(x.view()).unwrap(),
            params.fit_weighted(x.view(), ones.view()).unwrap()
        );
        let kmeans = KMeans::params(3).seed(3);
        let (plain, weighted) = (
            kmeans.fit(x.view()).unwrap(),
            kmeans.fit_weighted(x.view(), ones.view()).unwrap(),
        );
        assert_eq!(plain.centers(), weighted.centers());
        assert_eq!(plain.inertia(), weighted.inertia());
    }

    #[test]
    fn same_seed_same_model_on_any_thread_count() {
        let x = blobs(20_000);
        let fit_on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                MiniBatchKMeans::params(4)
                    .batch_size(5000)
                    .seed(2)
                    .fit(x.view())
                    .unwrap()
            })
        };
        let one = fit_on(1);
        assert_eq!(one, fit_on(2));
        assert_eq!(one, fit_on(8));
    }

    #[test]
    fn a_cancelled_token_stops_the_fit() {
        let token = crate::CancelToken::new();
        token.cancel();
        let params = MiniBatchKMeans::params(3).cancel(token);
        assert!(matches!(params.fit(blobs(3000).view()), Err(crate::Error::Cancelled)));
    }

    #[test]
    fn partial_fit_learns_from_chunks_and_resumes_after_serde() {
        let x = blobs(3000);
        let params = MiniBatchKMeansParams::new(3).seed(4);
        let mut streamed = params.start::<f64>();
        for chunk in x.axis_chunks_iter(Axis(0), 300).take(5) {
            streamed.partial_fit(chunk, None).unwrap();
        }
        let json = serde_json::to_string(&streamed).unwrap();
        let mut resumed: MiniBatchKMeans = serde_json::from_str(&json).unwrap();
        for chunk in x.axis_chunks_iter(Axis(0), 300).skip(5) {
            streamed.partial_fit(chunk, None).unwrap();
            resumed.partial_fit(chunk, None).unwrap();
        }
        assert_eq!(streamed.centers(), resumed.centers());
        assert_eq!(streamed.n_steps(), 10);
        let labels = streamed.predict(x.view()).unwrap();
        for i in 0..3000 {
            assert_eq!(labels[i], labels[i % 3]);
        }
        let err = streamed.partial_fit(array![[1.0, 2.0, 3.0]].view(), None).unwrap_err();
        assert!(err.to_string().contains("number of features"));
    }
}
