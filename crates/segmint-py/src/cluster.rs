//! k-means for `segmint.cluster.KMeans`, on float64 or float32 arrays (no copy
//! of C-contiguous input; float32 stays float32).

use numpy::{Element as NumpyElement, IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segmint::cluster::{
    Element, KMeans, KMeansAlgorithm, KMeansInit, KMeansParams, LloydPartial, MiniBatchKMeans, MiniBatchKMeansParams,
    farthest_rows, lloyd_step, lloyd_sums,
};

use crate::error::{cancellable, detached, raise};

/// A 2-D float array of either precision.
#[derive(FromPyObject)]
pub enum Matrix<'py> {
    /// float64.
    F64(PyReadonlyArray2<'py, f64>),
    /// float32.
    F32(PyReadonlyArray2<'py, f32>),
}

/// `(centers, labels, inertia, n_iter, converged)`.
type FitOutput<'py> = (Bound<'py, PyAny>, Bound<'py, PyArray1<i64>>, f64, usize, bool);

/// Fits k-means; `init` is "k-means++", "random" or "array" (with `init_centers`).
#[pyfunction]
#[pyo3(signature = (x, n_clusters, *, init, init_centers=None, n_init=None, max_iter=300, tol=1e-4, seed=0, sample_weight=None, algorithm="lloyd"))]
#[allow(clippy::too_many_arguments)]
pub fn kmeans_fit<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<PyReadonlyArray2<'py, f64>>,
    n_init: Option<usize>,
    max_iter: usize,
    tol: f64,
    seed: u64,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    algorithm: &str,
) -> PyResult<FitOutput<'py>> {
    let init = init_method(py, init, init_centers)?;
    let algorithm = match algorithm {
        "lloyd" => KMeansAlgorithm::Lloyd,
        "elkan" => KMeansAlgorithm::Hamerly,
        other => {
            return Err(raise(
                py,
                "ParameterError",
                format!("invalid parameter algorithm={other:?}: expected \"lloyd\" or \"elkan\""),
            ));
        }
    };
    let mut params = KMeans::params(n_clusters)
        .init(init)
        .max_iter(max_iter)
        .tol(tol)
        .seed(seed)
        .algorithm(algorithm);
    if let Some(n) = n_init {
        params = params.n_init(n);
    }
    match x {
        Matrix::F64(x) => fit_as(py, &params, x, sample_weight),
        Matrix::F32(x) => fit_as(py, &params, x, sample_weight),
    }
}

fn init_method(py: Python<'_>, init: &str, centers: Option<PyReadonlyArray2<'_, f64>>) -> PyResult<KMeansInit> {
    match (init, centers) {
        ("k-means++", None) => Ok(KMeansInit::KMeansPlusPlus),
        ("random", None) => Ok(KMeansInit::Random),
        ("array", Some(c)) => Ok(KMeansInit::Centers(c.as_array().to_owned())),
        (other, _) => Err(raise(
            py,
            "ParameterError",
            format!("invalid parameter init={other:?}: expected \"k-means++\", \"random\" or an array of centres"),
        )),
    }
}

fn fit_as<'py, F: Element + NumpyElement>(
    py: Python<'py>,
    params: &KMeansParams,
    x: PyReadonlyArray2<'py, F>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<FitOutput<'py>> {
    let x = x.as_array();
    let w = sample_weight.map(|w| w.as_array().mapv(F::from_f64));
    let model = cancellable(py, |token| {
        let params = params.clone().cancel(token);
        match &w {
            Some(w) => params.fit_weighted(x, w.view()),
            None => params.fit(x),
        }
    })?;
    let labels = model.labels().mapv(|l| l as i64);
    Ok((
        model.centers().to_owned().into_pyarray(py).into_any(),
        labels.into_pyarray(py),
        model.inertia(),
        model.n_iter(),
        model.converged(),
    ))
}

/// Nearest centre of each row (`x` and `centers` of the same precision).
#[pyfunction]
pub fn kmeans_predict<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    centers: Matrix<'py>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let labels = match (x, centers) {
        (Matrix::F64(x), Matrix::F64(c)) => with_model(py, x, c, |m, x| m.predict(x))?,
        (Matrix::F32(x), Matrix::F32(c)) => with_model(py, x, c, |m, x| m.predict(x))?,
        _ => return Err(mixed_precision(py)),
    };
    Ok(labels.mapv(|l| l as i64).into_pyarray(py))
}

