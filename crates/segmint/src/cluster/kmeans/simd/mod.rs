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
//! register ([`ROWS_IN_LANES`]; `x86/in_lanes.rs`), with the same bits as the
//! 4-row tiles; f64 data stays on AVX2's 4-row tiles, which are faster for it.
//! In every kernel a NaN score counts as +∞.
//!
//! The centre sums: as the scoring kernel writes a changed label it moves the
//! row from its old centre's sums to its new one's (`Moves`; no copy of the
//! old labels, no second scan), and `add_rows` adds a block's rows to the sums
//! four f64 lanes at a time (f32 rows widened in registers), multiply then
//! add, so the bits equal the portable loop's.

use crate::element::Element;

/// Centres per panel.
pub(crate) const PANEL: usize = 8;

/// Rows scored together against a panel: enough independent accumulators to
/// cover the multiply-add latency, few enough to stay in the 16 registers
/// (f64: 2 per row; f32: 1 per row). f32 takes 4 rows too: wider tiles, or
/// a row's features split into two chains, cost more instructions per row
/// than they hide latency, even with AVX-512's 32 registers.
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
mod x86;
#[cfg(target_arch = "x86_64")]
use x86 as imp;
