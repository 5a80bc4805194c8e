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
