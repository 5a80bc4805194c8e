//! Internal validity indices: silhouette, Calinski–Harabasz, Davies–Bouldin.

use multiversion::multiversion;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::count_clusters;
use crate::check;
use crate::error::{Error, Result};

const BLOCK_ROWS: usize = 4096;

/// Squared Euclidean distance with four independent partial sums, so the
/// compiler can vectorise it (a single running sum would be one long chain).
#[inline(always)]
fn squared(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (quads_a, tail_a) = a.as_chunks::<4>();
    let (quads_b, tail_b) = b.as_chunks::<4>();
    for (x, y) in quads_a.iter().zip(quads_b) {
        for l in 0..4 {
            acc[l] += (x[l] - y[l]) * (x[l] - y[l]);
        }
    }
    for (x, y) in tail_a.iter().zip(tail_b) {
        acc[0] += (x - y) * (x - y);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Per-cluster Σ f(row index, row) over fixed row blocks, blocks added in order.
fn per_cluster<T: Clone + Send + Sync>(
    data: &[f64],
    d: usize,
    zero: T,
    add: impl Fn(&mut T, usize, &[f64]) + Sync,
    merge: impl Fn(&mut T, &T),
) -> T {
    let blocks: Vec<T> = data
        .par_chunks(BLOCK_ROWS * d)
        .enumerate()
        .map(|(b, rows)| {
            let mut acc = zero.clone();
            for (r, row) in rows.chunks_exact(d).enumerate() {
                add(&mut acc, b * BLOCK_ROWS + r, row);
            }
            acc
        })
        .collect();
    let mut total = zero;
    blocks.iter().for_each(|b| merge(&mut total, b));
    total
}

/// Per-cluster means.
fn centroids(data: &[f64], d: usize, labels: &[usize], k: usize, sizes: &[usize]) -> Vec<f64> {
    let sums = per_cluster(
        data,
        d,
        vec![0.0; k * d],
        |acc, i, row| {
            let l = labels[i];
            acc[l * d..(l + 1) * d].iter_mut().zip(row).for_each(|(s, v)| *s += v);
        },
        |t, b| t.iter_mut().zip(b).for_each(|(t, v)| *t += v),
    );
    sums.iter().enumerate().map(|(i, s)| s / sizes[i / d] as f64).collect()
}

/// Per-cluster Σ f(distance² of a row to its centroid).
fn within(
    data: &[f64],
    d: usize,
    labels: &[usize],
    centers: &[f64],
    k: usize,
    f: impl Fn(f64) -> f64 + Sync,
) -> Vec<f64> {
    per_cluster(
        data,
        d,
        vec![0.0; k],
        |acc, i, row| {
            let l = labels[i];
            acc[l] += f(squared(row, &centers[l * d..(l + 1) * d]));
        },
        |t, b| t.iter_mut().zip(b).for_each(|(t, v)| *t += v),
    )
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
    let (n, d) = x.dim();
    let data = x.as_slice().expect("standard layout");
    let centers = centroids(data, d, labels, k, &sizes);
    let mean: Vec<f64> = (0..d)
        .map(|f| (0..k).map(|j| centers[j * d + f] * sizes[j] as f64).sum::<f64>() / n as f64)
        .collect();
    let between: f64 = (0..k)
        .map(|j| sizes[j] as f64 * squared(&centers[j * d..(j + 1) * d], &mean))
        .sum();
    let within: f64 = within(data, d, labels, &centers, k, |s| s).iter().sum();
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
    let d = x.ncols();
    let data = x.as_slice().expect("standard layout");
    let centers = centroids(data, d, labels, k, &sizes);
    let spread: Vec<f64> = within(data, d, labels, &centers, k, f64::sqrt)
        .iter()
        .zip(&sizes)
        .map(|(s, &n)| s / n as f64)
        .collect();
    let center = |j: usize| &centers[j * d..(j + 1) * d];
    let gaps = Array2::from_shape_fn((k, k), |(i, j)| squared(center(i), center(j)).sqrt());
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

/// Σ of the Euclidean distances from `row` to each row of `others`, four
/// rows at a time so the square roots run as one vector instruction.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn distance_sum(row: &[f64], others: &[f64]) -> f64 {
    let d = row.len();
    let mut totals = [0.0f64; 4];
    let mut quads = others.chunks_exact(4 * d);
    for quad in &mut quads {
        let mut d2 = [0.0f64; 4];
        for (l, other) in quad.chunks_exact(d).enumerate() {
            d2[l] = squared(row, other);
        }
        for l in 0..4 {
            totals[l] += d2[l].sqrt();
        }
    }
    let rest: f64 = quads.remainder().chunks_exact(d).map(|o| squared(row, o).sqrt()).sum();
    (totals[0] + totals[1]) + (totals[2] + totals[3]) + rest
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
                distance_sum(row, &data[starts[j] * d..starts[j + 1] * d]) / (sizes[j] - usize::from(j == own)) as f64
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
