//! Gaussian mixtures, k-prototypes and Ward clustering for
//! `segmint.cluster.GaussianMixture`, `KPrototypes` and `AgglomerativeWard`.
//! Fitted mixtures and k-prototypes travel to Python as their serde JSON
//! (`state`), which scoring calls read back.

use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArray1, PyArray2, PyArrayDyn, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use segmint::cluster::{
    CovarianceType, Covariances, GaussianMixture, GaussianMixtureInit, KPrototypes, KPrototypesInit, Ward,
};

use crate::error::{cancellable, detached, raise, to_json};
use crate::state::{apply_state, from_state};

fn parameter_error(py: Python<'_>, message: String) -> PyErr {
    raise(py, "ParameterError", message)
}

fn covariance_type(py: Python<'_>, name: &str) -> PyResult<CovarianceType> {
    Ok(match name {
        "full" => CovarianceType::Full,
        "tied" => CovarianceType::Tied,
        "diag" => CovarianceType::Diag,
        "spherical" => CovarianceType::Spherical,
        other => {
            return Err(parameter_error(
                py,
                format!(
                    "invalid parameter covariance_type={other:?}: expected \"full\", \"tied\", \"diag\" or \"spherical\""
                ),
            ));
        }
    })
}

/// A numpy array of scikit-learn's shape for `kind` as [`Covariances`].
fn covariances_from(
    py: Python<'_>,
    kind: CovarianceType,
    values: PyReadonlyArrayDyn<'_, f64>,
) -> PyResult<Covariances> {
    let a = values.as_array();
    let shape = a.shape().to_vec();
    let flat: Vec<f64> = a.iter().copied().collect();
    let made = match (kind, shape.as_slice()) {
        (CovarianceType::Full, &[k, d1, d2]) => Array3::from_shape_vec((k, d1, d2), flat).map(Covariances::Full),
        (CovarianceType::Tied, &[d1, d2]) => Array2::from_shape_vec((d1, d2), flat).map(Covariances::Tied),
        (CovarianceType::Diag, &[k, d]) => Array2::from_shape_vec((k, d), flat).map(Covariances::Diag),
        (CovarianceType::Spherical, &[k]) => Array1::from_shape_vec(k, flat).map(Covariances::Spherical),
        _ => {
            return Err(parameter_error(
                py,
                format!(
                    "invalid parameter precisions_init: an array of {} dimensions does not fit covariance_type={:?}",
                    shape.len(),
                    kind.name()
                ),
            ));
        }
    };
    made.map_err(|e| parameter_error(py, format!("invalid parameter precisions_init: {e}")))
}

fn covariances_to<'py>(py: Python<'py>, c: &Covariances) -> Bound<'py, PyArrayDyn<f64>> {
    ArrayD::from_shape_vec(IxDyn(&c.shape()), c.as_slice().to_vec())
        .expect("shape and values agree")
        .into_pyarray(py)
}

/// `(state, weights, means, covariances, precisions_cholesky, converged, n_iter, lower_bound)`.
type GmmOutput<'py> = (
    String,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArrayDyn<f64>>,
    Bound<'py, PyArrayDyn<f64>>,
    bool,
    usize,
    f64,
);

/// Fits a Gaussian mixture; `init_params` is "kmeans" or "random".
#[pyfunction]
#[pyo3(signature = (x, n_components, *, covariance_type="full", tol=1e-3, reg_covar=1e-6, max_iter=100, n_init=1,
    init_params="kmeans", seed=0, weights_init=None, means_init=None, precisions_init=None))]
#[allow(clippy::too_many_arguments)]
pub fn gmm_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_components: usize,
    covariance_type: &str,
    tol: f64,
    reg_covar: f64,
    max_iter: usize,
    n_init: usize,
    init_params: &str,
    seed: u64,
    weights_init: Option<PyReadonlyArray1<'py, f64>>,
    means_init: Option<PyReadonlyArray2<'py, f64>>,
    precisions_init: Option<PyReadonlyArrayDyn<'py, f64>>,
) -> PyResult<GmmOutput<'py>> {
    let kind = self::covariance_type(py, covariance_type)?;
    let init = match init_params {
        "kmeans" => GaussianMixtureInit::KMeans,
        "random" => GaussianMixtureInit::Random,
        other => {
            return Err(parameter_error(
                py,
                format!("invalid parameter init_params={other:?}: expected \"kmeans\" or \"random\""),
            ));
        }
    };
    let mut params = GaussianMixture::params(n_components)
        .covariance_type(kind)
        .tol(tol)
        .reg_covar(reg_covar)
        .max_iter(max_iter)
        .n_init(n_init)
        .init(init)
        .seed(seed);
    if let Some(w) = weights_init {
        params = params.weights_init(w.as_array().to_owned());
    }
    if let Some(m) = means_init {
        params = params.means_init(m.as_array().to_owned());
    }
    if let Some(p) = precisions_init {
        params = params.precisions_init(covariances_from(py, kind, p)?);
    }
    let x = x.as_array();
    let model = cancellable(py, |token| params.cancel(token).fit(x))?;
    Ok((
        to_json(py, &model)?,
        model.weights().to_owned().into_pyarray(py),
        model.means().to_owned().into_pyarray(py),
        covariances_to(py, model.covariances()),
        covariances_to(py, model.precisions_cholesky()),
        model.converged(),
        model.n_iter(),
        model.lower_bound(),
    ))
}

