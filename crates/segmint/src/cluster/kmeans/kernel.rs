//! The hot loop: nearest-centre assignment with weighted partial sums.
//!
//! Distances use ‖c‖² − 2 x·c (the ‖x‖² term does not change the argmin).
//! Centres are transposed to `d × kp` and padded to a multiple of [`LANES`],
//! so the inner loop over centres is a fixed-width multiply-add that the
//! compiler vectorises; `multiversion` compiles it for AVX-512 and AVX2 and
//! picks one at run time. Rows are processed in fixed blocks of
//! [`BLOCK_ROWS`] whose partial sums are merged in block order, so results do
//! not depend on the number of threads. A pass says which sums it needs
//! ([`Sums`]): the Lloyd loop on unweighted data adds only the rows that
//! changed centre, prediction and the final labelling add none.

use multiversion::multiversion;
use ndarray::{Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::simd::{self, Panels};
use crate::check;
use crate::element::Element;
use crate::error::{Error, Result};

/// Rows per parallel task (fixed: the merge order must not depend on threads).
pub const BLOCK_ROWS: usize = 4096;
/// Centres are padded to a multiple of this many.
pub const LANES: usize = 8;
// The SIMD panels are the portable kernel's groups.
const _: () = assert!(LANES == simd::PANEL);
/// Rows scored together by the kernel.
pub(crate) const ROWS: usize = 4;
/// The label of a row no pass has assigned yet.
pub(crate) const UNASSIGNED: usize = usize::MAX;

/// Centres in the kernel's layout: groups of [`LANES`] centres, each group
/// stored feature by feature, so the inner loop multiplies one feature of a
/// row with the same feature of eight centres at once.
#[derive(Debug, Clone)]
pub(crate) struct PackedCenters<F> {
    /// `groups[g * d + f][l]` = feature `f` of centre `g * LANES + l`; padding is zero.
    groups: Vec<[F; LANES]>,
    /// ‖c‖² per group, +∞ for padding so that it never wins.
    norms: Vec<[F; LANES]>,
    /// The same centres for the explicit-SIMD micro-kernel.
    panels: Panels,
    /// The centres row after row (`k × d`), for the inertia.
    by_row: Vec<F>,
    k: usize,
    d: usize,
}

impl<F: Element> PackedCenters<F> {
    pub(crate) fn new(centers: ArrayView2<'_, F>) -> Self {
        let (k, d) = centers.dim();
        let n_groups = k.div_ceil(LANES);
        let mut groups = vec![[F::ZERO; LANES]; n_groups * d];
        let mut norms = vec![[F::INFINITY; LANES]; n_groups];
        for (j, c) in centers.outer_iter().enumerate() {
            let (g, l) = (j / LANES, j % LANES);
            let mut norm = F::ZERO;
            for (f, &v) in c.iter().enumerate() {
                groups[g * d + f][l] = v;
                norm = norm + v * v;
            }
            norms[g][l] = norm;
        }
        let panels = Panels::new(&groups, &norms);
        PackedCenters {
            groups,
            norms,
            panels,
            by_row: centers.iter().copied().collect(),
            k,
            d,
        }
    }

    /// The centres in the SIMD micro-kernel's layout.
    pub(crate) fn panels(&self) -> &Panels {
        &self.panels
    }

    /// Number of features.
    pub(crate) fn n_features(&self) -> usize {
        self.d
    }

    /// ‖c_j‖².
    #[inline(always)]
    pub(crate) fn norm(&self, j: usize) -> F {
        self.norms[j / LANES][j % LANES]
    }

    /// `x · c_j` for the centres `j` of group `g`.
    #[inline(always)]
    pub(crate) fn dots(&self, g: usize, row: &[F]) -> [F; LANES] {
        let mut acc = [F::ZERO; LANES];
        for (&xf, c) in row.iter().zip(&self.groups[g * self.d..(g + 1) * self.d]) {
            for l in 0..LANES {
                acc[l] = acc[l] + xf * c[l];
            }
        }
        acc
    }

    /// `x · c_j` for [`ROWS`] rows at once (`rows` holds them back to back):
    /// independent accumulators keep the multiply and add units busy instead
    /// of waiting on one addition chain.
    #[inline(always)]
    pub(crate) fn dots_block(&self, g: usize, rows: &[F]) -> [[F; LANES]; ROWS] {
        let d = self.d;
        let mut acc = [[F::ZERO; LANES]; ROWS];
        for (f, c) in self.groups[g * d..(g + 1) * d].iter().enumerate() {
            for r in 0..ROWS {
                let xf = rows[r * d + f];
                for l in 0..LANES {
                    acc[r][l] = acc[r][l] + xf * c[l];
                }
            }
        }
        acc
    }

    /// The nearest centre (lowest ‖c‖² − 2 x·c, first on ties) of each of [`ROWS`] rows.
    #[inline(always)]
    pub(crate) fn nearest_block(&self, rows: &[F]) -> [usize; ROWS] {
        let mut best = [(F::INFINITY, 0); ROWS];
        for (g, norms) in self.norms.iter().enumerate() {
            let dots = self.dots_block(g, rows);
            for r in 0..ROWS {
                for l in 0..LANES {
                    let score = norms[l] - (dots[r][l] + dots[r][l]);
                    if score < best[r].0 {
                        best[r] = (score, g * LANES + l);
                    }
                }
            }
        }
        best.map(|b| b.1)
    }

    /// The nearest centre of one row.
    #[inline(always)]
    pub(crate) fn nearest(&self, row: &[F]) -> usize {
        let mut best = (F::INFINITY, 0);
        for (g, norms) in self.norms.iter().enumerate() {
            let dots = self.dots(g, row);
            for l in 0..LANES {
                let score = norms[l] - (dots[l] + dots[l]);
                if score < best.0 {
                    best = (score, g * LANES + l);
                }
            }
        }
        best.1
    }

    /// Number of groups of [`LANES`] centres.
    pub(crate) fn n_groups(&self) -> usize {
        self.norms.len()
    }
}

/// Weighted sums, weights and inertia of the rows assigned to each centre:
/// the result of one Lloyd step over some rows.
///
/// Partials of disjoint row sets merge into the partial of their union, so a
/// distributed engine can run [`lloyd_step`] on each chunk where it lives,
/// merge the partials in a fixed order and call [`LloydPartial::centers`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LloydPartial {
    n_clusters: usize,
    n_features: usize,
    sums: Vec<f64>,
    weights: Vec<f64>,
    inertia: f64,
    n_rows: usize,
}

