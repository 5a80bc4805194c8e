//! Fitting k-means: the Lloyd loop, its stopping rules, and the fitted model.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::hamerly::hamerly;
use super::init::{kmeans_plus_plus, random_rows};
use super::kernel::{LloydPartial, PackedCenters, Sums, UNASSIGNED, assign, inertia_of};
use super::params::{KMeansAlgorithm, KMeansInit, KMeansParams};
use crate::CancelToken;
use crate::check;
use crate::element::Element;
use crate::error::{Error, Result};

/// A fitted k-means model, over `f64` (default) or `f32` data.
///
/// Serialises to JSON (centres and fit diagnostics) so it can score new data
/// later; the training labels are not serialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "F: Element")]
pub struct KMeans<F: Element = f64> {
    centers: Array2<F>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    #[serde(skip)]
    labels: Array1<usize>,
}

impl KMeans<f64> {
    /// Settings for `n_clusters` clusters, to be adjusted and then fitted.
    pub fn params(n_clusters: usize) -> KMeansParams {
        KMeansParams::new(n_clusters)
    }
}

impl<F: Element> KMeans<F> {
    /// A model that assigns to the given centres (no fitting).
    pub fn from_centers(centers: Array2<F>) -> Result<Self> {
        check::non_empty("centers", centers.view())?;
        check::finite("centers", centers.view())?;
        Ok(KMeans {
            centers,
            inertia: f64::NAN,
            n_iter: 0,
            converged: false,
            labels: Array1::zeros(0),
        })
    }

    pub(super) fn fitted(
        centers: Array2<F>,
        inertia: f64,
        n_iter: usize,
        converged: bool,
        labels: Array1<usize>,
    ) -> Self {
        KMeans {
            centers,
            inertia,
            n_iter,
            converged,
            labels,
        }
    }

    /// Cluster centres, `n_clusters × n_features`.
    pub fn centers(&self) -> ArrayView2<'_, F> {
        self.centers.view()
    }

    /// Training labels (empty after deserialisation or [`Self::from_centers`]).
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// Weighted sum of squared distances of the training rows to their centre.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Lloyd iterations run by the kept run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the kept run met the tolerance before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.centers.nrows()
    }

    /// Number of features the model was fitted on.
    pub fn n_features(&self) -> usize {
        self.centers.ncols()
    }

    /// The nearest centre of each row.
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array1<usize>> {
        self.check_input(x)?;
        let x = x.as_standard_layout();
        let mut labels = vec![0; x.nrows()];
        let centers = PackedCenters::new(self.centers.view());
        assign(x.view(), None, &centers, &mut labels, Sums::Skip, false);
        Ok(Array1::from(labels))
    }

    /// Euclidean distance of each row to each centre (`n_samples × n_clusters`).
    pub fn transform(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.check_input(x)?;
        let mut out = Array2::from_elem((x.nrows(), self.n_clusters()), F::ZERO);
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(x.axis_iter(Axis(0)))
            .for_each(|(mut d, row)| {
                for (j, c) in self.centers.outer_iter().enumerate() {
                    d[j] = F::from_f64(squared_distance(row, c).sqrt());
                }
            });
        Ok(out)
    }

    /// Opposite of the (weighted) inertia of `x` against the centres.
    pub fn score(&self, x: ArrayView2<'_, F>, sample_weight: Option<ArrayView1<'_, F>>) -> Result<f64> {
        self.check_input(x)?;
        let w = weights_of(sample_weight, x.nrows())?;
        let x = x.as_standard_layout();
        let mut labels = vec![0; x.nrows()];
        let centers = PackedCenters::new(self.centers.view());
        let (pass, _) = assign(x.view(), w.as_deref(), &centers, &mut labels, Sums::Skip, true);
        Ok(-pass.inertia())
    }

    /// The same model with its clusters renumbered: new cluster `i` is old
    /// cluster `order[i]`. Training labels follow.
    pub fn reordered(&self, order: &[usize]) -> Result<KMeans<F>> {
        let k = self.n_clusters();
        let mut new_of_old = vec![usize::MAX; k];
        for (new, &old) in order.iter().enumerate() {
            if old < k {
                new_of_old[old] = new;
            }
        }
        if order.len() != k || new_of_old.contains(&usize::MAX) {
            return Err(Error::invalid_parameter(
                "order",
                format!("{order:?}"),
                format!("a permutation of 0..{k}"),
            ));
        }
        Ok(KMeans {
            centers: self.centers.select(Axis(0), order),
            labels: self.labels.mapv(|l| new_of_old[l]),
            ..*self
        })
    }

    /// The rows to place fit the model, and the model itself is whole: a
    /// model read from a file may hold no centre or a non-finite one.
    fn check_input(&self, x: ArrayView2<'_, F>) -> Result<()> {
        check::non_empty("centers", self.centers.view())?;
        check::finite("centers", self.centers.view())?;
        check::n_features("X", x, self.n_features())?;
        check::finite("X", x)
    }
}

