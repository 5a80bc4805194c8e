//! Fitting k-means: seeding, the Lloyd loop, and the fitted model.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{KMeansInit, KMeansParams};
use crate::check;
use crate::error::{Error, Result};

/// Rows per parallel task. Fixed, so that partial sums are added in the same
/// order whatever the number of threads.
pub const BLOCK_ROWS: usize = 4096;

/// A fitted k-means model.
///
/// Serialises to JSON (centres and fit diagnostics) so it can score new data
/// later; the training labels are not serialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KMeans {
    centers: Array2<f64>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    #[serde(skip)]
    labels: Array1<usize>,
}

impl KMeans {
    /// Settings for `n_clusters` clusters, to be adjusted and then fitted.
    pub fn params(n_clusters: usize) -> KMeansParams {
        KMeansParams::new(n_clusters)
    }

    /// A model that assigns to the given centres (no fitting).
    pub fn from_centers(centers: Array2<f64>) -> Result<Self> {
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

    /// Cluster centres, `n_clusters × n_features`.
    pub fn centers(&self) -> ArrayView2<'_, f64> {
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
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        self.check_input(x)?;
        let x = x.as_standard_layout();
        let mut labels = vec![0; x.nrows()];
        lloyd_pass(x.view(), None, self.centers.view(), &mut labels);
        Ok(Array1::from(labels))
    }

    /// Euclidean distance of each row to each centre (`n_samples × n_clusters`).
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        self.check_input(x)?;
        let mut out = Array2::zeros((x.nrows(), self.n_clusters()));
        out.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(x.axis_iter(Axis(0)))
            .for_each(|(mut d, row)| {
                for (j, c) in self.centers.axis_iter(Axis(0)).enumerate() {
                    d[j] = squared_distance(row.iter(), c.iter()).sqrt();
                }
            });
        Ok(out)
    }

    /// Opposite of the inertia of `x` against the centres (higher is better).
    pub fn score(&self, x: ArrayView2<'_, f64>, sample_weight: Option<ArrayView1<'_, f64>>) -> Result<f64> {
        self.check_input(x)?;
        let x = x.as_standard_layout();
        let mut labels = vec![0; x.nrows()];
        Ok(-lloyd_pass(x.view(), sample_weight, self.centers.view(), &mut labels).inertia)
    }

    /// The same model with its clusters renumbered: new cluster `i` is old
    /// cluster `order[i]`. Training labels follow.
    pub fn reordered(&self, order: &[usize]) -> Result<KMeans> {
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

    fn check_input(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        check::n_features("X", x, self.n_features())?;
        check::finite("X", x)
    }
}

/// Fits checked parameters: `n_init` seeded runs in parallel, lowest inertia kept.
pub(super) fn fit(params: &KMeansParams, x: ArrayView2<'_, f64>, w: Option<ArrayView1<'_, f64>>) -> Result<KMeans> {
    let x = x.as_standard_layout();
    let x = x.view();
    let tol = params.get_tol() * mean_variance(x);
    let mut master = ChaCha8Rng::seed_from_u64(params.get_seed());
    let seeds: Vec<u64> = (0..params.effective_n_init()).map(|_| master.random()).collect();
    let runs: Vec<KMeans> = seeds
        .par_iter()
        .map(|&seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let centers = initial_centers(params, x, w, &mut rng);
            lloyd(x, w, centers, params.get_max_iter(), tol)
        })
        .collect();
    let best = runs
        .into_iter()
        .reduce(|best, run| if run.inertia < best.inertia { run } else { best })
        .expect("effective_n_init is at least 1");
    Ok(best)
}

fn initial_centers(
    params: &KMeansParams,
    x: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
    rng: &mut ChaCha8Rng,
) -> Array2<f64> {
    let k = params.n_clusters();
    match params.get_init() {
        KMeansInit::Centers(c) => c.clone(),
        KMeansInit::Random => {
            let idx = rand::seq::index::sample(rng, x.nrows(), k).into_vec();
            x.select(Axis(0), &idx)
        }
        KMeansInit::KMeansPlusPlus => kmeans_plus_plus(x, w, k, rng),
    }
}

