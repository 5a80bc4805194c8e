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
//!
//! [`label_codes`] numbers any integer labels 0..k ([`LabelCodes`], borrowed
//! when they already are), so that the indices need not count them again.

mod compare;
mod distance_sums;
mod effect;
mod gap;
mod internal;
mod partials;
mod stability;

pub use compare::{adjusted_rand_index, pair_jaccard, set_jaccard};
pub use effect::{KruskalWallis, effect_band, eta_squared, kruskal_wallis};
pub use gap::{GapStatistic, gap_statistic, k_bounds};
pub use internal::{
    calinski_harabasz, calinski_harabasz_of_codes, davies_bouldin, davies_bouldin_of_codes, silhouette_samples,
    silhouette_score,
};
pub use partials::{ClusterMoments, distance_totals};
pub use stability::{
    FitPlace, MethodResampling, PredictionStrength, Refit, Stability, bootstrap_stability, cancellable_kmeans_refit,
    kmeans_fit_place, kmeans_refit, method_refit, prediction_strength, prediction_strength_with,
};

use std::borrow::Cow;

use multiversion::multiversion;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

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

/// Checks labels against `n` rows and returns the number of clusters and
/// their sizes (labels must be `0..k` with every cluster non-empty, 2 ≤ k ≤ n − 1).
pub(crate) fn count_clusters(labels: &[usize], n: usize) -> Result<(usize, Vec<usize>)> {
    let k = cluster_count(labels, n)?;
    // A chunk at least k long keeps the per-chunk counters O(n) in all.
    let sizes = labels
        .par_chunks(LABEL_CHUNK.max(k))
        .map(|chunk| segment_sizes(chunk, k))
        .reduce(|| vec![0; k], |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect());
    check_sizes(&sizes, n)?;
    Ok((k, sizes))
}

/// Labels per parallel task when labels alone are scanned.
const LABEL_CHUNK: usize = 1 << 16;

/// The number of clusters that `labels` (one per row of `n`) name: the
/// largest label plus one. Labels that cannot all be used (k ≥ n) are
/// rejected before anything of size k is allocated.
pub(crate) fn cluster_count(labels: &[usize], n: usize) -> Result<usize> {
    check_label_count(labels, n)?;
    let largest = labels.par_iter().copied().max().unwrap_or(0);
    if largest >= n {
        return Err(Error::invalid_parameter(
            "labels",
            format!("label {largest} for {n} rows"),
            "labels numbered 0..k with every label used and k < n_samples",
        ));
    }
    Ok(if n == 0 { 0 } else { largest + 1 })
}

/// One label per row of `n`.
pub(crate) fn check_label_count(labels: &[usize], n: usize) -> Result<()> {
    if labels.len() != n {
        return Err(Error::ShapeMismatch {
            what: "labels (one per row of X)".into(),
            expected: n.to_string(),
            found: labels.len().to_string(),
        });
    }
    Ok(())
}

/// Every cluster non-empty and 2 ≤ k ≤ n − 1.
pub(crate) fn check_sizes(sizes: &[usize], n: usize) -> Result<()> {
    let k = sizes.len();
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
    Ok(())
}

/// Labels as the codes `0..k` of [`label_codes`], with their number of
/// clusters k, which numbering them finds anyway: an index given these (the
/// `*_of_codes` functions) needs no pass over the labels to count clusters.
/// Dereferences to the codes.
#[derive(Debug, Clone)]
pub struct LabelCodes<'a> {
    codes: Cow<'a, [usize]>,
    clusters: usize,
}

impl LabelCodes<'_> {
    /// k: every code `0..k` is used.
    pub fn clusters(&self) -> usize {
        self.clusters
    }

    /// Whether the codes are the labels themselves, seen without a copy.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.codes, Cow::Borrowed(_))
    }
}

impl std::ops::Deref for LabelCodes<'_> {
    type Target = [usize];

    fn deref(&self) -> &[usize] {
        &self.codes
    }
}

/// Any integer labels (scikit-learn's convention: each distinct value is a
/// cluster) as the codes `0..k` the indices take, numbered in order of value.
/// Labels that already are such codes are borrowed, not copied.
pub fn label_codes(labels: &[i64]) -> LabelCodes<'_> {
    let n = labels.len();
    let chunk = LABEL_CHUNK.max(n.div_ceil(4 * rayon::current_num_threads()));
    let seen = labels
        .par_chunks(chunk)
        .map(|chunk| SeenLabels::of(chunk, 2 * n))
        .reduce(SeenLabels::default, SeenLabels::merge);
    let Some(used) = seen.used else {
        let (codes, clusters) = renumbered_by_sorting(labels);
        return LabelCodes {
            codes: Cow::Owned(codes),
            clusters,
        };
    };
    if used.iter().all(|&u| u)
        && let Some(codes) = as_codes(labels)
    {
        return LabelCodes {
            codes: Cow::Borrowed(codes),
            clusters: used.len(),
        };
    }
    let code_of: Vec<usize> = used
        .iter()
        .scan(0, |next, &u| {
            let code = *next;
            *next += usize::from(u);
            Some(code)
        })
        .collect();
    LabelCodes {
        codes: Cow::Owned(labels.par_iter().map(|&l| code_of[l as usize]).collect()),
        clusters: used.iter().filter(|&&u| u).count(),
    }
}

/// Which of the values `0..limit` a run of labels uses; `None` once a label
/// is negative or ≥ limit (such labels are numbered by sorting).
struct SeenLabels {
    used: Option<Vec<bool>>,
}

impl Default for SeenLabels {
    fn default() -> Self {
        SeenLabels { used: Some(Vec::new()) }
    }
}

