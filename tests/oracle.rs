//! segmint against scikit-learn's numbers on the same input
//! (fixtures/kmeans_sklearn.json, made by fixtures/make_kmeans_oracle.py).

use approx::assert_relative_eq;
use ndarray::{Array1, Array2};
use segmint::cluster::{KMeans, KMeansAlgorithm, KMeansInit};
use serde_json::Value;

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, d) = (rows.len(), rows[0].len());
    Array2::from_shape_vec((n, d), rows.into_iter().flatten().collect()).unwrap()
}

#[test]
fn lloyd_matches_scikit_learn_from_the_same_initial_centres() {
    let path = segmint_tests::repo_root().join("tests/fixtures/kmeans_sklearn.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    for (case, algorithm) in cases
        .iter()
        .flat_map(|c| [(c, KMeansAlgorithm::Lloyd), (c, KMeansAlgorithm::Hamerly)])
    {
        let name = format!("{} ({algorithm:?})", case["name"].as_str().unwrap());
        let x = matrix(&case["X"]);
        let init = matrix(&case["init"]);
        let params = KMeans::params(init.nrows())
            .init(KMeansInit::Centers(init))
            .algorithm(algorithm)
            .tol(case["tol"].as_f64().unwrap())
            .max_iter(case["max_iter"].as_u64().unwrap() as usize);
        let model = match case.get("sample_weight") {
            Some(w) => {
                let w: Vec<f64> = serde_json::from_value(w.clone()).unwrap();
                params.fit_weighted(x.view(), Array1::from(w).view()).unwrap()
            }
            None => params.fit(x.view()).unwrap(),
        };
        let labels: Vec<usize> = serde_json::from_value(case["labels"].clone()).unwrap();
        assert_eq!(model.labels().to_vec(), labels, "{name}: labels");
        let centers = matrix(&case["centers"]);
        for (a, b) in model.centers().iter().zip(centers.iter()) {
            assert_relative_eq!(*a, *b, max_relative = 1e-9, epsilon = 1e-12);
        }
        assert_relative_eq!(model.inertia(), case["inertia"].as_f64().unwrap(), max_relative = 1e-9);
        assert_eq!(
            model.n_iter() as u64,
            case["n_iter"].as_u64().unwrap(),
            "{name}: n_iter"
        );
    }
}

/// Validity indices against scikit-learn (fixtures/metrics_sklearn.json,
/// made by fixtures/make_metrics_oracle.py), to 1e-9 relative.
#[test]
fn metrics_match_scikit_learn() {
    use segmint::metrics::{
        adjusted_rand_index, calinski_harabasz, davies_bouldin, silhouette_samples, silhouette_score,
    };
    let path = segmint_tests::repo_root().join("tests/fixtures/metrics_sklearn.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let x = matrix(&fixture["X"]);
    let truth: Vec<usize> = serde_json::from_value(fixture["truth"].clone()).unwrap();
    for case in fixture["cases"].as_array().unwrap() {
        let labels: Vec<usize> = serde_json::from_value(case["labels"].clone()).unwrap();
        let close = |ours: f64, key: &str| {
            let theirs = case[key].as_f64().unwrap();
            assert_relative_eq!(ours, theirs, max_relative = 1e-9);
        };
        close(
            silhouette_score(x.view(), &labels, None, 0).unwrap(),
            "silhouette_score",
        );
        close(calinski_harabasz(x.view(), &labels).unwrap(), "calinski_harabasz");
        close(davies_bouldin(x.view(), &labels).unwrap(), "davies_bouldin");
        close(adjusted_rand_index(&truth, &labels).unwrap(), "adjusted_rand_vs_truth");
        let samples: Vec<f64> = serde_json::from_value(case["silhouette_samples"].clone()).unwrap();
        for (ours, theirs) in silhouette_samples(x.view(), &labels).unwrap().iter().zip(samples) {
            assert_relative_eq!(*ours, theirs, max_relative = 1e-9, epsilon = 1e-12);
        }
        effects_match_scipy(&x, &labels, &case["effects"]);
    }
}

/// η² and Kruskal–Wallis per column of X and of X rounded (ties), against
/// scipy's `f_oneway` and `kruskal` (same fixture).
fn effects_match_scipy(x: &Array2<f64>, labels: &[usize], expected: &Value) {
    use segmint::metrics::{eta_squared, kruskal_wallis};
    let k = labels.iter().max().unwrap() + 1;
    let rounded = x.mapv(f64::round);
    let columns = x.columns().into_iter().chain(rounded.columns());
    for (column, theirs) in columns.zip(expected.as_array().unwrap()) {
        let kw = kruskal_wallis(column, labels, k).unwrap();
        assert_relative_eq!(kw.h, theirs["kruskal_h"].as_f64().unwrap(), max_relative = 1e-9);
        assert_relative_eq!(kw.p_value, theirs["kruskal_p"].as_f64().unwrap(), max_relative = 1e-6);
        let eta = eta_squared(column, labels, k).unwrap();
        assert_relative_eq!(eta, theirs["eta_squared"].as_f64().unwrap(), max_relative = 1e-9);
    }
}
