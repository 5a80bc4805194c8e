//! Internal validity indices: silhouette, Calinski–Harabasz, Davies–Bouldin.
//!
//! The silhouette's pairwise sums are in `distance_sums.rs`. Calinski–Harabasz
//! is one blocked pass over X (per-cluster moments, merged by Chan's pairwise
//! update); Davies–Bouldin adds a distance pass that starts from the end of X.
//! Blocks are dealt to whichever thread is free and their results taken in
//! block order, so no value depends on the number of threads. The
//! `*_of_codes` forms take k from [`LabelCodes`] instead of a pass over the labels.

use multiversion::multiversion;
use ndarray::{Array1, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::distance_sums::cluster_distance_sums;
use super::partials::ClusterMoments;
use super::{LabelCodes, check_label_count, check_sizes, cluster_count, count_clusters};
use crate::check;
use crate::error::{Error, Result};

/// Bytes of X per block: a block stays in L2 (512 KiB per core here) between
/// its two touches in `ClusterMoments::of_block`.
const BLOCK_BYTES: usize = 256 * 1024;
/// Blocks computed in parallel before they are merged, so that the per-block
/// results held at once stay small even for many clusters: at least this many…
const GROUP_BLOCKS: usize = 64;
/// …and more while their moments take at most this many bytes.
const GROUP_BYTES: usize = 4 << 20;

/// Rows per block for `d` features; a function of `d` alone, so the blocks
/// (and the order of the sums) are the same on any number of threads.
fn block_rows(d: usize) -> usize {
    (BLOCK_BYTES / (8 * d)).clamp(16, 4096)
}

/// Squared Euclidean distance with four independent partial sums, so the
/// compiler can vectorise it (a single running sum would be one long chain).
#[inline(always)]
pub(super) fn squared(a: &[f64], b: &[f64]) -> f64 {
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

#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
pub(super) fn add_rows(rows: &[f64], labels: &[usize], d: usize, counts: &mut [usize], sums: &mut [f64]) {
    for (row, &l) in rows.chunks_exact(d).zip(labels) {
        counts[l] += 1;
        sums[l * d..(l + 1) * d].iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
}

#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
pub(super) fn add_squared_distances(rows: &[f64], labels: &[usize], d: usize, centers: &[f64], totals: &mut [f64]) {
    for (row, &l) in rows.chunks_exact(d).zip(labels) {
        totals[l] += squared(row, &centers[l * d..(l + 1) * d]);
    }
}

/// Adds the distances ‖row − centre of its cluster‖ to `totals`, four rows
/// at a time so that their square roots run as one vector instruction.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn add_distances(rows: &[f64], labels: &[usize], d: usize, centers: &[f64], totals: &mut [f64]) {
    let center = |l: usize| &centers[l * d..(l + 1) * d];
    let mut quads = rows.chunks_exact(4 * d);
    let mut quad_labels = labels.chunks_exact(4);
    for (quad, ls) in (&mut quads).zip(&mut quad_labels) {
        let mut squares = [0.0f64; 4];
        for ((s, row), &l) in squares.iter_mut().zip(quad.chunks_exact(d)).zip(ls) {
            *s = squared(row, center(l));
        }
        let distances = squares.map(f64::sqrt);
        for (&l, distance) in ls.iter().zip(distances) {
            totals[l] += distance;
        }
    }
    for (row, &l) in quads.remainder().chunks_exact(d).zip(quad_labels.remainder()) {
        totals[l] += squared(row, center(l)).sqrt();
    }
}

/// Blocks merged per group: [`GROUP_BLOCKS`] or, when more blocks' moments
/// fit in [`GROUP_BYTES`], that many (all of X for a handful of clusters:
/// no group boundary where one thread waits for the other).
fn group_blocks(k: usize, d: usize) -> usize {
    (GROUP_BYTES / (8 * (k * d + 2 * k))).max(GROUP_BLOCKS)
}

/// `work(b)` for every block `b` in `0..count`, the blocks dealt one at a
/// time to whichever thread is free (from the last block when `from_the_end`),
/// so both threads stream X side by side and finish together. The results
/// come back in block order: what is made of them does not depend on which
/// thread computed what.
fn dealt<T: Send>(count: usize, from_the_end: bool, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, T)> = (0..rayon::current_num_threads().min(count))
        .into_par_iter()
        .flat_map_iter(|_| {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break mine;
                }
                let b = if from_the_end { count - 1 - i } else { i };
                mine.push((b, work(b)));
            }
        })
        .collect();
    done.sort_unstable_by_key(|&(b, _)| b);
    done.into_iter().map(|(_, result)| result).collect()
}

