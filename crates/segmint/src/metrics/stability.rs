//! Whether segments survive a change of sample: bootstrap stability per
//! segment (Hennig's `clusterboot`) and prediction strength (Tibshirani &
//! Walther 2005).
//!
//! Both refit a clusterer many times, in parallel: stability any [`Refit`]
//! ([`kmeans_refit`], [`method_refit`]), prediction strength any [`FitPlace`]
//! ([`prediction_strength_with`]); [`MethodResampling`] gives any pipeline
//! method as either. Each replicate draws from its own ChaCha8 stream
//! (stream = replicate number) and fits with its own seed, and replicates are
//! combined in order, so results do not depend on the number of threads.

use ndarray::{ArrayView2, Axis};
use rand::Rng;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::CancelToken;
use crate::check;
use crate::cluster::{KMeans, Method, MethodSettings, MixedRows};
use crate::error::{Error, Result};

/// Bootstrap stability of each segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// Mean over replicates of the segment's best Jaccard match (NaN when the
    /// segment never appeared in a resample).
    pub mean_jaccard: Vec<f64>,
    /// Replicates in which the segment dissolved (best Jaccard ≤ 0.5).
    pub dissolved: Vec<usize>,
    /// Bootstrap replicates run.
    pub replicates: usize,
}

/// Prediction strength of a k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionStrength {
    /// Number of clusters.
    pub k: usize,
    /// Mean over the random halvings.
    pub mean: f64,
    /// Standard deviation over the halvings.
    pub sd: f64,
    /// Random halvings made.
    pub splits: usize,
}

/// A clusterer refitted on resamples: rows in, one label per row out, given a seed.
pub trait Refit: Fn(ArrayView2<'_, f64>, u64) -> Result<Vec<usize>> + Sync {}
impl<F: Fn(ArrayView2<'_, f64>, u64) -> Result<Vec<usize>> + Sync> Refit for F {}

/// k-means with `k` clusters and `n_init` runs, as a [`Refit`].
pub fn kmeans_refit(k: usize, n_init: usize) -> impl Refit {
    cancellable_kmeans_refit(k, n_init, CancelToken::default())
}

/// [`kmeans_refit`] that fails with [`Error::Cancelled`] once `cancel` is cancelled.
pub fn cancellable_kmeans_refit(k: usize, n_init: usize, cancel: CancelToken) -> impl Refit {
    move |x: ArrayView2<'_, f64>, seed: u64| {
        let params = KMeans::params(k).n_init(n_init).seed(seed).cancel(cancel.clone());
        Ok(params.fit(x)?.labels().to_vec())
    }
}

/// A clusterer for prediction strength: fits `x` with a seed and returns the
/// labels of `x` and the labels the same fit gives the rows of `other`.
pub trait FitPlace:
    Fn(ArrayView2<'_, f64>, u64, ArrayView2<'_, f64>) -> Result<(Vec<usize>, Vec<usize>)> + Sync
{
}
impl<F: Fn(ArrayView2<'_, f64>, u64, ArrayView2<'_, f64>) -> Result<(Vec<usize>, Vec<usize>)> + Sync> FitPlace for F {}

/// k-means with `k` clusters and `n_init` runs, as a [`FitPlace`].
pub fn kmeans_fit_place(k: usize, n_init: usize) -> impl FitPlace {
    move |x: ArrayView2<'_, f64>, seed: u64, other: ArrayView2<'_, f64>| {
        let model = KMeans::params(k).n_init(n_init).seed(seed).fit(x)?;
        let placed = if other.nrows() == 0 {
            Vec::new()
        } else {
            model.predict(other)?.to_vec()
        };
        Ok((model.labels().to_vec(), placed))
    }
}

/// A pipeline method with `k` clusters (one run) on rows in the encoded
/// layout of [`MixedRows::encoded`]: `n_numeric` numeric columns, then the
/// one-hot columns of categorical columns with `n_levels` levels.
#[derive(Debug, Clone)]
pub struct MethodResampling {
    /// The clustering method.
    pub method: Method,
    /// Number of clusters.
    pub k: usize,
    /// Runs per refit, the lowest cost kept.
    pub n_init: usize,
    /// Numeric columns at the front of each row.
    pub n_numeric: usize,
    /// Levels of each categorical column, one-hot encoded after the numeric ones.
    pub n_levels: Vec<u32>,
    /// Cancels the refits.
    pub cancel: CancelToken,
}

impl MethodResampling {
    fn fit(&self, x: ArrayView2<'_, f64>, seed: u64) -> Result<crate::cluster::ClusterModel> {
        let settings = MethodSettings {
            seed,
            n_init: Some(self.n_init),
            cancel: self.cancel.clone(),
        };
        let codes = MixedRows::decode_categorical(x, self.n_numeric, &self.n_levels);
        self.method.clusterer(self.k, &settings).fit_rows(self.rows(x, &codes))
    }

    fn rows<'r>(&'r self, x: ArrayView2<'r, f64>, codes: &'r ndarray::Array2<u32>) -> MixedRows<'r> {
        MixedRows {
            numeric: x.slice_move(ndarray::s![.., ..self.n_numeric]),
            categorical: codes.view(),
            n_levels: &self.n_levels,
        }
    }

    /// The method as a [`Refit`].
    pub fn refit(&self) -> impl Refit + '_ {
        move |x: ArrayView2<'_, f64>, seed: u64| Ok(self.fit(x, seed)?.labels())
    }

    /// The method as a [`FitPlace`].
    pub fn fit_place(&self) -> impl FitPlace + '_ {
        move |x: ArrayView2<'_, f64>, seed: u64, other: ArrayView2<'_, f64>| {
            let model = self.fit(x, seed)?;
            let placed = if other.nrows() == 0 {
                Vec::new()
            } else {
                let codes = MixedRows::decode_categorical(other, self.n_numeric, &self.n_levels);
                model.predict(self.rows(other, &codes))?
            };
            Ok((model.labels(), placed))
        }
    }
}

