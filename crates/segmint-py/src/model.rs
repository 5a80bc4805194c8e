//! A saved segmentation (`model.json`) scoring a later snapshot and
//! measuring migration, for `segmint.load`, `Segmenter.score` and
//! `segmint.migration`. The data arrive as `segment` takes them.

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segmint::data::Transactions;
use segmint::features::Sources;
use segmint::pipeline::{CustomerData, SegmentationModel};

use crate::data::{CodedColumn, LineColumns, transactions_from};
use crate::error::{detached, to_json, to_py};
use crate::features::{InteractionColumns, LaunchColumns, interactions_from, products_from};
use crate::pipeline::{CustomersTable, attributes};

/// A snapshot as `segment` receives it: the log's columns and the side tables.
struct Snapshot {
    tx: Transactions,
    customers: Option<segmint::data::Attributes>,
    products: Option<segmint::data::Products>,
    interactions: Option<segmint::data::Interactions>,
}

impl Snapshot {
    fn data(&self) -> CustomerData<'_> {
        CustomerData {
            transactions: Some(&self.tx),
            audit: None,
            sources: Sources {
                customers: self.customers.as_ref(),
                products: self.products.as_ref(),
                interactions: self.interactions.as_ref(),
            },
            survey: None,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn snapshot<'py>(
    py: Python<'py>,
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'py, i64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    order_codes: Option<PyReadonlyArray1<'py, i64>>,
    lines: LineColumns<'py>,
    customers: Option<CustomersTable>,
    launches: Option<LaunchColumns>,
    interactions: Option<InteractionColumns>,
) -> PyResult<Snapshot> {
    let tx = transactions_from(py, customer_ids, customer_codes, timestamps, amounts, order_codes)?;
    Ok(Snapshot {
        tx: lines.attach(py, tx)?,
        customers: customers.map(attributes),
        products: launches.map(products_from),
        interactions: interactions.map(interactions_from),
    })
}

fn model_of(py: Python<'_>, model_json: &str) -> PyResult<SegmentationModel> {
    SegmentationModel::from_json(model_json).map_err(|e| to_py(py, e))
}

/// Refuses a model file that is not one, or of another schema version.
#[pyfunction]
pub fn check_model(py: Python<'_>, model_json: &str) -> PyResult<()> {
    model_of(py, model_json).map(drop)
}

/// Places the customers of a snapshot in the segments of `model_json`:
/// ids, segments, distances, the customers not placed and the drift as JSON.
#[pyfunction]
#[pyo3(signature = (model_json, customer_ids, customer_codes, timestamps, amounts, order_codes=None, *, as_of=None, customers=None, launches=None, interactions=None, quantities=None, products=None, categories=None, sales_channels=None, discount_flags=None))]
#[allow(clippy::too_many_arguments)]
pub fn score<'py>(
    py: Python<'py>,
    model_json: &str,
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'py, i64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    order_codes: Option<PyReadonlyArray1<'py, i64>>,
    as_of: Option<i64>,
    customers: Option<CustomersTable>,
    launches: Option<LaunchColumns>,
    interactions: Option<InteractionColumns>,
    quantities: Option<PyReadonlyArray1<'py, f64>>,
    products: Option<CodedColumn<'py>>,
    categories: Option<CodedColumn<'py>>,
    sales_channels: Option<CodedColumn<'py>>,
    discount_flags: Option<PyReadonlyArray1<'py, bool>>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = model_of(py, model_json)?;
    let lines = LineColumns {
        quantities,
        products,
        categories,
        sales_channels,
        discount_flags,
    };
    let snapshot = snapshot(
        py,
        customer_ids,
        customer_codes,
        timestamps,
        amounts,
        order_codes,
        lines,
        customers,
        launches,
        interactions,
    )?;
    let scores = detached(py, || model.score(snapshot.data(), as_of))?;
    let out = PyDict::new(py);
    let segments: Vec<i64> = scores.segments.iter().map(|&s| s as i64).collect();
    out.set_item("ids", scores.ids)?;
    out.set_item("segments", segments.into_pyarray(py))?;
    out.set_item("distance", scores.distance.into_pyarray(py))?;
    out.set_item("next_distance", scores.next_distance.into_pyarray(py))?;
    out.set_item("probability", scores.probability.map(|p| p.into_pyarray(py)))?;
    let unplaced: Vec<(String, String)> = scores.unplaced.into_iter().map(|d| (d.id, d.column)).collect();
    out.set_item("unplaced", unplaced)?;
    out.set_item("drift_json", to_json(py, &scores.drift)?)?;
    out.set_item("drift_markdown", scores.drift.to_markdown(&model.names))?;
    out.set_item("names", model.names)?;
    Ok(out)
}

/// The migration of a log's customers between two dates (seconds) under
/// `model_json`, as JSON, with its Markdown.
#[pyfunction]
#[pyo3(signature = (model_json, customer_ids, customer_codes, timestamps, amounts, order_codes=None, *, start, end, periods=4, customers=None, launches=None, interactions=None, quantities=None, products=None, categories=None, sales_channels=None, discount_flags=None))]
#[allow(clippy::too_many_arguments)]
pub fn migration<'py>(
    py: Python<'py>,
    model_json: &str,
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'py, i64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    order_codes: Option<PyReadonlyArray1<'py, i64>>,
    start: i64,
    end: i64,
    periods: usize,
    customers: Option<CustomersTable>,
    launches: Option<LaunchColumns>,
    interactions: Option<InteractionColumns>,
    quantities: Option<PyReadonlyArray1<'py, f64>>,
    products: Option<CodedColumn<'py>>,
    categories: Option<CodedColumn<'py>>,
    sales_channels: Option<CodedColumn<'py>>,
    discount_flags: Option<PyReadonlyArray1<'py, bool>>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = model_of(py, model_json)?;
    let lines = LineColumns {
        quantities,
        products,
        categories,
        sales_channels,
        discount_flags,
    };
    let snapshot = snapshot(
        py,
        customer_ids,
        customer_codes,
        timestamps,
        amounts,
        order_codes,
        lines,
        customers,
        launches,
        interactions,
    )?;
    let (migration, html) = detached(py, || {
        let migration = model.migration(snapshot.data(), start, end, periods)?;
        let html = migration.to_html()?;
        Ok((migration, html))
    })?;
    let out = PyDict::new(py);
    out.set_item("html", html)?;
    out.set_item("json", to_json(py, &migration)?)?;
    out.set_item("markdown", migration.to_markdown())?;
    out.set_item("headlines", migration.headlines(5))?;
    Ok(out)
}
