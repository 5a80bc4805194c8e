//! The k-prototypes iterations (Huang 1998) as the kmodes package runs them:
//! points move one at a time and both prototypes they touch are updated at
//! once. Each run is sequential; the `n_init` runs run in parallel.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::init::{cao_modes, huang, mismatches, numeric_draw, random_rows};
use super::params::{KPrototypesInit, KPrototypesParams, check_codes, check_rows};
use crate::check;
use crate::error::{Error, Result};

/// After this many initialisations that leave a cluster empty, the modes are
/// drawn from random rows instead; after [`GIVE_UP_TRIES`] the fit fails
/// (kmodes' `MAX_INIT_TRIES` and `RAISE_INIT_TRIES`).
const RANDOM_AFTER_TRIES: usize = 20;
const GIVE_UP_TRIES: usize = 100;

/// A fitted k-prototypes model: numeric centres and categorical modes.
/// Serialises without the training labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KPrototypes {
    numeric_centroids: Array2<f64>,
    categorical_modes: Array2<u32>,
    gamma: f64,
    cost: f64,
    n_iter: usize,
    converged: bool,
    constant_categorical: Vec<usize>,
    #[serde(skip)]
    labels: Array1<usize>,
}

impl KPrototypes {
    /// Settings for `n_clusters` clusters, to be adjusted and then fitted.
    pub fn params(n_clusters: usize) -> KPrototypesParams {
        KPrototypesParams::new(n_clusters)
    }

    /// Numeric centres, `n_clusters × n_numeric`.
    pub fn numeric_centroids(&self) -> ArrayView2<'_, f64> {
        self.numeric_centroids.view()
    }

    /// Categorical modes (level codes), `n_clusters × n_categorical`.
    pub fn categorical_modes(&self) -> ArrayView2<'_, u32> {
        self.categorical_modes.view()
    }

    /// The weight of one categorical mismatch used in the fit.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// Σ over rows of (squared distance + γ × mismatches) to the nearest prototype.
    pub fn cost(&self) -> f64 {
        self.cost
    }

    /// Passes over the data made by the kept run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the kept run stopped on its own (no move, or no cost decrease)
    /// before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Categorical columns with a single level in the training data. They
    /// never mismatch, so they do not affect the clustering; callers may warn.
    pub fn constant_categorical(&self) -> &[usize] {
        &self.constant_categorical
    }

    /// Training labels (empty after deserialisation).
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.numeric_centroids.nrows()
    }

    /// The nearest prototype of each row (lowest index on ties).
    pub fn predict(&self, numeric: ArrayView2<'_, f64>, categorical: ArrayView2<'_, u32>) -> Result<Array1<usize>> {
        self.check_whole()?;
        check_rows(numeric, categorical)?;
        check::n_features("numeric", numeric, self.numeric_centroids.ncols())?;
        check::n_features("categorical", categorical, self.categorical_modes.ncols())?;
        check::finite("numeric", numeric)?;
        check_codes("categorical", categorical)?;
        let categorical = categorical.as_standard_layout();
        let prototypes = Prototypes {
            numeric: self.numeric_centroids.clone(),
            modes: self.categorical_modes.clone(),
            gamma: self.gamma,
        };
        let labels: Vec<usize> = (0..numeric.nrows())
            .into_par_iter()
            .map(|i| prototypes.nearest(numeric.row(i), categorical.row(i)).0)
            .collect();
        Ok(Array1::from(labels))
    }

    /// A model read from a file may not be whole: one centroid and one set
    /// of modes per cluster, finite centroids and a finite, non-negative gamma.
    fn check_whole(&self) -> Result<()> {
        check::non_empty("numeric_centroids", self.numeric_centroids.view())?;
        check::finite("numeric_centroids", self.numeric_centroids.view())?;
        if self.categorical_modes.nrows() != self.numeric_centroids.nrows() {
            return Err(Error::ShapeMismatch {
                what: "categorical_modes of the k-prototypes model (one row per cluster)".into(),
                expected: self.numeric_centroids.nrows().to_string(),
                found: self.categorical_modes.nrows().to_string(),
            });
        }
        if !(self.gamma.is_finite() && self.gamma >= 0.0) {
            return Err(Error::invalid_parameter("gamma", self.gamma, "a finite number ≥ 0"));
        }
        Ok(())
    }
}

