//! Factor analysis against R psych's `fa` on factor_analyzer's test06 data
//! (459 respondents × 44 items; `../shared/data/factor_analyzer_test06`,
//! expected files made by factor_analyzer's `tests/generate_r_output.r`).
//! Loadings are compared after matching factor order and sign.

use std::path::Path;

use ndarray::{Array1, Array2};
use rayon::prelude::*;
use segmint::reduce::{FactorAnalysis, FactorMethod, Rotation};

/// Absolute tolerance against R. The brief's gate is 1e-3; every file is
/// within 1e-5 (ML communalities 8.3e-6 worst; minres loadings 7.5e-7).
const TOLERANCE: f64 = 1e-4;

/// A CSV of numbers with a header; `skip_first` drops a row-name column.
fn read_matrix(path: &Path, skip_first: bool) -> Array2<f64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            line.split(',')
                .skip(usize::from(skip_first))
                .map(|v| v.trim().trim_matches('"').parse::<f64>().unwrap())
                .collect()
        })
        .collect();
    let (n, p) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, p), rows.into_iter().flatten().collect()).unwrap()
}

fn read_vector(path: &Path) -> Array1<f64> {
    read_matrix(path, true).column(0).to_owned()
}

fn max_abs_diff(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// The smallest max |difference| over every order and sign of our factors.
fn aligned_loading_diff(ours: &Array2<f64>, theirs: &Array2<f64>) -> f64 {
    let k = ours.ncols();
    assert_eq!(theirs.dim(), ours.dim());
    let mut best = f64::INFINITY;
    for order in permutations(k) {
        let diff: f64 = (0..k)
            .map(|j| {
                let (a, b) = (ours.column(order[j]), theirs.column(j));
                let same = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                let flipped = a.iter().zip(b).map(|(x, y)| (x + y).abs()).fold(0.0, f64::max);
                same.min(flipped)
            })
            .fold(0.0, f64::max);
        best = best.min(diff);
    }
    best
}

fn permutations(k: usize) -> Vec<Vec<usize>> {
    if k == 1 {
        return vec![vec![0]];
    }
    permutations(k - 1)
        .into_iter()
        .flat_map(|p| {
            (0..k).map(move |at| {
                let mut q = p.clone();
                q.insert(at, k - 1);
                q
            })
        })
        .collect()
}

#[test]
fn minres_and_ml_with_every_rotation_match_r_psych() {
    let Some(root) = segmint_tests::shared_data("factor_analyzer_test06") else {
        return;
    };
    let x = read_matrix(&root.join("test06.csv"), false);
    assert_eq!(x.dim(), (459, 44));
    let expected = root.join("expected");
    let extractions = [
        ("uls", FactorMethod::MinRes, 2),
        ("uls", FactorMethod::MinRes, 3),
        ("ml", FactorMethod::MaximumLikelihood, 2),
        ("ml", FactorMethod::MaximumLikelihood, 3),
    ];
    // Each fit takes seconds in a debug build: fit in parallel, rotate the
    // one extraction three ways.
    let results: Vec<Vec<(&str, String, f64)>> = extractions
        .par_iter()
        .map(|&(name, method, k)| {
            let unrotated = FactorAnalysis::params(k)
                .method(method)
                .rotation(Rotation::None)
                .fit(x.view())
                .unwrap();
            assert!(unrotated.converged(), "{name} {k}: not converged");
            let mut diffs = Vec::new();
            for (rotation_name, rotation) in [
                ("none", Rotation::None),
                ("varimax", Rotation::Varimax),
                ("promax", Rotation::PROMAX),
            ] {
                let model = unrotated.with_rotation(rotation).unwrap();
                let scenario = format!("{name}_{rotation_name}_{k}_test06.csv");
                let file = |family: &str| expected.join(format!("{family}_{scenario}"));
                diffs.extend([
                    (
                        "loading",
                        scenario.clone(),
                        aligned_loading_diff(model.loadings(), &read_matrix(&file("loading"), true)),
                    ),
                    (
                        "uniquenesses",
                        scenario.clone(),
                        max_abs_diff(model.uniquenesses(), &read_vector(&file("uniquenesses"))),
                    ),
                    (
                        "communalities",
                        scenario.clone(),
                        max_abs_diff(model.communalities(), &read_vector(&file("communalities"))),
                    ),
                    (
                        "evalues",
                        scenario.clone(),
                        max_abs_diff(model.eigenvalues(), &read_vector(&file("evalues"))),
                    ),
                    (
                        "value",
                        scenario.clone(),
                        max_abs_diff(model.common_factor_eigenvalues(), &read_vector(&file("value"))),
                    ),
                ]);
            }
            diffs
        })
        .collect();
    let mut worst = std::collections::BTreeMap::<String, f64>::new();
    for (family, scenario, diff) in results.into_iter().flatten() {
        eprintln!("{family}_{scenario}: max abs diff {diff:.2e}");
        assert!(diff < TOLERANCE, "{family}_{scenario}: max abs diff {diff} vs R");
        let method = scenario.split('_').next().unwrap_or_default();
        let entry = worst.entry(format!("{family} ({method})")).or_insert(0.0);
        *entry = entry.max(diff);
    }
    eprintln!("worst per file family: {worst:?}");
}

fn test06() -> Option<Array2<f64>> {
    let root = segmint_tests::shared_data("factor_analyzer_test06")?;
    Some(read_matrix(&root.join("test06.csv"), false))
}

#[test]
fn a_constant_item_is_named() {
    let Some(mut x) = test06() else {
        return;
    };
    x.column_mut(5).fill(3.0);
    let message = FactorAnalysis::params(2).fit(x.view()).unwrap_err().to_string();
    assert_eq!(
        message,
        "column 5 of X is constant (zero variance): its correlations are undefined; drop it"
    );
}

#[test]
fn more_factors_than_items_is_an_error() {
    let Some(x) = test06() else {
        return;
    };
    let message = FactorAnalysis::params(44).fit(x.view()).unwrap_err().to_string();
    assert_eq!(
        message,
        "invalid parameter n_factors=44: expected fewer than the number of items (44)"
    );
}

#[test]
fn rows_with_a_missing_answer_are_left_out() {
    let Some(x) = test06() else {
        return;
    };
    let mut with_gaps = x.clone();
    with_gaps[(3, 7)] = f64::NAN;
    with_gaps[(10, 0)] = f64::NAN;
    let kept: Vec<usize> = (0..x.nrows()).filter(|&i| i != 3 && i != 10).collect();
    let complete = x.select(ndarray::Axis(0), &kept);
    let params = FactorAnalysis::params(2).method(FactorMethod::MinRes);
    let gappy = params.fit(with_gaps.view()).unwrap();
    let reference = params.fit(complete.view()).unwrap();
    assert_eq!((gappy.n_obs(), gappy.n_rows_dropped()), (457, 2));
    assert_eq!(gappy.loadings(), reference.loadings());
    // Scores need every answer: a NaN is an error naming its place.
    let message = gappy.transform(with_gaps.view()).unwrap_err().to_string();
    assert!(message.contains("row 3, column 7"), "{message}");
}

#[test]
fn fewer_rows_than_items_is_an_error() {
    let Some(x) = test06() else {
        return;
    };
    let head = x.slice(ndarray::s![..44, ..]);
    let message = FactorAnalysis::params(2).fit(head).unwrap_err().to_string();
    assert!(
        message.starts_with("not enough data: 44 complete rows (of 44) for 44 items"),
        "{message}"
    );
}

/// A duplicated item makes the correlation matrix singular (its smallest
/// eigenvalue is 0): minres and principal axes still fit; maximum likelihood,
/// which needs log|R|, says why it cannot.
#[test]
fn a_duplicated_item_fits_by_minres_and_is_refused_by_ml() {
    let Some(mut x) = test06() else {
        return;
    };
    let first = x.column(0).to_owned();
    x.column_mut(1).assign(&first);
    for method in [FactorMethod::MinRes, FactorMethod::PrincipalAxes] {
        let model = FactorAnalysis::params(2).method(method).fit(x.view()).unwrap();
        assert!(model.eigenvalues()[43].abs() < 1e-10);
        assert!(model.loadings().iter().all(|v| v.is_finite()), "{method:?}");
        let pair = model.loadings().row(0).to_owned() - model.loadings().row(1);
        assert!(
            pair.iter().all(|v| v.abs() < 1e-6),
            "{method:?}: identical items load identically"
        );
    }
    let message = FactorAnalysis::params(2)
        .method(FactorMethod::MaximumLikelihood)
        .fit(x.view())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("positive definite") && message.contains("use minres"),
        "{message}"
    );
}

