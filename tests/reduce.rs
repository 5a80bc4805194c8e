//! PCA against scikit-learn, KMO and Bartlett against factor_analyzer 0.5.1,
//! Cronbach's α against the hand formula (fixtures/reduce_oracle.json, made
//! by fixtures/make_reduce_oracle.py), parallel analysis determinism.

use std::path::Path;

use approx::assert_relative_eq;
use ndarray::{Array2, ArrayView1};
use segmint::reduce::{
    CronbachBand, KmoBand, ParallelAnalysisParams, Pca, SvdSolver, bartlett_sphericity, cronbach_alpha, kmo,
    parallel_analysis,
};
use serde_json::Value;

fn fixture() -> Value {
    let path = segmint_tests::repo_root().join("tests/fixtures/reduce_oracle.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

fn vector(v: &Value) -> Vec<f64> {
    serde_json::from_value(v.clone()).unwrap()
}

fn close_all<'a>(ours: impl IntoIterator<Item = &'a f64>, theirs: &[f64], relative: f64, what: &str) {
    let ours: Vec<f64> = ours.into_iter().copied().collect();
    assert_eq!(ours.len(), theirs.len(), "{what}: length");
    for (a, b) in ours.iter().zip(theirs) {
        assert_relative_eq!(*a, *b, max_relative = relative, epsilon = 1e-12);
    }
}

#[test]
fn exact_pca_matches_scikit_learn() {
    let fixture = fixture();
    let x = matrix(&fixture["pca"]["X"]);
    for case in fixture["pca"]["cases"].as_array().unwrap() {
        let solver = match case["svd_solver"].as_str().unwrap() {
            "full" => SvdSolver::Full,
            _ => SvdSolver::CovarianceEigh,
        };
        let whiten = case["whiten"].as_bool().unwrap();
        let what = format!("{solver:?} whiten={whiten}");
        let pca = Pca::params(3).svd_solver(solver).whiten(whiten).fit(x.view()).unwrap();
        close_all(
            pca.components(),
            matrix(&case["components"]).as_slice().unwrap(),
            1e-9,
            &what,
        );
        close_all(
            pca.explained_variance(),
            &vector(&case["explained_variance"]),
            1e-9,
            &what,
        );
        close_all(
            pca.explained_variance_ratio(),
            &vector(&case["explained_variance_ratio"]),
            1e-9,
            &what,
        );
        close_all(pca.singular_values(), &vector(&case["singular_values"]), 1e-9, &what);
        close_all(pca.mean(), &vector(&case["mean"]), 1e-12, &what);
        assert_relative_eq!(
            pca.noise_variance(),
            case["noise_variance"].as_f64().unwrap(),
            max_relative = 1e-9
        );
        let head = x.slice(ndarray::s![..20, ..]);
        let scores = pca.transform(head).unwrap();
        close_all(&scores, matrix(&case["transform"]).as_slice().unwrap(), 1e-9, &what);
        let back = pca.inverse_transform(scores.view()).unwrap();
        close_all(
            &back,
            matrix(&case["inverse_transform"]).as_slice().unwrap(),
            1e-9,
            &what,
        );
    }
}

#[test]
fn randomized_pca_finds_the_exact_components() {
    let x = matrix(&fixture()["pca"]["X"]);
    let exact = Pca::params(2).svd_solver(SvdSolver::Full).fit(x.view()).unwrap();
    let randomized = Pca::params(2)
        .svd_solver(SvdSolver::Randomized)
        .seed(7)
        .fit(x.view())
        .unwrap();
    for (a, b) in randomized.components().iter().zip(exact.components()) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    let again = Pca::params(2)
        .svd_solver(SvdSolver::Randomized)
        .seed(7)
        .fit(x.view())
        .unwrap();
    assert_eq!(again, randomized, "same seed, same model");
}

/// Items of a shared-data CSV, empty fields as NaN.
fn read_items(path: &Path, items: &[String]) -> Array2<f64> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let columns: Vec<usize> = items
        .iter()
        .map(|item| header.iter().position(|h| h == item).unwrap())
        .collect();
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            columns
                .iter()
                .map(|&c| record[c].trim().parse::<f64>().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    Array2::from_shape_vec((rows.len(), items.len()), rows.into_iter().flatten().collect()).unwrap()
}

fn survey_file(name: &str) -> &'static str {
    match name {
        "bfi" => "bfi/bfi.csv",
        _ => "factor_analyzer_test06/test06.csv",
    }
}

