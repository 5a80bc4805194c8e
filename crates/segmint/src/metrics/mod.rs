//! Cluster validity indices and partition comparisons: pure functions of
//! (X, labels) or of two labellings.
//!
//! Internal indices follow scikit-learn's definitions (so values can be
//! checked against it): [`silhouette_samples`], [`silhouette_score`],
//! [`calinski_harabasz`], [`davies_bouldin`]. Partition comparisons:
//! [`adjusted_rand_index`], [`pair_jaccard`] and [`set_jaccard`]. How much
//! one feature differs across segments: [`eta_squared`], [`kruskal_wallis`].
//! How many clusters the data hold: [`gap_statistic`].
//! Whether segments survive resampling: [`bootstrap_stability`],
//! [`prediction_strength`].

mod compare;
mod distance_sums;
mod effect;
mod gap;
mod internal;
mod stability;

pub use compare::{adjusted_rand_index, pair_jaccard, set_jaccard};
pub use effect::{KruskalWallis, effect_band, eta_squared, kruskal_wallis};
pub use gap::{GapStatistic, gap_statistic};
pub use internal::{calinski_harabasz, davies_bouldin, silhouette_samples, silhouette_score};
pub use stability::{PredictionStrength, Refit, Stability, bootstrap_stability, kmeans_refit, prediction_strength};

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// Customers in each of `k` segments.
pub(crate) fn segment_sizes(labels: &[usize], k: usize) -> Vec<usize> {
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    sizes
}

/// Old segment numbers ordered by decreasing size (ties: lower number
/// first), so that reports read the same for any seed that finds the same segments.
pub(crate) fn largest_first_order(sizes: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(sizes[j]), j));
    order
}

/// A seeded sample of `limit` of `n` rows, in row order (all rows when `n ≤ limit`).
pub(crate) fn sampled_rows(n: usize, limit: usize, seed: u64) -> Vec<usize> {
    if n <= limit {
        return (0..n).collect();
    }
    let mut rows = sample(&mut ChaCha8Rng::seed_from_u64(seed), n, limit).into_vec();
    rows.sort_unstable();
    rows
}

/// Checks labels against `n` rows and returns the number of clusters
/// (labels must be `0..k` with every cluster non-empty, 2 ≤ k ≤ n − 1).
pub(crate) fn count_clusters(labels: &[usize], n: usize) -> Result<(usize, Vec<usize>)> {
    if labels.len() != n {
        return Err(Error::ShapeMismatch {
            what: "labels (one per row of X)".into(),
            expected: n.to_string(),
            found: labels.len().to_string(),
        });
    }
    let k = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&l| sizes[l] += 1);
    if let Some(empty) = sizes.iter().position(|&s| s == 0) {
        return Err(Error::invalid_parameter(
            "labels",
            format!("no row has label {empty}"),
            format!("labels numbered 0..{k} with every label used"),
        ));
    }
    if k < 2 || k >= n {
        return Err(Error::invalid_parameter(
            "labels",
            format!("{k} clusters for {n} rows"),
            "between 2 and n_samples - 1 clusters",
        ));
    }
    Ok((k, sizes))
}