/// Fits checked parameters: `effective_n_init` seeded runs in parallel, the
/// lowest cost kept (the first on ties, as kmodes).
pub(super) fn fit(
    params: &KPrototypesParams,
    numeric: ArrayView2<'_, f64>,
    categorical: ArrayView2<'_, u32>,
) -> Result<KPrototypes> {
    let numeric = numeric.as_standard_layout();
    let categorical = categorical.as_standard_layout();
    let data = Data {
        numeric: numeric.view(),
        categorical: categorical.view(),
        levels: levels(categorical.view(), &params.init),
    };
    let gamma = params.gamma.unwrap_or_else(|| default_gamma(data.numeric));
    let mut master = ChaCha8Rng::seed_from_u64(params.seed);
    let seeds: Vec<u64> = (0..params.effective_n_init()).map(|_| master.random()).collect();
    let runs: Vec<Result<KPrototypes>> = seeds.par_iter().map(|&seed| run(params, &data, gamma, seed)).collect();
    let mut best: Option<KPrototypes> = None;
    for r in runs {
        let r = r?;
        if best.as_ref().is_none_or(|b| r.cost < b.cost) {
            best = Some(r);
        }
    }
    let mut model = best.expect("at least one run");
    model.constant_categorical = (0..categorical.ncols())
        .filter(|&a| categorical.column(a).iter().all(|&v| v == categorical[[0, a]]))
        .collect();
    Ok(model)
}

/// kmodes' default: half the mean of the numeric columns' standard
/// deviations (population, ddof = 0).
pub fn default_gamma(numeric: ArrayView2<'_, f64>) -> f64 {
    let n = numeric.nrows() as f64;
    let stds: Vec<f64> = numeric
        .axis_iter(Axis(1))
        .map(|c| {
            let mean = c.sum() / n;
            (c.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
        })
        .collect();
    0.5 * stds.iter().sum::<f64>() / stds.len() as f64
}

/// Number of level codes per categorical column (largest code + 1, given
/// modes included).
fn levels(categorical: ArrayView2<'_, u32>, init: &KPrototypesInit) -> Vec<usize> {
    (0..categorical.ncols())
        .map(|a| {
            let data_max = categorical.column(a).iter().copied().max().unwrap_or(0);
            let init_max = match init {
                KPrototypesInit::Centroids { categorical, .. } => {
                    categorical.column(a).iter().copied().max().unwrap_or(0)
                }
                _ => 0,
            };
            data_max.max(init_max) as usize + 1
        })
        .collect()
}

struct Data<'a> {
    numeric: ArrayView2<'a, f64>,
    categorical: ArrayView2<'a, u32>,
    levels: Vec<usize>,
}

/// Numeric centres, categorical modes and γ: what a dissimilarity needs.
struct Prototypes {
    numeric: Array2<f64>,
    modes: Array2<u32>,
    gamma: f64,
}

impl Prototypes {
    /// (nearest prototype, its dissimilarity), first index on ties.
    fn nearest(&self, numeric: ArrayView1<'_, f64>, categorical: ArrayView1<'_, u32>) -> (usize, f64) {
        let categorical = categorical.as_slice().expect("standard layout");
        let mut best = (0, f64::INFINITY);
        for j in 0..self.numeric.nrows() {
            let squared: f64 = self
                .numeric
                .row(j)
                .iter()
                .zip(numeric)
                .map(|(c, x)| (c - x) * (c - x))
                .sum();
            let mismatch = mismatches(self.modes.row(j).as_slice().expect("standard layout"), categorical);
            let cost = squared + self.gamma * mismatch as f64;
            if cost < best.1 {
                best = (j, cost);
            }
        }
        best
    }
}

/// Cluster state kept up to date as points move: numeric sums, counts,
/// level frequencies per cluster and attribute, and each point's cluster.
struct Clusters {
    sums: Array2<f64>,
    counts: Vec<usize>,
    /// `frequencies[j][a][level]`.
    frequencies: Vec<Vec<Vec<usize>>>,
    membership: Vec<usize>,
}

