//! PCA, factor analysis and the survey statistics for
//! `segmint.decomposition` and `segmint.stats`. Fitted values come back as
//! dicts of numpy arrays; the Python estimators keep them as attributes.

use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segmint::reduce::{self, FactorAnalysis, FactorMethod, ParallelAnalysisParams, Pca, Rotation, SvdSolver};

use crate::error::{detached, raise, to_json};
use crate::state::apply_state;

fn parameter_error(py: Python<'_>, name: &str, value: &str, expected: &str) -> PyErr {
    raise(
        py,
        "ParameterError",
        format!("invalid parameter {name}={value:?}: expected {expected}"),
    )
}

fn svd_solver(py: Python<'_>, name: &str) -> PyResult<SvdSolver> {
    match name {
        "auto" => Ok(SvdSolver::Auto),
        "full" => Ok(SvdSolver::Full),
        "covariance_eigh" => Ok(SvdSolver::CovarianceEigh),
        "randomized" => Ok(SvdSolver::Randomized),
        other => Err(parameter_error(
            py,
            "svd_solver",
            other,
            "\"auto\", \"full\", \"covariance_eigh\" or \"randomized\"",
        )),
    }
}

fn solver_name(solver: SvdSolver) -> &'static str {
    match solver {
        SvdSolver::Auto => "auto",
        SvdSolver::Full => "full",
        SvdSolver::CovarianceEigh => "covariance_eigh",
        SvdSolver::Randomized => "randomized",
    }
}

/// Fits PCA; returns components, variances, singular values, mean, noise
/// variance and the solver used.
#[pyfunction]
#[pyo3(signature = (x, n_components=None, *, whiten=false, svd_solver="auto", seed=0, n_oversamples=10, power_iterations=None))]
#[allow(clippy::too_many_arguments)]
pub fn pca_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_components: Option<Components>,
    whiten: bool,
    svd_solver: &str,
    seed: u64,
    n_oversamples: usize,
    power_iterations: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let x = x.as_array();
    let most = x.nrows().min(x.ncols());
    let mut params = match n_components {
        None => Pca::params(most),
        Some(Components::Count(n)) => Pca::params(n),
        Some(Components::Fraction(fraction)) => Pca::params(most).variance_fraction(fraction),
    }
    .whiten(whiten)
    .svd_solver(self::svd_solver(py, svd_solver)?)
    .seed(seed)
    .n_oversamples(n_oversamples);
    if let Some(n) = power_iterations {
        params = params.power_iterations(n);
    }
    let model = detached(py, || params.fit(x))?;
    let out = PyDict::new(py);
    out.set_item("components", model.components().clone().into_pyarray(py))?;
    out.set_item(
        "explained_variance",
        model.explained_variance().clone().into_pyarray(py),
    )?;
    out.set_item(
        "explained_variance_ratio",
        model.explained_variance_ratio().clone().into_pyarray(py),
    )?;
    out.set_item("singular_values", model.singular_values().clone().into_pyarray(py))?;
    out.set_item("mean", model.mean().clone().into_pyarray(py))?;
    out.set_item("noise_variance", model.noise_variance())?;
    out.set_item("solver", solver_name(model.solver()))?;
    out.set_item("state", to_json(py, &model)?)?;
    Ok(out)
}

/// PCA's `n_components`: a count, or the share of the variance to explain.
#[derive(FromPyObject)]
pub enum Components {
    Count(usize),
    Fraction(f64),
}

/// Scores of `x` on the components of the PCA of `state`.
#[pyfunction]
pub fn pca_transform<'py>(
    py: Python<'py>,
    state: &str,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    Ok(apply_state(py, state, x, |m: &Pca, x| m.transform(x))?.into_pyarray(py))
}

/// `scores` back in the feature space of the PCA of `state`.
#[pyfunction]
pub fn pca_inverse_transform<'py>(
    py: Python<'py>,
    state: &str,
    scores: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    Ok(apply_state(py, state, scores, |m: &Pca, scores| m.inverse_transform(scores))?.into_pyarray(py))
}

fn factor_method(py: Python<'_>, name: &str) -> PyResult<FactorMethod> {
    match name {
        "minres" | "uls" => Ok(FactorMethod::MinRes),
        "ml" => Ok(FactorMethod::MaximumLikelihood),
        "principal" | "pa" => Ok(FactorMethod::PrincipalAxes),
        other => Err(parameter_error(
            py,
            "method",
            other,
            "\"minres\", \"ml\" or \"principal\"",
        )),
    }
}

fn rotation(py: Python<'_>, name: &str, power: u32) -> PyResult<Rotation> {
    match name {
        "none" => Ok(Rotation::None),
        "varimax" => Ok(Rotation::Varimax),
        "promax" => Ok(Rotation::Promax { power }),
        other => Err(parameter_error(
            py,
            "rotation",
            other,
            "\"varimax\", \"promax\" or None",
        )),
    }
}