/// Any pipeline method with `k` clusters (one run), as a [`Refit`] of rows
/// in the encoded layout of [`MixedRows::encoded`] with `n_numeric`
/// numeric columns and categorical columns of `n_levels` levels.
pub fn method_refit(
    method: Method,
    k: usize,
    n_numeric: usize,
    n_levels: &[u32],
    cancel: CancelToken,
) -> impl Refit + use<> {
    let resampling = MethodResampling {
        method,
        k,
        n_init: 1,
        n_numeric,
        n_levels: n_levels.to_vec(),
        cancel,
    };
    move |x: ArrayView2<'_, f64>, seed: u64| Ok(resampling.fit(x, seed)?.labels())
}

/// Bootstrap stability as in Hennig's `fpc::clusterboot`: `replicates`
/// resamples of the rows drawn with replacement are clustered again with
/// `refit`; each original segment's stability in one replicate is the best
/// Jaccard similarity between its members in the resample (duplicates
/// counted) and any cluster of the refit.
pub fn bootstrap_stability(
    x: ArrayView2<'_, f64>,
    labels: &[usize],
    replicates: usize,
    seed: u64,
    refit: impl Refit,
) -> Result<Stability> {
    let k = checked_segments(x, labels)?;
    if replicates == 0 {
        return Err(Error::invalid_parameter("replicates", 0, "at least 1"));
    }
    let n = x.nrows();
    let per_replicate: Vec<Vec<f64>> = (0..replicates)
        .into_par_iter()
        .map(|b| {
            let mut rng = stream(seed, b);
            let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let refitted = refit(x.select(Axis(0), &rows).view(), replicate_seed(seed, b))?;
            let original: Vec<usize> = rows.iter().map(|&i| labels[i]).collect();
            Ok(best_jaccard(&original, k, &refitted))
        })
        .collect::<Result<_>>()?;
    let mean_jaccard = (0..k)
        .map(|j| {
            let seen: Vec<f64> = per_replicate.iter().map(|r| r[j]).filter(|v| !v.is_nan()).collect();
            seen.iter().sum::<f64>() / seen.len() as f64
        })
        .collect();
    let dissolved = (0..k)
        .map(|j| per_replicate.iter().filter(|r| r[j] <= 0.5).count())
        .collect();
    Ok(Stability {
        mean_jaccard,
        dissolved,
        replicates,
    })
}

/// Prediction strength of k-means with `k` clusters (Tibshirani & Walther
/// 2005, as `fpc::prediction.strength`): over `splits` random halvings, both
/// halves are clustered; for each cluster of the test half, the share of its
/// pairs of rows that the training half's centres also put together; the
/// strength of a halving is the smallest such share (singleton test clusters
/// are left out). k = 1 has strength 1.
pub fn prediction_strength(
    x: ArrayView2<'_, f64>,
    k: usize,
    splits: usize,
    n_init: usize,
    seed: u64,
) -> Result<PredictionStrength> {
    prediction_strength_with(x, k, splits, seed, kmeans_fit_place(k, n_init))
}

