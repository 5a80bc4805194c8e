//! The buy-till-you-die models for Python: fits return parameters and the
//! fit report as JSON; predictions run over whole arrays of customers.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use rayon::prelude::*;
use segmint::features::clv::{
    BetaGeo, BetaGeoParams, ClvHorizon, FitOptions, GammaGamma, GammaGammaParams, ParetoNbd, ParetoNbdParams, RfmData,
    SpendData, TransactionModel, evaluate_holdout,
};

use crate::error::{detached, raise};

/// A transaction model by name (`"bgnbd"` or `"paretonbd"`) and parameters in its order.
enum Model {
    BetaGeo(BetaGeo),
    Pareto(ParetoNbd),
}

impl Model {
    fn new(py: Python<'_>, name: &str, p: &[f64]) -> PyResult<Self> {
        let [a, b, c, d] = p else {
            return Err(raise(
                py,
                "ParameterError",
                format!("invalid parameter params: expected 4 values, got {}", p.len()),
            ));
        };
        match name {
            "bgnbd" => Ok(Model::BetaGeo(detached(py, || {
                BetaGeo::new(BetaGeoParams {
                    r: *a,
                    alpha: *b,
                    a: *c,
                    b: *d,
                })
            })?)),
            "paretonbd" => Ok(Model::Pareto(detached(py, || {
                ParetoNbd::new(ParetoNbdParams {
                    r: *a,
                    alpha: *b,
                    s: *c,
                    beta: *d,
                })
            })?)),
            other => Err(raise(
                py,
                "ParameterError",
                format!("invalid parameter model={other:?}: expected \"bgnbd\" or \"paretonbd\""),
            )),
        }
    }

    fn transaction_model(&self) -> &(dyn TransactionModel + Sync) {
        match self {
            Model::BetaGeo(m) => m,
            Model::Pareto(m) => m,
        }
    }

    fn probability_alive(&self, x: f64, t_x: f64, age: f64) -> segmint::Result<f64> {
        match self {
            Model::BetaGeo(m) => m.probability_alive(x, t_x, age),
            Model::Pareto(m) => m.probability_alive(x, t_x, age),
        }
    }

    fn expected_purchases(&self, t: f64) -> segmint::Result<f64> {
        match self {
            Model::BetaGeo(m) => m.expected_purchases(t),
            Model::Pareto(m) => m.expected_purchases(t),
        }
    }

    fn probability_of_purchases(&self, n: u64, t: f64) -> segmint::Result<f64> {
        match self {
            Model::BetaGeo(m) => m.probability_of_purchases(n, t),
            Model::Pareto(m) => m.probability_of_purchases(n, t),
        }
    }
}

fn fit_options(
    n_starts: usize,
    max_iterations: u64,
    initial_params: Option<Vec<f64>>,
    every_start: bool,
) -> FitOptions {
    FitOptions {
        n_starts,
        max_iterations,
        initial_params,
        every_start,
        ..FitOptions::default()
    }
}

/// Fits BG/NBD or Pareto/NBD; returns the parameters and the fit report as JSON.
#[pyfunction]
#[pyo3(signature = (model, frequency, recency, t, weights=None, n_starts=3, max_iterations=2000, initial_params=None, every_start=false))]
#[allow(clippy::too_many_arguments)]
pub fn btyd_fit(
    py: Python<'_>,
    model: &str,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    t: PyReadonlyArray1<'_, f64>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    n_starts: usize,
    max_iterations: u64,
    initial_params: Option<Vec<f64>>,
    every_start: bool,
) -> PyResult<(Vec<f64>, String)> {
    let (x, r, age) = (frequency.as_slice()?, recency.as_slice()?, t.as_slice()?);
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let options = fit_options(n_starts, max_iterations, initial_params, every_start);
    let data = match w {
        Some(w) => RfmData::new(x, r, age).with_weights(w),
        None => RfmData::new(x, r, age),
    };
    match model {
        "bgnbd" => {
            let fitted = detached(py, || BetaGeo::fit(&data, &options))?;
            let p = fitted.params();
            Ok((vec![p.r, p.alpha, p.a, p.b], report_json(fitted.fit_report())))
        }
        "paretonbd" => {
            let fitted = detached(py, || ParetoNbd::fit(&data, &options))?;
            let p = fitted.params();
            Ok((vec![p.r, p.alpha, p.s, p.beta], report_json(fitted.fit_report())))
        }
        other => Err(raise(
            py,
            "ParameterError",
            format!("invalid parameter model={other:?}: expected \"bgnbd\" or \"paretonbd\""),
        )),
    }
}