/// One run: initial prototypes (retrying while a cluster starts empty),
/// then passes of point-by-point moves until nothing moves or the cost
/// stops decreasing.
fn run(params: &KPrototypesParams, data: &Data<'_>, gamma: f64, seed: u64) -> Result<KPrototypes> {
    params.cancel.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut prototypes, mut clusters) = initial_assignment(params, data, gamma, &mut rng)?;
    update_prototypes(&mut prototypes, &clusters);
    let (mut labels, mut cost) = labels_and_cost(&prototypes, data);
    let (mut n_iter, mut converged) = (0, false);
    while n_iter < params.max_iter && !converged {
        params.cancel.check()?;
        n_iter += 1;
        let moves = one_pass(&mut prototypes, &mut clusters, data, &mut rng);
        let (new_labels, new_cost) = labels_and_cost(&prototypes, data);
        converged = moves == 0 || new_cost >= cost;
        (labels, cost) = (new_labels, new_cost);
    }
    Ok(KPrototypes {
        numeric_centroids: prototypes.numeric,
        categorical_modes: prototypes.modes,
        gamma,
        cost,
        n_iter,
        converged,
        constant_categorical: Vec::new(),
        labels: Array1::from(labels),
    })
}

fn initial_assignment(
    params: &KPrototypesParams,
    data: &Data<'_>,
    gamma: f64,
    rng: &mut ChaCha8Rng,
) -> Result<(Prototypes, Clusters)> {
    let k = params.n_clusters();
    for attempt in 1..=GIVE_UP_TRIES {
        let modes = match &params.init {
            KPrototypesInit::Centroids { numeric, categorical } => {
                let prototypes = Prototypes {
                    numeric: numeric.clone(),
                    modes: categorical.clone(),
                    gamma,
                };
                return match assign_all(&prototypes, data) {
                    Some(clusters) => Ok((prototypes, clusters)),
                    None => Err(Error::invalid_parameter(
                        "init",
                        "the given centroids",
                        "prototypes that each attract at least one row (one cluster starts empty)",
                    )),
                };
            }
            _ if attempt > RANDOM_AFTER_TRIES => random_rows(data.categorical, k, rng),
            KPrototypesInit::Cao => cao_modes(data.categorical, k),
            KPrototypesInit::Huang => huang(data.categorical, k, rng),
        };
        let prototypes = Prototypes {
            numeric: numeric_draw(data.numeric, k, rng),
            modes,
            gamma,
        };
        if let Some(clusters) = assign_all(&prototypes, data) {
            return Ok((prototypes, clusters));
        }
    }
    Err(Error::InsufficientData {
        what: format!(
            "k-prototypes could not start: {GIVE_UP_TRIES} initialisations each left a cluster empty; \
             give the initial centroids, or lower n_clusters={k}"
        ),
    })
}

/// Assigns every row to its nearest prototype, accumulating the cluster
/// state; `None` when a cluster stays empty.
fn assign_all(prototypes: &Prototypes, data: &Data<'_>) -> Option<Clusters> {
    let k = prototypes.numeric.nrows();
    let mut clusters = Clusters {
        sums: Array2::zeros((k, data.numeric.ncols())),
        counts: vec![0; k],
        frequencies: vec![data.levels.iter().map(|&l| vec![0; l]).collect(); k],
        membership: vec![0; data.numeric.nrows()],
    };
    for (i, (x, c)) in data.numeric.outer_iter().zip(data.categorical.outer_iter()).enumerate() {
        let (j, _) = prototypes.nearest(x, c);
        clusters.membership[i] = j;
        clusters.counts[j] += 1;
        clusters.sums.row_mut(j).iter_mut().zip(x).for_each(|(s, v)| *s += v);
        for (a, &v) in c.iter().enumerate() {
            clusters.frequencies[j][a][v as usize] += 1;
        }
    }
    clusters.counts.iter().all(|&c| c > 0).then_some(clusters)
}

/// Means and modes of the clusters (modes: most frequent level, lowest code on ties).
fn update_prototypes(prototypes: &mut Prototypes, clusters: &Clusters) {
    for (j, &count) in clusters.counts.iter().enumerate() {
        for f in 0..prototypes.numeric.ncols() {
            prototypes.numeric[[j, f]] = clusters.sums[[j, f]] / count as f64;
        }
        for (a, frequency) in clusters.frequencies[j].iter().enumerate() {
            prototypes.modes[[j, a]] = most_frequent(frequency);
        }
    }
}