/// Moments of all rows in one read of X: blocks in parallel, merged in
/// block order (the same order on any number of threads).
pub(super) fn moments(data: &[f64], labels: &[usize], k: usize, d: usize, with_scatter: bool) -> ClusterMoments {
    let rows = block_rows(d);
    let per_group = group_blocks(k, d);
    let mut total = ClusterMoments::zero(k, d);
    for (g, group) in data.chunks(per_group * rows * d).enumerate() {
        let first = g * per_group * rows;
        let blocks = dealt(group.len().div_ceil(rows * d), false, |b| {
            let block = &group[b * rows * d..((b + 1) * rows * d).min(group.len())];
            let start = first + b * rows;
            ClusterMoments::of_block(block, &labels[start..start + block.len() / d], k, d, with_scatter)
        });
        blocks.iter().for_each(|b| total.add(b));
    }
    total
}

/// Per-cluster Σ‖row − centre‖. Both threads start from the last block: the
/// end of X, read last by [`moments`], may still be in the shared cache.
/// Block totals are added from the last block to the first.
pub(super) fn distance_totals(data: &[f64], labels: &[usize], k: usize, d: usize, centers: &[f64]) -> Vec<f64> {
    let rows = block_rows(d);
    let blocks = dealt(data.len().div_ceil(rows * d), true, |b| {
        let block = &data[b * rows * d..((b + 1) * rows * d).min(data.len())];
        let start = b * rows;
        let mut totals = vec![0.0; k];
        add_distances(block, &labels[start..start + block.len() / d], d, centers, &mut totals);
        totals
    });
    let mut totals = vec![0.0; k];
    blocks
        .iter()
        .rev()
        .for_each(|b| totals.iter_mut().zip(b).for_each(|(t, v)| *t += v));
    totals
}

