//! Transactions in and out of Python: columns as numpy arrays, ids as lists.

use numpy::{IntoPyArray, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_arrow::input::AnyRecordBatch;
use rayon::prelude::*;
use segmint::data::{
    AmountColumns, BadRowPolicy, CustomerTable, DateFormat, IngestAudit, ReadOptions, TransactionColumns, Transactions,
    read_transactions as read_csv, read_transactions_arrow,
};

use crate::error::{detached, raise, to_py};

/// Builds core transactions from factorised columns (`pandas.factorize`).
pub fn transactions_from(
    py: Python<'_>,
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'_, i64>,
    timestamps: PyReadonlyArray1<'_, i64>,
    amounts: PyReadonlyArray1<'_, f64>,
    order_codes: Option<PyReadonlyArray1<'_, i64>>,
) -> PyResult<Transactions> {
    let customers = codes(py, "customer_codes", customer_codes)?;
    let orders = order_codes.map(|o| codes(py, "order_codes", o)).transpose()?;
    let (timestamps, amounts) = (timestamps.as_array(), amounts.as_array());
    let (timestamps, amounts) = py.detach(|| (timestamps.to_vec(), amounts.to_vec()));
    detached(py, || {
        Transactions::from_codes(customer_ids, customers, timestamps, amounts, orders)
    })
}

/// An interned column from Python: its distinct values and each line's code.
pub type CodedColumn<'py> = (Vec<String>, PyReadonlyArray1<'py, i64>);

/// The optional line columns, as `segment` takes them and `read_transactions`
/// returns them: items per line, product, category, sales channel, discount flag.
pub struct LineColumns<'py> {
    pub quantities: Option<PyReadonlyArray1<'py, f64>>,
    pub products: Option<CodedColumn<'py>>,
    pub categories: Option<CodedColumn<'py>>,
    pub sales_channels: Option<CodedColumn<'py>>,
    pub discount_flags: Option<PyReadonlyArray1<'py, bool>>,
}

impl LineColumns<'_> {
    /// `tx` with every column given (each checked: one value per line, codes in range).
    pub fn attach(self, py: Python<'_>, mut tx: Transactions) -> PyResult<Transactions> {
        if let Some(q) = self.quantities {
            let q = q.as_array().to_vec();
            tx = detached(py, || tx.with_quantities(q))?;
        }
        if let Some((ids, c)) = self.products {
            let c = codes(py, "product_codes", c)?;
            tx = detached(py, || tx.with_products(ids, c))?;
        }
        if let Some((ids, c)) = self.categories {
            let c = codes(py, "category_codes", c)?;
            tx = detached(py, || tx.with_categories(ids, c))?;
        }
        if let Some((ids, c)) = self.sales_channels {
            let c = codes(py, "sales_channel_codes", c)?;
            tx = detached(py, || tx.with_channels(ids, c))?;
        }
        if let Some(d) = self.discount_flags {
            let d = d.as_array().to_vec();
            tx = detached(py, || tx.with_discount_flags(d))?;
        }
        Ok(tx)
    }
}

/// Checked `u32` codes from factorised `int64` codes, converted in parallel without the GIL.
pub fn codes(py: Python<'_>, name: &str, codes: PyReadonlyArray1<'_, i64>) -> PyResult<Vec<u32>> {
    let view = codes.as_array();
    let converted = py.detach(|| {
        let fits = |c: &i64| u32::try_from(*c).is_ok();
        let bad = match view.as_slice() {
            Some(slice) => slice.par_iter().position_first(|c| !fits(c)),
            None => view.iter().position(|c| !fits(c)),
        };
        match bad {
            Some(row) => Err((row, view[row])),
            // Every code fits, so the casts are exact.
            None => Ok(match view.as_slice() {
                Some(slice) => slice.par_iter().map(|&c| c as u32).collect(),
                None => view.iter().map(|&c| c as u32).collect(),
            }),
        }
    });
    converted.map_err(|(row, c)| {
        raise(
            py,
            "ParameterError",
            format!("invalid parameter {name}: {c} at row {row}; expected a code between 0 and 4294967295"),
        )
    })
}

/// A customer table as `{"index": [...], "columns": [...], "values": ndarray}`.
pub fn table_to_py<'py>(py: Python<'py>, table: &CustomerTable) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("index", table.ids().to_vec())?;
    out.set_item("columns", table.column_names().to_vec())?;
    out.set_item("values", table.values().to_owned().into_pyarray(py))?;
    Ok(out)
}

