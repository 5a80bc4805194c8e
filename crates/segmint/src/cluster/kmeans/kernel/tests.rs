use super::*;
use ndarray::{Array1, Array2};
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

#[test]
fn chunk_partials_merge_into_the_whole_and_lloyd_sums_skips_only_the_inertia() {
    let x = Array2::from_shape_fn((3 * BLOCK_ROWS + 17, 5), |(i, j)| ((i * 7 + j * 13) % 29) as f64 - 14.0);
    let w = Array1::from_shape_fn(x.nrows(), |i| 1.0 + (i % 3) as f64);
    let centers = x.slice(ndarray::s![..4, ..]).to_owned();
    let mut labels = vec![0; x.nrows()];
    let whole = lloyd_step(x.view(), Some(w.view()), centers.view(), &mut labels).unwrap();
    let mut merged = LloydPartial::zeros(4, 5);
    for start in (0..x.nrows()).step_by(1000) {
        let rows = ndarray::s![start..(start + 1000).min(x.nrows()), ..];
        let mut chunk_labels = vec![0; x.slice(rows).nrows()];
        let w_rows = w.slice(ndarray::s![start..(start + 1000).min(x.nrows())]);
        let step = lloyd_step(x.slice(rows), Some(w_rows), centers.view(), &mut chunk_labels).unwrap();
        let sums = lloyd_sums(x.slice(rows), Some(w_rows), centers.view(), &mut chunk_labels).unwrap();
        assert_eq!(
            (sums.weights(), sums.sum(2), sums.inertia()),
            (step.weights(), step.sum(2), 0.0)
        );
        assert_eq!(chunk_labels, labels[start..start + chunk_labels.len()]);
        merged.merge(&step).unwrap();
    }
    assert_eq!(merged.weights(), whole.weights());
    assert_eq!(merged.n_rows(), x.nrows());
    for j in 0..4 {
        for (a, b) in merged.sum(j).iter().zip(whole.sum(j)) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "centre {j}: {a} vs {b}");
        }
    }
    assert!((merged.inertia() - whole.inertia()).abs() <= 1e-12 * whole.inertia());
    let mut nan = x.clone();
    nan[[5, 1]] = f64::NAN;
    assert!(lloyd_step(nan.view(), None, centers.view(), &mut labels).is_err());
}
