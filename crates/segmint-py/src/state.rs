//! Fitted models travel to Python as their serde JSON (`state`); the scoring
//! calls read them back here and apply them without the GIL.

use ndarray::ArrayView2;
use numpy::PyReadonlyArray2;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;

use crate::error::{detached, raise};

/// The fitted model saved as `state`.
pub(crate) fn from_state<M: DeserializeOwned>(py: Python<'_>, state: &str) -> PyResult<M> {
    serde_json::from_str(state).map_err(|e| raise(py, "ParameterError", format!("invalid parameter state: {e}")))
}

/// `apply` of the model saved as `state` to the rows of `x`, with the GIL released.
pub(crate) fn apply_state<'py, M, T>(
    py: Python<'py>,
    state: &str,
    x: PyReadonlyArray2<'py, f64>,
    apply: impl FnOnce(&M, ArrayView2<'_, f64>) -> segmint::Result<T> + Send,
) -> PyResult<T>
where
    M: DeserializeOwned + Sync,
    T: Send,
{
    let model: M = from_state(py, state)?;
    let x = x.as_array();
    detached(py, || apply(&model, x))
}
