//! Hamerly's k-means (Hamerly 2010): Lloyd's iterations, with an upper bound
//! on each row's distance to its centre and a lower bound on its distance to
//! every other centre, so that most rows skip the distance computations once
//! the centres settle. Same labels and centres as Lloyd (barring exact ties).

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;

use super::algorithm::{KMeans, exact_inertia, relocate_empty_clusters};
use super::kernel::{BLOCK_ROWS, LloydPartial, UNASSIGNED};
use crate::CancelToken;
use crate::element::Element;

/// Per-row state carried between iterations.
struct Bounds {
    labels: Vec<usize>,
    upper: Vec<f64>,
    lower: Vec<f64>,
}

pub(super) fn hamerly<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    mut centers: Array2<F>,
    max_iter: usize,
    tol: f64,
    cancel: &CancelToken,
) -> KMeans<F> {
    let (n, k) = (x.nrows(), centers.nrows());
    let mut state = Bounds {
        labels: vec![0; n],
        upper: vec![f64::INFINITY; n],
        lower: vec![0.0; n],
    };
    let mut previous = vec![UNASSIGNED; n];
    let (mut converged, mut n_iter) = (false, 0);
    for iteration in 0..max_iter {
        if cancel.is_cancelled() {
            break;
        }
        n_iter += 1;
        let half_gaps = half_gap_to_nearest_other(centers.view());
        let mut pass = assign_with_bounds(x, w, centers.view(), &half_gaps, &mut state, iteration == 0);
        relocate_empty_clusters(x, w, centers.view(), &state.labels, &mut pass);
        let new_centers = pass.centers(centers.view());
        let moves: Vec<f64> = (0..k).map(|j| distance(new_centers.row(j), centers.row(j))).collect();
        let shift: f64 = moves.iter().map(|m| m * m).sum();
        centers = new_centers;
        loosen(&mut state, &moves);
        if state.labels == previous {
            converged = true;
            break;
        }
        if shift <= tol {
            converged = true;
            // One more exact assignment so labels belong to the final centres.
            let half_gaps = half_gap_to_nearest_other(centers.view());
            assign_with_bounds(x, w, centers.view(), &half_gaps, &mut state, false);
            break;
        }
        previous.copy_from_slice(&state.labels);
    }
    if !converged {
        let half_gaps = half_gap_to_nearest_other(centers.view());
        assign_with_bounds(x, w, centers.view(), &half_gaps, &mut state, false);
    }
    let inertia = exact_inertia(x, w, centers.view(), &state.labels);
    KMeans::fitted(centers, inertia, n_iter, converged, Array1::from(state.labels))
}

/// Assigns every row, computing distances only where the bounds cannot
/// rule out a change, and accumulates the weighted sums of all rows.
fn assign_with_bounds<F: Element>(
    x: ArrayView2<'_, F>,
    w: Option<&[F]>,
    centers: ArrayView2<'_, F>,
    half_gaps: &[f64],
    state: &mut Bounds,
    scan_all: bool,
) -> LloydPartial {
    let (k, d) = centers.dim();
    let centers = centers.as_standard_layout();
    let c = centers.as_slice().expect("standard layout");
    let data = x.as_slice().expect("standard layout");
    let partials: Vec<LloydPartial> = state
        .labels
        .par_chunks_mut(BLOCK_ROWS)
        .zip(state.upper.par_chunks_mut(BLOCK_ROWS))
        .zip(state.lower.par_chunks_mut(BLOCK_ROWS))
        .enumerate()
        .map(|(b, ((labels, upper), lower))| {
            let start = b * BLOCK_ROWS;
            let mut partial = LloydPartial::zeros(k, d);
            for r in 0..labels.len() {
                let i = start + r;
                let row = &data[i * d..(i + 1) * d];
                let a = labels[r];
                let bound = half_gaps[a].max(lower[r]);
                if scan_all || upper[r] > bound {
                    let to_own = if scan_all {
                        f64::INFINITY
                    } else {
                        distance_to(row, &c[a * d..(a + 1) * d])
                    };
                    upper[r] = to_own;
                    if scan_all || to_own > bound {
                        let (best, nearest, second) = two_nearest(row, c, d);
                        labels[r] = best;
                        upper[r] = nearest;
                        lower[r] = second;
                    }
                }
                partial.add_row(row, w.map_or(1.0, |w| w[i].to_f64()), labels[r]);
            }
            partial
        })
        .collect();
    let mut total = LloydPartial::zeros(k, d);
    partials.iter().for_each(|p| total.add(p));
    total
}

/// After the centres move by `moves`, a row's own centre may be farther by
/// its move, and any other centre nearer by the largest move of the others.
fn loosen(state: &mut Bounds, moves: &[f64]) {
    let (mut first, mut second, mut arg) = (0.0f64, 0.0f64, 0);
    for (j, &m) in moves.iter().enumerate() {
        if m > first {
            (second, first, arg) = (first, m, j);
        } else if m > second {
            second = m;
        }
    }
    state
        .labels
        .par_iter()
        .zip(state.upper.par_iter_mut())
        .zip(state.lower.par_iter_mut())
        .for_each(|((&a, u), l)| {
            *u += moves[a];
            *l -= if a == arg { second } else { first };
        });
}

/// Half the distance from each centre to its nearest other centre: a row
/// closer than that to its centre cannot be closer to any other.
fn half_gap_to_nearest_other<F: Element>(centers: ArrayView2<'_, F>) -> Vec<f64> {
    let k = centers.nrows();
    (0..k)
        .map(|j| {
            (0..k)
                .filter(|&o| o != j)
                .map(|o| distance(centers.row(j), centers.row(o)))
                .fold(f64::INFINITY, f64::min)
                / 2.0
        })
        .collect()
}

fn distance<F: Element>(a: ndarray::ArrayView1<'_, F>, b: ndarray::ArrayView1<'_, F>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x.to_f64() - y.to_f64()).powi(2))
        .sum::<f64>()
        .sqrt()
}

#[inline]
fn distance_to<F: Element>(row: &[F], center: &[F]) -> f64 {
    row.iter()
        .zip(center)
        .map(|(x, y)| (x.to_f64() - y.to_f64()).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// The nearest centre, its distance and the distance to the second nearest.
#[inline]
fn two_nearest<F: Element>(row: &[F], centers: &[F], d: usize) -> (usize, f64, f64) {
    let (mut best, mut nearest, mut second) = (0, f64::INFINITY, f64::INFINITY);
    for (j, c) in centers.chunks_exact(d).enumerate() {
        let dist = distance_to(row, c);
        if dist < nearest {
            (second, nearest, best) = (nearest, dist, j);
        } else if dist < second {
            second = dist;
        }
    }
    (best, nearest, second)
}
