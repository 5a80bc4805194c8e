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
    step(x, sample_weight, centers, labels, true)
}

/// [`lloyd_step`] for the iterations of a distributed fit, whose chunks an
/// earlier [`lloyd_step`] has checked: `x` is not scanned for NaN and infinity
/// again, and the inertia, which only the last pass needs, is left at 0.
pub fn lloyd_sums<F: Element>(
    x: ArrayView2<'_, F>,
    sample_weight: Option<ArrayView1<'_, F>>,
    centers: ArrayView2<'_, F>,
    labels: &mut [usize],
) -> Result<LloydPartial> {
    step(x, sample_weight, centers, labels, false)
}

/// The step; `first` checks `x` for NaN and infinity and sums the exact inertia.
fn step<F: Element>(
    x: ArrayView2<'_, F>,
    sample_weight: Option<ArrayView1<'_, F>>,
    centers: ArrayView2<'_, F>,
    labels: &mut [usize],
    first: bool,
) -> Result<LloydPartial> {
    check::non_empty("centers", centers)?;
    check::n_features("X", x, centers.ncols())?;
    if first {
        check::finite("X", x)?;
    }
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
        first,
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
mod tests;