/// Sample weights as a contiguous vector, checked.
pub(crate) fn weights_of<F: Element>(w: Option<ArrayView1<'_, F>>, n: usize) -> Result<Option<Vec<F>>> {
    let Some(w) = w else { return Ok(None) };
    if w.len() != n {
        return Err(Error::ShapeMismatch {
            what: "sample_weight (one weight per row of X)".into(),
            expected: n.to_string(),
            found: w.len().to_string(),
        });
    }
    if let Some((i, v)) = w
        .iter()
        .map(|v| v.to_f64())
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && *v >= 0.0))
    {
        return Err(Error::invalid_parameter(
            "sample_weight",
            format!("{v} at row {i}"),
            "finite weights >= 0",
        ));
    }
    if w.iter().map(|v| v.to_f64()).sum::<f64>() <= 0.0 {
        return Err(Error::invalid_parameter(
            "sample_weight",
            "all zero",
            "a positive total weight",
        ));
    }
    // Unit weights are no weights: the same fit as without, to the last bit
    // (the weighted kernels sum in another order and draw the seeding otherwise).
    if w.iter().all(|v| v.to_f64() == 1.0) {
        return Ok(None);
    }
    Ok(Some(w.to_vec()))
}

/// Fits checked parameters: `n_init` seeded runs in parallel, lowest inertia kept.
pub(super) fn fit<F: Element>(params: &KMeansParams, x: ArrayView2<'_, F>, w: Option<&[F]>) -> Result<KMeans<F>> {
    let x = x.as_standard_layout();
    let x = x.view();
    // tol = 0 needs no variance: two passes over X saved.
    let tol = if params.tol > 0.0 {
        params.tol * mean_variance(x)
    } else {
        0.0
    };
    let mut master = ChaCha8Rng::seed_from_u64(params.seed);
    let seeds: Vec<u64> = (0..params.effective_n_init()).map(|_| master.random()).collect();
    let runs: Vec<KMeans<F>> = seeds
        .par_iter()
        .filter(|_| !params.cancel.is_cancelled())
        .map(|&seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let centers = match &params.init {
                KMeansInit::Centers(c) => c.mapv(F::from_f64),
                KMeansInit::Random => random_rows(x, params.n_clusters(), &mut rng),
                KMeansInit::KMeansPlusPlus => kmeans_plus_plus(x, w, params.n_clusters(), &mut rng),
            };
            match params.algorithm {
                KMeansAlgorithm::Auto | KMeansAlgorithm::Lloyd => {
                    lloyd(x, w, centers, params.max_iter, tol, &params.cancel)
                }
                KMeansAlgorithm::Hamerly => hamerly(x, w, centers, params.max_iter, tol, &params.cancel),
            }
        })
        .collect();
    params.cancel.check()?;
    let best = runs
        .into_iter()
        .reduce(|best, run| if run.inertia < best.inertia { run } else { best })
        .expect("effective_n_init is at least 1");
    check_overflow(&best, x)?;
    Ok(best)
}

/// Squared distances of values near 1e155 or beyond overflow to infinity: the
/// clustering is then meaningless, whatever the labels say.
fn check_overflow<F: Element>(model: &KMeans<F>, x: ArrayView2<'_, F>) -> Result<()> {
    if model.inertia.is_finite() {
        return Ok(());
    }
    let largest = x.iter().map(|v| v.to_f64().abs()).fold(0.0, f64::max);
    Err(Error::NumericalFailure {
        what: format!(
            "the squared distances between rows of X overflow to infinity (largest |value| {largest:e}); \
             expected values whose squares stay finite: rescale X (e.g. standardise it)"
        ),
    })
}

