//! The explicit-SIMD assignment micro-kernels (AVX2 + FMA through `pulp`'s
//! safe wrappers, chosen at run time; for f32 data on a CPU with AVX-512, a
//! rows-in-lanes kernel; other CPUs use the portable kernel).
//!
//! Centres come in panels of [`PANEL`] = 8. A tile of rows is scored against
//! one panel with one multiply-add per row, feature and vector of centres:
//! the accumulators start at ‖c‖² and add x_f · (−2 c_f), so they end at
//! ‖c‖² − 2 x·c (the ‖x‖² term does not change the argmin) without a final
//! pass. Each row's accumulators stay in registers for the whole panel, and
//! the argmin over the panel is a few lane shuffles, not a scalar scan.
//! f32 data is scored in eight f32 lanes, f64 data in two vectors of four.
//!
//! With AVX-512, f32 rows are scored the other way round, sixteen rows to a
//! register ([`ROWS_IN_LANES`]): a tile is transposed in registers, each centre's
//! scores are one register, built with the same multiply-adds in the same
//! order (so the same bits), and the argmin and the label check work on
//! whole registers.

use crate::element::Element;

/// Centres per panel.
pub(crate) const PANEL: usize = 8;

/// Rows scored together against a panel: enough independent accumulators to
/// cover the multiply-add latency, few enough to stay in the 16 registers
/// (f64: 2 per row; f32: 1 per row). f32 takes 4 rows, not 8: 8-row tiles
/// took more cycles and instructions per row, and 6-row tiles, and tiles
/// with each row's features split into two chains, were slower in both
/// precisions, even with AVX-512's 32 registers.
const TILE_F64: usize = 4;
const TILE_F32: usize = 4;

/// Rows scored together by the AVX-512 f32 kernel, one per f32 lane: the
/// rows are transposed so that each register holds one feature of sixteen
/// rows, each centre's scores build up in a register of their own, and the
/// argmin compares whole registers, with no shuffles, and the labels are
/// checked sixteen at a time.
const ROWS_IN_LANES: usize = 16;

/// Centres in the micro-kernel's layout, in the data's precision.
#[derive(Debug, Clone)]
pub(crate) enum Panels {
    F64(PanelSet<f64>),
    F32(PanelSet<f32>),
}

/// `minus_two[p * d + f][l]` = −2 × feature `f` of centre `p * PANEL + l`
/// (0 for padding); `norms[p][l]` = ‖c‖², +∞ for padding so that it never wins.
#[derive(Debug, Clone)]
pub(crate) struct PanelSet<T> {
    minus_two: Vec<[T; PANEL]>,
    norms: Vec<[T; PANEL]>,
}

impl Panels {
    /// Centre slots, padding included.
    fn n_centres(&self) -> usize {
        match self {
            Panels::F64(set) => set.norms.len() * PANEL,
            Panels::F32(set) => set.norms.len() * PANEL,
        }
    }

    /// Panels from centres already grouped by eight (`groups[g * d + f][l]`)
    /// and their norms, in the precision of `F`.
    pub(crate) fn new<F: Element>(groups: &[[F; PANEL]], norms: &[[F; PANEL]]) -> Panels {
        // Multiplying by −2 is exact, so the scores equal ‖c‖² − 2 x·c.
        if size_of::<F>() == size_of::<f32>() {
            Panels::F32(PanelSet {
                minus_two: groups.iter().map(|g| g.map(|v| (-2.0 * v.to_f64()) as f32)).collect(),
                norms: norms.iter().map(|g| g.map(|v| v.to_f64() as f32)).collect(),
            })
        } else {
            Panels::F64(PanelSet {
                minus_two: groups.iter().map(|g| g.map(|v| -2.0 * v.to_f64())).collect(),
                norms: norms.iter().map(|g| g.map(|v| v.to_f64())).collect(),
            })
        }
    }
}

/// Centre sums kept up to date by [`nearest_rows`]: each row whose label
/// changes leaves its old centre's sums (unless it had none) and joins its
/// new one's, with weight 1, in row order and in f64 — the same bits as the
/// scalar loop (subtracting is adding −1 × row).
pub(crate) struct Moves<'a> {
    /// `k × d` sums of the rows under each label.
    pub(crate) sums: &'a mut [f64],
    /// Rows per label.
    pub(crate) totals: &'a mut [f64],
    /// Rows that had no label (any label ≥ `k`, such as
    /// [`UNASSIGNED`](super::kernel::UNASSIGNED)).
    pub(crate) newly_labelled: usize,
}

