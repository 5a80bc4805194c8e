//! The one mapping from segmint's errors to Python exceptions, and the
//! wrapper that runs core work without the GIL and without letting a panic
//! cross into Python.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use pyo3::prelude::*;
use segmint::{CancelToken, Error, ErrorKind};

/// How often a cancellable fit looks for a pending Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// The class in `segmint.exceptions` that an error becomes.
fn exception_name(err: &Error) -> &'static str {
    match err.kind() {
        ErrorKind::InvalidParameter => "ParameterError",
        ErrorKind::MissingColumn => "ColumnNotFoundError",
        ErrorKind::FileNotFound => "SegmintFileNotFoundError",
        ErrorKind::PermissionDenied => "SegmintPermissionError",
        ErrorKind::Io => "SegmintIOError",
        ErrorKind::Parse => "ParseError",
        ErrorKind::Numerical => "NumericalError",
        ErrorKind::TooLarge => "InputTooLargeError",
        ErrorKind::Cancelled => "CancelledError",
        ErrorKind::Internal => "InternalError",
        ErrorKind::Data => "DataError",
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
    finish(py, outcome)
}

/// Like [`detached`], for long fits: the work runs on its own thread with the
/// GIL released while the calling thread checks for signals every
/// [`SIGNAL_POLL`]. On Ctrl-C (or any exception a signal handler raises) the
/// token passed to `work` is cancelled, the work stops at its next check,
/// and the signal's exception (KeyboardInterrupt) is raised.
pub fn cancellable<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(CancelToken) -> segmint::Result<T> + Send,
{
    let token = CancelToken::new();
    let (outcome, interrupt) = py.detach(|| {
        thread::scope(|scope| {
            let (done, finished) = mpsc::channel();
            let worker = token.clone();
            let handle = scope.spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(|| work(worker)));
                let _ = done.send(());
                outcome
            });
            let mut interrupt = None;
            while let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(SIGNAL_POLL) {
                if interrupt.is_none()
                    && let Err(signal) = Python::attach(|py| py.check_signals())
                {
                    token.cancel();
                    interrupt = Some(signal);
                }
            }
            let outcome = handle.join().unwrap_or_else(Err);
            (outcome, interrupt)
        })
    });
    match interrupt {
        Some(signal) => Err(signal),
        None => finish(py, outcome),
    }
}

/// A caught outcome as a Python result: core errors become their exception,
/// a panic `segmint.exceptions.InternalError`.
fn finish<T>(py: Python<'_>, outcome: thread::Result<segmint::Result<T>>) -> PyResult<T> {
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

/// A JSON document made by [`to_json`], read back; `what` names it in the error.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(py: Python<'_>, text: &str, what: &str) -> PyResult<T> {
    serde_json::from_str(text).map_err(|e| raise(py, "ParseError", format!("cannot read the {what}: {e}")))
}
