//! k-means for `segmint.cluster.KMeans`.

use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segmint::cluster::{KMeans, KMeansInit};

use crate::error::{detached, raise};

/// `(centers, labels, inertia, n_iter, converged)`.
type FitOutput<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<i64>>, f64, usize, bool);

/// Fits k-means; `init` is "k-means++", "random" or an array of centres.
#[pyfunction]
#[pyo3(signature = (x, n_clusters, *, init, init_centers=None, n_init=None, max_iter=300, tol=1e-4, seed=0, sample_weight=None))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<PyReadonlyArray2<'py, f64>>,
    n_init: Option<usize>,
    max_iter: usize,
    tol: f64,
    seed: u64,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<FitOutput<'py>> {
    let init = match (init, init_centers) {
        ("k-means++", None) => KMeansInit::KMeansPlusPlus,
        ("random", None) => KMeansInit::Random,
        ("array", Some(c)) => KMeansInit::Centers(c.as_array().to_owned()),
        (other, _) => {
            return Err(raise(
                py,
                "ParameterError",
                format!("invalid parameter init={other:?}: expected \"k-means++\", \"random\" or an array of centres"),
            ));
        }
    };
    let mut params = KMeans::params(n_clusters)
        .init(init)
        .max_iter(max_iter)
        .tol(tol)
        .seed(seed);
    if let Some(n) = n_init {
        params = params.n_init(n);
    }
    let x = x.as_array();
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let model = detached(py, || match w {
        Some(w) => params.fit_weighted(x, w),
        None => params.fit(x),
    })?;
    let labels = model.labels().mapv(|l| l as i64);
    Ok((
        model.centers().to_owned().into_pyarray(py),
        labels.into_pyarray(py),
        model.inertia(),
        model.n_iter(),
        model.converged(),
    ))
}

/// Nearest centre of each row.
#[pyfunction]
pub fn kmeans_predict<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let (x, centers) = (x.as_array(), centers.as_array().to_owned());
    let labels = detached(py, || KMeans::from_centers(centers)?.predict(x))?;
    Ok(labels.mapv(|l| l as i64).into_pyarray(py))
}

/// Euclidean distance of each row to each centre.
#[pyfunction]
pub fn kmeans_transform<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (x, centers) = (x.as_array(), centers.as_array().to_owned());
    let distances = detached(py, || KMeans::from_centers(centers)?.transform(x))?;
    Ok(distances.into_pyarray(py))
}

/// Opposite of the (weighted) inertia of `x` against the centres.
#[pyfunction]
#[pyo3(signature = (x, centers, sample_weight=None))]
pub fn kmeans_score<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    centers: PyReadonlyArray2<'py, f64>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<f64> {
    let (x, centers) = (x.as_array(), centers.as_array().to_owned());
    let w = sample_weight.as_ref().map(|w| w.as_array());
    detached(py, || KMeans::from_centers(centers)?.score(x, w))
}
