//! A saved segmentation (`model.json`) scoring a later snapshot and
//! measuring migration, for `segmint.load`, `Segmenter.score` and
//! `segmint.migration`. The data arrive as `segment` takes them.

use std::path::PathBuf;

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segmint::data::{Transactions, write_text_atomically};
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
            aggregated: None,
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

/// The snapshot's columns as `segment` receives them, passed as one dict
/// (the keys are the field names).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct SnapshotColumns<'py> {
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'py, i64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    #[pyo3(default)]
    order_codes: Option<PyReadonlyArray1<'py, i64>>,
    #[pyo3(default)]
    customers: Option<CustomersTable>,
    #[pyo3(default)]
    launches: Option<LaunchColumns>,
    #[pyo3(default)]
    interactions: Option<InteractionColumns>,
    #[pyo3(default)]
    quantities: Option<PyReadonlyArray1<'py, f64>>,
    #[pyo3(default)]
    products: Option<CodedColumn<'py>>,
    #[pyo3(default)]
    categories: Option<CodedColumn<'py>>,
    #[pyo3(default)]
    sales_channels: Option<CodedColumn<'py>>,
    #[pyo3(default)]
    discount_flags: Option<PyReadonlyArray1<'py, bool>>,
}

impl<'py> SnapshotColumns<'py> {
    fn into_snapshot(self, py: Python<'py>) -> PyResult<Snapshot> {
        let c = self;
        let tx = transactions_from(
            py,
            c.customer_ids,
            c.customer_codes,
            c.timestamps,
            c.amounts,
            c.order_codes,
        )?;
        let lines = LineColumns {
            quantities: c.quantities,
            products: c.products,
            categories: c.categories,
            sales_channels: c.sales_channels,
            discount_flags: c.discount_flags,
        };
        Ok(Snapshot {
            tx: lines.attach(py, tx)?,
            customers: c.customers.map(attributes),
            products: c.launches.map(products_from),
            interactions: c.interactions.map(interactions_from),
        })
    }
}

fn model_of(py: Python<'_>, model_json: &str) -> PyResult<SegmentationModel> {
    SegmentationModel::from_json(model_json).map_err(|e| to_py(py, e))
}

/// The model saved at `path`, as JSON, checked as [`check_model`] checks it.
#[pyfunction]
pub fn read_model(py: Python<'_>, path: PathBuf) -> PyResult<String> {
    detached(py, || SegmentationModel::load(&path)?.to_json())
}

/// Writes `text` (a model, a dashboard) at `path` whole or not at all.
#[pyfunction]
pub fn write_text(py: Python<'_>, path: PathBuf, text: &str) -> PyResult<()> {
    detached(py, || write_text_atomically(&path, text))
}

/// Refuses a model file that is not one, or of another schema version.
#[pyfunction]
pub fn check_model(py: Python<'_>, model_json: &str) -> PyResult<()> {
    model_of(py, model_json).map(drop)
}

/// Places the customers of a snapshot in the segments of `model_json`:
/// ids, segments, distances, the customers not placed and the drift as JSON.
#[pyfunction]
#[pyo3(signature = (model_json, snapshot, *, as_of=None))]
pub fn score<'py>(
    py: Python<'py>,
    model_json: &str,
    snapshot: SnapshotColumns<'py>,
    as_of: Option<i64>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = model_of(py, model_json)?;
    let snapshot = snapshot.into_snapshot(py)?;
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
/// `model_json`, as JSON, with its Markdown and dashboard page.
#[pyfunction]
#[pyo3(signature = (model_json, snapshot, *, start, end, periods=4))]
pub fn migration<'py>(
    py: Python<'py>,
    model_json: &str,
    snapshot: SnapshotColumns<'py>,
    start: i64,
    end: i64,
    periods: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let model = model_of(py, model_json)?;
    let snapshot = snapshot.into_snapshot(py)?;
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
