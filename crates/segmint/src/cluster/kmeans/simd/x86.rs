//! The x86-64 kernels: AVX2 + FMA through `pulp`'s safe wrappers, chosen at
//! run time, and for f32 data on a CPU with AVX-512 the rows-in-lanes kernel
//! of [`in_lanes`].

use core::arch::x86_64::{__m128, __m256, __m256d, _CMP_EQ_OQ};

use pulp::bytemuck::cast;
use pulp::x86::{V3, V4};

use super::{Moves, PANEL, PanelSet, Panels, TILE_F32, TILE_F64};
use crate::cluster::Element;
use crate::element::Typed;

mod in_lanes;

use in_lanes::NearestInLanes;

pub(super) fn nearest_rows<F: Element>(
    panels: &Panels,
    d: usize,
    k: usize,
    rows: &[F],
    labels: &mut [usize],
    moves: Option<&mut Moves<'_>>,
) -> Option<usize> {
    // f32 data gains from AVX-512 (F, BW, CD, DQ, VL), sixteen rows to a
    // register; f64 data does not, and stays on AVX2.
    if let (Panels::F32(set), Some(wide), Typed::F32(rows)) = (panels, V4::try_new(), F::typed(rows)) {
        return Some(wide.vectorize(NearestInLanes {
            simd: wide,
            set,
            d,
            k,
            rows,
            labels,
            moves,
        }));
    }
    let simd = V3::try_new()?;
    Some(simd.vectorize(Nearest {
        simd,
        panels,
        d,
        k,
        rows,
        labels,
        moves,
    }))
}

/// [`nearest_rows`]'s work, as a type whose `call` is forced inline into
/// the AVX2 context (a closure's body may stay outside it,
/// and then every intrinsic becomes a function call).
struct Nearest<'a, 'm, F> {
    simd: V3,
    panels: &'a Panels,
    d: usize,
    k: usize,
    rows: &'a [F],
    labels: &'a mut [usize],
    moves: Option<&'a mut Moves<'m>>,
}

impl<F: Element> pulp::NullaryFnOnce for Nearest<'_, '_, F> {
    type Output = usize;

    #[inline(always)]
    fn call(self) -> usize {
        let Nearest {
            simd,
            panels,
            d,
            k,
            rows,
            labels,
            moves,
        } = self;
        match panels {
            Panels::F64(set) => tiles_f64(simd, set, d, k, rows, labels, moves),
            Panels::F32(set) => tiles_f32(simd, set, d, k, rows, labels, moves),
        }
    }
}

/// Records `best` as the label of `row`, moving the row between the
/// centre sums and counting it if it changed. Padding lanes (≥ `k`)
/// score +∞ and come after every real centre, so they never win; the
/// clamp only guards the index.
#[inline(always)]
fn store<F: Element>(
    simd: V3,
    label: &mut usize,
    best: usize,
    k: usize,
    row: &[F],
    moves: &mut Option<&mut Moves<'_>>,
) -> usize {
    let best = best.min(k - 1);
    if *label == best {
        return 0;
    }
    if let Some(moves) = moves {
        relabel(simd, moves, row, *label, best);
    }
    *label = best;
    1
}

/// Moves `row` from centre `from`'s sums (none if `from` ≥ k) to `to`'s.
#[inline(always)]
pub(super) fn relabel<F: Element>(simd: V3, moves: &mut Moves<'_>, row: &[F], from: usize, to: usize) {
    let d = row.len();
    if from < moves.totals.len() {
        moves.totals[from] -= 1.0;
        add_row(simd, &mut moves.sums[from * d..(from + 1) * d], row, Some(-1.0));
    } else {
        moves.newly_labelled += 1;
    }
    moves.totals[to] += 1.0;
    add_row(simd, &mut moves.sums[to * d..(to + 1) * d], row, None);
}

/// `sum += weight × row` for a row of either precision (the match is
/// resolved at compile time).
#[inline(always)]
fn add_row<F: Element>(simd: V3, sum: &mut [f64], row: &[F], weight: Option<f64>) {
    match F::typed(row) {
        Typed::F64(row) => add_f64(simd, sum, row, weight),
        Typed::F32(row) => add_f32(simd, sum, row, weight),
    }
}