/// Greedy k-means++: each step draws `2 + ⌊ln k⌋` candidates with probability
/// ∝ weight × D², and keeps the one that lowers the potential most.
fn kmeans_plus_plus(
    x: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Array2<f64> {
    let n = x.nrows();
    let weight = |i: usize| w.map_or(1.0, |w| w[i]);
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let mut centers = Array2::zeros((k, x.ncols()));

    let first = match w {
        None => rng.random_range(0..n),
        Some(w) => sample_cumulative(&cumulative(n, |i| w[i]), rng.random::<f64>() * w.sum()),
    };
    centers.row_mut(0).assign(&x.row(first));
    let mut closest = distances_to(x, x.row(first));
    let mut potential = block_sum(n, |i| weight(i) * closest[i]);

    for c in 1..k {
        let cumsum = cumulative(n, |i| weight(i) * closest[i]);
        let candidates: Vec<usize> = (0..n_trials)
            .map(|_| sample_cumulative(&cumsum, rng.random::<f64>() * potential))
            .collect();
        let (best, best_potential) = candidates
            .iter()
            .map(|&cand| {
                let row = x.row(cand);
                let pot = block_sum(n, |i| {
                    weight(i) * closest[i].min(squared_distance(x.row(i).iter(), row.iter()))
                });
                (cand, pot)
            })
            .fold((candidates[0], f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
        let row = x.row(best);
        closest
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, d)| *d = d.min(squared_distance(x.row(i).iter(), row.iter())));
        potential = best_potential;
        centers.row_mut(c).assign(&row);
    }
    centers
}

/// Running sums of `f(0..n)`.
fn cumulative(n: usize, f: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut total = 0.0;
    (0..n)
        .map(|i| {
            total += f(i);
            total
        })
        .collect()
}

/// The first index whose running sum reaches `r` (numpy's `searchsorted`), clipped to the last.
fn sample_cumulative(cumsum: &[f64], r: f64) -> usize {
    cumsum.partition_point(|&v| v < r).min(cumsum.len() - 1)
}

/// Σ f(i) over 0..n, summed per fixed block and the blocks added in order.
fn block_sum(n: usize, f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let blocks: Vec<f64> = (0..n.div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .map(|b| (b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n)).map(&f).sum())
        .collect();
    blocks.into_iter().sum()
}

fn distances_to(x: ArrayView2<'_, f64>, c: ArrayView1<'_, f64>) -> Vec<f64> {
    (0..x.nrows())
        .into_par_iter()
        .map(|i| squared_distance(x.row(i).iter(), c.iter()))
        .collect()
}

#[inline]
fn squared_distance<'a>(a: impl Iterator<Item = &'a f64>, b: impl Iterator<Item = &'a f64>) -> f64 {
    a.zip(b).map(|(x, c)| (x - c) * (x - c)).sum()
}

/// Mean over features of the population variance: the scale of `tol`.
fn mean_variance(x: ArrayView2<'_, f64>) -> f64 {
    x.axis_iter(Axis(1)).map(|c| c.var(0.0)).sum::<f64>() / x.ncols() as f64
}

/// Lloyd iterations from `centers` (scikit-learn's stopping rules).
fn lloyd(
    x: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
    mut centers: Array2<f64>,
    max_iter: usize,
    tol: f64,
) -> KMeans {
    let n = x.nrows();
    let mut labels = vec![0usize; n];
    let mut previous = vec![usize::MAX; n];
    let mut strict = false;
    let mut converged = false;
    let mut n_iter = 0;
    for _ in 0..max_iter {
        n_iter += 1;
        let mut pass = lloyd_pass(x, w, centers.view(), &mut labels);
        relocate_empty_clusters(x, w, centers.view(), &labels, &mut pass);
        let new_centers = pass.centers(centers.view());
        let shift: f64 = (&new_centers - &centers).mapv(|v| v * v).sum();
        centers = new_centers;
        if labels == previous {
            strict = true;
            converged = true;
            break;
        }
        if shift <= tol {
            converged = true;
            break;
        }
        previous.copy_from_slice(&labels);
    }
    // Labels must belong to the final centres.
    let inertia = if strict {
        inertia_of(x, w, centers.view(), &labels)
    } else {
        lloyd_pass(x, w, centers.view(), &mut labels).inertia
    };
    KMeans {
        centers,
        inertia,
        n_iter,
        converged,
        labels: Array1::from(labels),
    }
}

/// Weighted sums, weights and inertia of one assignment pass.
#[derive(Debug, Clone)]
struct Pass {
    k: usize,
    d: usize,
    sums: Vec<f64>,
    weights: Vec<f64>,
    inertia: f64,
}

impl Pass {
    fn zeros(k: usize, d: usize) -> Self {
        Pass {
            k,
            d,
            sums: vec![0.0; k * d],
            weights: vec![0.0; k],
            inertia: 0.0,
        }
    }

    fn merge(mut self, other: Pass) -> Pass {
        self.sums.iter_mut().zip(&other.sums).for_each(|(a, b)| *a += b);
        self.weights.iter_mut().zip(&other.weights).for_each(|(a, b)| *a += b);
        self.inertia += other.inertia;
        self
    }

    /// Means of the assigned rows; a cluster with no weight keeps its old centre.
    fn centers(&self, old: ArrayView2<'_, f64>) -> Array2<f64> {
        Array2::from_shape_fn((self.k, self.d), |(j, f)| {
            if self.weights[j] > 0.0 {
                self.sums[j * self.d + f] / self.weights[j]
            } else {
                old[[j, f]]
            }
        })
    }
}