/// Mean over features of the population variance: the scale of `tol`.
/// Two passes (mean, then squared deviations) over fixed row blocks.
pub(crate) fn mean_variance<F: Element>(x: ArrayView2<'_, F>) -> f64 {
    let n = x.nrows();
    let d = x.ncols();
    let means: Vec<f64> = column_sums(x, |_, v| v).into_iter().map(|s| s / n as f64).collect();
    let squares = column_sums(x, |c, v| (v - means[c]) * (v - means[c]));
    squares.iter().sum::<f64>() / n as f64 / d as f64
}

/// Σ f(column, value) per column, per fixed block of rows, blocks added in
/// order. `f` is generic, not `dyn`, so it is inlined into the loop instead
/// of being called once per value.
fn column_sums<F: Element>(x: ArrayView2<'_, F>, f: impl Fn(usize, f64) -> f64 + Sync) -> Vec<f64> {
    let d = x.ncols();
    let data = x.as_slice().expect("standard layout");
    let blocks: Vec<Vec<f64>> = data
        .par_chunks(super::BLOCK_ROWS * d)
        .map(|block| {
            let mut sums = vec![0.0; d];
            for row in block.chunks_exact(d) {
                for (c, (s, v)) in sums.iter_mut().zip(row).enumerate() {
                    *s += f(c, v.to_f64());
                }
            }
            sums
        })
        .collect();
    let mut total = vec![0.0; d];
    for b in blocks {
        total.iter_mut().zip(b).for_each(|(t, v)| *t += v);
    }
    total
}

/// Lloyd iterations from `centers`, with scikit-learn's stopping rules:
/// strict convergence when labels repeat, else Σ‖shift‖² ≤ tol.
fn lloyd<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    mut centers: Array2<F>,
    max_iter: usize,
    tol: f64,
    cancel: &CancelToken,
) -> KMeans<F> {
    // No row has a label yet, so the first pass changes them all.
    let mut labels = vec![UNASSIGNED; x.nrows()];
    // Without weights, the sums of the rows under the current labels are
    // kept up to date from the rows that move (weights of 1 cancel exactly;
    // arbitrary f64 weights would not, so weighted data is summed afresh).
    let mut by_label = LloydPartial::zeros(centers.nrows(), x.ncols());
    let (mut strict, mut converged, mut n_iter) = (false, false, 0);
    for _ in 0..max_iter {
        if cancel.is_cancelled() {
            break;
        }
        n_iter += 1;
        let packed = PackedCenters::new(centers.view());
        let (mut pass, changed) = if w.is_none() {
            // The first pass adds every row: the plain summing loop is faster
            // than moving rows one by one, and gives the same bits.
            let sums = if n_iter == 1 { Sums::All } else { Sums::Moved };
            let (moves, changed) = assign(x, w, &packed, &mut labels, sums, false);
            by_label.add(&moves);
            by_label.forget_empty();
            (by_label.clone(), changed)
        } else {
            assign(x, w, &packed, &mut labels, Sums::All, false)
        };
        relocate_empty_clusters(x, w, centers.view(), &labels, &mut pass);
        let new_centers = pass.centers(centers.view());
        let shift: f64 = new_centers
            .iter()
            .zip(centers.iter())
            .map(|(a, b)| (a.to_f64() - b.to_f64()).powi(2))
            .sum();
        centers = new_centers;
        if changed == 0 {
            (strict, converged) = (true, true);
            break;
        }
        if shift <= tol {
            converged = true;
            break;
        }
    }
    // Labels must belong to the final centres; the inertia is summed exactly.
    let inertia = if strict {
        exact_inertia(x, w, centers.view(), &labels)
    } else {
        let centers = PackedCenters::new(centers.view());
        assign(x, w, &centers, &mut labels, Sums::Skip, true).0.inertia()
    };
    KMeans {
        centers,
        inertia,
        n_iter,
        converged,
        labels: Array1::from(labels),
    }
}

fn squared_distance<F: Element>(a: ArrayView1<'_, F>, b: ArrayView1<'_, F>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, c)| (x.to_f64() - c.to_f64()).powi(2))
        .sum()
}