fn report_json<P: serde::Serialize>(report: Option<&P>) -> String {
    serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Per customer: `"conditional_expected_purchases"` in `t`, or `"probability_alive"`.
#[pyfunction]
#[pyo3(signature = (model, params, quantity, t, frequency, recency, age))]
#[allow(clippy::too_many_arguments)]
pub fn btyd_predict<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    quantity: &str,
    t: f64,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    age: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = Model::new(py, model, &params)?;
    let (x, r, a) = (frequency.as_slice()?, recency.as_slice()?, age.as_slice()?);
    check_lengths(py, x.len(), &[r.len(), a.len()])?;
    let values: Vec<f64> = detached(py, || {
        (0..x.len())
            .into_par_iter()
            .map(|i| match quantity {
                "probability_alive" => m.probability_alive(x[i], r[i], a[i]),
                _ => m
                    .transaction_model()
                    .conditional_expected_purchases(t, x[i], r[i], a[i]),
            })
            .collect::<segmint::Result<Vec<f64>>>()
    })?;
    Ok(values.into_pyarray(py))
}

/// Calibration/holdout evaluation of a fitted model: predicted holdout
/// purchases per customer, means by calibration frequency, totals, MAE and
/// RMSE, as JSON.
#[pyfunction]
#[pyo3(signature = (model, params, frequency, recency, age, holdout_purchases, duration))]
#[allow(clippy::too_many_arguments)]
pub fn btyd_evaluate_holdout(
    py: Python<'_>,
    model: &str,
    params: Vec<f64>,
    frequency: PyReadonlyArray1<'_, f64>,
    recency: PyReadonlyArray1<'_, f64>,
    age: PyReadonlyArray1<'_, f64>,
    holdout_purchases: PyReadonlyArray1<'_, f64>,
    duration: f64,
) -> PyResult<String> {
    let m = Model::new(py, model, &params)?;
    let (x, r, a) = (frequency.as_slice()?, recency.as_slice()?, age.as_slice()?);
    let holdout = holdout_purchases.as_slice()?;
    let data = RfmData::new(x, r, a);
    let evaluation = detached(py, || match &m {
        Model::BetaGeo(model) => evaluate_holdout(model, &data, holdout, duration),
        Model::Pareto(model) => evaluate_holdout(model, &data, holdout, duration),
    })?;
    Ok(report_json(Some(&evaluation)))
}

/// Expected purchases of a new customer in each of `t`.
#[pyfunction]
pub fn btyd_expected<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    t: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = Model::new(py, model, &params)?;
    let t = t.as_slice()?;
    let values = detached(py, || {
        t.iter()
            .map(|&t| m.expected_purchases(t))
            .collect::<segmint::Result<Vec<f64>>>()
    })?;
    Ok(values.into_pyarray(py))
}

/// P(n purchases in (0, t]) for a new customer.
#[pyfunction]
pub fn btyd_probability_of_purchases(py: Python<'_>, model: &str, params: Vec<f64>, n: u64, t: f64) -> PyResult<f64> {
    let m = Model::new(py, model, &params)?;
    detached(py, || m.probability_of_purchases(n, t))
}