#[test]
fn kmo_bartlett_and_alpha_match_factor_analyzer_and_the_hand_formula() {
    for survey in fixture()["surveys"].as_array().unwrap() {
        let name = survey["name"].as_str().unwrap();
        let Some(path) = segmint_tests::shared_data(survey_file(name)) else {
            continue;
        };
        let items: Vec<String> = if name == "bfi" {
            "ACENO"
                .chars()
                .flat_map(|t| (1..=5).map(move |i| format!("{t}{i}")))
                .collect()
        } else {
            (1..=44).map(|i| format!("pers{i:02}")).collect()
        };
        let x = read_items(&path, &items);
        let k = kmo(x.view()).unwrap();
        assert_eq!(k.n_obs as u64, survey["n_complete"].as_u64().unwrap(), "{name}");
        assert_relative_eq!(k.overall, survey["kmo"].as_f64().unwrap(), max_relative = 1e-6);
        close_all(&k.per_item, &vector(&survey["kmo_per_item"]), 1e-6, name);
        assert_eq!(k.band, KmoBand::Meritorious, "{name}: {}", k.overall);
        let b = bartlett_sphericity(x.view()).unwrap();
        assert_relative_eq!(
            b.statistic,
            survey["bartlett_statistic"].as_f64().unwrap(),
            max_relative = 1e-6
        );
        assert_eq!(b.df, (items.len() * (items.len() - 1) / 2) as f64);
        assert!((b.p_value - survey["bartlett_p_value"].as_f64().unwrap()).abs() < 1e-12);
        for (scale, expected) in survey["scales"].as_object().unwrap() {
            let scale_items: Vec<String> = serde_json::from_value(expected["items"].clone()).unwrap();
            let mut scale_x = read_items(&path, &scale_items);
            if expected.get("keyed").is_some() {
                reverse_keyed(&mut scale_x, &scale_items);
            }
            let alpha = cronbach_alpha(scale_x.view()).unwrap();
            let what = format!("{name} {scale}");
            assert_relative_eq!(alpha.alpha, expected["alpha"].as_f64().unwrap(), max_relative = 1e-10);
            close_all(
                &alpha.alpha_if_deleted,
                &vector(&expected["alpha_if_deleted"]),
                1e-10,
                &what,
            );
            assert_eq!(alpha.n_obs as u64, expected["n_obs"].as_u64().unwrap(), "{what}");
            assert_eq!(alpha.band, CronbachBand::of(alpha.alpha));
        }
    }
}

/// bfi's reverse-keyed items (psych's `bfi.dictionary`, Keying −1) on its 1–6 scale.
fn reverse_keyed(x: &mut Array2<f64>, items: &[String]) {
    const REVERSED: [&str; 12] = ["A1", "C4", "C5", "E1", "E2", "N1", "N2", "N3", "N4", "N5", "O2", "O5"];
    for (mut column, item) in x.columns_mut().into_iter().zip(items) {
        if REVERSED.contains(&item.as_str()) {
            column.mapv_inplace(|v| 7.0 - v);
        }
    }
}

#[test]
fn parallel_analysis_is_deterministic_across_thread_counts() {
    let Some(path) = segmint_tests::shared_data("bfi/bfi.csv") else {
        return;
    };
    let items: Vec<String> = "ACENO"
        .chars()
        .flat_map(|t| (1..=5).map(move |i| format!("{t}{i}")))
        .collect();
    let x = read_items(&path, &items);
    let params = ParallelAnalysisParams {
        n_sets: 20,
        seed: 3,
        ..Default::default()
    };
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| parallel_analysis(x.view(), &params).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3));
    eprintln!(
        "bfi parallel analysis: {} components, {} factors; observed {:?}",
        one.n_components, one.n_factors, one.observed_components
    );
    // Five traits: five components beat the 95th percentile of random data
    // (the sixth eigenvalue, 1.07, does not). The SMC-reduced eigenvalues
    // suggest more factors (8), the known over-extraction of that variant.
    assert_eq!(one.n_components, 5);
    assert_eq!(one.n_factors, 8);
    assert!(increasing(one.random_components.view().slice(ndarray::s![..;-1])));
}

fn increasing(v: ArrayView1<'_, f64>) -> bool {
    v.windows(2).into_iter().all(|w| w[0] <= w[1])
}

#[test]
fn fitted_models_round_trip_through_serde() {
    let x = matrix(&fixture()["pca"]["X"]);
    let pca = Pca::params(2).whiten(true).fit(x.view()).unwrap();
    let json = serde_json::to_string(&pca).unwrap();
    let back: Pca = serde_json::from_str(&json).unwrap();
    assert_eq!(back.transform(x.view()).unwrap(), pca.transform(x.view()).unwrap());
    let fa = segmint::reduce::FactorAnalysis::params(2)
        .rotation(segmint::reduce::Rotation::PROMAX)
        .fit(x.view())
        .unwrap();
    let back: segmint::reduce::FactorAnalysis = serde_json::from_str(&serde_json::to_string(&fa).unwrap()).unwrap();
    assert_eq!(back, fa);
}

/// A duplicated item makes R singular: KMO falls back to the pseudo-inverse
/// (as factor_analyzer) and says so; Bartlett's test, which needs ln|R|, refuses.
#[test]
fn a_singular_correlation_matrix_is_reported() {
    let Some(path) = segmint_tests::shared_data("factor_analyzer_test06/test06.csv") else {
        return;
    };
    let items: Vec<String> = (1..=44).map(|i| format!("pers{i:02}")).collect();
    let mut x = read_items(&path, &items);
    let first = x.column(0).to_owned();
    x.column_mut(1).assign(&first);
    let k = kmo(x.view()).unwrap();
    assert!(k.singular);
    assert!(k.overall.is_finite() && k.per_item.iter().all(|v| v.is_finite()));
    let message = bartlett_sphericity(x.view()).unwrap_err().to_string();
    assert!(message.contains("non-singular correlation matrix"), "{message}");
}

#[test]
fn pca_rejects_missing_values_by_position() {
    let mut x = matrix(&fixture()["pca"]["X"]);
    x[(4, 2)] = f64::NAN;
    let message = Pca::params(2).fit(x.view()).unwrap_err().to_string();
    assert_eq!(message, "X contains a non-finite value (NaN) at row 4, column 2");
}