fn checked(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<(usize, Vec<usize>)> {
    check::non_empty("X", x)?;
    count_clusters(labels, x.nrows())
}

/// Moments of X's rows in one read, the labels checked on the way (the
/// cluster sizes come from the same read) and X's finiteness too: a NaN or
/// an infinity makes its cluster's sums non-finite, and only then is X
/// scanned for the position to report (sums can also overflow on finite
/// data; the scan then passes and the value is what the arithmetic gives).
/// `clusters` is k when the labels are [`LabelCodes`] (which know it), and
/// `None` to count it in a pass over the labels.
fn checked_moments(
    x: ArrayView2<'_, f64>,
    data: &[f64],
    labels: &[usize],
    clusters: Option<usize>,
    with_scatter: bool,
) -> Result<ClusterMoments> {
    check::non_empty("X", x)?;
    let k = match clusters {
        Some(k) => {
            check_label_count(labels, x.nrows())?;
            k
        }
        None => cluster_count(labels, x.nrows())?,
    };
    let m = moments(data, labels, k, x.ncols(), with_scatter);
    check_sizes(m.counts(), x.nrows())?;
    if !m.is_finite() {
        check::finite("X", x)?;
    }
    Ok(m)
}

/// Calinski–Harabasz index (variance ratio criterion; higher is better):
/// [B / (k − 1)] / [W / (n − k)] with B the between-cluster and W the
/// within-cluster dispersion. 1 when W = 0, as scikit-learn.
pub fn calinski_harabasz(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    calinski_harabasz_counted(x, labels, None)
}

/// [`calinski_harabasz`] of labels numbered by [`super::label_codes`]: the
/// clusters are not counted again.
pub fn calinski_harabasz_of_codes(x: ArrayView2<'_, f64>, labels: &LabelCodes<'_>) -> Result<f64> {
    calinski_harabasz_counted(x, labels, Some(labels.clusters()))
}

fn calinski_harabasz_counted(x: ArrayView2<'_, f64>, labels: &[usize], clusters: Option<usize>) -> Result<f64> {
    let x = x.as_standard_layout();
    let data = x.as_slice().expect("standard layout");
    Ok(checked_moments(x.view(), data, labels, clusters, true)?.calinski_harabasz_value())
}

/// Davies–Bouldin index (lower is better): the mean over clusters of
/// max_{j≠i} (s_i + s_j) / d(c_i, c_j), s being the mean distance of a
/// cluster's rows to its centroid. 0 when all s or all d are 0, as scikit-learn.
pub fn davies_bouldin(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    davies_bouldin_counted(x, labels, None)
}

/// [`davies_bouldin`] of labels numbered by [`super::label_codes`]: the
/// clusters are not counted again.
pub fn davies_bouldin_of_codes(x: ArrayView2<'_, f64>, labels: &LabelCodes<'_>) -> Result<f64> {
    davies_bouldin_counted(x, labels, Some(labels.clusters()))
}

fn davies_bouldin_counted(x: ArrayView2<'_, f64>, labels: &[usize], clusters: Option<usize>) -> Result<f64> {
    let x = x.as_standard_layout();
    let d = x.ncols();
    let data = x.as_slice().expect("standard layout");
    let m = checked_moments(x.view(), data, labels, clusters, false)?;
    let totals = distance_totals(data, labels, m.counts().len(), d, &m.centroid_values());
    Ok(m.davies_bouldin_value(&totals))
}

/// Silhouette of every row: (b − a) / max(a, b), a being the mean distance to
/// the other rows of its cluster and b the lowest mean distance to another
/// cluster; 0 for a row alone in its cluster. Exact: every pair is computed
/// (once, in tiles), and memory stays O(n × k).
pub fn silhouette_samples(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<Array1<f64>> {
    let (k, sizes) = checked(x, labels)?;
    check::finite("X", x)?;
    // Rows sorted by cluster: each cluster is one contiguous range of rows.
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    order.sort_by_key(|&i| (labels[i], i));
    let sorted = x.select(Axis(0), &order);
    let d = x.ncols();
    let data = sorted.as_slice().expect("select returns standard layout");
    let mut starts = vec![0usize; k + 1];
    for j in 0..k {
        starts[j + 1] = starts[j] + sizes[j];
    }
    let sums = cluster_distance_sums(data, d, &starts);
    let by_sorted: Vec<f64> = sums
        .chunks_exact(k)
        .zip(&order)
        .map(|(to_cluster, &i)| {
            let own = labels[i];
            if sizes[own] == 1 {
                return 0.0;
            }
            let a = to_cluster[own] / (sizes[own] - 1) as f64;
            let b = (0..k)
                .filter(|&j| j != own)
                .map(|j| to_cluster[j] / sizes[j] as f64)
                .fold(f64::INFINITY, f64::min);
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
    use ndarray::{Array2, array};

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

    /// Rows of `k` clusters around centres far from the origin (offset
    /// 1e4, spread 1), with exact and near duplicates (1e-9 apart) of rows.
    fn offset_blobs_with_duplicates(n: usize, d: usize, k: usize) -> (Array2<f64>, Vec<usize>) {
        let mut x = Array2::from_shape_fn((n, d), |(i, f)| {
            let wobble = ((i * 7919 + f * 104_729) % 1009) as f64 / 1009.0 - 0.5;
            1e4 + 3.0 * ((i % k) * (f + 1)) as f64 + wobble
        });
        for i in (0..n).step_by(5).skip(1) {
            let twin = x.row(i - 1).to_owned();
            let nudge = if i % 2 == 0 { 0.0 } else { 1e-9 };
            x.row_mut(i).assign(&(twin + nudge));
        }
        let labels = (0..n).map(|i| i % k).collect();
        (x, labels)
    }

    /// The textbook two-pass formulas, for the fused one-read versions to match.
    fn plain_indices(x: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> (f64, f64) {
        let (n, d) = x.dim();
        let members = |j: usize| (0..n).filter(move |&i| labels[i] == j);
        let centers: Vec<Array1<f64>> = (0..k)
            .map(|j| {
                members(j)
                    .map(|i| x.row(i).to_owned())
                    .fold(Array1::zeros(d), |a, r| a + r)
                    / members(j).count() as f64
            })
            .collect();
        let mean = x.mean_axis(Axis(0)).unwrap();
        let dist2 = |a: &Array1<f64>, i: usize| (a - &x.row(i)).mapv(|v| v * v).sum();
        let within: f64 = (0..n).map(|i| dist2(&centers[labels[i]], i)).sum();
        let between: f64 = (0..k)
            .map(|j| members(j).count() as f64 * (&centers[j] - &mean).mapv(|v| v * v).sum())
            .sum();
        let ch = between * (n - k) as f64 / (within * (k - 1) as f64);
        let spread: Vec<f64> = (0..k)
            .map(|j| members(j).map(|i| dist2(&centers[j], i).sqrt()).sum::<f64>() / members(j).count() as f64)
            .collect();
        let db = (0..k)
            .map(|i| {
                (0..k)
                    .filter(|&j| j != i)
                    .map(|j| (spread[i] + spread[j]) / (&centers[i] - &centers[j]).mapv(|v| v * v).sum().sqrt())
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .sum::<f64>()
            / k as f64;
        (ch, db)
    }

    #[test]
    fn one_read_indices_equal_the_two_pass_formulas_far_from_the_origin() {
        // 9,000 rows of 5 features: several blocks and a partial last one.
        let (x, labels) = offset_blobs_with_duplicates(9_000, 5, 3);
        let (ch, db) = plain_indices(x.view(), &labels, 3);
        approx::assert_relative_eq!(calinski_harabasz(x.view(), &labels).unwrap(), ch, max_relative = 1e-9);
        approx::assert_relative_eq!(davies_bouldin(x.view(), &labels).unwrap(), db, max_relative = 1e-9);
    }

    #[test]
    fn indices_of_codes_equal_the_indices_of_the_same_labels() {
        let (x, labels) = offset_blobs_with_duplicates(9_000, 5, 3);
        let values: Vec<i64> = labels.iter().map(|&l| l as i64 * 10 - 7).collect();
        let codes = super::super::label_codes(&values);
        assert_eq!(codes.clusters(), 3);
        let (ch, db) = (
            calinski_harabasz(x.view(), &labels).unwrap(),
            davies_bouldin(x.view(), &labels).unwrap(),
        );
        assert_eq!(
            calinski_harabasz_of_codes(x.view(), &codes).unwrap().to_bits(),
            ch.to_bits()
        );
        assert_eq!(
            davies_bouldin_of_codes(x.view(), &codes).unwrap().to_bits(),
            db.to_bits()
        );
        let short = super::super::label_codes(&values[1..]);
        assert!(matches!(
            davies_bouldin_of_codes(x.view(), &short),
            Err(Error::ShapeMismatch { .. })
        ));
        let one = super::super::label_codes(&[5, 5, 5]);
        let error = davies_bouldin_of_codes(array![[0.0], [1.0], [2.0]].view(), &one).unwrap_err();
        assert!(error.to_string().contains("1 clusters for 3 rows"), "{error}");
    }

    #[test]
    fn silhouette_with_duplicates_equals_the_plain_definition() {
        let (x, labels) = offset_blobs_with_duplicates(700, 4, 3);
        let s = silhouette_samples(x.view(), &labels).unwrap();
        let distance = |i: usize, j: usize| (&x.row(i) - &x.row(j)).mapv(|v| v * v).sum().sqrt();
        for i in 0..x.nrows() {
            let mean_to = |c: usize| {
                let members: Vec<usize> = (0..x.nrows()).filter(|&j| labels[j] == c && j != i).collect();
                members.iter().map(|&j| distance(i, j)).sum::<f64>() / members.len() as f64
            };
            let a = mean_to(labels[i]);
            let b = (0..3)
                .filter(|&c| c != labels[i])
                .map(mean_to)
                .fold(f64::INFINITY, f64::min);
            approx::assert_relative_eq!(s[i], (b - a) / a.max(b), max_relative = 1e-9, epsilon = 1e-12);
        }
    }

    #[test]
    fn results_are_identical_on_one_and_several_threads() {
        let (x, labels) = offset_blobs_with_duplicates(20_000, 7, 5);
        let all = || {
            (
                calinski_harabasz(x.view(), &labels).unwrap(),
                davies_bouldin(x.view(), &labels).unwrap(),
                silhouette_samples(x.slice(ndarray::s![..3000, ..]), &labels[..3000]).unwrap(),
            )
        };
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(all)
        };
        let one = on(1);
        for threads in [2, 3, 8] {
            let many = on(threads);
            assert_eq!(one.0.to_bits(), many.0.to_bits());
            assert_eq!(one.1.to_bits(), many.1.to_bits());
            assert!(one.2.iter().zip(&many.2).all(|(a, b)| a.to_bits() == b.to_bits()));
        }
    }

    #[test]
    fn non_finite_values_are_reported_with_their_position() {
        let mut x = Array2::from_shape_fn((10_000, 3), |(i, f)| (i + f) as f64);
        x[[7_777, 2]] = f64::INFINITY;
        let labels: Vec<usize> = (0..10_000).map(|i| i % 2).collect();
        for err in [
            calinski_harabasz(x.view(), &labels).unwrap_err(),
            davies_bouldin(x.view(), &labels).unwrap_err(),
        ] {
            assert!(err.to_string().contains("7777"), "{err}");
        }
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