#[inline(always)]
fn tiles_f64<F: Element>(
    simd: V3,
    set: &PanelSet<f64>,
    d: usize,
    k: usize,
    rows: &[F],
    labels: &mut [usize],
    mut moves: Option<&mut Moves<'_>>,
) -> usize {
    let mut changed = 0;
    let mut tiles = rows.chunks_exact(TILE_F64 * d);
    let mut tile_labels = labels.chunks_exact_mut(TILE_F64);
    for (tile, labels) in (&mut tiles).zip(&mut tile_labels) {
        let best = tile_f64::<F, TILE_F64>(simd, set, d, tile);
        for ((label, best), row) in labels.iter_mut().zip(best).zip(tile.chunks_exact(d)) {
            changed += store(simd, label, best, k, row, &mut moves);
        }
    }
    for (row, label) in tiles.remainder().chunks_exact(d).zip(tile_labels.into_remainder()) {
        let best = tile_f64::<F, 1>(simd, set, d, row)[0];
        changed += store(simd, label, best, k, row, &mut moves);
    }
    changed
}

#[inline(always)]
pub(super) fn tiles_f32<F: Element>(
    simd: V3,
    set: &PanelSet<f32>,
    d: usize,
    k: usize,
    rows: &[F],
    labels: &mut [usize],
    mut moves: Option<&mut Moves<'_>>,
) -> usize {
    let mut changed = 0;
    let mut tiles = rows.chunks_exact(TILE_F32 * d);
    let mut tile_labels = labels.chunks_exact_mut(TILE_F32);
    for (tile, labels) in (&mut tiles).zip(&mut tile_labels) {
        let best = tile_f32::<F, TILE_F32>(simd, set, d, tile);
        for ((label, best), row) in labels.iter_mut().zip(best).zip(tile.chunks_exact(d)) {
            changed += store(simd, label, best, k, row, &mut moves);
        }
    }
    for (row, label) in tiles.remainder().chunks_exact(d).zip(tile_labels.into_remainder()) {
        let best = tile_f32::<F, 1>(simd, set, d, row)[0];
        changed += store(simd, label, best, k, row, &mut moves);
    }
    changed
}

/// Nearest centre of each of the `R` rows of `tile` (f64 data). The
/// first panel sets the best scores directly, so that for k ≤ 8 (one
/// panel) they need no registers while the scores are computed.
#[inline(always)]
fn tile_f64<F: Element, const R: usize>(simd: V3, set: &PanelSet<f64>, d: usize, tile: &[F]) -> [usize; R] {
    let scores = scores_f64::<F, R>(simd, &set.minus_two[..d], &set.norms[0], d, tile);
    // A loop, not a closure: a closure's body would sit outside the AVX2 context.
    let mut best = [(f64::INFINITY, 0); R];
    for r in 0..R {
        best[r] = argmin_f64(simd, scores[r]);
    }
    for p in 1..set.norms.len() {
        let panel = &set.minus_two[p * d..(p + 1) * d];
        let scores = scores_f64::<F, R>(simd, panel, &set.norms[p], d, tile);
        for r in 0..R {
            let (score, lane) = argmin_f64(simd, scores[r]);
            if score < best[r].0 {
                best[r] = (score, p * PANEL + lane);
            }
        }
    }
    best.map(|b| b.1)
}

/// Nearest centre of each of the `R` rows of `tile` (f32 data). The
/// first panel sets the best scores directly, so that for k ≤ 8 (one
/// panel) they need no registers while the scores are computed.
#[inline(always)]
fn tile_f32<F: Element, const R: usize>(simd: V3, set: &PanelSet<f32>, d: usize, tile: &[F]) -> [usize; R] {
    let scores = scores_f32::<F, R>(simd, &set.minus_two[..d], &set.norms[0], d, tile);
    // A loop, not a closure: a closure's body would sit outside the AVX2 context.
    let mut best = [(f32::INFINITY, 0); R];
    for r in 0..R {
        best[r] = argmin_f32(simd, scores[r]);
    }
    for p in 1..set.norms.len() {
        let panel = &set.minus_two[p * d..(p + 1) * d];
        let scores = scores_f32::<F, R>(simd, panel, &set.norms[p], d, tile);
        for r in 0..R {
            let (score, lane) = argmin_f32(simd, scores[r]);
            if score < best[r].0 {
                best[r] = (score, p * PANEL + lane);
            }
        }
    }
    best.map(|b| b.1)
}