/// [`prediction_strength`] of any clusterer of `k` clusters.
pub fn prediction_strength_with(
    x: ArrayView2<'_, f64>,
    k: usize,
    splits: usize,
    seed: u64,
    fit: impl FitPlace,
) -> Result<PredictionStrength> {
    check::finite("X", x)?;
    let n = x.nrows();
    if k == 0 || 2 * k > n {
        return Err(Error::invalid_parameter(
            "k",
            k,
            format!("between 1 and half the number of rows ({})", n / 2),
        ));
    }
    if splits == 0 {
        return Err(Error::invalid_parameter("splits", 0, "at least 1"));
    }
    let strengths: Vec<f64> = (0..splits)
        .into_par_iter()
        .map(|s| {
            if k == 1 {
                return Ok(1.0);
            }
            let mut rows: Vec<usize> = (0..n).collect();
            rows.shuffle(&mut stream(seed, s));
            let (train, test) = rows.split_at(n / 2);
            let (train, test) = (x.select(Axis(0), train), x.select(Axis(0), test));
            let none = x.slice(ndarray::s![..0, ..]);
            let (_, predicted) = fit(train.view(), replicate_seed(seed, 2 * s), test.view())?;
            let (test_labels, _) = fit(test.view(), replicate_seed(seed, 2 * s + 1), none)?;
            Ok(pair_agreement(&test_labels, &predicted, k))
        })
        .collect::<Result<_>>()?;
    let mean = strengths.iter().sum::<f64>() / splits as f64;
    let sd = if splits > 1 {
        (strengths.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (splits - 1) as f64).sqrt()
    } else {
        0.0
    };
    Ok(PredictionStrength { k, mean, sd, splits })
}

/// For each original segment, the best Jaccard similarity with any refitted
/// cluster (NaN when the segment is absent from the resample).
fn best_jaccard(original: &[usize], k: usize, refitted: &[usize]) -> Vec<f64> {
    let kb = refitted.iter().max().map_or(0, |m| m + 1);
    let mut both = vec![0usize; k * kb];
    let mut in_original = vec![0usize; k];
    let mut in_refit = vec![0usize; kb];
    for (&a, &b) in original.iter().zip(refitted) {
        both[a * kb + b] += 1;
        in_original[a] += 1;
        in_refit[b] += 1;
    }
    (0..k)
        .map(|j| {
            if in_original[j] == 0 {
                return f64::NAN;
            }
            (0..kb)
                .map(|l| {
                    let inter = both[j * kb + l];
                    inter as f64 / (in_original[j] + in_refit[l] - inter) as f64
                })
                .fold(0.0, f64::max)
        })
        .collect()
}

/// The smallest, over test clusters of two or more rows, share of the
/// cluster's pairs that `predicted` also puts in one cluster.
fn pair_agreement(test_labels: &[usize], predicted: &[usize], k: usize) -> f64 {
    let mut both = vec![0usize; k * k];
    let mut sizes = vec![0usize; k];
    for (&t, &p) in test_labels.iter().zip(predicted) {
        both[t * k + p] += 1;
        sizes[t] += 1;
    }
    let pairs = |m: usize| (m * m.saturating_sub(1)) as f64;
    (0..k)
        .filter(|&j| sizes[j] > 1)
        .map(|j| (0..k).map(|l| pairs(both[j * k + l])).sum::<f64>() / pairs(sizes[j]))
        .fold(1.0, f64::min)
}