/// Assigns every row to its nearest centre and accumulates the new sums.
fn lloyd_pass(
    x: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
    centers: ArrayView2<'_, f64>,
    labels: &mut [usize],
) -> Pass {
    let (k, d) = centers.dim();
    let centers = centers.as_standard_layout();
    let c = centers.as_slice().expect("standard layout");
    let data = x.as_slice().expect("x is in standard layout");
    labels
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .map(|(b, block)| {
            let mut pass = Pass::zeros(k, d);
            for (r, label) in block.iter_mut().enumerate() {
                let i = b * BLOCK_ROWS + r;
                let row = &data[i * d..(i + 1) * d];
                let (best, dist) = nearest(row, c, d);
                let weight = w.map_or(1.0, |w| w[i]);
                *label = best;
                pass.weights[best] += weight;
                pass.inertia += weight * dist;
                for (s, v) in pass.sums[best * d..(best + 1) * d].iter_mut().zip(row) {
                    *s += weight * v;
                }
            }
            pass
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(Pass::zeros(k, d), Pass::merge)
}

/// Index and squared distance of the nearest centre (first one on ties).
#[inline]
fn nearest(row: &[f64], centers: &[f64], d: usize) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, c) in centers.chunks_exact(d).enumerate() {
        let dist = squared_distance(row.iter(), c.iter());
        if dist < best.1 {
            best = (j, dist);
        }
    }
    best
}

fn inertia_of(
    x: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
    centers: ArrayView2<'_, f64>,
    labels: &[usize],
) -> f64 {
    block_sum(x.nrows(), |i| {
        w.map_or(1.0, |w| w[i]) * squared_distance(x.row(i).iter(), centers.row(labels[i]).iter())
    })
}

/// Gives each empty cluster one of the rows farthest from their centre, moving
/// that row's weight out of its old cluster's sums (as scikit-learn does).
fn relocate_empty_clusters(
    x: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
    centers: ArrayView2<'_, f64>,
    labels: &[usize],
    pass: &mut Pass,
) {
    let empty: Vec<usize> = (0..pass.k).filter(|&j| pass.weights[j] == 0.0).collect();
    if empty.is_empty() {
        return;
    }
    let dist: Vec<f64> = (0..x.nrows())
        .into_par_iter()
        .map(|i| squared_distance(x.row(i).iter(), centers.row(labels[i]).iter()))
        .collect();
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    order.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
    let d = pass.d;
    for (&cluster, &far) in empty.iter().zip(&order) {
        let weight = w.map_or(1.0, |w| w[far]);
        let old = labels[far];
        for (f, v) in x.row(far).iter().enumerate() {
            pass.sums[old * d + f] -= weight * v;
            pass.sums[cluster * d + f] = weight * v;
        }
        pass.weights[old] -= weight;
        pass.weights[cluster] = weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    fn blobs() -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        Array2::from_shape_fn((300, 2), |(i, f)| centres[i % 3][f] + rng.random::<f64>() - 0.5)
    }

    #[test]
    fn separates_well_separated_blobs() {
        let x = blobs();
        let m = KMeans::params(3).seed(1).fit(x.view()).unwrap();
        assert!(m.converged());
        for i in 0..300 {
            assert_eq!(m.labels()[i], m.labels()[i % 3]);
        }
        assert!(m.inertia() < 300.0 * 0.5, "inertia {}", m.inertia());
    }

    #[test]
    fn same_seed_same_result_and_n_init_keeps_the_best() {
        let x = blobs();
        let a = KMeans::params(4).seed(9).n_init(3).fit(x.view()).unwrap();
        let b = KMeans::params(4).seed(9).n_init(3).fit(x.view()).unwrap();
        assert_eq!(a, b);
        let one = KMeans::params(4).seed(9).n_init(1).fit(x.view()).unwrap();
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

    #[test]
    fn weights_move_the_centre() {
        let x = array![[0.0], [1.0]];
        let m = KMeans::params(1)
            .fit_weighted(x.view(), array![1.0, 3.0].view())
            .unwrap();
        assert_abs_diff_eq!(m.centers()[[0, 0]], 0.75);
        assert_abs_diff_eq!(m.inertia(), 0.75 * 0.75 + 3.0 * 0.25 * 0.25);
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
        assert!(m.predict(array![[1.0]].view()).is_err());
    }

    #[test]
    fn identical_on_one_and_many_threads() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let x = Array2::from_shape_fn((3 * BLOCK_ROWS + 17, 3), |_| rng.random::<f64>());
        let fit_on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| KMeans::params(5).seed(4).n_init(2).fit(x.view()).unwrap())
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