/// ‖c‖² − 2 x·c of each of the `R` rows of `tile` against one panel
/// (f64 data): the accumulators stay in registers across the features.
#[inline(always)]
fn scores_f64<F: Element, const R: usize>(
    simd: V3,
    panel: &[[f64; PANEL]],
    norms: &[f64; PANEL],
    d: usize,
    tile: &[F],
) -> [[__m256d; 2]; R] {
    let rows: [&[F]; R] = core::array::from_fn(|r| &tile[r * d..(r + 1) * d]);
    // Iterating to the shortest length lets the compiler drop the bounds checks.
    let len = rows.iter().fold(panel.len(), |len, row| len.min(row.len()));
    let mut acc = [cast::<_, [__m256d; 2]>(*norms); R];
    for (f, centres) in panel[..len].iter().enumerate() {
        let centres: [__m256d; 2] = cast(*centres);
        for r in 0..R {
            let x = simd.avx._mm256_set1_pd(rows[r][f].to_f64());
            acc[r][0] = simd.fma._mm256_fmadd_pd(x, centres[0], acc[r][0]);
            acc[r][1] = simd.fma._mm256_fmadd_pd(x, centres[1], acc[r][1]);
        }
    }
    acc
}

/// [`scores_f64`] for f32 data, eight f32 lanes per row.
#[inline(always)]
fn scores_f32<F: Element, const R: usize>(
    simd: V3,
    panel: &[[f32; PANEL]],
    norms: &[f32; PANEL],
    d: usize,
    tile: &[F],
) -> [__m256; R] {
    let rows: [&[F]; R] = core::array::from_fn(|r| &tile[r * d..(r + 1) * d]);
    let len = rows.iter().fold(panel.len(), |len, row| len.min(row.len()));
    let mut acc = [cast::<_, __m256>(*norms); R];
    for (f, centres) in panel[..len].iter().enumerate() {
        let centres: __m256 = cast(*centres);
        for r in 0..R {
            // For f32 data the round trip through f64 is exact and compiles away.
            let x = simd.avx._mm256_set1_ps(rows[r][f].to_f64() as f32);
            acc[r] = simd.fma._mm256_fmadd_ps(x, centres, acc[r]);
        }
    }
    acc
}

pub(super) fn add_rows<F: Element>(
    d: usize,
    rows: &[F],
    weights: Option<&[F]>,
    labels: &[usize],
    sums: &mut [f64],
    totals: &mut [f64],
) -> bool {
    let Some(simd) = V3::try_new() else { return false };
    simd.vectorize(AddRows {
        simd,
        d,
        rows,
        weights,
        labels,
        sums,
        totals,
    });
    true
}

/// [`add_rows`]'s work, forced inline like [`Nearest`].
struct AddRows<'a, F> {
    simd: V3,
    d: usize,
    rows: &'a [F],
    weights: Option<&'a [F]>,
    labels: &'a [usize],
    sums: &'a mut [f64],
    totals: &'a mut [f64],
}

impl<F: Element> pulp::NullaryFnOnce for AddRows<'_, F> {
    type Output = ();

    #[inline(always)]
    fn call(self) {
        let AddRows {
            simd,
            d,
            rows,
            weights,
            labels,
            sums,
            totals,
        } = self;
        // One loop per case, so that the weight is not tested per row
        // (the element type is fixed at compile time).
        match weights {
            None => add_each(simd, d, rows, labels, sums, totals),
            Some(w) => add_each_weighted(simd, d, rows, w, labels, sums, totals),
        }
    }
}

/// Adds each row (weight 1) to its label's sums.
#[inline(always)]
fn add_each<F: Element>(simd: V3, d: usize, rows: &[F], labels: &[usize], sums: &mut [f64], totals: &mut [f64]) {
    for (row, &j) in rows.chunks_exact(d).zip(labels) {
        totals[j] += 1.0;
        add_row(simd, &mut sums[j * d..(j + 1) * d], row, None);
    }
}

