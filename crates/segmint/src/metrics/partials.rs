//! Calinski–Harabasz and Davies–Bouldin from chunks of rows, for a distributed
//! engine that cannot hold X in one place.
//!
//! Calinski–Harabasz needs each cluster's row count, feature sums and scatter
//! Σ‖row − mean‖², which [`ClusterMoments`] of disjoint chunks merge into
//! exactly (Chan, Golub & LeVeque's pairwise update). Davies–Bouldin also
//! needs each cluster's total distance to its centroid: a second pass over the
//! chunks with the merged centroids ([`distance_totals`]), whose totals add.
//! The one-machine indices compute the same moments block by block and use
//! the same formulas.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::check_sizes;
use super::internal::{add_rows, add_squared_distances, distance_totals as totals_of, moments, squared};
use crate::check;
use crate::error::{Error, Result};

/// Per-cluster row counts, feature sums and scatter Σ‖row − mean‖² (about the
/// cluster's mean over the same rows), of a chunk of rows or of merged chunks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterMoments {
    n_features: usize,
    counts: Vec<usize>,
    sums: Vec<f64>,
    scatter: Vec<f64>,
}

impl ClusterMoments {
    /// No rows yet: the neutral element of [`Self::merge`].
    pub fn zero(k: usize, d: usize) -> Self {
        ClusterMoments {
            n_features: d,
            counts: vec![0; k],
            sums: vec![0.0; k * d],
            scatter: vec![0.0; k],
        }
    }

