//! Validity indices for `segmint.metrics` (labels arrive as codes 0..k).

use ndarray::ArrayView2;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use std::borrow::Cow;

use pyo3::prelude::*;
use segmint::metrics;

use crate::error::{detached, to_json};

/// The labels' values, borrowed from NumPy when contiguous; they become
/// codes 0..k through [`metrics::label_codes`] off the GIL.
pub(crate) fn values<'a>(labels: &'a PyReadonlyArray1<'_, i64>) -> Cow<'a, [i64]> {
    match labels.as_slice() {
        Ok(values) => Cow::Borrowed(values),
        Err(_) => Cow::Owned(labels.as_array().to_vec()),
    }
}

/// `index` of the rows of `x` grouped by `labels` (as codes), off the GIL.
fn grouped<T: Send>(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
    index: impl FnOnce(ArrayView2<'_, f64>, &metrics::LabelCodes<'_>) -> segmint::Result<T> + Send,
) -> PyResult<T> {
    let (x, labels) = (x.as_array(), values(&labels));
    detached(py, || index(x, &metrics::label_codes(&labels)))
}

/// `index` of two labellings (as codes), off the GIL.
fn compared(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, i64>,
    b: PyReadonlyArray1<'_, i64>,
    index: impl FnOnce(&metrics::LabelCodes<'_>, &metrics::LabelCodes<'_>) -> segmint::Result<f64> + Send,
) -> PyResult<f64> {
    let (a, b) = (values(&a), values(&b));
    detached(py, || index(&metrics::label_codes(&a), &metrics::label_codes(&b)))
}

/// Mean silhouette (of a seeded random subset when `sample_size` is given).
#[pyfunction]
#[pyo3(signature = (x, labels, sample_size=None, seed=0))]
pub fn silhouette_score(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
    sample_size: Option<usize>,
    seed: u64,
) -> PyResult<f64> {
    grouped(py, x, labels, |x, codes| {
        metrics::silhouette_score(x, codes, sample_size, seed)
    })
}

/// Silhouette of every row.
#[pyfunction]
pub fn silhouette_samples<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    Ok(grouped(py, x, labels, |x, codes| metrics::silhouette_samples(x, codes))?.into_pyarray(py))
}

/// Calinski–Harabasz index.
#[pyfunction]
pub fn calinski_harabasz(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    grouped(py, x, labels, metrics::calinski_harabasz_of_codes)
}

/// Davies–Bouldin index.
#[pyfunction]
pub fn davies_bouldin(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    grouped(py, x, labels, metrics::davies_bouldin_of_codes)
}

/// Adjusted Rand index of two labellings.
#[pyfunction]
pub fn adjusted_rand_index(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, i64>,
    b: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    compared(py, a, b, |a, b| metrics::adjusted_rand_index(a, b))
}

/// Pair-counting Jaccard index of two labellings.
#[pyfunction]
pub fn pair_jaccard(py: Python<'_>, a: PyReadonlyArray1<'_, i64>, b: PyReadonlyArray1<'_, i64>) -> PyResult<f64> {
    compared(py, a, b, |a, b| metrics::pair_jaccard(a, b))
}

/// Gap statistic over the consecutive `ks` (JSON of `metrics::GapStatistic`).
#[pyfunction]
#[pyo3(signature = (x, ks, references=20, n_init=1, seed=0))]
pub fn gap_statistic(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    ks: Vec<usize>,
    references: usize,
    n_init: usize,
    seed: u64,
) -> PyResult<String> {
    let x = x.as_array();
    let gap = detached(py, || {
        let (k_min, k_max) = metrics::k_bounds(&ks)?;
        metrics::gap_statistic(x, k_min, k_max, references, n_init, seed)
    })?;
    to_json(py, &gap)
}

/// Bootstrap stability of each cluster, refitting k-means (JSON of `metrics::Stability`).
#[pyfunction]
#[pyo3(signature = (x, labels, replicates=100, n_init=1, seed=0))]
pub fn bootstrap_stability(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
    replicates: usize,
    n_init: usize,
    seed: u64,
) -> PyResult<String> {
    let (x, labels) = (x.as_array(), values(&labels));
    let stability = detached(py, || {
        let labels = metrics::label_codes(&labels);
        let k = labels.clusters();
        metrics::bootstrap_stability(x, &labels, replicates, seed, metrics::kmeans_refit(k, n_init))
    })?;
    to_json(py, &stability)
}

