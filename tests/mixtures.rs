//! Gaussian mixtures, k-prototypes and Ward clustering against the
//! reference packages' numbers on the same input (fixtures made by
//! `fixtures/make_gmm_oracle.py`, `make_kprototypes_oracle.py` and
//! `make_ward_oracle.py`).

use approx::assert_relative_eq;
use ndarray::{Array1, Array2, Array3};
use segmint::cluster::kprototypes::cao_modes;
use segmint::cluster::{CovarianceType, Covariances, GaussianMixture, KPrototypes, KPrototypesInit, Ward};
use segmint::metrics::adjusted_rand_index;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = segmint_tests::repo_root().join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

fn vector(v: &Value) -> Array1<f64> {
    Array1::from(serde_json::from_value::<Vec<f64>>(v.clone()).unwrap())
}

fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(flat).collect(),
        other => vec![other.as_f64().unwrap()],
    }
}

/// Largest |ours − theirs| / max(|theirs|, 1e-3): relative, except near zero.
fn max_relative_difference(ours: &[f64], theirs: &[f64]) -> f64 {
    assert_eq!(ours.len(), theirs.len());
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1e-3))
        .fold(0.0, f64::max)
}

fn covariances(kind: CovarianceType, v: &Value, k: usize, d: usize) -> Covariances {
    let values = flat(v);
    match kind {
        CovarianceType::Full => Covariances::Full(Array3::from_shape_vec((k, d, d), values).unwrap()),
        CovarianceType::Tied => Covariances::Tied(Array2::from_shape_vec((d, d), values).unwrap()),
        CovarianceType::Diag => Covariances::Diag(Array2::from_shape_vec((k, d), values).unwrap()),
        CovarianceType::Spherical => Covariances::Spherical(Array1::from(values)),
    }
}

#[test]
fn gaussian_mixture_matches_scikit_learn_from_the_same_initial_parameters() {
    let doc = fixture("gmm_sklearn.json");
    let x = matrix(&doc["X"]);
    let d = x.ncols();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let kind = match case["covariance_type"].as_str().unwrap() {
            "full" => CovarianceType::Full,
            "tied" => CovarianceType::Tied,
            "diag" => CovarianceType::Diag,
            _ => CovarianceType::Spherical,
        };
        let means_init = matrix(&case["means_init"]);
        let k = means_init.nrows();
        let model = GaussianMixture::params(k)
            .covariance_type(kind)
            .tol(case["tol"].as_f64().unwrap())
            .reg_covar(case["reg_covar"].as_f64().unwrap())
            .max_iter(case["max_iter"].as_u64().unwrap() as usize)
            .weights_init(vector(&case["weights_init"]))
            .means_init(means_init)
            .precisions_init(covariances(kind, &case["precisions_init"], k, d))
            .fit(x.view())
            .unwrap();
        assert_eq!(
            model.n_iter() as u64,
            case["n_iter"].as_u64().unwrap(),
            "{name}: n_iter"
        );
        assert_eq!(model.converged(), case["converged"].as_bool().unwrap(), "{name}");
        let compare = |what: &str, ours: &[f64], key: &str, tolerance: f64| {
            let diff = max_relative_difference(ours, &flat(&case[key]));
            eprintln!("{name}: {what} max relative difference {diff:.2e}");
            assert!(diff < tolerance, "{name}: {what} differs by {diff:e}");
        };
        compare("weights", model.weights().as_slice().unwrap(), "weights", 1e-9);
        compare("means", model.means().as_slice().unwrap(), "means", 1e-9);
        compare("covariances", model.covariances().as_slice(), "covariances", 1e-9);
        compare(
            "precisions_cholesky",
            model.precisions_cholesky().as_slice(),
            "precisions_cholesky",
            1e-9,
        );
        compare("lower_bound", &[model.lower_bound()], "lower_bound", 1e-9);
        let samples = model.score_samples(x.view()).unwrap();
        compare("score_samples", samples.as_slice().unwrap(), "score_samples", 1e-9);
        let head = x.slice(ndarray::s![..25, ..]);
        let proba = model.predict_proba(head).unwrap();
        let diff = proba
            .iter()
            .zip(flat(&case["predict_proba_head"]))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-9, "{name}: predict_proba differs by {diff:e}");
        let labels: Vec<usize> = serde_json::from_value(case["labels"].clone()).unwrap();
        assert_eq!(model.predict(x.view()).unwrap().to_vec(), labels, "{name}: labels");
        assert_relative_eq!(
            model.score(x.view()).unwrap(),
            case["score"].as_f64().unwrap(),
            max_relative = 1e-9
        );
        assert_relative_eq!(
            model.bic(x.view()).unwrap(),
            case["bic"].as_f64().unwrap(),
            max_relative = 1e-9
        );
        assert_relative_eq!(
            model.aic(x.view()).unwrap(),
            case["aic"].as_f64().unwrap(),
            max_relative = 1e-9
        );
    }
}

