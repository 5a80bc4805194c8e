//! The one mapping from segmint's errors to Python exceptions, and the
//! wrapper that runs core work without the GIL and without letting a panic
//! cross into Python.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;
use segmint::Error;

/// The class in `segmint.exceptions` that an error becomes.
fn exception_name(err: &Error) -> &'static str {
    match err {
        Error::InvalidParameter { .. } => "ParameterError",
        Error::MissingColumn { .. } => "ColumnNotFoundError",
        Error::Io { .. } => "SegmintIOError",
        _ => "DataError",
    }
}

/// Converts a core error into the matching `segmint.exceptions` instance.
pub fn to_py(py: Python<'_>, err: Error) -> PyErr {
    raise(py, exception_name(&err), err.to_string())
}

/// Builds `segmint.exceptions.<name>(message)`.
pub fn raise(py: Python<'_>, name: &str, message: String) -> PyErr {
    let made = py
        .import("segmint.exceptions")
        .and_then(|m| m.getattr(name))
        .and_then(|cls| cls.call1((message.clone(),)));
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(import_failed) => import_failed,
    }
}

/// Runs `work` with the GIL released; a core error becomes its Python
/// exception and a panic becomes `segmint.exceptions.InternalError`.
pub fn detached<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> segmint::Result<T> + Send,
{
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(to_py(py, err)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(raise(
                py,
                "InternalError",
                format!("segmint internal error (please report): {what}"),
            ))
        }
    }
}

/// A result as JSON text for Python's `json.loads`.
pub(crate) fn to_json<T: serde::Serialize>(py: Python<'_>, value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| raise(py, "InternalError", format!("cannot serialise a result: {e}")))
}
