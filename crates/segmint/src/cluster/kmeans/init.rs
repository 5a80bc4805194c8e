//! Choosing the initial centres: greedy k-means++ and random rows.

use multiversion::multiversion;
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::kernel::{BLOCK_ROWS, LANES, PackedCenters, ROWS};
use super::simd;
use crate::element::Element;

/// Greedy k-means++ (Arthur & Vassilvitskii 2007, as scikit-learn): the first
/// centre is a row drawn ∝ weight; each next one is the best of `2 + ⌊ln k⌋`
/// candidates drawn ∝ weight × D², the one lowering Σ weight × D² the most.
///
/// `x` must be in standard layout. One pass over `x` per step scores all
/// candidates at once; the draws search per-block totals of that pass
/// instead of a serial running sum over all rows.
pub(crate) fn kmeans_plus_plus<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Array2<F> {
    let n = x.nrows();
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let x_norms = row_norms(x);
    let mut chosen = Vec::with_capacity(k);

    let first = match w {
        None => rng.random_range(0..n),
        Some(w) => {
            let totals = block_sums(n, |i| w[i].to_f64());
            let mut weights = vec![0.0; n];
            weights.iter_mut().zip(w).for_each(|(v, w)| *v = w.to_f64());
            draw(
                &weights,
                None::<&[F]>,
                &totals,
                rng.random::<f64>() * totals.iter().sum::<f64>(),
            )
        }
    };
    chosen.push(first);
    let mut closest = vec![0.0f64; n];
    let scored = score_candidates(x, w, &x_norms, &[first], None, &mut closest);
    let (mut potential, mut block_totals) = scored.of(0);

    let mut trial_distances = vec![0.0f64; n * n_trials];
    while chosen.len() < k {
        let candidates: Vec<usize> = (0..n_trials)
            .map(|_| draw(&closest, w, &block_totals, rng.random::<f64>() * potential))
            .collect();
        let scored = score_candidates(x, w, &x_norms, &candidates, Some(&closest), &mut trial_distances);
        let best = (0..n_trials).fold(0, |b, t| if scored.totals[t] < scored.totals[b] { t } else { b });
        keep_candidate(&trial_distances, n_trials, best, &mut closest);
        (potential, block_totals) = scored.of(best);
        chosen.push(candidates[best]);
    }
    x.select(Axis(0), &chosen)
}

/// Σ weight · D² per candidate, per block and in total (blocks summed in order).
struct Scored {
    /// `blocks[b][t]`: the sum over block `b` for candidate `t`.
    blocks: Vec<Vec<f64>>,
    totals: Vec<f64>,
}

impl Scored {
    /// The total and the per-block sums of candidate `t`.
    fn of(&self, t: usize) -> (f64, Vec<f64>) {
        (self.totals[t], self.blocks.iter().map(|b| b[t]).collect())
    }
}

/// Scores candidate centres in one pass over `x`. For each block of
/// [`BLOCK_ROWS`] rows, `out` holds candidate by candidate
/// `min(bound_i, D²(x_i, candidate_t))` (so the chosen candidate's
/// distances are contiguous), and each candidate gets Σ weight_i · that.
fn score_candidates<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    x_norms: &[F],
    candidates: &[usize],
    bound: Option<&[f64]>,
    out: &mut [f64],
) -> Scored {
    let packed = PackedCenters::new(x.select(Axis(0), candidates).view());
    let (n, d, m) = (x.nrows(), x.ncols(), candidates.len());
    let data = x.as_slice().expect("standard layout");
    let blocks: Vec<Vec<f64>> = out[..n * m]
        .par_chunks_mut(BLOCK_ROWS * m)
        .enumerate()
        .map(|(b, out)| {
            let rows = b * BLOCK_ROWS..b * BLOCK_ROWS + out.len() / m;
            let mut potentials = vec![0.0; m];
            let block = Block {
                rows: &data[rows.start * d..rows.end * d],
                norms: &x_norms[rows.clone()],
                weights: w.map(|w| &w[rows.clone()]),
                bound: bound.map(|bound| &bound[rows]),
            };
            candidate_block(&block, &packed, out, &mut potentials);
            potentials
        })
        .collect();
    let mut totals = vec![0.0; m];
    for block in &blocks {
        totals.iter_mut().zip(block).for_each(|(t, b)| *t += b);
    }
    Scored { blocks, totals }
}

/// The rows of one block and what is known about them.
struct Block<'a, F> {
    rows: &'a [F],
    norms: &'a [F],
    weights: Option<&'a [F]>,
    bound: Option<&'a [f64]>,
}

impl<F: Element> Block<'_, F> {
    /// Records `d2`, row `i`'s squared distance to candidate `t`, capped by
    /// its bound, and adds its weighted value to the candidate's potential.
    #[inline(always)]
    fn keep(&self, i: usize, t: usize, d2: f64, out: &mut [f64], potentials: &mut [f64]) {
        let n = self.norms.len();
        let kept = self.bound.map_or(d2, |bound| d2.min(bound[i]));
        out[t * n + i] = kept;
        potentials[t] += self.weights.map_or(kept, |w| w[i].to_f64() * kept);
    }
}

