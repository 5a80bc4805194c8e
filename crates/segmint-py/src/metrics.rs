//! Validity indices for `segmint.metrics` (labels arrive as codes 0..k).

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segmint::metrics;

use crate::error::{detached, raise};

fn codes(py: Python<'_>, labels: PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    labels
        .as_array()
        .iter()
        .map(|&c| {
            usize::try_from(c).map_err(|_| {
                raise(
                    py,
                    "ParameterError",
                    format!("invalid parameter labels: code {c}; expected >= 0"),
                )
            })
        })
        .collect()
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
    let (x, labels) = (x.as_array(), codes(py, labels)?);
    detached(py, || metrics::silhouette_score(x, &labels, sample_size, seed))
}

/// Silhouette of every row.
#[pyfunction]
pub fn silhouette_samples<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    labels: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (x, labels) = (x.as_array(), codes(py, labels)?);
    Ok(detached(py, || metrics::silhouette_samples(x, &labels))?.into_pyarray(py))
}

/// Calinski–Harabasz index.
#[pyfunction]
pub fn calinski_harabasz(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    let (x, labels) = (x.as_array(), codes(py, labels)?);
    detached(py, || metrics::calinski_harabasz(x, &labels))
}

/// Davies–Bouldin index.
#[pyfunction]
pub fn davies_bouldin(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    labels: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    let (x, labels) = (x.as_array(), codes(py, labels)?);
    detached(py, || metrics::davies_bouldin(x, &labels))
}

/// Adjusted Rand index of two labellings.
#[pyfunction]
pub fn adjusted_rand_index(
    py: Python<'_>,
    a: PyReadonlyArray1<'_, i64>,
    b: PyReadonlyArray1<'_, i64>,
) -> PyResult<f64> {
    let (a, b) = (codes(py, a)?, codes(py, b)?);
    detached(py, || metrics::adjusted_rand_index(&a, &b))
}

/// Pair-counting Jaccard index of two labellings.
#[pyfunction]
pub fn pair_jaccard(py: Python<'_>, a: PyReadonlyArray1<'_, i64>, b: PyReadonlyArray1<'_, i64>) -> PyResult<f64> {
    let (a, b) = (codes(py, a)?, codes(py, b)?);
    detached(py, || metrics::pair_jaccard(&a, &b))
}