/// The most likely component of each row.
#[pyfunction]
pub fn gmm_predict<'py>(
    py: Python<'py>,
    state: &str,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let labels = apply_state(py, state, x, |m: &GaussianMixture, x| m.predict(x))?;
    Ok(labels.mapv(|l| l as i64).into_pyarray(py))
}

/// Posterior probability of each component for each row.
#[pyfunction]
pub fn gmm_predict_proba<'py>(
    py: Python<'py>,
    state: &str,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    Ok(apply_state(py, state, x, |m: &GaussianMixture, x| m.predict_proba(x))?.into_pyarray(py))
}

/// Log-likelihood of each row.
#[pyfunction]
pub fn gmm_score_samples<'py>(
    py: Python<'py>,
    state: &str,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    Ok(apply_state(py, state, x, |m: &GaussianMixture, x| m.score_samples(x))?.into_pyarray(py))
}

/// `(mean log-likelihood, BIC, AIC)` of `x`.
#[pyfunction]
pub fn gmm_criteria(py: Python<'_>, state: &str, x: PyReadonlyArray2<'_, f64>) -> PyResult<(f64, f64, f64)> {
    apply_state(py, state, x, |m: &GaussianMixture, x| {
        Ok((m.score(x)?, m.bic(x)?, m.aic(x)?))
    })
}

/// `(state, numeric_centroids, categorical_modes, labels, cost, n_iter, gamma, converged, constant_categorical)`.
type KPrototypesOutput<'py> = (
    String,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<i64>>,
    f64,
    usize,
    f64,
    bool,
    Vec<usize>,
);

/// Fits k-prototypes; `init` is "Cao", "Huang" or "array" (with both init arrays).
#[pyfunction]
#[pyo3(signature = (numeric, categorical, n_clusters, *, gamma=None, init="Cao", init_numeric=None,
    init_categorical=None, n_init=10, max_iter=100, seed=0))]
#[allow(clippy::too_many_arguments)]
pub fn kprototypes_fit<'py>(
    py: Python<'py>,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, u32>,
    n_clusters: usize,
    gamma: Option<f64>,
    init: &str,
    init_numeric: Option<PyReadonlyArray2<'py, f64>>,
    init_categorical: Option<PyReadonlyArray2<'py, u32>>,
    n_init: usize,
    max_iter: usize,
    seed: u64,
) -> PyResult<KPrototypesOutput<'py>> {
    let init = match (init, init_numeric, init_categorical) {
        ("Cao", None, None) => KPrototypesInit::Cao,
        ("Huang", None, None) => KPrototypesInit::Huang,
        ("array", Some(n), Some(c)) => KPrototypesInit::Centroids {
            numeric: n.as_array().to_owned(),
            categorical: c.as_array().to_owned(),
        },
        (other, _, _) => {
            return Err(parameter_error(
                py,
                format!(
                    "invalid parameter init={other:?}: expected \"Cao\", \"Huang\" or [numeric, categorical] arrays"
                ),
            ));
        }
    };
    let mut params = KPrototypes::params(n_clusters)
        .init(init)
        .n_init(n_init)
        .max_iter(max_iter)
        .seed(seed);
    if let Some(g) = gamma {
        params = params.gamma(g);
    }
    let (numeric, categorical) = (numeric.as_array(), categorical.as_array());
    let model = cancellable(py, |token| params.cancel(token).fit(numeric, categorical))?;
    Ok((
        to_json(py, &model)?,
        model.numeric_centroids().to_owned().into_pyarray(py),
        model.categorical_modes().mapv(i64::from).into_pyarray(py),
        model.labels().mapv(|l| l as i64).into_pyarray(py),
        model.cost(),
        model.n_iter(),
        model.gamma(),
        model.converged(),
        model.constant_categorical().to_vec(),
    ))
}

/// The nearest prototype of each row.
#[pyfunction]
pub fn kprototypes_predict<'py>(
    py: Python<'py>,
    state: &str,
    numeric: PyReadonlyArray2<'py, f64>,
    categorical: PyReadonlyArray2<'py, u32>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let model: KPrototypes = from_state(py, state)?;
    let (numeric, categorical) = (numeric.as_array(), categorical.as_array());
    let labels = detached(py, || model.predict(numeric, categorical))?;
    Ok(labels.mapv(|l| l as i64).into_pyarray(py))
}

/// `(linkage, labels)`.
type WardOutput<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<i64>>);

/// Ward linkage of the rows of `x` (scipy's format) and the labels of `n_clusters` clusters.
#[pyfunction]
#[pyo3(signature = (x, n_clusters, *, max_samples=20_000))]
pub fn ward_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_clusters: usize,
    max_samples: usize,
) -> PyResult<WardOutput<'py>> {
    let x = x.as_array();
    let (linkage, labels) = detached(py, || {
        let tree = Ward::params().max_samples(max_samples).fit(x)?;
        let labels = tree.labels_for(n_clusters)?;
        Ok((tree.linkage().clone(), labels))
    })?;
    Ok((linkage.into_pyarray(py), labels.mapv(|l| l as i64).into_pyarray(py)))
}