fn most_frequent(frequency: &[usize]) -> u32 {
    let mut best = 0;
    for (level, &f) in frequency.iter().enumerate() {
        if f > frequency[best] {
            best = level;
        }
    }
    best as u32
}

/// Each row's nearest prototype and the total cost, summed in row order.
fn labels_and_cost(prototypes: &Prototypes, data: &Data<'_>) -> (Vec<usize>, f64) {
    let mut cost = 0.0;
    let labels = data
        .numeric
        .outer_iter()
        .zip(data.categorical.outer_iter())
        .map(|(x, c)| {
            let (j, d) = prototypes.nearest(x, c);
            cost += d;
            j
        })
        .collect();
    (labels, cost)
}

/// One pass of point-by-point moves; returns the number of moves.
fn one_pass(prototypes: &mut Prototypes, clusters: &mut Clusters, data: &Data<'_>, rng: &mut ChaCha8Rng) -> usize {
    let mut moves = 0;
    for i in 0..data.numeric.nrows() {
        let (to, _) = prototypes.nearest(data.numeric.row(i), data.categorical.row(i));
        let from = clusters.membership[i];
        if to == from {
            continue;
        }
        moves += 1;
        move_point(prototypes, clusters, data, i, to, from);
        for c in [to, from] {
            let count = clusters.counts[c];
            for f in 0..prototypes.numeric.ncols() {
                prototypes.numeric[[c, f]] = if count > 0 {
                    clusters.sums[[c, f]] / count as f64
                } else {
                    0.0
                };
            }
        }
        if clusters.counts[from] == 0 {
            // Refill the emptied cluster with a random row of the largest one.
            // As in kmodes, its numeric centre is left as is until it next changes.
            let largest = (0..clusters.counts.len()).fold(0, |best, j| {
                if clusters.counts[j] > clusters.counts[best] {
                    j
                } else {
                    best
                }
            });
            let members: Vec<usize> = (0..clusters.membership.len())
                .filter(|&r| clusters.membership[r] == largest)
                .collect();
            let r = members[rng.random_range(0..members.len())];
            move_point(prototypes, clusters, data, r, from, largest);
        }
    }
    moves
}