impl LloydPartial {
    /// The empty partial (neutral element of [`Self::merge`]).
    pub fn zeros(n_clusters: usize, n_features: usize) -> Self {
        LloydPartial {
            n_clusters,
            n_features,
            sums: vec![0.0; n_clusters * n_features],
            weights: vec![0.0; n_clusters],
            inertia: 0.0,
            n_rows: 0,
        }
    }

    /// Adds another partial computed with the same centres.
    pub fn merge(&mut self, other: &LloydPartial) -> Result<()> {
        if (self.n_clusters, self.n_features) != (other.n_clusters, other.n_features) {
            return Err(Error::ShapeMismatch {
                what: "partials to merge (n_clusters x n_features)".into(),
                expected: format!("{} x {}", self.n_clusters, self.n_features),
                found: format!("{} x {}", other.n_clusters, other.n_features),
            });
        }
        self.add(other);
        Ok(())
    }

    /// Adds one row of weight `w` to centre `j`.
    #[inline]
    pub(crate) fn add_row<F: Element>(&mut self, row: &[F], w: f64, j: usize) {
        self.weights[j] += w;
        let d = self.n_features;
        for (s, v) in self.sums[j * d..(j + 1) * d].iter_mut().zip(row) {
            *s += w * v.to_f64();
        }
        self.n_rows += 1;
    }

    /// [`Self::merge`] for partials known to have the same shape.
    pub(crate) fn add(&mut self, other: &LloydPartial) {
        self.sums.iter_mut().zip(&other.sums).for_each(|(a, b)| *a += b);
        self.weights.iter_mut().zip(&other.weights).for_each(|(a, b)| *a += b);
        self.inertia += other.inertia;
        self.n_rows += other.n_rows;
    }