/// [`add_each`] with a weight per row.
#[inline(always)]
fn add_each_weighted<F: Element>(
    simd: V3,
    d: usize,
    rows: &[F],
    weights: &[F],
    labels: &[usize],
    sums: &mut [f64],
    totals: &mut [f64],
) {
    for ((row, &j), w) in rows.chunks_exact(d).zip(labels).zip(weights) {
        let w = w.to_f64();
        totals[j] += w;
        add_row(simd, &mut sums[j * d..(j + 1) * d], row, Some(w));
    }
}

/// `sum += weight × row` in f64, four lanes at a time; multiplying then
/// adding (no FMA) rounds as the scalar loop does.
#[inline(always)]
fn add_f64(simd: V3, sum: &mut [f64], row: &[f64], weight: Option<f64>) {
    let avx = simd.avx;
    let (sum4, sum_tail) = sum.as_chunks_mut::<4>();
    let (row4, row_tail) = row.as_chunks::<4>();
    for (s, x) in sum4.iter_mut().zip(row4) {
        let x: __m256d = cast(*x);
        let x = weight.map_or(x, |w| avx._mm256_mul_pd(avx._mm256_set1_pd(w), x));
        *s = cast(avx._mm256_add_pd(cast(*s), x));
    }
    for (s, &x) in sum_tail.iter_mut().zip(row_tail) {
        *s += weight.map_or(x, |w| w * x);
    }
}

/// [`add_f64`] for f32 rows, widened to f64 in registers (exactly).
#[inline(always)]
fn add_f32(simd: V3, sum: &mut [f64], row: &[f32], weight: Option<f64>) {
    let avx = simd.avx;
    let (sum4, sum_tail) = sum.as_chunks_mut::<4>();
    let (row4, row_tail) = row.as_chunks::<4>();
    for (s, x) in sum4.iter_mut().zip(row4) {
        let x = avx._mm256_cvtps_pd(cast::<_, __m128>(*x));
        let x = weight.map_or(x, |w| avx._mm256_mul_pd(avx._mm256_set1_pd(w), x));
        *s = cast(avx._mm256_add_pd(cast(*s), x));
    }
    for (s, &x) in sum_tail.iter_mut().zip(row_tail) {
        let x = f64::from(x);
        *s += weight.map_or(x, |w| w * x);
    }
}

pub(super) fn panel_distances<F: Element>(
    panels: &Panels,
    d: usize,
    rows: &[F],
    row_norms: &[F],
    visit: impl FnMut(usize, [f64; PANEL]),
) -> bool {
    let Some(simd) = V3::try_new() else { return false };
    simd.vectorize(Distances {
        simd,
        panels,
        d,
        rows,
        row_norms,
        visit,
    });
    true
}

/// [`panel_distances`]'s work, forced inline like [`Nearest`].
struct Distances<'a, F, V> {
    simd: V3,
    panels: &'a Panels,
    d: usize,
    rows: &'a [F],
    row_norms: &'a [F],
    visit: V,
}

impl<F: Element, V: FnMut(usize, [f64; PANEL])> pulp::NullaryFnOnce for Distances<'_, F, V> {
    type Output = ();

    #[inline(always)]
    fn call(self) {
        let Distances {
            simd,
            panels,
            d,
            rows,
            row_norms,
            visit,
        } = self;
        match panels {
            Panels::F64(set) => distances_f64(simd, set, d, rows, row_norms, visit),
            Panels::F32(set) => distances_f32(simd, set, d, rows, row_norms, visit),
        }
    }
}

#[inline(always)]
fn distances_f64<F: Element>(
    simd: V3,
    set: &PanelSet<f64>,
    d: usize,
    rows: &[F],
    row_norms: &[F],
    mut visit: impl FnMut(usize, [f64; PANEL]),
) {
    let avx = simd.avx;
    let zero = avx._mm256_setzero_pd();
    let mut one_row = |i: usize, [low, high]: [__m256d; 2]| {
        let norm = avx._mm256_set1_pd(row_norms[i].to_f64());
        let low = avx._mm256_max_pd(avx._mm256_add_pd(low, norm), zero);
        let high = avx._mm256_max_pd(avx._mm256_add_pd(high, norm), zero);
        visit(i, cast([low, high]));
    };
    let mut tiles = rows.chunks_exact(TILE_F64 * d);
    for (t, tile) in (&mut tiles).enumerate() {
        let scores = scores_f64::<F, TILE_F64>(simd, &set.minus_two, &set.norms[0], d, tile);
        for (r, scores) in scores.into_iter().enumerate() {
            one_row(t * TILE_F64 + r, scores);
        }
    }
    let done = rows.len() / d - tiles.remainder().len() / d;
    for (r, row) in tiles.remainder().chunks_exact(d).enumerate() {
        one_row(
            done + r,
            scores_f64::<F, 1>(simd, &set.minus_two, &set.norms[0], d, row)[0],
        );
    }
}