fn candidate_block<F: Element>(
    block: &Block<'_, F>,
    packed: &PackedCenters<F>,
    out: &mut [f64],
    potentials: &mut [f64],
) {
    let m = potentials.len();
    let simd = simd::panel_distances(
        packed.panels(),
        packed.n_features(),
        block.rows,
        block.norms,
        |i, d2| {
            for (t, &d2) in d2.iter().enumerate().take(m) {
                block.keep(i, t, d2, out, potentials);
            }
        },
    );
    if !simd {
        candidate_block_portable(block, packed, out, potentials);
    }
}

#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn candidate_block_portable<F: Element>(
    block: &Block<'_, F>,
    packed: &PackedCenters<F>,
    out: &mut [f64],
    potentials: &mut [f64],
) {
    let d = packed.n_features();
    let m = potentials.len();
    let n = block.norms.len();
    let blocked = n / ROWS * ROWS;
    let mut keep = |i: usize, g: usize, dots: &[F; LANES]| {
        for (l, &dot) in dots.iter().enumerate().take(m.saturating_sub(g * LANES)) {
            let t = g * LANES + l;
            let d2 = (block.norms[i] + packed.norm(t) - (dot + dot)).to_f64().max(0.0);
            block.keep(i, t, d2, out, potentials);
        }
    };
    for g in 0..packed.n_groups() {
        for (b, quad) in block.rows[..blocked * d].chunks_exact(ROWS * d).enumerate() {
            let dots = packed.dots_block(g, quad);
            for (r, dots) in dots.iter().enumerate() {
                keep(b * ROWS + r, g, dots);
            }
        }
        for (i, row) in block.rows.chunks_exact(d).enumerate().skip(blocked) {
            keep(i, g, &packed.dots(g, row));
        }
    }
}

/// Makes candidate `best`'s distances (from [`score_candidates`]'s `trial`
/// layout, `m` candidates) the closest distances, block by block.
fn keep_candidate(trial: &[f64], m: usize, best: usize, closest: &mut [f64]) {
    closest
        .par_chunks_mut(BLOCK_ROWS)
        .zip(trial.par_chunks(BLOCK_ROWS * m))
        .for_each(|(closest, trial)| {
            let n = closest.len();
            closest.copy_from_slice(&trial[best * n..(best + 1) * n]);
        });
}

/// Σ f(i) over each block of [`BLOCK_ROWS`] rows, in parallel.
fn block_sums(n: usize, f: impl Fn(usize) -> f64 + Sync) -> Vec<f64> {
    (0..n.div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .map(|b| (b * BLOCK_ROWS..n.min((b + 1) * BLOCK_ROWS)).fold(0.0, |s, i| s + f(i)))
        .collect()
}

/// The first row whose running sum of weight × `values` reaches `target`
/// (numpy's `searchsorted` on the cumulative sum), clipped to the last row.
///
/// The running sum is the blocks before (summed in order) plus the running
/// sum inside the block; `block_totals` must be those in-block sums, so the
/// block holding the row is found first and only it is scanned.
fn draw<F: Element>(values: &[f64], w: Option<&[F]>, block_totals: &[f64], target: f64) -> usize {
    let mut before = 0.0;
    for (b, &total) in block_totals.iter().enumerate() {
        if before + total >= target {
            let rows = b * BLOCK_ROWS..values.len().min((b + 1) * BLOCK_ROWS);
            let mut inside = 0.0;
            for i in rows.clone() {
                inside += w.map_or(values[i], |w| w[i].to_f64() * values[i]);
                if before + inside >= target {
                    return i;
                }
            }
            return rows.end - 1;
        }
        before += total;
    }
    values.len() - 1
}

/// ‖x_i‖² of every row.
fn row_norms<F: Element>(x: ArrayView2<'_, F>) -> Vec<F> {
    let d = x.ncols();
    let data = x.as_slice().expect("standard layout");
    let mut norms = vec![F::ZERO; x.nrows()];
    norms
        .par_chunks_mut(BLOCK_ROWS)
        .zip(data.par_chunks(BLOCK_ROWS * d))
        .for_each(|(norms, rows)| {
            for (n, row) in norms.iter_mut().zip(rows.chunks_exact(d)) {
                *n = row.iter().fold(F::ZERO, |acc, &v| acc + v * v);
            }
        });
    norms
}

/// `k` distinct rows drawn uniformly.
pub(crate) fn random_rows<F: Element>(x: ArrayView2<'_, F>, k: usize, rng: &mut ChaCha8Rng) -> Array2<F> {
    let idx = rand::seq::index::sample(rng, x.nrows(), k).into_vec();
    x.select(Axis(0), &idx)
}