/// Regression scores reproduce their defining formula, Z·R⁻¹·(L·Φ), and an
/// orthogonal solution's scores have the loadings as their correlations with the items.
#[test]
fn regression_scores_follow_their_formula() {
    let Some(x) = test06() else {
        return;
    };
    let model = FactorAnalysis::params(3)
        .rotation(Rotation::PROMAX)
        .fit(x.view())
        .unwrap();
    let scores = model.transform(x.view()).unwrap();
    assert_eq!(scores.dim(), (459, 3));
    let z = (&x - &x.mean_axis(ndarray::Axis(0)).unwrap()) / &x.std_axis(ndarray::Axis(0), 1.0);
    let structure = model.loadings().dot(model.phi().unwrap());
    // R · W = S, checked without inverting R again.
    let weights_times_r = model.correlation().dot(&solve_least_squares(&z, &scores));
    for (a, b) in weights_times_r.iter().zip(structure.iter()) {
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
    }
}

/// W from Z·W = scores (normal equations; Z has full column rank).
fn solve_least_squares(z: &Array2<f64>, scores: &Array2<f64>) -> Array2<f64> {
    let gram = z.t().dot(z);
    let rhs = z.t().dot(scores);
    // Gauss–Jordan on the small system.
    let p = gram.nrows();
    let mut a = ndarray::concatenate![ndarray::Axis(1), gram, rhs];
    for col in 0..p {
        let pivot = (col..p)
            .max_by(|&i, &j| a[(i, col)].abs().total_cmp(&a[(j, col)].abs()))
            .unwrap();
        for k in 0..a.ncols() {
            a.swap((col, k), (pivot, k));
        }
        let d = a[(col, col)];
        a.row_mut(col).mapv_inplace(|v| v / d);
        for i in (0..p).filter(|&i| i != col) {
            let f = a[(i, col)];
            let pivot_row = a.row(col).to_owned();
            a.row_mut(i).zip_mut_with(&pivot_row, |v, &w| *v -= f * w);
        }
    }
    a.slice(ndarray::s![.., p..]).to_owned()
}