impl SeenLabels {
    /// One branch-free read gives the extremes and which of `0..64` occur
    /// (it vectorises; the usual handful of clusters needs nothing more);
    /// only labels within `0..limit` that reach 64 are read a second time.
    fn of(labels: &[i64], limit: usize) -> Self {
        let (low, high, small) = label_extremes(labels);
        if labels.is_empty() {
            return SeenLabels::default();
        }
        let Ok(high) = usize::try_from(high) else {
            return SeenLabels { used: None };
        };
        if low < 0 || high >= limit {
            return SeenLabels { used: None };
        }
        let mut used = vec![false; high + 1];
        if high < 64 {
            used.iter_mut().enumerate().for_each(|(v, u)| *u = small >> v & 1 == 1);
        } else {
            labels.iter().for_each(|&l| used[l as usize] = true);
        }
        SeenLabels { used: Some(used) }
    }

    fn merge(self, other: Self) -> Self {
        let (Some(mut a), Some(b)) = (self.used, other.used) else {
            return SeenLabels { used: None };
        };
        if a.len() < b.len() {
            a.resize(b.len(), false);
        }
        a.iter_mut().zip(&b).for_each(|(x, y)| *x |= y);
        SeenLabels { used: Some(a) }
    }
}

/// The lowest and highest label and a bit set of the labels in `0..64`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2", "x86_64+avx2"))]
fn label_extremes(labels: &[i64]) -> (i64, i64, u64) {
    let (mut low, mut high, mut small) = (i64::MAX, i64::MIN, 0u64);
    for &l in labels {
        low = low.min(l);
        high = high.max(l);
        // A label outside 0..64 sets no bit (the shift is masked to stay defined).
        small |= u64::from((l as u64) < 64) << (l as u64 & 63);
    }
    (low, high, small)
}

/// Non-negative `i64` labels seen as `usize` codes without a copy (only
/// where the two types have the same size: a 64-bit target).
fn as_codes(labels: &[i64]) -> Option<&[usize]> {
    if size_of::<usize>() != size_of::<i64>() {
        return None;
    }
    bytemuck::try_cast_slice::<i64, usize>(labels).ok()
}

/// Codes in order of value for labels that are negative or far apart.
/// Returns the codes and their number.
fn renumbered_by_sorting(labels: &[i64]) -> (Vec<usize>, usize) {
    let mut values = labels.to_vec();
    values.par_sort_unstable();
    values.dedup();
    let codes = labels
        .par_iter()
        .map(|l| values.binary_search(l).unwrap_or_else(|at| at))
        .collect();
    (codes, values.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes in order of value, written out by hand.
    fn by_hand(labels: &[i64]) -> Vec<usize> {
        let mut values = labels.to_vec();
        values.sort_unstable();
        values.dedup();
        labels
            .iter()
            .map(|l| values.iter().position(|v| v == l).unwrap())
            .collect()
    }

    fn clusters_by_hand(labels: &[i64]) -> usize {
        let mut values = labels.to_vec();
        values.sort_unstable();
        values.dedup();
        values.len()
    }

    #[test]
    fn codes_that_already_are_codes_are_borrowed() {
        let labels = [2i64, 0, 1, 1, 0];
        let codes = label_codes(&labels);
        assert!(codes.is_borrowed());
        assert_eq!(&*codes, &[2, 0, 1, 1, 0]);
        assert_eq!(codes.clusters(), 3);
    }

    #[test]
    fn other_labels_are_numbered_in_order_of_value() {
        for labels in [
            vec![0i64, 3, 3, 5, 0, 5],           // gaps
            vec![-1i64, 4, -1, 2, 2, 4],         // negative (noise labels)
            vec![1_000_000i64, 7, 7, 1_000_000], // far apart
            vec![4i64, 4, 4],                    // one value
            vec![0i64, 70, 3, 70, 64],           // gaps beyond the bit set of 0..64
        ] {
            let codes = label_codes(&labels);
            assert!(!codes.is_borrowed(), "{labels:?}");
            assert_eq!(*codes, by_hand(&labels), "{labels:?}");
            assert_eq!(codes.clusters(), clusters_by_hand(&labels), "{labels:?}");
        }
        assert!(label_codes(&[]).is_empty());
    }

    #[test]
    fn dense_labels_beyond_64_are_borrowed_and_counted() {
        let labels: Vec<i64> = (0..1000).map(|i| i % 100).collect();
        let codes = label_codes(&labels);
        assert!(codes.is_borrowed());
        assert_eq!(codes.clusters(), 100);
    }

    #[test]
    fn labels_spread_over_many_parallel_chunks_are_numbered_as_a_whole() {
        let dense: Vec<i64> = (0..300_000).map(|i| (i * 7 % 5) as i64).collect();
        assert!(label_codes(&dense).is_borrowed());
        assert_eq!(label_codes(&dense).clusters(), 5);
        let mut gap = dense.clone();
        gap[250_000] = 7; // only the last chunk sees 7; no row has 5 or 6
        let mut negative = dense.clone();
        negative[299_999] = -3;
        for labels in [gap, negative] {
            let codes = label_codes(&labels);
            assert!(!codes.is_borrowed());
            assert_eq!(*codes, by_hand(&labels));
            assert_eq!(codes.clusters(), clusters_by_hand(&labels));
        }
    }

    #[test]
    fn labels_that_cannot_all_be_used_are_rejected_before_allocating() {
        let error = cluster_count(&[0, usize::MAX, 1], 3).unwrap_err().to_string();
        assert!(error.contains(&format!("label {} for 3 rows", usize::MAX)), "{error}");
        assert!(cluster_count(&[0, 1], 3).is_err());
        assert_eq!(count_clusters(&[1, 0, 2, 1], 4).unwrap(), (3, vec![1, 2, 1]));
    }
}