    /// Zeroes the sums of centres with no weight. Sums kept up to date by
    /// moving rows in and out (see [`Sums::Moved`]) can leave rounding
    /// residue in a centre that emptied; weights of 1 cancel exactly, so
    /// they tell which centres those are.
    pub(crate) fn forget_empty(&mut self) {
        let d = self.n_features;
        for (sums, &weight) in self.sums.chunks_exact_mut(d).zip(&self.weights) {
            if weight == 0.0 {
                sums.fill(0.0);
            }
        }
    }

    /// Σ weight · ‖x − c(x)‖² over the rows.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Total weight assigned to each centre.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Number of rows seen.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Weighted sum of the rows of centre `j`.
    pub fn sum(&self, j: usize) -> &[f64] {
        &self.sums[j * self.n_features..(j + 1) * self.n_features]
    }

    /// The updated centres: the weighted mean of each centre's rows; a centre
    /// with no weight keeps its old position.
    pub fn centers<F: Element>(&self, old: ArrayView2<'_, F>) -> Array2<F> {
        let d = self.n_features;
        Array2::from_shape_fn((self.n_clusters, d), |(j, f)| {
            if self.weights[j] > 0.0 {
                F::from_f64(self.sums[j * d + f] / self.weights[j])
            } else {
                old[[j, f]]
            }
        })
    }

    /// Moves row `x` (weight `w`) from centre `from` to centre `to`, which it
    /// becomes the only member of (empty-cluster relocation).
    pub(crate) fn relocate<F: Element>(&mut self, x: ArrayView1<'_, F>, w: f64, from: usize, to: usize) {
        let d = self.n_features;
        for (f, v) in x.iter().enumerate() {
            self.sums[from * d + f] -= w * v.to_f64();
            self.sums[to * d + f] = w * v.to_f64();
        }
        self.weights[from] -= w;
        self.weights[to] = w;
    }
}

/// One Lloyd step on a chunk of rows: assigns each row of `x` to its nearest
/// centre (written to `labels`) and returns the weighted partial sums and the
/// partial inertia.
pub fn lloyd_step<F: Element>(
    x: ArrayView2<'_, F>,
    sample_weight: Option<ArrayView1<'_, F>>,
    centers: ArrayView2<'_, F>,
    labels: &mut [usize],
) -> Result<LloydPartial> {
    check::non_empty("centers", centers)?;
    check::n_features("X", x, centers.ncols())?;
    check::finite("X", x)?;
    check::finite("centers", centers)?;
    if labels.len() != x.nrows() || sample_weight.is_some_and(|w| w.len() != x.nrows()) {
        return Err(Error::ShapeMismatch {
            what: "labels and sample_weight (one per row of X)".into(),
            expected: x.nrows().to_string(),
            found: format!("{} labels", labels.len()),
        });
    }
    let x = x.as_standard_layout();
    let w = sample_weight.map(|w| w.to_vec());
    let pass = assign(
        x.view(),
        w.as_deref(),
        &PackedCenters::new(centers),
        labels,
        Sums::All,
        true,
    );
    Ok(pass.0)
}

/// What a pass adds to the centre sums of its [`LloydPartial`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sums {
    /// Every row, times its weight.
    All,
    /// Only the rows whose label changed, with weight 1: subtracted from the
    /// old centre (none for a label ≥ k, such as [`UNASSIGNED`]) and added
    /// to the new one, so that the partial added to the previous pass's
    /// gives this pass's (`n_rows` counts the rows that had no label). Once
    /// the centres settle few rows move, and the others skip the sum update.
    Moved,
    /// Nothing: the labels (and the inertia) only.
    Skip,
}