/// Moves row `i` from cluster `from` to `to`, updating sums, counts,
/// frequencies and modes exactly as kmodes' `_move_point_num` and
/// `_move_point_cat` do.
fn move_point(prototypes: &mut Prototypes, clusters: &mut Clusters, data: &Data<'_>, i: usize, to: usize, from: usize) {
    for (f, &v) in data.numeric.row(i).iter().enumerate() {
        clusters.sums[[to, f]] += v;
        clusters.sums[[from, f]] -= v;
    }
    clusters.counts[to] += 1;
    clusters.counts[from] -= 1;
    clusters.membership[i] = to;
    for (a, &v) in data.categorical.row(i).iter().enumerate() {
        let level = v as usize;
        let to_frequency = &mut clusters.frequencies[to][a];
        to_frequency[level] += 1;
        // The new level replaces the mode only when strictly more frequent.
        if to_frequency[prototypes.modes[[to, a]] as usize] < to_frequency[level] {
            prototypes.modes[[to, a]] = v;
        }
        let from_frequency = &mut clusters.frequencies[from][a];
        from_frequency[level] -= 1;
        if prototypes.modes[[from, a]] == v {
            prototypes.modes[[from, a]] = most_frequent(from_frequency);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Two groups, separated both numerically and by their categories.
    fn mixed(n: usize, seed: u64) -> (Array2<f64>, Array2<u32>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let numeric = Array2::from_shape_fn((n, 2), |(i, _)| (i % 2) as f64 * 5.0 + rng.random::<f64>());
        let categorical = Array2::from_shape_fn((n, 2), |(i, a)| {
            if rng.random::<f64>() < 0.9 {
                ((i % 2) * 2 + a) as u32
            } else {
                rng.random_range(0..4)
            }
        });
        (numeric, categorical)
    }

    #[test]
    fn a_cancelled_token_stops_the_fit() {
        let (x, c) = mixed(200, 1);
        let token = crate::CancelToken::new();
        token.cancel();
        let fitted = KPrototypes::params(2).cancel(token).fit(x.view(), c.view());
        assert!(matches!(fitted, Err(Error::Cancelled)));
    }

    #[test]
    fn separates_mixed_groups_with_both_inits() {
        let (x, c) = mixed(200, 1);
        for init in [KPrototypesInit::Cao, KPrototypesInit::Huang] {
            let m = KPrototypes::params(2)
                .init(init.clone())
                .seed(3)
                .fit(x.view(), c.view())
                .unwrap();
            for i in 0..200 {
                assert_eq!(m.labels()[i], m.labels()[i % 2], "{init:?} row {i}");
            }
            assert_eq!(m.predict(x.view(), c.view()).unwrap(), m.labels());
            assert!(m.converged());
            let g = m.labels()[1];
            assert!((m.numeric_centroids()[[g, 0]] - 5.5).abs() < 0.2);
            assert_eq!(m.categorical_modes().row(g).to_vec(), vec![2, 3]);
        }
    }

    #[test]
    fn cost_is_squared_distance_plus_gamma_times_mismatches() {
        let x = array![[0.0], [1.0], [10.0], [11.0]];
        let c = array![[0u32], [1], [2], [2]];
        let m = KPrototypes::params(2)
            .gamma(2.0)
            .init(KPrototypesInit::Centroids {
                numeric: array![[0.0], [10.0]],
                categorical: array![[0u32], [2]],
            })
            .fit(x.view(), c.view())
            .unwrap();
        assert_eq!(m.labels().to_vec(), vec![0, 0, 1, 1]);
        // Centres 0.5 and 10.5; cluster 0's mode is level 0 (lowest code on a tie).
        assert!((m.cost() - (4.0 * 0.25 + 2.0)).abs() < 1e-12, "{}", m.cost());
        assert_eq!(m.gamma(), 2.0);
    }

    #[test]
    fn default_gamma_is_half_the_mean_column_std() {
        let x = array![[0.0, 0.0], [2.0, 4.0]];
        assert!((default_gamma(x.view()) - 0.5 * 1.5).abs() < 1e-15);
    }

    #[test]
    fn a_single_level_column_is_reported_and_harmless() {
        let (x, mut c) = mixed(100, 2);
        c.column_mut(1).fill(7);
        let m = KPrototypes::params(2).seed(1).fit(x.view(), c.view()).unwrap();
        assert_eq!(m.constant_categorical(), &[1]);
        let without = KPrototypes::params(2)
            .seed(1)
            .fit(x.view(), c.slice(ndarray::s![.., ..1]))
            .unwrap();
        assert_eq!(m.labels(), without.labels());
        assert!((m.cost() - without.cost()).abs() < 1e-9);
    }

    #[test]
    fn given_centroids_that_leave_a_cluster_empty_are_an_error() {
        let x = array![[0.0], [1.0]];
        let c = array![[0u32], [0]];
        let e = KPrototypes::params(2)
            .init(KPrototypesInit::Centroids {
                numeric: array![[0.5], [100.0]],
                categorical: array![[0u32], [1]],
            })
            .fit(x.view(), c.view())
            .unwrap_err();
        assert!(e.to_string().contains("one cluster starts empty"), "{e}");
    }

    #[test]
    fn identical_on_one_and_many_threads_and_serde_round_trip() {
        let (x, c) = mixed(500, 4);
        let fit_on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                KPrototypes::params(4)
                    .init(KPrototypesInit::Huang)
                    .seed(9)
                    .n_init(6)
                    .fit(x.view(), c.view())
                    .unwrap()
            })
        };
        let one = fit_on(1);
        for threads in [2, 8] {
            let many = fit_on(threads);
            assert_eq!(one, many);
            assert_eq!(one.labels(), many.labels());
        }
        let back: KPrototypes = serde_json::from_str(&serde_json::to_string(&one).unwrap()).unwrap();
        assert_eq!(back.predict(x.view(), c.view()).unwrap(), one.labels());
    }
}