/// Fits a factor model to respondents × items (rows with a NaN left out).
#[pyfunction]
#[pyo3(signature = (x, n_factors, *, method="minres", rotation="varimax", promax_power=4, max_iter=1000, tol=1e-9))]
#[allow(clippy::too_many_arguments)]
pub fn factor_analysis_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_factors: usize,
    method: &str,
    rotation: &str,
    promax_power: u32,
    max_iter: u64,
    tol: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let params = FactorAnalysis::params(n_factors)
        .method(factor_method(py, method)?)
        .rotation(self::rotation(py, rotation, promax_power)?)
        .max_iter(max_iter)
        .tol(tol);
    let x = x.as_array();
    let model = detached(py, || params.fit(x))?;
    let variance = model.variance();
    let out = PyDict::new(py);
    out.set_item("loadings", model.loadings().clone().into_pyarray(py))?;
    out.set_item(
        "unrotated_loadings",
        model.unrotated_loadings().clone().into_pyarray(py),
    )?;
    out.set_item("rotation_matrix", model.rotation_matrix().clone().into_pyarray(py))?;
    out.set_item("phi", model.phi().map(|phi| phi.clone().into_pyarray(py)))?;
    out.set_item("communalities", model.communalities().clone().into_pyarray(py))?;
    out.set_item("uniquenesses", model.uniquenesses().clone().into_pyarray(py))?;
    out.set_item("eigenvalues", model.eigenvalues().clone().into_pyarray(py))?;
    out.set_item(
        "common_factor_eigenvalues",
        model.common_factor_eigenvalues().clone().into_pyarray(py),
    )?;
    out.set_item("ss_loadings", variance.ss_loadings.into_pyarray(py))?;
    out.set_item("proportion", variance.proportion.into_pyarray(py))?;
    out.set_item("cumulative", variance.cumulative.into_pyarray(py))?;
    out.set_item("correlation", model.correlation().clone().into_pyarray(py))?;
    out.set_item("heywood_items", model.heywood_items().to_vec())?;
    out.set_item("n_iter", model.n_iter())?;
    out.set_item("converged", model.converged())?;
    out.set_item("objective", model.objective())?;
    out.set_item("n_obs", model.n_obs())?;
    out.set_item("n_rows_dropped", model.n_rows_dropped())?;
    out.set_item("mean", model.mean().map(|m| m.clone().into_pyarray(py)))?;
    out.set_item("std", model.std().map(|m| m.clone().into_pyarray(py)))?;
    out.set_item("state", to_json(py, &model)?)?;
    Ok(out)
}

/// Factor scores of `x` under the factor model of `state` (Thurstone's regression method).
#[pyfunction]
pub fn factor_analysis_transform<'py>(
    py: Python<'py>,
    state: &str,
    x: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    Ok(apply_state(py, state, x, |m: &FactorAnalysis, x| m.transform(x))?.into_pyarray(py))
}

/// KMO: (overall, per item, band name, singular, n_obs, n_rows_dropped).
#[pyfunction]
pub fn kmo<'py>(py: Python<'py>, x: PyReadonlyArray2<'py, f64>) -> PyResult<Bound<'py, PyDict>> {
    let x = x.as_array();
    let k = detached(py, || reduce::kmo(x))?;
    let out = PyDict::new(py);
    out.set_item("overall", k.overall)?;
    out.set_item("per_item", k.per_item.into_pyarray(py))?;
    out.set_item("band", k.band.name())?;
    out.set_item("singular", k.singular)?;
    out.set_item("n_obs", k.n_obs)?;
    out.set_item("n_rows_dropped", k.n_rows_dropped)?;
    Ok(out)
}

/// Bartlett's sphericity test.
#[pyfunction]
pub fn bartlett_sphericity<'py>(py: Python<'py>, x: PyReadonlyArray2<'py, f64>) -> PyResult<Bound<'py, PyDict>> {
    let x = x.as_array();
    let b = detached(py, || reduce::bartlett_sphericity(x))?;
    let out = PyDict::new(py);
    out.set_item("statistic", b.statistic)?;
    out.set_item("df", b.df)?;
    out.set_item("p_value", b.p_value)?;
    out.set_item("n_obs", b.n_obs)?;
    out.set_item("n_rows_dropped", b.n_rows_dropped)?;
    Ok(out)
}

/// Horn's parallel analysis.
#[pyfunction]
#[pyo3(signature = (x, *, n_sets=100, quantile=0.95, seed=0))]
pub fn parallel_analysis<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    n_sets: usize,
    quantile: f64,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let x = x.as_array();
    let params = ParallelAnalysisParams { n_sets, quantile, seed };
    let pa = detached(py, || reduce::parallel_analysis(x, &params))?;
    let out = PyDict::new(py);
    out.set_item("observed_components", pa.observed_components.into_pyarray(py))?;
    out.set_item("observed_factors", pa.observed_factors.into_pyarray(py))?;
    out.set_item("random_components", pa.random_components.into_pyarray(py))?;
    out.set_item("random_factors", pa.random_factors.into_pyarray(py))?;
    out.set_item("n_components", pa.n_components)?;
    out.set_item("n_factors", pa.n_factors)?;
    Ok(out)
}

/// Cronbach's α with the item-deleted values.
#[pyfunction]
pub fn cronbach_alpha<'py>(py: Python<'py>, x: PyReadonlyArray2<'py, f64>) -> PyResult<Bound<'py, PyDict>> {
    let x = x.as_array();
    let a = detached(py, || reduce::cronbach_alpha(x))?;
    let out = PyDict::new(py);
    out.set_item("alpha", a.alpha)?;
    out.set_item("alpha_if_deleted", a.alpha_if_deleted.into_pyarray(py))?;
    out.set_item("band", a.band.name())?;
    out.set_item("n_obs", a.n_obs)?;
    out.set_item("n_rows_dropped", a.n_rows_dropped)?;
    Ok(out)
}

/// Scree data: eigenvalues, proportion, cumulative proportion, Kaiser count.
#[pyfunction]
pub fn scree<'py>(py: Python<'py>, x: PyReadonlyArray2<'py, f64>) -> PyResult<Bound<'py, PyDict>> {
    let x = x.as_array();
    let s = detached(py, || reduce::scree(x))?;
    let out = PyDict::new(py);
    out.set_item("eigenvalues", s.eigenvalues.into_pyarray(py))?;
    out.set_item("proportion", s.proportion.into_pyarray(py))?;
    out.set_item("cumulative", s.cumulative.into_pyarray(py))?;
    out.set_item("kaiser_count", s.kaiser_count)?;
    Ok(out)
}
