//! Internal validity indices: silhouette, Calinski–Harabasz, Davies–Bouldin.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::count_clusters;
use crate::check;
use crate::error::{Error, Result};

const BLOCK_ROWS: usize = 4096;

/// Per-cluster means and the rows' cluster sizes.
fn centroids(x: ArrayView2<'_, f64>, labels: &[usize], k: usize, sizes: &[usize]) -> Array2<f64> {
    let d = x.ncols();
    let blocks: Vec<Array2<f64>> = x
        .axis_chunks_iter(Axis(0), BLOCK_ROWS)
        .into_par_iter()
        .enumerate()
        .map(|(b, rows)| {
            let mut sums = Array2::zeros((k, d));
            for (r, row) in rows.outer_iter().enumerate() {
                let mut s = sums.row_mut(labels[b * BLOCK_ROWS + r]);
                s += &row;
            }
            sums
        })
        .collect();
    let mut total = Array2::zeros((k, d));
    blocks.iter().for_each(|b| total += b);
    for (j, mut row) in total.outer_iter_mut().enumerate() {
        row /= sizes[j] as f64;
    }
    total
}

/// Σ over fixed row blocks (blocks added in order) of `f(row index, row)`, per cluster.
fn per_cluster_sum(
    x: ArrayView2<'_, f64>,
    labels: &[usize],
    k: usize,
    f: impl Fn(usize, ndarray::ArrayView1<'_, f64>) -> f64 + Sync,
) -> Vec<f64> {
    let blocks: Vec<Vec<f64>> = x
        .axis_chunks_iter(Axis(0), BLOCK_ROWS)
        .into_par_iter()
        .enumerate()
        .map(|(b, rows)| {
            let mut sums = vec![0.0; k];
            for (r, row) in rows.outer_iter().enumerate() {
                let i = b * BLOCK_ROWS + r;
                sums[labels[i]] += f(i, row);
            }
            sums
        })
        .collect();
    let mut total = vec![0.0; k];
    for b in blocks {
        total.iter_mut().zip(b).for_each(|(t, v)| *t += v);
    }
    total
}

fn squared(a: ndarray::ArrayView1<'_, f64>, b: ndarray::ArrayView1<'_, f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn checked(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<(usize, Vec<usize>)> {
    check::non_empty("X", x)?;
    check::finite("X", x)?;
    count_clusters(labels, x.nrows())
}

/// Calinski–Harabasz index (variance ratio criterion; higher is better):
/// [B / (k − 1)] / [W / (n − k)] with B the between-cluster and W the
/// within-cluster dispersion. 1 when W = 0, as scikit-learn.
pub fn calinski_harabasz(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    let (k, sizes) = checked(x, labels)?;
    let x = x.as_standard_layout();
    let x = x.view();
    let n = x.nrows();
    let centers = centroids(x, labels, k, &sizes);
    let mean = x.mean_axis(Axis(0)).expect("non-empty");
    let between: f64 = (0..k)
        .map(|j| sizes[j] as f64 * squared(centers.row(j), mean.view()))
        .sum();
    let within: f64 = per_cluster_sum(x, labels, k, |i, row| squared(row, centers.row(labels[i])))
        .iter()
        .sum();
    if within == 0.0 {
        return Ok(1.0);
    }
    Ok(between * (n - k) as f64 / (within * (k - 1) as f64))
}

/// Davies–Bouldin index (lower is better): the mean over clusters of
/// max_{j≠i} (s_i + s_j) / d(c_i, c_j), s being the mean distance of a
/// cluster's rows to its centroid. 0 when all s or all d are 0, as scikit-learn.
pub fn davies_bouldin(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    let (k, sizes) = checked(x, labels)?;
    let x = x.as_standard_layout();
    let x = x.view();
    let centers = centroids(x, labels, k, &sizes);
    let spread: Vec<f64> = per_cluster_sum(x, labels, k, |i, row| squared(row, centers.row(labels[i])).sqrt())
        .iter()
        .zip(&sizes)
        .map(|(s, &n)| s / n as f64)
        .collect();
    let gaps = Array2::from_shape_fn((k, k), |(i, j)| squared(centers.row(i), centers.row(j)).sqrt());
    let tiny = |v: f64| v.abs() < f64::EPSILON;
    if spread.iter().all(|&s| tiny(s)) || gaps.iter().all(|&g| tiny(g)) {
        return Ok(0.0);
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
    Ok(worst / k as f64)
}

/// Silhouette of every row: (b − a) / max(a, b), a being the mean distance to
/// the other rows of its cluster and b the lowest mean distance to another
/// cluster; 0 for a row alone in its cluster. Exact: every pair is computed,
/// one row at a time against all rows, so memory stays O(n).
pub fn silhouette_samples(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<Array1<f64>> {
    let (k, sizes) = checked(x, labels)?;
    // Rows sorted by cluster: each row's distances are summed over contiguous ranges.
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    order.sort_by_key(|&i| (labels[i], i));
    let sorted = x.select(Axis(0), &order);
    let d = x.ncols();
    let data = sorted.as_slice().expect("select returns standard layout");
    let mut starts = vec![0usize; k + 1];
    for j in 0..k {
        starts[j + 1] = starts[j] + sizes[j];
    }
    let by_sorted: Vec<f64> = (0..order.len())
        .into_par_iter()
        .map(|s| {
            let row = &data[s * d..(s + 1) * d];
            let own = labels[order[s]];
            if sizes[own] == 1 {
                return 0.0;
            }
            let mean_to = |j: usize| {
                let total: f64 = data[starts[j] * d..starts[j + 1] * d]
                    .chunks_exact(d)
                    .map(|other| {
                        row.iter()
                            .zip(other)
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum::<f64>()
                            .sqrt()
                    })
                    .sum();
                total / (sizes[j] - usize::from(j == own)) as f64
            };
            let a = mean_to(own);
            let b = (0..k).filter(|&j| j != own).map(mean_to).fold(f64::INFINITY, f64::min);
            let m = a.max(b);
            if m > 0.0 { (b - a) / m } else { 0.0 }
        })
        .collect();
    let mut out = Array1::zeros(order.len());
    for (s, &i) in order.iter().enumerate() {
        out[i] = by_sorted[s];
    }
    Ok(out)
}

/// Mean silhouette; with `sample_size`, of a uniform random subset of rows
/// (drawn with `seed`), as scikit-learn's `sample_size`.
pub fn silhouette_score(
    x: ArrayView2<'_, f64>,
    labels: &[usize],
    sample_size: Option<usize>,
    seed: u64,
) -> Result<f64> {
    match sample_size {
        None => Ok(silhouette_samples(x, labels)?.mean().expect("non-empty")),
        Some(m) => {
            if m < 2 || m > x.nrows() {
                return Err(Error::invalid_parameter(
                    "sample_size",
                    m,
                    format!("between 2 and n_samples={}", x.nrows()),
                ));
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let idx = rand::seq::index::sample(&mut rng, x.nrows(), m).into_vec();
            let subset = x.select(Axis(0), &idx);
            let mut codes = std::collections::BTreeMap::new();
            let sub_labels: Vec<usize> = idx
                .iter()
                .map(|&i| {
                    let next = codes.len();
                    *codes.entry(labels[i]).or_insert(next)
                })
                .collect();
            Ok(silhouette_samples(subset.view(), &sub_labels)?
                .mean()
                .expect("non-empty"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn silhouette_by_hand() {
        // Clusters {0, 1} and {4}: row 0: a = 1, b = 4 -> 0.75; row 1: a = 1, b = 3 -> 2/3; row 2 alone -> 0.
        let x = array![[0.0], [1.0], [4.0]];
        let s = silhouette_samples(x.view(), &[0, 0, 1]).unwrap();
        assert_abs_diff_eq!(s, array![0.75, 2.0 / 3.0, 0.0], epsilon = 1e-15);
        assert_abs_diff_eq!(
            silhouette_score(x.view(), &[0, 0, 1], None, 0).unwrap(),
            (0.75 + 2.0 / 3.0) / 3.0
        );
    }

    #[test]
    fn calinski_harabasz_and_davies_bouldin_by_hand() {
        let x = array![[0.0], [2.0], [10.0], [12.0]];
        let labels = [0, 0, 1, 1];
        // B = 2·25 + 2·25 = 100, W = 4, n − k = 2, k − 1 = 1 -> 100·2 / 4 = 50.
        assert_abs_diff_eq!(calinski_harabasz(x.view(), &labels).unwrap(), 50.0);
        // s = 1 for both, centroid gap 10 -> (1 + 1) / 10 = 0.2.
        assert_abs_diff_eq!(davies_bouldin(x.view(), &labels).unwrap(), 0.2);
    }

    #[test]
    fn bad_labels_are_rejected() {
        let x = array![[0.0], [1.0], [2.0]];
        assert!(
            calinski_harabasz(x.view(), &[0, 0, 0])
                .unwrap_err()
                .to_string()
                .contains("1 clusters for 3 rows")
        );
        assert!(
            davies_bouldin(x.view(), &[0, 1, 2])
                .unwrap_err()
                .to_string()
                .contains("3 clusters for 3 rows")
        );
        assert!(
            silhouette_samples(x.view(), &[0, 2, 2])
                .unwrap_err()
                .to_string()
                .contains("no row has label 1")
        );
        assert!(silhouette_samples(x.view(), &[0, 1]).is_err());
        let nan = array![[0.0], [f64::NAN], [2.0]];
        assert!(calinski_harabasz(nan.view(), &[0, 1, 1]).is_err());
        assert!(silhouette_score(x.view(), &[0, 0, 1], Some(5), 0).is_err());
    }
}