/// Transaction columns as a dict of arrays and lists.
pub fn transactions_to_py<'py>(py: Python<'py>, tx: &Transactions) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("customer_ids", tx.customer_ids().to_vec())?;
    let to_i64 = |v: &[u32]| v.iter().map(|&c| i64::from(c)).collect::<Vec<_>>();
    out.set_item("customer_codes", to_i64(tx.customer_codes()).into_pyarray(py))?;
    out.set_item("timestamps", tx.timestamps().to_vec().into_pyarray(py))?;
    out.set_item("amounts", tx.amounts().to_vec().into_pyarray(py))?;
    match tx.order_codes() {
        Some(o) => out.set_item("order_codes", to_i64(o).into_pyarray(py))?,
        None => out.set_item("order_codes", py.None())?,
    }
    let coded = |column: Option<(&[String], &[u32])>| -> PyResult<Py<PyAny>> {
        Ok(match column {
            Some((ids, c)) => (ids.to_vec(), to_i64(c).into_pyarray(py))
                .into_pyobject(py)?
                .into_any()
                .unbind(),
            None => py.None(),
        })
    };
    out.set_item("quantities", tx.quantities().map(|q| q.to_vec().into_pyarray(py)))?;
    out.set_item("products", coded(tx.products())?)?;
    out.set_item("categories", coded(tx.categories())?)?;
    out.set_item("sales_channels", coded(tx.channels())?)?;
    out.set_item(
        "discount_flags",
        tx.discount_flags().map(|d| d.to_vec().into_pyarray(py)),
    )?;
    Ok(out)
}

/// Reads transactions through the core reader, from a CSV file or from an
/// Arrow table (anything with `__arrow_c_stream__`: polars, pyarrow, DuckDB
/// …, read without a copy of its columns); returns the columns and the
/// ingest audit as JSON.
#[pyfunction]
#[pyo3(signature = (source, *, customer_col, date_col, amount_col=None, quantity_col=None, price_col=None, order_col=None, product_col=None, category_col=None, channel_col=None, discount_col=None, date_format=None, delimiter=",", on_bad_row="drop"))]
#[allow(clippy::too_many_arguments)]
pub fn read_transactions<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    customer_col: String,
    date_col: String,
    amount_col: Option<String>,
    quantity_col: Option<String>,
    price_col: Option<String>,
    order_col: Option<String>,
    product_col: Option<String>,
    category_col: Option<String>,
    channel_col: Option<String>,
    discount_col: Option<String>,
    date_format: Option<String>,
    delimiter: &str,
    on_bad_row: &str,
) -> PyResult<Bound<'py, PyDict>> {
    // With an amount column, a quantity column is the items per line alone.
    let (amount, quantity) = match (amount_col, quantity_col, price_col) {
        (Some(a), quantity, None) => (AmountColumns::Amount(a), quantity),
        (None, Some(quantity), Some(price)) => (AmountColumns::QuantityPrice { quantity, price }, None),
        _ => {
            return Err(raise(
                py,
                "ParameterError",
                "invalid parameter amount_col: give amount_col (and optionally quantity_col), \
                 or both quantity_col and price_col"
                    .into(),
            ));
        }
    };
    let [delimiter] = delimiter.as_bytes() else {
        return Err(raise(
            py,
            "ParameterError",
            format!("invalid parameter delimiter={delimiter:?}: expected one ASCII character"),
        ));
    };
    let columns = TransactionColumns {
        customer: customer_col,
        date: date_col,
        amount,
        order: order_col,
        quantity,
        product: product_col,
        category: category_col,
        channel: channel_col,
        discount: discount_col,
    };
    let options = ReadOptions {
        date_format: date_format.map_or(DateFormat::Auto, DateFormat::Custom),
        delimiter: *delimiter,
        on_bad_row: on_bad_row.parse::<BadRowPolicy>().map_err(|e| to_py(py, e))?,
        ..Default::default()
    };
    let (tx, audit) = if source.hasattr("__arrow_c_stream__")? {
        let table: AnyRecordBatch = source.extract()?;
        let name = std::path::PathBuf::from(format!("<{} table>", source.get_type().fully_qualified_name()?));
        let batches = table.into_reader()?;
        let schema = batches.schema();
        detached(py, || {
            read_transactions_arrow(&schema, batches, &name, &columns, &options)
        })?
    } else {
        let path: std::path::PathBuf = source.extract()?;
        detached(py, || read_csv(&path, &columns, &options))?
    };
    let out = transactions_to_py(py, &tx)?;
    out.set_item("audit_json", audit_json(&audit))?;
    Ok(out)
}

/// The audit as compact JSON (the Python side parses it).
pub fn audit_json(audit: &IngestAudit) -> String {
    serde_json::to_string(audit).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
