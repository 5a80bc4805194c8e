//! Choosing the initial centres: greedy k-means++ and random rows.

use multiversion::multiversion;
use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::kernel::{BLOCK_ROWS, LANES, PackedCenters, ROWS};
use crate::cluster::Element;

/// Greedy k-means++ (Arthur & Vassilvitskii 2007, as scikit-learn): the first
/// centre is a row drawn ∝ weight; each next one is the best of `2 + ⌊ln k⌋`
/// candidates drawn ∝ weight × D², the one lowering Σ weight × D² the most.
///
/// `x` must be in standard layout. One pass over `x` per step scores all
/// candidates at once.
pub(crate) fn kmeans_plus_plus<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Array2<F> {
    let n = x.nrows();
    let weight = |i: usize| w.map_or(1.0, |w| w[i].to_f64());
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let x_norms = row_norms(x);
    let mut chosen = Vec::with_capacity(k);

    let first = match w {
        None => rng.random_range(0..n),
        Some(_) => {
            let cumsum = running_sum(n, weight);
            let total = cumsum[n - 1];
            search(&cumsum, rng.random::<f64>() * total)
        }
    };
    chosen.push(first);
    let mut closest = vec![0.0f64; n];
    let unbounded = vec![f64::INFINITY; n];
    let mut potential = score_candidates(x, w, &x_norms, &[first], &unbounded, &mut closest)[0];
    drop(unbounded);

    let mut trial_distances = vec![0.0f64; n * n_trials];
    while chosen.len() < k {
        let cumsum = running_sum(n, |i| weight(i) * closest[i]);
        let candidates: Vec<usize> = (0..n_trials)
            .map(|_| search(&cumsum, rng.random::<f64>() * potential))
            .collect();
        let potentials = score_candidates(x, w, &x_norms, &candidates, &closest, &mut trial_distances);
        let best = (0..n_trials).fold(0, |b, t| if potentials[t] < potentials[b] { t } else { b });
        closest
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, c)| *c = trial_distances[i * n_trials + best]);
        potential = potentials[best];
        chosen.push(candidates[best]);
    }
    x.select(Axis(0), &chosen)
}

/// Scores candidate centres in one pass over `x`: writes
/// `out[i·m + t] = min(bound[i], D²(x_i, candidate_t))` and returns, for each
/// candidate `t`, Σ_i weight_i · out[i·m + t] (summed per fixed block, blocks
/// in order).
fn score_candidates<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    x_norms: &[F],
    candidates: &[usize],
    bound: &[f64],
    out: &mut [f64],
) -> Vec<f64> {
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
                bound: &bound[rows],
            };
            candidate_block(&block, &packed, out, &mut potentials);
            potentials
        })
        .collect();
    let mut total = vec![0.0; m];
    for block in blocks {
        total.iter_mut().zip(block).for_each(|(t, b)| *t += b);
    }
    total
}

/// The rows of one block and what is known about them.
struct Block<'a, F> {
    rows: &'a [F],
    norms: &'a [F],
    weights: Option<&'a [F]>,
    bound: &'a [f64],
}

#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn candidate_block<F: Element>(
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
        let weight = block.weights.map_or(1.0, |w| w[i].to_f64());
        for (l, &dot) in dots.iter().enumerate().take(m.saturating_sub(g * LANES)) {
            let t = g * LANES + l;
            let d2 = (block.norms[i] + packed.norm(t) - (dot + dot)).to_f64().max(0.0);
            let kept = d2.min(block.bound[i]);
            out[i * m + t] = kept;
            potentials[t] += weight * kept;
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

/// Running sums of `f(0..n)`.
fn running_sum(n: usize, f: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut total = 0.0;
    (0..n)
        .map(|i| {
            total += f(i);
            total
        })
        .collect()
}

/// The first index whose running sum reaches `r` (numpy's `searchsorted`), clipped to the last.
fn search(cumsum: &[f64], r: f64) -> usize {
    cumsum.partition_point(|&v| v < r).min(cumsum.len() - 1)
}

/// `k` distinct rows drawn uniformly.
pub(crate) fn random_rows<F: Element>(x: ArrayView2<'_, F>, k: usize, rng: &mut ChaCha8Rng) -> Array2<F> {
    let idx = rand::seq::index::sample(rng, x.nrows(), k).into_vec();
    x.select(Axis(0), &idx)
}