#[inline(always)]
fn distances_f32<F: Element>(
    simd: V3,
    set: &PanelSet<f32>,
    d: usize,
    rows: &[F],
    row_norms: &[F],
    mut visit: impl FnMut(usize, [f64; PANEL]),
) {
    let avx = simd.avx;
    let zero = avx._mm256_setzero_ps();
    let mut one_row = |i: usize, scores: __m256| {
        let norm = avx._mm256_set1_ps(row_norms[i].to_f64() as f32);
        let d2 = avx._mm256_max_ps(avx._mm256_add_ps(scores, norm), zero);
        visit(i, cast::<_, [f32; PANEL]>(d2).map(f64::from));
    };
    let mut tiles = rows.chunks_exact(TILE_F32 * d);
    for (t, tile) in (&mut tiles).enumerate() {
        let scores = scores_f32::<F, TILE_F32>(simd, &set.minus_two, &set.norms[0], d, tile);
        for (r, scores) in scores.into_iter().enumerate() {
            one_row(t * TILE_F32 + r, scores);
        }
    }
    let done = rows.len() / d - tiles.remainder().len() / d;
    for (r, row) in tiles.remainder().chunks_exact(d).enumerate() {
        one_row(
            done + r,
            scores_f32::<F, 1>(simd, &set.minus_two, &set.norms[0], d, row)[0],
        );
    }
}

/// The lowest of eight scores and its first lane: the minimum is spread
/// to every lane by swapping halves and pairs, then compared back.
#[inline(always)]
fn argmin_f64(simd: V3, [low, high]: [__m256d; 2]) -> (f64, usize) {
    let avx = simd.avx;
    // NaN scores become +∞ (`min` returns its second operand for NaN),
    // so that they never win, as in the portable kernel.
    let infinity = avx._mm256_set1_pd(f64::INFINITY);
    let (low, high) = (avx._mm256_min_pd(low, infinity), avx._mm256_min_pd(high, infinity));
    let m = avx._mm256_min_pd(low, high);
    let m = avx._mm256_min_pd(m, avx._mm256_permute2f128_pd::<1>(m, m));
    let m = avx._mm256_min_pd(m, avx._mm256_permute_pd::<0b0101>(m));
    let in_low = avx._mm256_movemask_pd(avx._mm256_cmp_pd::<_CMP_EQ_OQ>(low, m));
    let in_high = avx._mm256_movemask_pd(avx._mm256_cmp_pd::<_CMP_EQ_OQ>(high, m));
    let lanes = (in_low | (in_high << 4)) as u32;
    // A lane always matches (no NaN is left); the clamp only guards the index.
    (
        simd.avx2._mm256_cvtsd_f64(m),
        (lanes.trailing_zeros() as usize).min(PANEL - 1),
    )
}

/// [`argmin_f64`] for eight f32 scores in one vector.
#[inline(always)]
fn argmin_f32(simd: V3, scores: __m256) -> (f32, usize) {
    let avx = simd.avx;
    let scores = avx._mm256_min_ps(scores, avx._mm256_set1_ps(f32::INFINITY));
    let m = avx._mm256_min_ps(scores, avx._mm256_permute2f128_ps::<1>(scores, scores));
    let m = avx._mm256_min_ps(m, avx._mm256_permute_ps::<0b0100_1110>(m));
    let m = avx._mm256_min_ps(m, avx._mm256_permute_ps::<0b1011_0001>(m));
    let lanes = avx._mm256_movemask_ps(avx._mm256_cmp_ps::<_CMP_EQ_OQ>(scores, m)) as u32;
    (
        avx._mm256_cvtss_f32(m),
        (lanes.trailing_zeros() as usize).min(PANEL - 1),
    )
}