/// Euclidean distance of each row to each centre.
#[pyfunction]
pub fn kmeans_transform<'py>(py: Python<'py>, x: Matrix<'py>, centers: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match (x, centers) {
        (Matrix::F64(x), Matrix::F64(c)) => with_model(py, x, c, |m, x| m.transform(x))?.into_pyarray(py).into_any(),
        (Matrix::F32(x), Matrix::F32(c)) => with_model(py, x, c, |m, x| m.transform(x))?.into_pyarray(py).into_any(),
        _ => return Err(mixed_precision(py)),
    })
}

/// Opposite of the (weighted) inertia of `x` against the centres.
#[pyfunction]
#[pyo3(signature = (x, centers, sample_weight=None))]
pub fn kmeans_score<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    centers: Matrix<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<f64> {
    let w = sample_weight.map(|w| w.as_array().to_owned());
    match (x, centers) {
        (Matrix::F64(x), Matrix::F64(c)) => with_model(py, x, c, |m, x| m.score(x, w.as_ref().map(|w| w.view()))),
        (Matrix::F32(x), Matrix::F32(c)) => {
            let w = w.map(|w| w.mapv(|v| v as f32));
            with_model(py, x, c, |m, x| m.score(x, w.as_ref().map(|w| w.view())))
        }
        _ => Err(mixed_precision(py)),
    }
}

/// `(sums, weights, inertia)`: the k × d weighted sums of the rows nearest each centre,
/// their total weight per centre, and their inertia.
type LloydPartialOutput<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>, f64);

/// One Lloyd step on a chunk of rows: the partial sums a distributed k-means merges,
/// in a fixed order, into the next centres. `first` checks the chunk for NaN and
/// infinity and sums its inertia; the later iterations skip both (the inertia is 0).
#[pyfunction]
#[pyo3(signature = (x, centers, sample_weight=None, *, first=true))]
pub fn kmeans_lloyd_step<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    centers: Matrix<'py>,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    first: bool,
) -> PyResult<LloydPartialOutput<'py>> {
    let w = sample_weight.map(|w| w.as_array().to_owned());
    let partial = match (x, centers) {
        (Matrix::F64(x), Matrix::F64(c)) => step(py, x, c, w, first)?,
        (Matrix::F32(x), Matrix::F32(c)) => step(py, x, c, w.map(|w| w.mapv(|v| v as f32)), first)?,
        _ => return Err(mixed_precision(py)),
    };
    let k = partial.weights().len();
    let sums = ndarray::Array2::from_shape_fn((k, partial.sum(0).len()), |(j, f)| partial.sum(j)[f]);
    Ok((
        sums.into_pyarray(py),
        partial.weights().to_vec().into_pyarray(py),
        partial.inertia(),
    ))
}

/// `(rows, squared distances, labels)`.
type FarRowsOutput<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<i64>>,
);

/// The `m` rows of a chunk farthest from their nearest centre, the farthest
/// first: the candidates to relocate an empty cluster.
#[pyfunction]
pub fn kmeans_farthest_rows<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    centers: Matrix<'py>,
    m: usize,
) -> PyResult<FarRowsOutput<'py>> {
    let far = match (x, centers) {
        (Matrix::F64(x), Matrix::F64(c)) => {
            let (x, c) = (x.as_array(), c.as_array());
            detached(py, || farthest_rows(x, c, m))?
        }
        (Matrix::F32(x), Matrix::F32(c)) => {
            let (x, c) = (x.as_array(), c.as_array());
            detached(py, || farthest_rows(x, c, m))?
        }
        _ => return Err(mixed_precision(py)),
    };
    let rows: Vec<i64> = far.iter().map(|f| f.row as i64).collect();
    let distances: Vec<f64> = far.iter().map(|f| f.distance).collect();
    let labels: Vec<i64> = far.iter().map(|f| f.label as i64).collect();
    Ok((
        rows.into_pyarray(py),
        distances.into_pyarray(py),
        labels.into_pyarray(py),
    ))
}

fn step<'py, F: Element + NumpyElement>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, F>,
    centers: PyReadonlyArray2<'py, F>,
    w: Option<ndarray::Array1<F>>,
    first: bool,
) -> PyResult<LloydPartial> {
    let (x, centers) = (x.as_array(), centers.as_array());
    let w = w.as_ref().map(|w| w.view());
    let mut labels = vec![0; x.nrows()];
    detached(py, || {
        if first {
            lloyd_step(x, w, centers, &mut labels)
        } else {
            lloyd_sums(x, w, centers, &mut labels)
        }
    })
}