/// Writes the nearest of the `k` centres (lowest ‖c‖² − 2 x·c, first on
/// ties) of each row of `rows` (`d` features each) to `labels`, moves the
/// rows that changed label in `moves`, and returns how many changed; `None`
/// (nothing written) when the CPU lacks AVX2 and FMA or the shapes disagree.
pub(crate) fn nearest_rows<F: Element>(
    panels: &Panels,
    d: usize,
    k: usize,
    rows: &[F],
    labels: &mut [usize],
    moves: Option<&mut Moves<'_>>,
) -> Option<usize> {
    let moves_fit = moves
        .as_ref()
        .is_none_or(|m| m.totals.len() == k && m.sums.len() == k * d);
    if d == 0 || k == 0 || k > panels.n_centres() || rows.len() != d * labels.len() || !moves_fit {
        return None;
    }
    imp::nearest_rows(panels, d, k, rows, labels, moves)
}

/// Adds each row of `rows` (`d` features) times its weight (1 without
/// `weights`) to `sums[j * d..(j + 1) * d]`, and the weight to `totals[j]`,
/// where `j` is the row's label, in row order and in f64, four lanes at a
/// time. Gives the same bits as the scalar loop (multiply, then add).
/// `false` (nothing added) when the CPU lacks AVX2 or the shapes disagree.
pub(crate) fn add_rows<F: Element>(
    d: usize,
    rows: &[F],
    weights: Option<&[F]>,
    labels: &[usize],
    sums: &mut [f64],
    totals: &mut [f64],
) -> bool {
    let (n, k) = (labels.len(), totals.len());
    let fits = d > 0
        && rows.len() == d * n
        && weights.is_none_or(|w| w.len() == n)
        && sums.len() == k * d
        && labels.iter().all(|&j| j < k);
    fits && imp::add_rows(d, rows, weights, labels, sums, totals)
}

/// Squared distances of each row to the centres of a single panel, as f64:
/// `visit(i, d2)` with `d2[t] = max(‖x_i‖² + ‖c_t‖² − 2 x_i·c_t, 0)` in the
/// data's precision (+∞ in padding lanes). `row_norms[i]` = ‖x_i‖². Returns
/// `false` (nothing visited) when the CPU lacks AVX2 and FMA or the centres
/// need more than one panel.
pub(crate) fn panel_distances<F: Element>(
    panels: &Panels,
    d: usize,
    rows: &[F],
    row_norms: &[F],
    visit: impl FnMut(usize, [f64; PANEL]),
) -> bool {
    let one_panel = match panels {
        Panels::F64(set) => set.norms.len() == 1,
        Panels::F32(set) => set.norms.len() == 1,
    };
    if d == 0 || !one_panel || rows.len() != d * row_norms.len() {
        return false;
    }
    imp::panel_distances(panels, d, rows, row_norms, visit)
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    use super::{Moves, Panels};
    use crate::cluster::Element;

    pub(super) fn nearest_rows<F: Element>(
        _: &Panels,
        _: usize,
        _: usize,
        _: &[F],
        _: &mut [usize],
        _: Option<&mut Moves<'_>>,
    ) -> Option<usize> {
        None
    }

    pub(super) fn add_rows<F: Element>(
        _: usize,
        _: &[F],
        _: Option<&[F]>,
        _: &[usize],
        _: &mut [f64],
        _: &mut [f64],
    ) -> bool {
        false
    }

    pub(super) fn panel_distances<F: Element>(
        _: &Panels,
        _: usize,
        _: &[F],
        _: &[F],
        _: impl FnMut(usize, [f64; super::PANEL]),
    ) -> bool {
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::{__m128, __m256, __m256d, __m512, __m512d, __m512i, _CMP_EQ_OQ, _CMP_LT_OQ, _MM_HINT_T0};

    use pulp::bytemuck::cast;
    use pulp::x86::{V3, V4};

    use super::{Moves, PANEL, PanelSet, Panels, ROWS_IN_LANES, TILE_F32, TILE_F64};
    use crate::cluster::Element;
    use crate::element::Typed;

    pub(super) fn nearest_rows<F: Element>(
        panels: &Panels,
        d: usize,
        k: usize,
        rows: &[F],
        labels: &mut [usize],
        moves: Option<&mut Moves<'_>>,
    ) -> Option<usize> {
        // f32 data is scored faster with AVX-512 (F, BW, CD, DQ, VL) enabled,
        // sixteen rows to a register (docs/benchmarks.md). f64 data was
        // slower with AVX-512, and stays on AVX2.
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

    /// [`nearest_rows`] for f32 data on a CPU with AVX-512: whole tiles of
    /// [`ROWS_IN_LANES`] rows go through the rows-in-lanes kernel, the rest through
    /// the 4-row tiles.
    struct NearestInLanes<'a, 'm> {
        simd: V4,
        set: &'a PanelSet<f32>,
        d: usize,
        k: usize,
        rows: &'a [f32],
        labels: &'a mut [usize],
        moves: Option<&'a mut Moves<'m>>,
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
    fn relabel<F: Element>(simd: V3, moves: &mut Moves<'_>, row: &[F], from: usize, to: usize) {
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
    fn tiles_f32<F: Element>(
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
}