    /// The moments of the rows of `x` by their labels, each below `k` (a chunk
    /// need not hold every cluster).
    pub fn of_rows(x: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> Result<Self> {
        check::finite("X", x)?;
        super::check_label_count(labels, x.nrows())?;
        if let Some(&label) = labels.iter().find(|&&l| l >= k) {
            return Err(Error::invalid_parameter(
                "labels",
                format!("label {label}"),
                format!("labels numbered 0..{k} (n_clusters = {k})"),
            ));
        }
        let x = x.as_standard_layout();
        Ok(moments(
            x.as_slice().expect("standard layout"),
            labels,
            k,
            x.ncols(),
            true,
        ))
    }

    /// The moments of one block; the scatter is taken about the block's own
    /// means in a second touch of the block (still in L2): two passes over
    /// the block, as accurate as two passes over X, for one read of memory.
    pub(super) fn of_block(rows: &[f64], labels: &[usize], k: usize, d: usize, with_scatter: bool) -> Self {
        let mut m = ClusterMoments::zero(k, d);
        add_rows(rows, labels, d, &mut m.counts, &mut m.sums);
        if with_scatter {
            let means: Vec<f64> = m
                .sums
                .iter()
                .enumerate()
                .map(|(i, s)| s / m.counts[i / d].max(1) as f64)
                .collect();
            add_squared_distances(rows, labels, d, &means, &mut m.scatter);
        }
        m
    }

    /// Adds the moments of other rows, computed for as many clusters and features.
    pub fn merge(&mut self, other: &ClusterMoments) -> Result<()> {
        let shape = |m: &ClusterMoments| (m.counts.len(), m.n_features);
        if shape(self) != shape(other) {
            return Err(Error::ShapeMismatch {
                what: "cluster moments to merge (n_clusters x n_features)".into(),
                expected: format!("{} x {}", self.counts.len(), self.n_features),
                found: format!("{} x {}", other.counts.len(), other.n_features),
            });
        }
        self.add(other);
        Ok(())
    }

    /// [`Self::merge`] of moments known to have the same shape (Chan, Golub &
    /// LeVeque's pairwise update: the scatters add, plus n_a n_b / (n_a + n_b)
    /// ‖mean_a − mean_b‖²).
    pub(super) fn add(&mut self, other: &ClusterMoments) {
        let d = self.n_features;
        for l in 0..self.counts.len() {
            let (n_a, n_b) = (self.counts[l] as f64, other.counts[l] as f64);
            let (sum_a, sum_b) = (&mut self.sums[l * d..(l + 1) * d], &other.sums[l * d..(l + 1) * d]);
            if n_a > 0.0 && n_b > 0.0 {
                let gap: f64 = sum_a.iter().zip(sum_b).map(|(a, b)| (a / n_a - b / n_b).powi(2)).sum();
                self.scatter[l] += gap * (n_a * n_b / (n_a + n_b));
            }
            self.scatter[l] += other.scatter[l];
            sum_a.iter_mut().zip(sum_b).for_each(|(a, b)| *a += b);
            self.counts[l] += other.counts[l];
        }
    }

    pub(super) fn is_finite(&self) -> bool {
        self.sums.iter().chain(&self.scatter).all(|v| v.is_finite())
    }

    /// Rows of each cluster.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }

    /// The centroid of each cluster (NaN for a cluster without rows).
    pub fn centroids(&self) -> Array2<f64> {
        Array2::from_shape_vec((self.counts.len(), self.n_features), self.centroid_values()).expect("k × d values")
    }

    /// The centroids, row after row.
    pub(super) fn centroid_values(&self) -> Vec<f64> {
        let d = self.n_features;
        self.sums
            .iter()
            .enumerate()
            .map(|(i, s)| s / self.counts[i / d] as f64)
            .collect()
    }

    fn check_sizes(&self) -> Result<()> {
        check_sizes(&self.counts, self.counts.iter().sum())
    }

    /// Calinski–Harabasz index of the merged rows (see [`super::calinski_harabasz`]).
    pub fn calinski_harabasz(&self) -> Result<f64> {
        self.check_sizes()?;
        Ok(self.calinski_harabasz_value())
    }

    /// [B / (k − 1)] / [W / (n − k)]; 1 when W = 0, as scikit-learn.
    pub(super) fn calinski_harabasz_value(&self) -> f64 {
        let (k, d) = (self.counts.len(), self.n_features);
        let n: usize = self.counts.iter().sum();
        let centers = self.centroid_values();
        let mean: Vec<f64> = (0..d)
            .map(|f| (0..k).map(|j| self.sums[j * d + f]).sum::<f64>() / n as f64)
            .collect();
        let between: f64 = (0..k)
            .map(|j| self.counts[j] as f64 * squared(&centers[j * d..(j + 1) * d], &mean))
            .sum();
        let within: f64 = self.scatter.iter().sum();
        if within == 0.0 {
            return 1.0;
        }
        between * (n - k) as f64 / (within * (k - 1) as f64)
    }

    /// Davies–Bouldin index of the merged rows (see [`super::davies_bouldin`]),
    /// from each cluster's total distance to its centroid ([`distance_totals`]
    /// of every chunk, added).
    pub fn davies_bouldin(&self, distance_totals: &[f64]) -> Result<f64> {
        self.check_sizes()?;
        if distance_totals.len() != self.counts.len() {
            return Err(Error::ShapeMismatch {
                what: "distance totals (one per cluster)".into(),
                expected: self.counts.len().to_string(),
                found: distance_totals.len().to_string(),
            });
        }
        Ok(self.davies_bouldin_value(distance_totals))
    }

    /// Mean over clusters of max_{j≠i} (s_i + s_j) / d(c_i, c_j), s being the
    /// mean distance of a cluster's rows to its centroid; 0 when all s or all d
    /// are 0, as scikit-learn.
    pub(super) fn davies_bouldin_value(&self, distance_totals: &[f64]) -> f64 {
        let (k, d) = (self.counts.len(), self.n_features);
        let centers = self.centroid_values();
        let spread: Vec<f64> = distance_totals
            .iter()
            .zip(&self.counts)
            .map(|(s, &n)| s / n as f64)
            .collect();
        let center = |j: usize| &centers[j * d..(j + 1) * d];
        let gaps = Array2::from_shape_fn((k, k), |(i, j)| squared(center(i), center(j)).sqrt());
        let tiny = |v: f64| v.abs() < f64::EPSILON;
        if spread.iter().all(|&s| tiny(s)) || gaps.iter().all(|&g| tiny(g)) {
            return 0.0;
        }
        let worst: f64 = (0..k)
            .map(|i| {
                (0..k)
                    .filter(|&j| j != i)
                    .map(|j| {
                        let gap = if gaps[[i, j]] == 0.0 {
                            f64::INFINITY
                        } else {
                            gaps[[i, j]]
                        };
                        (spread[i] + spread[j]) / gap
                    })
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .sum();
        worst / k as f64
    }
}

/// Each cluster's total distance ‖row − centroid‖ over the rows of `x`, by
/// their labels (each below the number of centroids): the second pass of a
/// distributed Davies–Bouldin.
pub fn distance_totals(x: ArrayView2<'_, f64>, labels: &[usize], centroids: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
    check::finite("X", x)?;
    check::n_features("X", x, centroids.ncols())?;
    super::check_label_count(labels, x.nrows())?;
    let k = centroids.nrows();
    if let Some(&label) = labels.iter().find(|&&l| l >= k) {
        return Err(Error::invalid_parameter(
            "labels",
            format!("label {label}"),
            format!("labels numbered 0..{k} (one per centroid)"),
        ));
    }
    let (x, centroids) = (x.as_standard_layout(), centroids.as_standard_layout());
    Ok(totals_of(
        x.as_slice().expect("standard layout"),
        labels,
        k,
        x.ncols(),
        centroids.as_slice().expect("standard layout"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{calinski_harabasz, davies_bouldin};

    #[test]
    fn chunks_merge_into_the_one_machine_indices() {
        let x = Array2::from_shape_fn((5_003, 4), |(i, f)| {
            ((i * 31 + f * 17) % 97) as f64 / 7.0 + (i % 3) as f64
        });
        let labels: Vec<usize> = (0..x.nrows()).map(|i| (i * 7 + i / 5) % 3).collect();
        let mut merged = ClusterMoments::zero(3, 4);
        let chunks: Vec<_> = (0..x.nrows())
            .step_by(1_200)
            .map(|s| s..(s + 1_200).min(x.nrows()))
            .collect();
        for rows in &chunks {
            let chunk =
                ClusterMoments::of_rows(x.slice(ndarray::s![rows.clone(), ..]), &labels[rows.clone()], 3).unwrap();
            merged.merge(&chunk).unwrap();
        }
        let ch = calinski_harabasz(x.view(), &labels).unwrap();
        assert!((merged.calinski_harabasz().unwrap() - ch).abs() <= 1e-12 * ch);
        let centroids = merged.centroids();
        let mut totals = vec![0.0; 3];
        for rows in &chunks {
            let chunk = x.slice(ndarray::s![rows.clone(), ..]);
            let part = distance_totals(chunk, &labels[rows.clone()], centroids.view()).unwrap();
            totals.iter_mut().zip(part).for_each(|(t, p)| *t += p);
        }
        let db = davies_bouldin(x.view(), &labels).unwrap();
        assert!((merged.davies_bouldin(&totals).unwrap() - db).abs() <= 1e-12 * db);
    }

    #[test]
    fn bad_chunks_are_named() {
        let x = Array2::from_shape_fn((6, 2), |(i, f)| (i + f) as f64);
        let err = ClusterMoments::of_rows(x.view(), &[0, 1, 2, 0, 1, 3], 3).unwrap_err();
        assert!(err.to_string().contains("label 3"), "{err}");
        let mut one = ClusterMoments::zero(3, 2);
        assert!(one.merge(&ClusterMoments::zero(2, 2)).is_err());
        let only_two = ClusterMoments::of_rows(x.view(), &[0, 1, 0, 1, 0, 1], 3).unwrap();
        assert!(
            only_two
                .calinski_harabasz()
                .unwrap_err()
                .to_string()
                .contains("no row has label 2")
        );
    }
}