/// Assigns every row (in parallel, fixed blocks) and merges the block
/// partials in order; also returns how many labels differ from what `labels`
/// held before (counting while writing spares the Lloyd loop a copy and a
/// comparison of the whole label vector). `x` must be in standard layout;
/// [`Sums::Moved`] ignores `w`. With `exact_inertia` the inertia is summed
/// from direct differences; without, it is left at 0.
pub(crate) fn assign<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    centers: &PackedCenters<F>,
    labels: &mut [usize],
    sums: Sums,
    exact_inertia: bool,
) -> (LloydPartial, usize) {
    let d = centers.d;
    let data = x.as_slice().expect("standard layout");
    let partials: Vec<(LloydPartial, usize)> = labels
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .map(|(b, block)| {
            let start = b * BLOCK_ROWS;
            let rows = &data[start * d..(start + block.len()) * d];
            let weights = w.map(|w| &w[start..start + block.len()]);
            let mut partial = LloydPartial::zeros(centers.k, d);
            let changed = assign_block(rows, weights, centers, block, &mut partial, sums, exact_inertia);
            (partial, changed)
        })
        .collect();
    let mut total = LloydPartial::zeros(centers.k, d);
    partials.iter().for_each(|(p, _)| total.add(p));
    (total, partials.iter().map(|(_, changed)| changed).sum())
}

/// The portable kernel: nearest centre of each row, [`ROWS`] rows at a time;
/// returns how many labels changed.
fn nearest_portable<F: Element>(rows: &[F], centers: &PackedCenters<F>, labels: &mut [usize]) -> usize {
    let d = centers.d;
    let mut changed = 0;
    let mut record = |label: &mut usize, best: usize| {
        changed += usize::from(*label != best);
        *label = best;
    };
    let blocked = labels.len() / ROWS * ROWS;
    for (quad, quad_labels) in rows[..blocked * d]
        .chunks_exact(ROWS * d)
        .zip(labels.chunks_exact_mut(ROWS))
    {
        for (label, best) in quad_labels.iter_mut().zip(centers.nearest_block(quad)) {
            record(label, best);
        }
    }
    for (row, label) in rows.chunks_exact(d).zip(labels.iter_mut()).skip(blocked) {
        record(label, centers.nearest(row));
    }
    changed
}

#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn assign_block<F: Element>(
    rows: &[F],
    weights: Option<&[F]>,
    centers: &PackedCenters<F>,
    labels: &mut [usize],
    partial: &mut LloydPartial,
    sums: Sums,
    exact_inertia: bool,
) -> usize {
    let d = centers.d;
    let changed = if sums == Sums::Moved {
        nearest_moving(rows, centers, labels, partial)
    } else {
        let changed = simd::nearest_rows(&centers.panels, d, centers.k, rows, labels, None)
            .unwrap_or_else(|| nearest_portable(rows, centers, labels));
        if sums == Sums::All && !simd::add_rows(d, rows, weights, labels, &mut partial.sums, &mut partial.weights) {
            add_rows_portable(rows, weights, labels, partial);
        }
        partial.n_rows += labels.len();
        changed
    };
    if exact_inertia {
        partial.inertia += inertia_of(d, rows, weights, &centers.by_row, labels);
    }
    changed
}

/// Nearest centres, with each row that changed label moved between the
/// centre sums in `partial` ([`Sums::Moved`]); returns how many changed.
fn nearest_moving<F: Element>(
    rows: &[F],
    centers: &PackedCenters<F>,
    labels: &mut [usize],
    partial: &mut LloydPartial,
) -> usize {
    let mut moves = simd::Moves {
        sums: &mut partial.sums,
        totals: &mut partial.weights,
        newly_labelled: 0,
    };
    if let Some(changed) = simd::nearest_rows(&centers.panels, centers.d, centers.k, rows, labels, Some(&mut moves)) {
        partial.n_rows += moves.newly_labelled;
        return changed;
    }
    nearest_moving_portable(rows, centers, labels, partial)
}