/// Prediction strength of k-means with `k` clusters (JSON of `metrics::PredictionStrength`).
#[pyfunction]
#[pyo3(signature = (x, k, splits=50, n_init=1, seed=0))]
pub fn prediction_strength(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    k: usize,
    splits: usize,
    n_init: usize,
    seed: u64,
) -> PyResult<String> {
    let x = x.as_array();
    let strength = detached(py, || metrics::prediction_strength(x, k, splits, n_init, seed))?;
    to_json(py, &strength)
}

/// η² and the Kruskal–Wallis test of every column across the labelled groups
/// (JSON list; the test is null for a constant column).
#[pyfunction]
pub fn feature_effects(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<String> {
    let (x, labels) = (x.as_array(), values(&labels));
    let effects = detached(py, || {
        let labels = metrics::label_codes(&labels);
        let k = labels.clusters();
        x.columns()
            .into_iter()
            .map(|column| {
                let eta = metrics::eta_squared(column, &labels, k)?;
                let test = (!eta.is_nan())
                    .then(|| metrics::kruskal_wallis(column, &labels, k))
                    .transpose()?;
                Ok(serde_json::json!({ "eta_squared": eta, "kruskal_wallis": test }))
            })
            .collect::<segmint::Result<Vec<_>>>()
    })?;
    to_json(py, &effects)
}

/// Cluster codes 0..k as row indices; a negative code is named.
fn cluster_codes(py: Python<'_>, codes: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    values(codes)
        .iter()
        .map(|&c| usize::try_from(c))
        .collect::<Result<_, _>>()
        .map_err(|_| {
            crate::error::raise(
                py,
                "ParameterError",
                "invalid parameter labels: a negative cluster code; expected codes 0..k".into(),
            )
        })
}

/// The cluster moments (counts, sums, scatter) of a chunk of rows, as their JSON state.
#[pyfunction]
pub fn cluster_moments(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    codes: PyReadonlyArray1<'_, i64>,
    n_clusters: usize,
) -> PyResult<String> {
    let (x, codes) = (x.as_array(), cluster_codes(py, &codes)?);
    let moments = detached(py, || metrics::ClusterMoments::of_rows(x, &codes, n_clusters))?;
    to_json(py, &moments)
}

/// The moments of chunks merged in the order given: `(state, centroids)`.
#[pyfunction]
pub fn merge_cluster_moments<'py>(
    py: Python<'py>,
    parts: Vec<String>,
) -> PyResult<(String, Bound<'py, numpy::PyArray2<f64>>)> {
    let mut parts = parts.iter();
    let first = parts.next().ok_or_else(|| {
        crate::error::raise(
            py,
            "ParameterError",
            "invalid parameter parts: no moments to merge; expected one per chunk".into(),
        )
    })?;
    let mut merged: metrics::ClusterMoments = crate::state::from_state(py, first)?;
    for part in parts {
        let part = crate::state::from_state(py, part)?;
        merged.merge(&part).map_err(|e| crate::error::to_py(py, e))?;
    }
    let centroids = merged.centroids();
    Ok((to_json(py, &merged)?, centroids.into_pyarray(py)))
}

/// Each cluster's total distance to its centroid over a chunk of rows.
#[pyfunction]
pub fn cluster_distance_totals<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    codes: PyReadonlyArray1<'py, i64>,
    centroids: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (x, codes, centroids) = (x.as_array(), cluster_codes(py, &codes)?, centroids.as_array());
    let totals = detached(py, || metrics::distance_totals(x, &codes, centroids))?;
    Ok(totals.into_pyarray(py))
}

/// `(calinski_harabasz, davies_bouldin)` of merged moments; Davies–Bouldin (`None`
/// without them) needs the clusters' distance totals too.
#[pyfunction]
#[pyo3(signature = (moments, distance_totals=None))]
pub fn indices_of_moments(
    py: Python<'_>,
    moments: &str,
    distance_totals: Option<PyReadonlyArray1<'_, f64>>,
) -> PyResult<(f64, Option<f64>)> {
    let moments: metrics::ClusterMoments = crate::state::from_state(py, moments)?;
    let totals = distance_totals.map(|t| t.as_array().to_vec());
    detached(py, || {
        let davies_bouldin = totals.map(|t| moments.davies_bouldin(&t)).transpose()?;
        Ok((moments.calinski_harabasz()?, davies_bouldin))
    })
}
