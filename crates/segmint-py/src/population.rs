//! A customer base too large for one machine (`segmint.dask.segment` above
//! its collection threshold): the predictive models fitted once, each part
//! of the base placed and summed per segment, and the sample's report
//! profiled over the whole base.

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segmint::features::{PredictiveModels, PredictiveOptions};
use segmint::pipeline::{CustomerData, SegmentationModel, profile_whole_base as core_profile_whole_base};
use segmint::profile::ProfilePartials;
use segmint::report::SegmentReport;

use crate::error::{detached, from_json, to_json, to_py};
use crate::pipeline::{Aggregation, CustomersTable, DailySummary, FeatureTable, attributes, summary_from, tables};

/// BG/NBD and Gamma-Gamma fitted on a daily summary, as JSON: the models
/// that value every part of the base alike.
#[pyfunction]
pub fn predictive_models(py: Python<'_>, daily_summary: DailySummary<'_>) -> PyResult<String> {
    let summary = summary_from(py, daily_summary)?;
    let models = detached(py, || PredictiveModels::fit(&summary, &PredictiveOptions::default()))?;
    to_json(py, &models)
}

/// Places the customers of one part of the base with `model_json` at
/// `as_of` (seconds; `None`: the latest transaction) and sums their profiled
/// columns per segment. Returns the ids placed, their segments, how many
/// customers lacked a basis value and the partials as JSON (`None` when
/// none was placed).
#[pyfunction]
#[pyo3(signature = (model_json, features, daily_summary, span, n_transactions, *, predictive_models=None, customers=None, as_of=None))]
#[allow(clippy::too_many_arguments)]
pub fn profile_part<'py>(
    py: Python<'py>,
    model_json: &str,
    features: FeatureTable<'py>,
    daily_summary: DailySummary<'py>,
    span: (i64, i64),
    n_transactions: usize,
    predictive_models: Option<&str>,
    customers: Option<CustomersTable>,
    as_of: Option<i64>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = SegmentationModel::from_json(model_json).map_err(|e| to_py(py, e))?;
    let aggregation = Aggregation::of(py, features, daily_summary, span, n_transactions, predictive_models)?;
    let customers = customers.map(attributes);
    let data = CustomerData {
        aggregated: Some(aggregation.log()),
        ..tables(customers.as_ref(), None)
    };
    let part = detached(py, || model.profile_part(data, as_of))?;
    let out = PyDict::new(py);
    let segments: Vec<i64> = part.segments.iter().map(|&s| s as i64).collect();
    out.set_item("ids", part.ids)?;
    out.set_item("segments", segments.into_pyarray(py))?;
    out.set_item("unplaced", part.unplaced)?;
    let partials = part.partials.map(|p| to_json(py, &p)).transpose()?;
    out.set_item("partials_json", partials)?;
    Ok(out)
}

/// The report of a segmentation fitted on a sample, profiled over the whole
/// base from the partials of its parts (merged in the order given) where
/// `unplaced` customers lacked a basis value. Returns the report as JSON and Markdown.
#[pyfunction]
pub fn profile_whole_base<'py>(
    py: Python<'py>,
    report_json: &str,
    partials: Vec<String>,
    unplaced: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let parts: Vec<ProfilePartials> = partials
        .iter()
        .map(|text| from_json(py, text, "profile partials"))
        .collect::<PyResult<_>>()?;
    let report = detached(py, || {
        let mut report = SegmentReport::from_json(report_json)?;
        let mut parts = parts.into_iter();
        let Some(mut merged) = parts.next() else {
            return Err(segmint::Error::invalid_parameter(
                "partials",
                "none",
                "the partials of at least one part with a placed customer",
            ));
        };
        for part in parts {
            merged.merge(&part)?;
        }
        core_profile_whole_base(&mut report, &merged, unplaced)?;
        Ok(report)
    })?;
    let out = PyDict::new(py);
    out.set_item("report_json", detached(py, || report.to_json())?)?;
    out.set_item("markdown", report.to_markdown())?;
    Ok(out)
}