fn checked_segments(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<usize> {
    check::finite("X", x)?;
    if labels.len() != x.nrows() {
        return Err(Error::ShapeMismatch {
            what: "labels (one per row of X)".into(),
            expected: x.nrows().to_string(),
            found: labels.len().to_string(),
        });
    }
    Ok(labels.iter().max().map_or(0, |m| m + 1))
}

fn stream(seed: u64, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    rng
}

/// A distinct, reproducible fitting seed for each replicate.
fn replicate_seed(seed: u64, index: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(index as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn blobs(k: usize, n: usize, spread: f64) -> (Array2<f64>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let labels: Vec<usize> = (0..n).map(|i| i % k).collect();
        let x = Array2::from_shape_fn((n, 2), |(i, f)| {
            10.0 * ((labels[i] + f) % k) as f64 + spread * (rng.random::<f64>() - 0.5)
        });
        (x, labels)
    }

    #[test]
    fn jaccard_of_identical_and_of_split_partitions() {
        assert_eq!(best_jaccard(&[0, 0, 1, 1], 2, &[1, 1, 0, 0]), vec![1.0, 1.0]);
        // Segment 0 split in two halves: best match covers half of it.
        assert_eq!(best_jaccard(&[0, 0, 0, 0, 1], 2, &[0, 0, 1, 1, 2]), vec![0.5, 1.0]);
        assert!(best_jaccard(&[0, 0], 2, &[0, 0])[1].is_nan());
    }

    #[test]
    fn pair_agreement_is_the_worst_cluster() {
        assert_eq!(pair_agreement(&[0, 0, 1, 1], &[1, 1, 0, 0], 2), 1.0);
        // Cluster 0's pairs: (0,1) together, (0,2) and (1,2) apart → 2 of 6 ordered pairs.
        let ps = pair_agreement(&[0, 0, 0, 1, 1], &[0, 0, 1, 1, 1], 2);
        assert!((ps - 2.0 / 6.0).abs() < 1e-12, "{ps}");
    }

    #[test]
    fn separated_blobs_are_stable_and_predictable() {
        let (x, labels) = blobs(3, 300, 1.0);
        let s = bootstrap_stability(x.view(), &labels, 20, 7, kmeans_refit(3, 1)).unwrap();
        assert!(s.mean_jaccard.iter().all(|&j| j > 0.99), "{s:?}");
        assert_eq!(s.dissolved, vec![0, 0, 0]);
        let ps = prediction_strength(x.view(), 3, 10, 1, 7).unwrap();
        assert!(ps.mean > 0.99, "{ps:?}");
    }

    /// Ward and a Gaussian mixture are refitted as themselves, on encoded
    /// rows with a categorical column, and find the separated blobs again.
    #[test]
    fn any_method_is_resampled_as_itself() {
        let (x, labels) = blobs(3, 240, 1.0);
        // The blob as a three-level categorical column too, one-hot at weight √½ after the two numbers.
        let level = std::f64::consts::FRAC_1_SQRT_2;
        let encoded = Array2::from_shape_fn((240, 5), |(i, j)| match j {
            0 | 1 => x[[i, j]],
            _ => f64::from(u8::from(labels[i] == j - 2)) * level,
        });
        for method in [Method::Ward, Method::Gmm, Method::KPrototypes] {
            let resampling = MethodResampling {
                method,
                k: 3,
                n_init: 1,
                n_numeric: 2,
                n_levels: vec![3],
                cancel: CancelToken::default(),
            };
            let s = bootstrap_stability(encoded.view(), &labels, 10, 7, resampling.refit()).unwrap();
            assert!(s.mean_jaccard.iter().all(|&j| j > 0.99), "{method:?}: {s:?}");
            let ps = prediction_strength_with(encoded.view(), 3, 5, 7, resampling.fit_place()).unwrap();
            assert!(ps.mean > 0.99, "{method:?}: {ps:?}");
        }
        // k-means through the contract is the k-means refit with one run.
        let resampling = MethodResampling {
            method: Method::KMeans,
            k: 3,
            n_init: 1,
            n_numeric: 2,
            n_levels: vec![],
            cancel: CancelToken::default(),
        };
        let through_contract = prediction_strength_with(x.view(), 3, 5, 7, resampling.fit_place()).unwrap();
        assert_eq!(through_contract, prediction_strength(x.view(), 3, 5, 1, 7).unwrap());
    }

    #[test]
    fn too_many_clusters_on_structureless_data_are_less_stable() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let x = Array2::from_shape_fn((400, 2), |_| rng.random::<f64>());
        let labels = KMeans::params(6).seed(1).fit(x.view()).unwrap().labels().to_vec();
        let s = bootstrap_stability(x.view(), &labels, 20, 7, kmeans_refit(6, 1)).unwrap();
        let mean = s.mean_jaccard.iter().sum::<f64>() / 6.0;
        assert!(mean < 0.9, "{s:?}");
        assert!(prediction_strength(x.view(), 6, 10, 1, 7).unwrap().mean < 0.8);
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let (x, labels) = blobs(4, 200, 8.0);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                (
                    bootstrap_stability(x.view(), &labels, 8, 1, kmeans_refit(4, 2)).unwrap(),
                    prediction_strength(x.view(), 4, 6, 2, 1).unwrap(),
                )
            })
        };
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn a_cancelled_refit_stops_the_bootstrap() {
        let x = Array2::from_shape_fn((60, 2), |(i, j)| (i % 3 * 10 + j) as f64);
        let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let token = CancelToken::new();
        token.cancel();
        let refit = cancellable_kmeans_refit(3, 1, token);
        assert!(matches!(
            bootstrap_stability(x.view(), &labels, 5, 0, refit),
            Err(Error::Cancelled)
        ));
    }

    #[test]
    fn bad_parameters_are_named() {
        let (x, labels) = blobs(2, 10, 1.0);
        let err = bootstrap_stability(x.view(), &labels[..5], 5, 0, kmeans_refit(2, 1)).unwrap_err();
        assert!(err.to_string().contains("labels"), "{err}");
        let err = bootstrap_stability(x.view(), &labels, 0, 0, kmeans_refit(2, 1)).unwrap_err();
        assert!(err.to_string().contains("replicates=0"), "{err}");
        let err = prediction_strength(x.view(), 6, 5, 1, 0).unwrap_err();
        assert!(err.to_string().contains("k=6"), "{err}");
    }
}
