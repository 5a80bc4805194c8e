//! The feature table and the repeat-purchase summary from factorised columns.

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segmint::data::{Interactions, InteractionsBuilder, Products};
use segmint::features::{
    FeatureOptions, Period, RfmSummary, Sources, SummaryColumns, SummaryOptions, calibration_holdout_columns,
    customer_features as core_features, rfm_summary_columns,
};

use crate::data::{codes, table_to_py, transactions_from};
use crate::error::{detached, raise};

/// The lifetimes-style summary (and holdout columns when `calibration_end` is
/// given) from line columns: integer customer keys, times in ticks of
/// `1 / ticks_per_second` s (`i64::MIN` = NaT) and amounts. The result's
/// `index` holds the keys of the summarised customers in order of first appearance.
#[pyfunction]
#[pyo3(signature = (keys, times, amounts, *, ticks_per_second=1, time_unit="D", freq_multiplier=1.0, observation_end=None, calibration_end=None))]
#[allow(clippy::too_many_arguments)]
pub fn rfm_summary<'py>(
    py: Python<'py>,
    keys: PyReadonlyArray1<'py, i64>,
    times: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    ticks_per_second: i64,
    time_unit: &str,
    freq_multiplier: f64,
    observation_end: Option<i64>,
    calibration_end: Option<i64>,
) -> PyResult<Bound<'py, PyDict>> {
    let columns = SummaryColumns {
        keys: contiguous(py, "keys", &keys)?,
        times: contiguous(py, "times", &times)?,
        ticks_per_second,
        amounts: contiguous(py, "amounts", &amounts)?,
    };
    let options = SummaryOptions {
        period: detached(py, || Period::parse(time_unit))?,
        multiplier: freq_multiplier,
        observation_end,
    };
    let out = PyDict::new(py);
    match calibration_end {
        None => {
            let summary = detached(py, || rfm_summary_columns(&columns, &options))?;
            summary_to_py(&out, summary, "")?;
        }
        Some(end) => {
            let split = detached(py, || calibration_holdout_columns(&columns, end, &options))?;
            summary_to_py(&out, split.calibration, "_cal")?;
            out.set_item("frequency_holdout", split.frequency_holdout.into_pyarray(py))?;
            out.set_item("monetary_value_holdout", split.monetary_value_holdout.into_pyarray(py))?;
            out.set_item("duration_holdout", split.duration_holdout)?;
        }
    }
    Ok(out)
}

/// The array's memory as a slice, without a copy.
fn contiguous<'a, T: numpy::Element>(
    py: Python<'_>,
    name: &str,
    array: &'a PyReadonlyArray1<'_, T>,
) -> PyResult<&'a [T]> {
    array.as_slice().map_err(|_| {
        raise(
            py,
            "ParameterError",
            format!("invalid parameter {name}: expected a contiguous array"),
        )
    })
}

fn summary_to_py(out: &Bound<'_, PyDict>, s: RfmSummary<i64>, suffix: &str) -> PyResult<()> {
    let py = out.py();
    out.set_item("index", s.ids.into_pyarray(py))?;
    out.set_item(format!("frequency{suffix}"), s.frequency.into_pyarray(py))?;
    out.set_item(format!("recency{suffix}"), s.recency.into_pyarray(py))?;
    out.set_item(format!("T{suffix}"), s.t.into_pyarray(py))?;
    out.set_item(format!("monetary_value{suffix}"), s.monetary_value.into_pyarray(py))?;
    Ok(())
}

/// Interactions as parallel lists: customer ids, timestamps, kinds, satisfaction (`NaN` = none).
/// Interactions from Python: customer ids, timestamps, kinds and satisfaction scores.
pub(crate) type InteractionColumns = (Vec<String>, Vec<i64>, Vec<String>, Vec<f64>);

/// Product launches from Python: product ids and launch timestamps.
pub(crate) type LaunchColumns = (Vec<String>, Vec<i64>);

/// The core's interactions table from its Python columns.
pub(crate) fn interactions_from((customers, timestamps, kinds, satisfaction): InteractionColumns) -> Interactions {
    let mut builder = InteractionsBuilder::default();
    for (((c, t), k), s) in customers.iter().zip(timestamps).zip(&kinds).zip(satisfaction) {
        builder.push(c, t, k, s);
    }
    builder.finish()
}

/// The core's product table (launch dates, no price tiers) from its Python columns.
pub(crate) fn products_from((ids, launch): LaunchColumns) -> Products {
    Products {
        price_tier: vec![String::new(); ids.len()],
        ids,
        launch,
    }
}

/// The behavioural feature table with the optional line columns and sources.
#[pyfunction]
#[pyo3(signature = (customer_ids, customer_codes, timestamps, amounts, order_codes=None, *, quantities=None, products=None, categories=None, channels=None, discounted=None, launches=None, interactions=None, as_of=None, margin=1.0, new_product_days=90, recent_days=365))]
#[allow(clippy::too_many_arguments)]
pub fn customer_features<'py>(
    py: Python<'py>,
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'py, i64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    order_codes: Option<PyReadonlyArray1<'py, i64>>,
    quantities: Option<PyReadonlyArray1<'py, f64>>,
    products: Option<(Vec<String>, PyReadonlyArray1<'py, i64>)>,
    categories: Option<(Vec<String>, PyReadonlyArray1<'py, i64>)>,
    channels: Option<(Vec<String>, PyReadonlyArray1<'py, i64>)>,
    discounted: Option<PyReadonlyArray1<'py, bool>>,
    launches: Option<LaunchColumns>,
    interactions: Option<InteractionColumns>,
    as_of: Option<i64>,
    margin: f64,
    new_product_days: u32,
    recent_days: u32,
) -> PyResult<Bound<'py, PyDict>> {
    let mut tx = transactions_from(py, customer_ids, customer_codes, timestamps, amounts, order_codes)?;
    if let Some(q) = quantities {
        let q = q.as_array().to_vec();
        tx = detached(py, || tx.with_quantities(q))?;
    }
    if let Some((ids, c)) = products {
        let c = codes(py, "product_codes", c)?;
        tx = detached(py, || tx.with_products(ids, c))?;
    }
    if let Some((ids, c)) = categories {
        let c = codes(py, "category_codes", c)?;
        tx = detached(py, || tx.with_categories(ids, c))?;
    }
    if let Some((ids, c)) = channels {
        let c = codes(py, "channel_codes", c)?;
        tx = detached(py, || tx.with_channels(ids, c))?;
    }
    if let Some(flags) = discounted {
        let flags = flags.as_array();
        tx = detached(py, || tx.with_discount_flags(flags.to_vec()))?;
    }
    let launches = launches.map(products_from);
    let interactions = interactions.map(interactions_from);
    let options = FeatureOptions {
        as_of,
        margin,
        new_product_days,
        recent_days,
        ..Default::default()
    };
    let sources = Sources {
        products: launches.as_ref(),
        interactions: interactions.as_ref(),
        customers: None,
    };
    let table = detached(py, || core_features(&tx, &options, sources))?;
    table_to_py(py, &table)
}