/// Fits Gamma-Gamma on repeat buyers; returns (p, q, v) and the fit report as JSON.
#[pyfunction]
#[pyo3(signature = (frequency, monetary, weights=None, n_starts=3, max_iterations=2000, every_start=false))]
pub fn gamma_gamma_fit(
    py: Python<'_>,
    frequency: PyReadonlyArray1<'_, f64>,
    monetary: PyReadonlyArray1<'_, f64>,
    weights: Option<PyReadonlyArray1<'_, f64>>,
    n_starts: usize,
    max_iterations: u64,
    every_start: bool,
) -> PyResult<(Vec<f64>, String)> {
    let (x, m) = (frequency.as_slice()?, monetary.as_slice()?);
    let w = weights.as_ref().map(|w| w.as_slice()).transpose()?;
    let data = match w {
        Some(w) => SpendData::new(x, m).with_weights(w),
        None => SpendData::new(x, m),
    };
    let options = fit_options(n_starts, max_iterations, None, every_start);
    let fitted = detached(py, || GammaGamma::fit(&data, &options))?;
    let p = fitted.params();
    Ok((vec![p.p, p.q, p.v], report_json(fitted.fit_report())))
}

fn gamma_gamma(py: Python<'_>, params: &[f64]) -> PyResult<GammaGamma> {
    let [p, q, v] = params else {
        return Err(raise(
            py,
            "ParameterError",
            format!("invalid parameter params: expected 3 values, got {}", params.len()),
        ));
    };
    detached(py, || GammaGamma::new(GammaGammaParams { p: *p, q: *q, v: *v }))
}

/// Expected average profit per transaction of each customer.
#[pyfunction]
pub fn gamma_gamma_expected_profit<'py>(
    py: Python<'py>,
    params: Vec<f64>,
    frequency: PyReadonlyArray1<'py, f64>,
    monetary: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let gg = gamma_gamma(py, &params)?;
    let (x, m) = (frequency.as_slice()?, monetary.as_slice()?);
    check_lengths(py, x.len(), &[m.len()])?;
    let values = detached(py, || {
        (0..x.len())
            .into_par_iter()
            .map(|i| gg.conditional_expected_average_profit(x[i], m[i]))
            .collect::<segmint::Result<Vec<f64>>>()
    })?;
    Ok(values.into_pyarray(py))
}

/// Discounted CLV per customer over `months` (lifetimes' monthly convention).
#[pyfunction]
#[pyo3(signature = (model, params, gamma_gamma_params, frequency, recency, age, monetary, months=12, discount_rate=0.01, periods_per_month=30.0))]
#[allow(clippy::too_many_arguments)]
pub fn customer_lifetime_value<'py>(
    py: Python<'py>,
    model: &str,
    params: Vec<f64>,
    gamma_gamma_params: Vec<f64>,
    frequency: PyReadonlyArray1<'py, f64>,
    recency: PyReadonlyArray1<'py, f64>,
    age: PyReadonlyArray1<'py, f64>,
    monetary: PyReadonlyArray1<'py, f64>,
    months: u32,
    discount_rate: f64,
    periods_per_month: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let m = Model::new(py, model, &params)?;
    let gg = gamma_gamma(py, &gamma_gamma_params)?;
    let (x, r, a, v) = (
        frequency.as_slice()?,
        recency.as_slice()?,
        age.as_slice()?,
        monetary.as_slice()?,
    );
    check_lengths(py, x.len(), &[r.len(), a.len(), v.len()])?;
    let horizon = ClvHorizon::new(months, discount_rate, periods_per_month);
    let values = detached(py, || {
        (0..x.len())
            .into_par_iter()
            .map(|i| gg.customer_lifetime_value(m.transaction_model(), x[i], r[i], a[i], v[i], &horizon))
            .collect::<segmint::Result<Vec<f64>>>()
    })?;
    Ok(values.into_pyarray(py))
}

fn check_lengths(py: Python<'_>, n: usize, others: &[usize]) -> PyResult<()> {
    match others.iter().find(|&&len| len != n) {
        Some(len) => Err(raise(
            py,
            "DataError",
            format!("arrays of different lengths: {n} and {len} (one value per customer in each)"),
        )),
        None => Ok(()),
    }
}