fn with_model<'py, F: Element + NumpyElement, T: Send>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, F>,
    centers: PyReadonlyArray2<'py, F>,
    work: impl FnOnce(&KMeans<F>, ndarray::ArrayView2<'_, F>) -> segmint::Result<T> + Send,
) -> PyResult<T> {
    let (x, centers) = (x.as_array(), centers.as_array().to_owned());
    detached(py, || work(&KMeans::from_centers(centers)?, x))
}

fn mixed_precision(py: Python<'_>) -> PyErr {
    raise(
        py,
        "ParameterError",
        "invalid parameter X: its dtype must match the centres' (float32 or float64)".into(),
    )
}

/// `(state_json, centers, labels, inertia, n_iter, n_steps, counts, converged)`.
type MiniBatchOutput<'py> = (
    String,
    Bound<'py, PyAny>,
    Bound<'py, PyArray1<i64>>,
    f64,
    usize,
    usize,
    Bound<'py, PyArray1<f64>>,
    bool,
);

/// Mini-batch k-means: a full fit, or (with `partial=True`) one
/// `partial_fit` step continuing from `state` (the JSON a previous call returned).
#[pyfunction]
#[pyo3(signature = (x, n_clusters, *, init, init_centers=None, batch_size=1024, max_iter=100, tol=0.0,
    max_no_improvement=None, init_size=None, n_init=None, reassignment_ratio=0.01, seed=0,
    sample_weight=None, partial=false, state=None))]
#[allow(clippy::too_many_arguments)]
pub fn minibatch_fit<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    n_clusters: usize,
    init: &str,
    init_centers: Option<PyReadonlyArray2<'py, f64>>,
    batch_size: usize,
    max_iter: usize,
    tol: f64,
    max_no_improvement: Option<usize>,
    init_size: Option<usize>,
    n_init: Option<usize>,
    reassignment_ratio: f64,
    seed: u64,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    partial: bool,
    state: Option<&str>,
) -> PyResult<MiniBatchOutput<'py>> {
    let mut params = MiniBatchKMeans::params(n_clusters)
        .init(init_method(py, init, init_centers)?)
        .batch_size(batch_size)
        .max_iter(max_iter)
        .tol(tol)
        .max_no_improvement(max_no_improvement)
        .reassignment_ratio(reassignment_ratio)
        .seed(seed);
    if let Some(size) = init_size {
        params = params.init_size(size);
    }
    if let Some(n) = n_init {
        params = params.n_init(n);
    }
    let run = Run {
        params,
        sample_weight,
        partial,
        state,
    };
    match x {
        Matrix::F64(x) => run.on(py, x),
        Matrix::F32(x) => run.on(py, x),
    }
}

/// One mini-batch call, independent of the precision.
struct Run<'py, 's> {
    params: MiniBatchKMeansParams,
    sample_weight: Option<PyReadonlyArray1<'py, f64>>,
    partial: bool,
    state: Option<&'s str>,
}

impl<'py> Run<'py, '_> {
    fn on<F: Element + NumpyElement>(
        self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, F>,
    ) -> PyResult<MiniBatchOutput<'py>> {
        let x = x.as_array();
        let w = self.sample_weight.map(|w| w.as_array().mapv(F::from_f64));
        let previous: Option<MiniBatchKMeans<F>> = self
            .state
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| raise(py, "ParameterError", format!("invalid parameter state: {e}")))?;
        let params = self.params;
        let partial = self.partial;
        let model = cancellable(py, |token| {
            if partial {
                let mut model = previous.unwrap_or_else(|| params.start());
                model.partial_fit(x, w.as_ref().map(|w| w.view()))?;
                Ok(model)
            } else {
                let params = params.clone().cancel(token);
                match &w {
                    Some(w) => params.fit_weighted(x, w.view()),
                    None => params.fit(x),
                }
            }
        })?;
        let state = serde_json::to_string(&model)
            .map_err(|e| raise(py, "InternalError", format!("cannot save the model state: {e}")))?;
        Ok((
            state,
            model.centers().to_owned().into_pyarray(py).into_any(),
            model.labels().mapv(|l| l as i64).into_pyarray(py),
            model.inertia(),
            model.n_iter(),
            model.n_steps(),
            model.counts().to_vec().into_pyarray(py),
            model.converged(),
        ))
    }
}
