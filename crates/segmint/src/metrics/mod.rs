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
mod effect;
mod gap;
mod internal;
mod stability;

pub use compare::{adjusted_rand_index, pair_jaccard, set_jaccard};
pub use effect::{KruskalWallis, effect_band, eta_squared, kruskal_wallis};
pub use gap::{GapStatistic, gap_statistic};
pub use internal::{calinski_harabasz, davies_bouldin, silhouette_samples, silhouette_score};
pub use stability::{PredictionStrength, Refit, Stability, bootstrap_stability, kmeans_refit, prediction_strength};

use crate::error::{Error, Result};

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
