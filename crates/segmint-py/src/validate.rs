//! The MASDA scorecard for `segmint.validate`.

use numpy::{PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segmint::metrics;
use segmint::validate::{ScaleReliability, ValidateOptions, ValidationInput, validate};

use crate::error::{detached, raise, to_json};
use crate::metrics::values;

/// The scorecard of a labelled matrix (JSON of `validate::Scorecard`).
/// `options_json` holds `ValidateOptions` (thresholds included), every field optional.
#[pyfunction]
#[pyo3(signature = (x, feature_names, labels, *, revenue=None, value=None, reachable=None, scales_json=None, strategies=None, options_json=None))]
#[allow(clippy::too_many_arguments)]
pub fn masda_scorecard(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f64>,
    feature_names: Vec<String>,
    labels: PyReadonlyArray1<'_, i64>,
    revenue: Option<PyReadonlyArray1<'_, f64>>,
    value: Option<PyReadonlyArray1<'_, f64>>,
    reachable: Option<Vec<bool>>,
    scales_json: Option<&str>,
    strategies: Option<Vec<String>>,
    options_json: Option<&str>,
) -> PyResult<String> {
    let parse_error =
        |what: &str, e: serde_json::Error| raise(py, "ParameterError", format!("invalid parameter {what}: {e}"));
    let options: ValidateOptions = options_json
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| parse_error("options", e))?
        .unwrap_or_default();
    let scales: Vec<ScaleReliability> = scales_json
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| parse_error("scales", e))?
        .unwrap_or_default();
    let labels = values(&labels);
    let labels = metrics::label_codes(&labels);
    let revenue = revenue.map(|r| r.as_array().to_vec());
    let value = value.map(|v| v.as_array().to_vec());
    let x = x.as_array();
    let input = ValidationInput {
        revenue: revenue.as_deref(),
        value: value.as_deref(),
        reachable: reachable.as_deref(),
        scales: &scales,
        strategies: strategies.as_deref(),
        ..ValidationInput::new(x, &feature_names, &labels)
    };
    let card = detached(py, || validate(&input, &options))?;
    to_json(py, &card)
}