/// [`nearest_moving`] on CPUs without the SIMD kernel: the old labels are
/// kept aside, and the rows that changed moved after the labelling.
fn nearest_moving_portable<F: Element>(
    rows: &[F],
    centers: &PackedCenters<F>,
    labels: &mut [usize],
    partial: &mut LloydPartial,
) -> usize {
    let before = labels.to_vec();
    let changed = nearest_portable(rows, centers, labels);
    move_rows_portable(rows, &before, labels, partial);
    partial.n_rows += before.iter().filter(|&&l| l >= centers.k).count();
    changed
}

/// Adds each row times its weight to its centre's sums (the portable path).
fn add_rows_portable<F: Element>(rows: &[F], weights: Option<&[F]>, labels: &[usize], partial: &mut LloydPartial) {
    let d = partial.n_features;
    for ((i, row), &best) in rows.chunks_exact(d).enumerate().zip(labels) {
        let weight = weights.map_or(1.0, |w| w[i].to_f64());
        partial.weights[best] += weight;
        let sums = &mut partial.sums[best * d..(best + 1) * d];
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += weight * v.to_f64();
        }
    }
}

/// Moves each relabelled row between its centres' sums (the portable path
/// of [`simd::Moves`]).
fn move_rows_portable<F: Element>(rows: &[F], before: &[usize], labels: &[usize], moves: &mut LloydPartial) {
    let d = moves.n_features;
    for ((row, &from), &to) in rows.chunks_exact(d).zip(before).zip(labels) {
        if from == to {
            continue;
        }
        if from < moves.weights.len() {
            moves.weights[from] -= 1.0;
            let sums = &mut moves.sums[from * d..(from + 1) * d];
            sums.iter_mut().zip(row).for_each(|(s, &v)| *s -= v.to_f64());
        }
        moves.weights[to] += 1.0;
        let sums = &mut moves.sums[to * d..(to + 1) * d];
        sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v.to_f64());
    }
}