/// Σ w·‖x − c(x)‖² by direct differences, per fixed block, blocks in order.
pub(super) fn exact_inertia<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    centers: ArrayView2<'_, F>,
    labels: &[usize],
) -> f64 {
    let d = x.ncols();
    // A view of x when it already is in standard layout (as in every fit).
    let x = x.as_standard_layout();
    let data = x.as_slice().expect("standard layout");
    let centers = centers.as_standard_layout();
    let by_row = centers.as_slice().expect("standard layout");
    let blocks: Vec<f64> = labels
        .par_chunks(super::BLOCK_ROWS)
        .enumerate()
        .map(|(b, block)| {
            let start = b * super::BLOCK_ROWS;
            let rows = &data[start * d..(start + block.len()) * d];
            let weights = w.map(|w| &w[start..start + block.len()]);
            inertia_of(d, rows, weights, by_row, block)
        })
        .collect();
    blocks.iter().sum()
}

/// Gives each empty cluster one of the rows farthest from their centre
/// (decreasing distance, lowest index first), as scikit-learn does.
///
/// When every row sits on its centre there are more clusters than distinct
/// rows: moving a centre onto a duplicate would only empty another cluster and
/// keep the loop from converging, so the empty clusters stay where they are.
pub(super) fn relocate_empty_clusters<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    centers: ArrayView2<'_, F>,
    labels: &[usize],
    pass: &mut LloydPartial,
) {
    let empty: Vec<usize> = (0..centers.nrows()).filter(|&j| pass.weights()[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let far = farthest(x, centers, labels, empty.len());
    if far.iter().all(|row| row.distance == 0.0) {
        return;
    }
    for (&cluster, row) in empty.iter().zip(&far) {
        let weight = w.map_or(1.0, |w| w[row.row].to_f64());
        pass.relocate(x.row(row.row), weight, row.label, cluster);
    }
}

/// A row far from its centre: where a Lloyd pass relocates an empty cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FarRow {
    /// The row's index in the chunk.
    pub row: usize,
    /// Its squared distance to its centre.
    pub distance: f64,
    /// Its centre (the nearest, as the Lloyd pass assigns it).
    pub label: usize,
}

/// The `m` rows of `x` farthest from their nearest centre, the farthest first
/// and ties to the earlier row: the rows one machine moves into the empty
/// clusters of a Lloyd pass. A distributed fit takes them from every chunk,
/// keeps the `m` farthest overall in the same order, and relocates as one
/// machine does (all distances 0: no relocation).
pub fn farthest_rows<F: Element>(x: ArrayView2<'_, F>, centers: ArrayView2<'_, F>, m: usize) -> Result<Vec<FarRow>> {
    check::non_empty("centers", centers)?;
    check::n_features("X", x, centers.ncols())?;
    check::finite("X", x)?;
    check::finite("centers", centers)?;
    let x = x.as_standard_layout();
    let mut labels = vec![UNASSIGNED; x.nrows()];
    assign(
        x.view(),
        None,
        &PackedCenters::new(centers),
        &mut labels,
        Sums::Skip,
        false,
    );
    Ok(farthest(x.view(), centers, &labels, m))
}

fn farthest<F: Element>(x: ArrayView2<'_, F>, centers: ArrayView2<'_, F>, labels: &[usize], m: usize) -> Vec<FarRow> {
    let dist: Vec<f64> = (0..x.nrows())
        .into_par_iter()
        .map(|i| squared_distance(x.row(i), centers.row(labels[i])))
        .collect();
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    order.par_sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(m)
        .map(|row| FarRow {
            row,
            distance: dist[row],
            label: labels[row],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{KMeansInit, lloyd_step};
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    fn blobs() -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        Array2::from_shape_fn((300, 2), |(i, f)| centres[i % 3][f] + rng.random::<f64>() - 0.5)
    }

    fn uniform(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, d), |_| rng.random::<f64>())
    }

    #[test]
    fn separates_well_separated_blobs() {
        let m = KMeans::params(3).seed(1).fit(blobs().view()).unwrap();
        assert!(m.converged());
        for i in 0..300 {
            assert_eq!(m.labels()[i], m.labels()[i % 3]);
        }
        assert!(m.inertia() < 300.0 * 0.5, "inertia {}", m.inertia());
    }

    #[test]
    fn same_seed_same_result_and_n_init_keeps_the_best() {
        let x = uniform(500, 3, 1);
        let a = KMeans::params(6).seed(9).n_init(4).fit(x.view()).unwrap();
        let b = KMeans::params(6).seed(9).n_init(4).fit(x.view()).unwrap();
        assert_eq!(a, b);
        let one = KMeans::params(6).seed(9).n_init(1).fit(x.view()).unwrap();
        assert!(a.inertia() <= one.inertia());
    }

    #[test]
    fn lloyd_from_given_centres_matches_hand_computation() {
        let x = array![[0.0], [1.0], [4.0], [5.0], [6.0]];
        let m = KMeans::params(2)
            .init(KMeansInit::Centers(array![[0.0], [1.0]]))
            .fit(x.view())
            .unwrap();
        // {0} {1,4,5,6} -> centres 0, 4 -> {0,1} {4,5,6} -> 0.5, 5 -> stable.
        assert_abs_diff_eq!(m.centers(), array![[0.5], [5.0]].view());
        assert_eq!(m.labels().to_vec(), vec![0, 0, 1, 1, 1]);
        assert_abs_diff_eq!(m.inertia(), 0.5 + 2.0);
        assert_eq!(m.n_iter(), 3);
    }

    #[test]
    fn empty_cluster_takes_the_farthest_point() {
        let x = array![[0.0], [1.0], [10.0]];
        let m = KMeans::params(2)
            .init(KMeansInit::Centers(array![[0.0], [100.0]]))
            .fit(x.view())
            .unwrap();
        assert_abs_diff_eq!(m.centers(), array![[0.5], [10.0]].view());
        assert_abs_diff_eq!(m.inertia(), 0.5);
    }

    /// scikit-learn's non-regression test for its issue 28055: started on the
    /// rows themselves, with one row repeated, the fit stops after one pass.
    #[test]
    fn more_clusters_than_distinct_rows_stop_after_one_pass() {
        let x = array![[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0]];
        for algorithm in [KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly] {
            let m = KMeans::params(5)
                .init(KMeansInit::Centers(x.clone()))
                .algorithm(algorithm)
                .fit(x.view())
                .unwrap();
            assert_eq!(m.n_iter(), 1, "{algorithm:?}");
            assert_abs_diff_eq!(m.inertia(), 0.0);
        }
    }

    #[test]
    fn k_equal_to_one_and_to_n() {
        let x = uniform(20, 2, 5);
        let one = KMeans::params(1).fit(x.view()).unwrap();
        assert_abs_diff_eq!(
            one.centers().row(0),
            x.mean_axis(Axis(0)).unwrap().view(),
            epsilon = 1e-12
        );
        let all = KMeans::params(20).seed(3).fit(x.view()).unwrap();
        assert_abs_diff_eq!(all.inertia(), 0.0);
        let mut labels = all.labels().to_vec();
        labels.sort_unstable();
        assert_eq!(labels, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn fewer_distinct_points_than_clusters_still_gives_a_result() {
        let x = array![[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [2.0, 2.0]];
        let m = KMeans::params(3).seed(0).fit(x.view()).unwrap();
        assert_abs_diff_eq!(m.inertia(), 0.0);
        assert_eq!(m.predict(x.view()).unwrap(), m.labels());
    }

    #[test]
    fn weights_move_the_centre_and_zero_weights_are_ignored() {
        let x = array![[0.0], [1.0], [100.0]];
        let m = KMeans::params(1)
            .fit_weighted(x.view(), array![1.0, 3.0, 0.0].view())
            .unwrap();
        assert_abs_diff_eq!(m.centers()[[0, 0]], 0.75);
        assert_abs_diff_eq!(m.inertia(), 0.75 * 0.75 + 3.0 * 0.25 * 0.25);
    }

    #[test]
    fn f32_data_stays_f32_and_agrees_with_f64() {
        let x = blobs();
        let x32 = x.mapv(|v| v as f32);
        let m64 = KMeans::params(3).seed(2).fit(x.view()).unwrap();
        let m32: KMeans<f32> = KMeans::params(3).seed(2).fit(x32.view()).unwrap();
        assert_eq!(m32.labels(), m64.labels());
        assert_abs_diff_eq!(m32.centers().mapv(f64::from), m64.centers(), epsilon = 1e-5);
        assert!((m32.inertia() - m64.inertia()).abs() < 1e-5 * m64.inertia());
    }

    #[test]
    fn predict_transform_score_and_serde_round_trip() {
        let m = KMeans::from_centers(array![[0.0, 0.0], [3.0, 4.0]]).unwrap();
        let x = array![[0.0, 1.0], [3.0, 3.0]];
        assert_eq!(m.predict(x.view()).unwrap().to_vec(), vec![0, 1]);
        assert_abs_diff_eq!(
            m.transform(x.view()).unwrap(),
            array![[1.0, 18f64.sqrt()], [18f64.sqrt(), 1.0]]
        );
        assert_abs_diff_eq!(m.score(x.view(), None).unwrap(), -2.0);
        let fitted = KMeans::params(2).seed(0).fit(blobs().view()).unwrap();
        let back: KMeans = serde_json::from_str(&serde_json::to_string(&fitted).unwrap()).unwrap();
        assert_eq!(back.centers(), fitted.centers());
        assert_eq!(back.predict(blobs().view()).unwrap(), fitted.labels());
        assert!(
            m.predict(array![[1.0]].view())
                .unwrap_err()
                .to_string()
                .contains("number of features")
        );
    }

    #[test]
    fn merged_steps_on_chunks_equal_one_step_on_everything() {
        let x = uniform(10_000, 4, 8);
        let centers = x.slice(ndarray::s![..5, ..]).to_owned();
        let mut all_labels = vec![0; x.nrows()];
        let whole = lloyd_step(x.view(), None, centers.view(), &mut all_labels).unwrap();
        let mut merged = LloydPartial::zeros(5, 4);
        let mut chunk_labels = Vec::new();
        for chunk in x.axis_chunks_iter(Axis(0), 3_000) {
            let mut labels = vec![0; chunk.nrows()];
            merged
                .merge(&lloyd_step(chunk, None, centers.view(), &mut labels).unwrap())
                .unwrap();
            chunk_labels.extend(labels);
        }
        assert_eq!(chunk_labels, all_labels);
        assert_eq!(merged.weights(), whole.weights());
        assert_eq!(merged.n_rows(), 10_000);
        assert!((merged.inertia() - whole.inertia()).abs() < 1e-9 * whole.inertia());
        assert_abs_diff_eq!(
            merged.centers(centers.view()),
            whole.centers(centers.view()),
            epsilon = 1e-12
        );
        assert!(merged.merge(&LloydPartial::zeros(4, 4)).is_err());
        // No centres, or centres without features: an error, not a panic.
        for empty in [Array2::<f64>::zeros((0, 4)), Array2::zeros((5, 0))] {
            let err = lloyd_step(x.view(), None, empty.view(), &mut all_labels).unwrap_err();
            assert!(err.to_string().contains("centers has shape"), "{err}");
        }
    }

    #[test]
    fn hamerly_gives_the_same_clustering_as_lloyd() {
        use crate::cluster::KMeansAlgorithm;
        for (x, k) in [
            (blobs(), 3),
            (uniform(5_000, 3, 21), 7),
            (uniform(3 * super::super::BLOCK_ROWS + 5, 5, 22), 12),
        ] {
            for max_iter in [2, 300] {
                let params = KMeans::params(k).seed(5).max_iter(max_iter);
                let lloyd = params.clone().fit(x.view()).unwrap();
                let hamerly = params.algorithm(KMeansAlgorithm::Hamerly).fit(x.view()).unwrap();
                assert_eq!(lloyd.labels(), hamerly.labels());
                assert_eq!(
                    (lloyd.n_iter(), lloyd.converged()),
                    (hamerly.n_iter(), hamerly.converged())
                );
                assert_abs_diff_eq!(lloyd.centers(), hamerly.centers(), epsilon = 1e-12);
                assert!((lloyd.inertia() - hamerly.inertia()).abs() <= 1e-9 * lloyd.inertia());
            }
        }
    }

    #[test]
    fn identical_on_one_and_many_threads() {
        let x = uniform(3 * super::super::BLOCK_ROWS + 17, 3, 11);
        let w = uniform(x.nrows(), 1, 12).column(0).to_owned();
        let fit_on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                KMeans::params(5)
                    .seed(4)
                    .n_init(2)
                    .fit_weighted(x.view(), w.view())
                    .unwrap()
            })
        };
        let one = fit_on(1);
        for threads in [2, 8] {
            let many = fit_on(threads);
            assert_eq!(one.centers(), many.centers());
            assert_eq!(one.labels(), many.labels());
            assert_eq!(one.inertia().to_bits(), many.inertia().to_bits());
        }
    }
}
