//! The rows-in-lanes kernel for f32 data on a CPU with AVX-512: a tile of
//! sixteen rows is transposed in registers, each centre's scores are one
//! register, built with the same multiply-adds in the same order as the AVX2
//! tiles (so the same bits), and the argmin and the label check work on
//! whole registers.

use core::arch::x86_64::{__m512, __m512d, __m512i, _CMP_LT_OQ, _MM_HINT_T0};

use pulp::bytemuck::cast;
use pulp::x86::V4;

use super::super::{Moves, PANEL, PanelSet, ROWS_IN_LANES};
use super::{relabel, tiles_f32};

/// [`nearest_rows`] for f32 data on a CPU with AVX-512: whole tiles of
/// [`ROWS_IN_LANES`] rows go through the rows-in-lanes kernel, the rest through
/// the 4-row tiles.
pub(super) struct NearestInLanes<'a, 'm> {
    pub(super) simd: V4,
    pub(super) set: &'a PanelSet<f32>,
    pub(super) d: usize,
    pub(super) k: usize,
    pub(super) rows: &'a [f32],
    pub(super) labels: &'a mut [usize],
    pub(super) moves: Option<&'a mut Moves<'m>>,
}

impl pulp::NullaryFnOnce for NearestInLanes<'_, '_> {
    type Output = usize;

    #[inline(always)]
    fn call(self) -> usize {
        let NearestInLanes {
            simd,
            set,
            d,
            k,
            rows,
            labels,
            mut moves,
        } = self;
        let mut columns = vec![Column([0.0; ROWS_IN_LANES]); d];
        let mut changed = 0;
        let mut tiles = rows.chunks_exact(ROWS_IN_LANES * d);
        let (tile_labels, rest_labels) = labels.as_chunks_mut::<ROWS_IN_LANES>();
        for (t, (tile, labels)) in (&mut tiles).zip(tile_labels).enumerate() {
            prefetch(
                simd,
                rows.get((t + PREFETCH_TILES) * tile.len()..).unwrap_or(&[]),
                tile.len(),
            );
            transpose_tile(simd, d, tile, &mut columns);
            let nearest = nearest_in_lanes(simd, set, &columns);
            changed += store_lanes(simd, labels, nearest, k, tile, &mut moves);
        }
        changed + tiles_f32(*simd, set, d, k, tiles.remainder(), rest_labels, moves)
    }
}

/// How many tiles ahead of the one being scored [`NearestInLanes`]
/// fetches rows into the cache. The scoring keeps the core busy, so the
/// loads of the rows would otherwise wait for the hardware prefetcher,
/// which as a rule does not cross a 4 KiB page.
const PREFETCH_TILES: usize = 2;

/// Asks for the cache lines of the first `len` values of `ahead`: one
/// every 64 bytes, and the last value's (the rows need not start on a
/// cache line).
#[inline(always)]
fn prefetch(simd: V4, ahead: &[f32], len: usize) {
    const LINE: usize = 64 / size_of::<f32>();
    let ahead = &ahead[..len.min(ahead.len())];
    for line in ahead.chunks(LINE).chain(ahead.last_chunk::<1>().map(|last| &last[..])) {
        simd.sse._mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast());
    }
}

/// One feature of [`ROWS_IN_LANES`] rows, aligned to a cache line so that its
/// register's store and load never straddle two.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Column([f32; ROWS_IN_LANES]);

/// Writes feature `f` of the [`ROWS_IN_LANES`] rows of `tile` to `columns[f]`,
/// row `r` in lane `r`, sixteen features at a time (the last block
/// padded with zeros).
#[inline(always)]
fn transpose_tile(simd: V4, d: usize, tile: &[f32], columns: &mut [Column]) {
    for start in (0..d).step_by(ROWS_IN_LANES) {
        let width = ROWS_IN_LANES.min(d - start);
        let mut block = [simd.avx512f._mm512_setzero_ps(); ROWS_IN_LANES];
        let features = |r: usize| &tile[r * d + start..r * d + start + width];
        // Two loops, so that full blocks load each row as one register
        // (a shared loop became a zeroed buffer and a memcpy per row).
        if width == ROWS_IN_LANES {
            for (r, block) in block.iter_mut().enumerate() {
                if let Some(full) = features(r).first_chunk::<ROWS_IN_LANES>() {
                    *block = cast(*full);
                }
            }
        } else {
            for (r, block) in block.iter_mut().enumerate() {
                let mut padded = [0.0; ROWS_IN_LANES];
                padded[..width].copy_from_slice(features(r));
                *block = cast(padded);
            }
        }
        for (column, lanes) in columns[start..].iter_mut().zip(transpose_16(simd, block)) {
            column.0 = cast(lanes);
        }
    }
}