fn columns(x: &Array2<f64>, doc: &Value, key: &str) -> Array2<f64> {
    let picks: Vec<usize> = serde_json::from_value(doc[key].clone()).unwrap();
    x.select(ndarray::Axis(1), &picks)
}

fn codes(m: &Array2<f64>) -> Array2<u32> {
    m.mapv(|v| v as u32)
}

#[test]
fn k_prototypes_matches_kmodes_from_the_same_initial_prototypes() {
    let doc = fixture("kprototypes_kmodes.json");
    let x = matrix(&doc["X"]);
    let numeric = columns(&x, &doc, "numeric_columns");
    let categorical = codes(&columns(&x, &doc, "categorical_columns"));
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut params = KPrototypes::params(case["k"].as_u64().unwrap() as usize)
            .max_iter(case["max_iter"].as_u64().unwrap() as usize)
            .init(KPrototypesInit::Centroids {
                numeric: matrix(&case["init_numeric"]),
                categorical: codes(&matrix(&case["init_categorical"])),
            });
        if let Some(g) = case["gamma_given"].as_f64() {
            params = params.gamma(g);
        }
        let model = params.fit(numeric.view(), categorical.view()).unwrap();
        let labels: Vec<usize> = serde_json::from_value(case["labels"].clone()).unwrap();
        assert_eq!(model.labels().to_vec(), labels, "{name}: labels");
        assert_eq!(
            model.n_iter() as u64,
            case["n_iter"].as_u64().unwrap(),
            "{name}: n_iter"
        );
        let cost = case["cost"].as_f64().unwrap();
        eprintln!(
            "{name}: cost {} vs kmodes {cost} (relative {:.2e})",
            model.cost(),
            (model.cost() - cost).abs() / cost
        );
        assert_relative_eq!(model.cost(), cost, max_relative = 1e-12);
        assert_relative_eq!(model.gamma(), case["gamma"].as_f64().unwrap(), max_relative = 1e-14);
        let centroids = matrix(&case["numeric_centroids"]);
        let diff = max_relative_difference(
            model.numeric_centroids().as_slice().unwrap(),
            centroids.as_slice().unwrap(),
        );
        assert!(diff < 1e-12, "{name}: numeric centroids differ by {diff:e}");
        assert_eq!(
            model.categorical_modes(),
            codes(&matrix(&case["categorical_modes"])),
            "{name}: modes"
        );
    }
    for (k, modes) in doc["cao_modes"].as_object().unwrap() {
        let ours = cao_modes(categorical.view(), k.parse().unwrap());
        assert_eq!(ours, codes(&matrix(modes)), "Cao modes for k = {k}");
    }
}

#[test]
fn ward_matches_scipy_linkage_and_scikit_learn_labels() {
    let doc = fixture("ward_scipy.json");
    let x = matrix(&doc["X"]);
    let tree = Ward::params().fit(x.view()).unwrap();
    let expected = matrix(&doc["linkage"]);
    let ours = tree.linkage();
    for (j, (a, b)) in ours.outer_iter().zip(expected.outer_iter()).enumerate() {
        assert_eq!((a[0], a[1], a[3]), (b[0], b[1], b[3]), "merge {j}: clusters and size");
    }
    let heights = max_relative_difference(
        ours.column(2).to_vec().as_slice(),
        expected.column(2).to_vec().as_slice(),
    );
    eprintln!("Ward heights: max relative difference {heights:.2e}");
    assert!(heights < 1e-9, "heights differ by {heights:e}");
    for source in ["fcluster", "sklearn"] {
        for (k, labels) in doc[source].as_object().unwrap() {
            let theirs: Vec<usize> = serde_json::from_value(labels.clone()).unwrap();
            let ours = tree.labels_for(k.parse().unwrap()).unwrap().to_vec();
            let ari = adjusted_rand_index(&ours, &theirs).unwrap();
            assert_eq!(ari, 1.0, "{source} k = {k}: ARI {ari}");
        }
    }
}