/// Σ weight · ‖x − c(x)‖² of the rows, by direct differences; `centers`
/// holds the centres row after row, so each row meets its centre as one
/// contiguous run.
#[inline(always)]
pub(crate) fn inertia_of<F: Element>(
    d: usize,
    rows: &[F],
    weights: Option<&[F]>,
    centers: &[F],
    labels: &[usize],
) -> f64 {
    let mut inertia = 0.0;
    for ((i, row), &best) in rows.chunks_exact(d).enumerate().zip(labels) {
        let weight = weights.map_or(1.0, |w| w[i].to_f64());
        let centre = &centers[best * d..(best + 1) * d];
        // Four independent sums (feature f goes to sum f mod 4), so the
        // additions need not wait on each other and run as one vector.
        let mut acc = [0.0f64; 4];
        let (rows4, row_tail) = row.as_chunks::<4>();
        let (centre4, centre_tail) = centre.as_chunks::<4>();
        for (x, c) in rows4.iter().zip(centre4) {
            for l in 0..4 {
                let diff = x[l].to_f64() - c[l].to_f64();
                acc[l] += diff * diff;
            }
        }
        for (l, (&v, &c)) in row_tail.iter().zip(centre_tail).enumerate() {
            let diff = v.to_f64() - c.to_f64();
            acc[l] += diff * diff;
        }
        inertia += weight * acc.iter().sum::<f64>();
    }
    inertia
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Whether this CPU runs the SIMD micro-kernel.
    fn has_simd() -> bool {
        #[cfg(target_arch = "x86_64")]
        return is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// The fused SIMD step and the portable kernel (the one CPUs without
    /// AVX2 run) pick the same centres and add the same bits to the sums,
    /// with and without weights, for shapes that fill whole tiles, vectors
    /// and panels and shapes that leave remainders.
    fn kernels_agree<F: Element>() {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        for (n, d, k) in [
            (37, 1, 1),
            (64, 5, 3),
            (101, 16, 8),
            (53, 7, 13),
            (9, 3, 20),
            (70, 12, 8),
            (45, 20, 9),
            (163, 33, 17),
        ] {
            let x = Array2::from_shape_fn((n, d), |_| F::from_f64(rng.random::<f64>()));
            let centers = Array2::from_shape_fn((k, d), |_| F::from_f64(rng.random::<f64>()));
            let w: Vec<F> = (0..n).map(|_| F::from_f64(rng.random::<f64>() * 3.0)).collect();
            let packed = PackedCenters::new(centers.view());
            let rows = x.as_slice().unwrap();
            for weights in [None, Some(&w[..])] {
                let mut portable = vec![UNASSIGNED; n];
                let mut expected = LloydPartial::zeros(k, d);
                assert_eq!(nearest_portable(rows, &packed, &mut portable), n);
                add_rows_portable(rows, weights, &portable, &mut expected);
                let mut fast = vec![UNASSIGNED; n];
                let changed = simd::nearest_rows(packed.panels(), d, k, rows, &mut fast, None);
                assert_eq!(changed.is_some(), has_simd());
                if changed.is_some() {
                    assert_eq!(changed, Some(n));
                    assert_eq!(fast, portable, "n {n} d {d} k {k}");
                }
                let mut got = LloydPartial::zeros(k, d);
                let added = simd::add_rows(d, rows, weights, &portable, &mut got.sums, &mut got.weights);
                assert_eq!(added, has_simd());
                if added {
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&got.sums), bits(&expected.sums), "n {n} d {d} k {k}");
                    assert_eq!(bits(&got.weights), bits(&expected.weights));
                }
            }
            // Moving rows: from labels of which some are already the nearest,
            // some are unset (UNASSIGNED or another label ≥ k) and the rest
            // are another centre.
            let nearest = {
                let mut labels = vec![UNASSIGNED; n];
                nearest_portable(rows, &packed, &mut labels);
                labels
            };
            let before: Vec<usize> = (0..n)
                .map(|i| match i % 3 {
                    0 if i % 2 == 0 => UNASSIGNED,
                    0 => k + i,
                    1 => nearest[i],
                    _ => (i * 5 + 1) % k,
                })
                .collect();
            let moved = before.iter().zip(&nearest).filter(|(b, a)| b != a).count();
            let mut expected = LloydPartial::zeros(k, d);
            let mut labels = before.clone();
            assert_eq!(
                nearest_moving_portable(rows, &packed, &mut labels, &mut expected),
                moved
            );
            assert_eq!(labels, nearest);
            assert_eq!(expected.n_rows(), n.div_ceil(3));
            let mut got = LloydPartial::zeros(k, d);
            let mut labels = before.clone();
            assert_eq!(nearest_moving(rows, &packed, &mut labels, &mut got), moved);
            assert_eq!(labels, nearest);
            assert_eq!(got, expected, "n {n} d {d} k {k}");
        }
    }

    /// Sums kept up to date from the rows that moved equal the sums of a
    /// fresh pass: bit for bit from no labels (the same additions in the
    /// same order), to rounding after a move, with exact weights and row
    /// counts; a centre that empties is left with exact zeros.
    #[test]
    fn moved_sums_track_fresh_sums() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (n, d, k) = (3 * BLOCK_ROWS + 17, 6, 5);
        let x = Array2::from_shape_fn((n, d), |_| rng.random::<f64>() * 100.0);
        let first = Array2::from_shape_fn((k, d), |_| rng.random::<f64>() * 100.0);
        let mut second = first.clone();
        second.row_mut(0).fill(1e6); // nobody's nearest: centre 0 empties
        second[[1, 0]] += 20.0;
        let pass = |centers: &Array2<f64>, labels: &mut Vec<usize>, sums| {
            assign(x.view(), None, &PackedCenters::new(centers.view()), labels, sums, false)
        };
        let mut labels = vec![UNASSIGNED; n];
        let (mut by_label, changed) = pass(&first, &mut labels, Sums::Moved);
        assert_eq!(changed, n);
        let (fresh, _) = pass(&first, &mut vec![UNASSIGNED; n], Sums::All);
        assert_eq!(by_label, fresh);
        assert!(by_label.weights()[0] > 0.0);

        let (moves, changed) = pass(&second, &mut labels, Sums::Moved);
        assert!(changed > 0 && changed < n, "{changed} of {n} rows moved");
        by_label.add(&moves);
        by_label.forget_empty();
        let (fresh, _) = pass(&second, &mut vec![UNASSIGNED; n], Sums::All);
        assert_eq!(by_label.weights(), fresh.weights());
        assert_eq!(by_label.n_rows(), n);
        assert_eq!(by_label.weights()[0], 0.0);
        assert!(by_label.sum(0).iter().all(|&s| s == 0.0));
        for j in 1..k {
            for (a, b) in by_label.sum(j).iter().zip(fresh.sum(j)) {
                assert!((a - b).abs() <= 1e-12 * b.abs(), "centre {j}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn simd_and_portable_kernels_agree() {
        kernels_agree::<f64>();
        kernels_agree::<f32>();
    }

    /// Duplicated centres tie exactly; every kernel gives the row to the
    /// first of them: within a pair of the argmin tree, across the tree and
    /// across panels, for rows scored in whole tiles and in the remainder.
    fn ties_go_to_the_first_centre<F: Element>() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let (d, distinct) = (18, 4);
        let points = Array2::from_shape_fn((distinct, d), |_| F::from_f64(rng.random::<f64>()));
        // Centre j is a copy of point order[j]. First copies: point 0 at 0
        // (tied with 1, its pair), point 1 at 2, point 3 at 3, point 2 at 8
        // (panel 1, tied with 9); later copies in panels 1 and 2.
        let order = [0, 0, 1, 3, 1, 3, 0, 1, 2, 2, 3, 2, 0, 1, 3, 2, 2, 0];
        let centers = Array2::from_shape_fn((order.len(), d), |(j, f)| points[[order[j], f]]);
        let first = |p: usize| order.iter().position(|&o| o == p).unwrap_or(usize::MAX);
        let n = 53;
        let x = Array2::from_shape_fn((n, d), |(i, f)| points[[i % distinct, f]]);
        let rows = x.as_slice().unwrap();
        let packed = PackedCenters::new(centers.view());
        let expected: Vec<usize> = (0..n).map(|i| first(i % distinct)).collect();
        assert_every_kernel_labels(rows, &packed, &expected);
    }

    /// The portable kernel, and the SIMD kernels where the CPU has them,
    /// give `rows` the `expected` labels.
    fn assert_every_kernel_labels<F: Element>(rows: &[F], packed: &PackedCenters<F>, expected: &[usize]) {
        let n = expected.len();
        let mut portable = vec![UNASSIGNED; n];
        nearest_portable(rows, packed, &mut portable);
        assert_eq!(portable, expected);
        let mut fast = vec![UNASSIGNED; n];
        if simd::nearest_rows(packed.panels(), packed.d, packed.k, rows, &mut fast, None).is_some() {
            assert_eq!(fast, expected);
        }
    }

    #[test]
    fn ties_go_to_the_first_centre_in_every_kernel() {
        ties_go_to_the_first_centre::<f64>();
        ties_go_to_the_first_centre::<f32>();
    }

    /// Rows near the midpoint of two close centres, where any change in the
    /// order or the rounding of the score would flip labels: scored in whole
    /// tiles (the rows-in-lanes kernel for f32 on AVX-512) and one row at a
    /// time (the 4-row tiles' single-row form), they get the same labels.
    /// A second pass changes nothing, and leaves the sums alone.
    fn tiles_agree_on_near_ties<F: Element>() {
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        let (n, d, k) = (4096, 5, 3);
        // Centres 0 and 1 close together, centre 2 far; rows a hair from
        // the midpoint of 0 and 1.
        let base: Vec<f64> = (0..d).map(|_| rng.random()).collect();
        let step: Vec<f64> = (0..d).map(|_| 1e-2 * rng.random::<f64>()).collect();
        let centers = Array2::from_shape_fn((k, d), |(j, f)| F::from_f64(base[f] + [0.0, step[f], 1.0][j]));
        let x = Array2::from_shape_fn((n, d), |(_, f)| {
            F::from_f64(base[f] + step[f] / 2.0 + 1e-7 * (rng.random::<f64>() - 0.5))
        });
        let rows = x.as_slice().unwrap();
        let packed = PackedCenters::new(centers.view());
        let mut whole = vec![UNASSIGNED; n];
        if simd::nearest_rows(packed.panels(), d, k, rows, &mut whole, None).is_none() {
            return;
        }
        let mut single = vec![UNASSIGNED; n];
        for (row, label) in rows.chunks_exact(d).zip(single.chunks_exact_mut(1)) {
            simd::nearest_rows(packed.panels(), d, k, row, label, None);
        }
        assert_eq!(whole, single);
        let counts: Vec<usize> = (0..k).map(|j| whole.iter().filter(|&&l| l == j).count()).collect();
        assert!(counts[0] > n / 20 && counts[1] > n / 20, "not near ties: {counts:?}");
        let mut sums = vec![0.5; k * d];
        let mut totals = vec![1.0; k];
        let mut moves = simd::Moves {
            sums: &mut sums,
            totals: &mut totals,
            newly_labelled: 0,
        };
        let again = simd::nearest_rows(packed.panels(), d, k, rows, &mut whole, Some(&mut moves));
        assert_eq!((again, moves.newly_labelled), (Some(0), 0));
        assert_eq!((sums, totals, &whole), (vec![0.5; k * d], vec![1.0; k], &single));
    }

    #[test]
    fn whole_tiles_and_single_rows_agree_on_near_ties() {
        tiles_agree_on_near_ties::<f64>();
        tiles_agree_on_near_ties::<f32>();
    }

    /// Finite data whose squares overflow gives NaN scores (∞ − ∞); every
    /// kernel treats them as +∞, so the row goes to the other centre.
    fn a_nan_score_never_wins<F: Element>(huge: f64) {
        let centers = Array2::from_shape_vec((2, 1), vec![F::from_f64(huge), F::from_f64(1.0)]).unwrap();
        let packed = PackedCenters::new(centers.view());
        assert_every_kernel_labels(&[F::from_f64(1.0); 37], &packed, &[1; 37]);
    }

    #[test]
    fn a_nan_score_never_wins_in_any_kernel() {
        a_nan_score_never_wins::<f32>(3.0e38);
        a_nan_score_never_wins::<f64>(1.7e308);
    }

    /// Shapes the SIMD kernels cannot take are refused, not guessed at.
    #[test]
    fn simd_kernels_refuse_mismatched_shapes() {
        let centers = Array2::from_shape_fn((3, 2), |(j, f)| (j + f) as f64);
        let packed = PackedCenters::new(centers.view());
        let rows = [0.0; 8];
        let mut labels = [0; 4];
        let near = simd::nearest_rows(packed.panels(), 2, 3, &rows, &mut labels, None);
        assert_eq!(near.is_some(), has_simd());
        assert_eq!(
            simd::nearest_rows(packed.panels(), 2, 9, &rows, &mut labels, None),
            None
        );
        assert_eq!(
            simd::nearest_rows(packed.panels(), 2, 3, &rows[..6], &mut labels, None),
            None
        );
        let (mut sums, mut totals) = (vec![0.0; 6], vec![0.0; 3]);
        for (n_sums, n_totals) in [(4, 3), (6, 2)] {
            let mut moves = simd::Moves {
                sums: &mut sums[..n_sums],
                totals: &mut totals[..n_totals],
                newly_labelled: 0,
            };
            let near = simd::nearest_rows(packed.panels(), 2, 3, &rows, &mut labels, Some(&mut moves));
            assert_eq!(near, None);
        }
        let mut add = |rows: &[f64], weights: Option<&[f64]>, labels: &[usize], sums: &mut [f64]| {
            simd::add_rows(2, rows, weights, labels, sums, &mut totals)
        };
        assert_eq!(add(&rows, None, &labels, &mut sums), has_simd());
        assert!(!add(&rows[..6], None, &labels, &mut sums));
        assert!(!add(&rows, Some(&[1.0; 3]), &labels, &mut sums));
        assert!(!add(&rows, None, &labels, &mut sums[..4]));
        assert!(!add(&rows, None, &[0, 1, 2, 3], &mut sums));
    }
}