/// Transposes a 16 × 16 block of f32 held as 16 rows: four rounds of
/// two-register shuffles, each doubling the rows that share a register
/// (pairs within 128-bit lanes, then fours, then 128-bit lanes across
/// registers twice).
#[inline(always)]
fn transpose_16(simd: V4, rows: [__m512; ROWS_IN_LANES]) -> [__m512; ROWS_IN_LANES] {
    let f = simd.avx512f;
    let as_pd = |v: __m512| cast::<__m512, __m512d>(v);
    let mut pairs = rows;
    for p in 0..ROWS_IN_LANES / 2 {
        pairs[2 * p] = f._mm512_unpacklo_ps(rows[2 * p], rows[2 * p + 1]);
        pairs[2 * p + 1] = f._mm512_unpackhi_ps(rows[2 * p], rows[2 * p + 1]);
    }
    // fours[4q + j]: rows 4q..4q + 4, feature j + 4L in 128-bit lane L.
    let mut fours = pairs;
    for q in 0..ROWS_IN_LANES / 4 {
        let [a, b, c, e] = [0, 1, 2, 3].map(|j| as_pd(pairs[4 * q + j]));
        fours[4 * q] = cast(f._mm512_unpacklo_pd(a, c));
        fours[4 * q + 1] = cast(f._mm512_unpackhi_pd(a, c));
        fours[4 * q + 2] = cast(f._mm512_unpacklo_pd(b, e));
        fours[4 * q + 3] = cast(f._mm512_unpackhi_pd(b, e));
    }
    // eights[8h + m]: rows 8h..8h + 8 of features m and m + 8.
    let mut eights = fours;
    for h in 0..2 {
        for j in 0..4 {
            let (low, high) = (fours[8 * h + j], fours[8 * h + 4 + j]);
            eights[8 * h + j] = f._mm512_shuffle_f32x4::<0x88>(low, high);
            eights[8 * h + 4 + j] = f._mm512_shuffle_f32x4::<0xdd>(low, high);
        }
    }
    let mut columns = eights;
    for m in 0..ROWS_IN_LANES / 2 {
        columns[m] = f._mm512_shuffle_f32x4::<0x88>(eights[m], eights[8 + m]);
        columns[m + 8] = f._mm512_shuffle_f32x4::<0xdd>(eights[m], eights[8 + m]);
    }
    columns
}

/// Nearest centre of each of the [`ROWS_IN_LANES`] rows whose features are
/// `columns` (one row per lane), as sixteen u32 lanes. Each centre's
/// scores are one register, summed in the same order and with the same
/// multiply-adds as the 4-row tiles. The argmin pairs centres in a tree
/// (shorter dependency chains than a scan), a later centre replacing an
/// earlier one only when strictly lower, so ties go to the first centre
/// as there.
#[inline(always)]
fn nearest_in_lanes(simd: V4, set: &PanelSet<f32>, columns: &[Column]) -> __m512i {
    let f = simd.avx512f;
    let d = columns.len();
    let mut best = f._mm512_set1_ps(f32::INFINITY);
    let mut best_label = f._mm512_set1_epi32(0);
    for (p, norms) in set.norms.iter().enumerate() {
        let mut acc = [best; PANEL];
        for l in 0..PANEL {
            acc[l] = f._mm512_set1_ps(norms[l]);
        }
        for (column, centres) in columns.iter().zip(&set.minus_two[p * d..(p + 1) * d]) {
            let x: __m512 = cast(column.0);
            for l in 0..PANEL {
                acc[l] = f._mm512_fmadd_ps(x, f._mm512_set1_ps(centres[l]), acc[l]);
            }
        }
        // A NaN score (finite data whose squares overflow) never wins,
        // as in the portable kernel: `min` returns +∞ for it.
        let infinity = f._mm512_set1_ps(f32::INFINITY);
        let mut labels = [best_label; PANEL];
        for (l, (label, scores)) in labels.iter_mut().zip(&mut acc).enumerate() {
            *label = f._mm512_set1_epi32((p * PANEL + l) as i32);
            *scores = f._mm512_min_ps(*scores, infinity);
        }
        // Pairs, then pairs of pairs, then the two halves.
        let mut width = PANEL;
        while width > 1 {
            width /= 2;
            for l in 0..width {
                let closer = f._mm512_cmp_ps_mask::<_CMP_LT_OQ>(acc[2 * l + 1], acc[2 * l]);
                acc[l] = f._mm512_mask_blend_ps(closer, acc[2 * l], acc[2 * l + 1]);
                labels[l] = f._mm512_mask_blend_epi32(closer, labels[2 * l], labels[2 * l + 1]);
            }
        }
        let closer = f._mm512_cmp_ps_mask::<_CMP_LT_OQ>(acc[0], best);
        best = f._mm512_mask_blend_ps(closer, best, acc[0]);
        best_label = f._mm512_mask_blend_epi32(closer, best_label, labels[0]);
    }
    best_label
}

/// Writes the sixteen labels in `nearest` over `labels`, moving each row of
/// `tile` whose label changed between the centre sums, and returns how
/// many changed. Old and new labels are compared in registers, so rows
/// that keep their label cost nothing one by one. Labels are clamped
/// below `k` as in [`store`].
#[inline(always)]
fn store_lanes(
    simd: V4,
    labels: &mut [usize; ROWS_IN_LANES],
    nearest: __m512i,
    k: usize,
    tile: &[f32],
    moves: &mut Option<&mut Moves<'_>>,
) -> usize {
    let f = simd.avx512f;
    let nearest = f._mm512_min_epu32(nearest, f._mm512_set1_epi32((k - 1) as i32));
    let new = [
        f._mm512_cvtepu32_epi64(f._mm512_castsi512_si256(nearest)),
        f._mm512_cvtepu32_epi64(f._mm512_extracti64x4_epi64::<1>(nearest)),
    ];
    let old: [__m512i; 2] = cast(*labels);
    let mut changed = u32::from(f._mm512_cmpneq_epu64_mask(old[0], new[0]))
        | (u32::from(f._mm512_cmpneq_epu64_mask(old[1], new[1])) << 8);
    if changed == 0 {
        // Not writing the labels back keeps their cache lines clean.
        return 0;
    }
    let count = changed.count_ones() as usize;
    let new: [usize; ROWS_IN_LANES] = cast(new);
    if let Some(moves) = moves {
        let d = tile.len() / ROWS_IN_LANES;
        while changed != 0 {
            let r = changed.trailing_zeros() as usize;
            changed &= changed - 1;
            relabel(*simd, moves, &tile[r * d..(r + 1) * d], labels[r], new[r]);
        }
    }
    *labels = new;
    count
}
