//! Initial categorical modes as the kmodes package makes them (Huang 1997,
//! Cao et al. 2009), and the numeric part drawn around the column means.

use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;
use rand_distr::StandardNormal;

/// Mismatching attributes of two categorical rows.
pub(super) fn mismatches(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

fn row(x: ArrayView2<'_, u32>, i: usize) -> Vec<u32> {
    x.row(i).to_vec()
}

/// Huang: each attribute of each mode is drawn from the column's values
/// (so with their frequencies); each mode then becomes its nearest data row
/// that is not already one of the modes (when there is such a row).
pub(super) fn huang(x: ArrayView2<'_, u32>, k: usize, rng: &mut impl Rng) -> Array2<u32> {
    let (n, q) = x.dim();
    let mut modes = Array2::zeros((k, q));
    for (a, column) in x.axis_iter(Axis(1)).enumerate() {
        let mut sorted = column.to_vec();
        sorted.sort_unstable();
        for j in 0..k {
            modes[[j, a]] = sorted[rng.random_range(0..n)];
        }
    }
    for j in 0..k {
        let target = modes.row(j).to_vec();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| mismatches(&row(x, i), &target));
        let is_mode = |i: usize| modes.outer_iter().any(|m| m.iter().eq(x.row(i).iter()));
        let pick = order.iter().position(|&i| !is_mode(i)).unwrap_or(n - 1);
        let chosen = row(x, order[pick]);
        modes.row_mut(j).iter_mut().zip(chosen).for_each(|(m, v)| *m = v);
    }
    modes
}

/// Cao et al. (2009) initial modes, as kmodes computes them: the densest row first, then each next mode the row maximising
/// density × (mismatches to its nearest chosen mode). Deterministic.
pub fn cao_modes(x: ArrayView2<'_, u32>, k: usize) -> Array2<u32> {
    let (n, q) = x.dim();
    let mut density = vec![0.0; n];
    for column in x.axis_iter(Axis(1)) {
        let levels = column.iter().copied().max().map_or(0, |m| m as usize + 1);
        let mut frequency = vec![0usize; levels];
        column.iter().for_each(|&v| frequency[v as usize] += 1);
        for (d, &v) in density.iter_mut().zip(column) {
            *d += frequency[v as usize] as f64 / n as f64 / q as f64;
        }
    }
    let mut modes = Array2::zeros((k, q));
    modes.row_mut(0).assign(&x.row(argmax(&density)));
    for j in 1..k {
        let score: Vec<f64> = (0..n)
            .map(|i| {
                (0..j)
                    .map(|c| {
                        mismatches(&row(x, i), modes.row(c).as_slice().expect("standard layout")) as f64 * density[i]
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        modes.row_mut(j).assign(&x.row(argmax(&score)));
    }
    modes
}

/// First index of the largest value (numpy's argmax).
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// `k` rows drawn uniformly with replacement (kmodes' fallback after
/// repeated empty clusters).
pub(super) fn random_rows(x: ArrayView2<'_, u32>, k: usize, rng: &mut impl Rng) -> Array2<u32> {
    let picks: Vec<usize> = (0..k).map(|_| rng.random_range(0..x.nrows())).collect();
    x.select(Axis(0), &picks)
}

/// Numeric centres drawn as mean + N(0, 1) × standard deviation per column.
pub(super) fn numeric_draw(x: ArrayView2<'_, f64>, k: usize, rng: &mut impl Rng) -> Array2<f64> {
    let mean = x.mean_axis(Axis(0)).expect("rows");
    let std = x.std_axis(Axis(0), 0.0);
    Array2::from_shape_fn((k, x.ncols()), |(_, f)| {
        let z: f64 = rng.sample(StandardNormal);
        mean[f] + z * std[f]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn cao_starts_from_the_densest_row_then_the_farthest_dense_one() {
        let x = array![[0, 0], [0, 0], [0, 1], [1, 1], [1, 1], [2, 2]];
        let modes = cao_modes(x.view(), 2);
        // Densities 5/12, 5/12, 6/12, 5/12, 5/12, 2/12: row 2 first; then 1 mismatch × 5/12 wins.
        assert_eq!(modes, array![[0, 1], [0, 0]]);
    }

    #[test]
    fn huang_modes_are_distinct_data_rows() {
        let x = array![[0, 0], [0, 1], [1, 1], [1, 0], [2, 2]];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let modes = huang(x.view(), 3, &mut rng);
        for m in modes.outer_iter() {
            assert!(x.outer_iter().any(|r| r == m));
        }
        assert!(modes.row(0) != modes.row(1) && modes.row(1) != modes.row(2) && modes.row(0) != modes.row(2));
    }
}
