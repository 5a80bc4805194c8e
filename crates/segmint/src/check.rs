//! Input checks shared by the stages.

use ndarray::ArrayView2;

use crate::error::{Error, Result};

/// Fails on the first NaN or infinity, naming its position.
pub(crate) fn finite(what: &'static str, x: ArrayView2<'_, f64>) -> Result<()> {
    for ((row, column), &value) in x.indexed_iter() {
        if !value.is_finite() {
            return Err(Error::NonFinite {
                what,
                row,
                column,
                value,
            });
        }
    }
    Ok(())
}

/// Fails when `x` has no rows or no columns.
pub(crate) fn non_empty(what: &str, x: ArrayView2<'_, f64>) -> Result<()> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::InsufficientData {
            what: format!(
                "{what} has shape {}x{}; expected at least one row and one column",
                x.nrows(),
                x.ncols()
            ),
        });
    }
    Ok(())
}

/// Fails when `x` does not have `expected` columns.
pub(crate) fn n_features(what: &str, x: ArrayView2<'_, f64>, expected: usize) -> Result<()> {
    if x.ncols() != expected {
        return Err(Error::ShapeMismatch {
            what: format!("number of features of {what}"),
            expected: expected.to_string(),
            found: x.ncols().to_string(),
        });
    }
    Ok(())
}
