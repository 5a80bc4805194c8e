//! Input checks shared by the stages.

use ndarray::ArrayView2;

use crate::cluster::Element;
use crate::error::{Error, Result};

/// Fails on the first NaN or infinity, naming its position.
pub(crate) fn finite<F: Element>(what: &'static str, x: ArrayView2<'_, F>) -> Result<()> {
    // Fast path: a contiguous array is scanned as one slice. `v * 0` is 0 only
    // when v is finite (NaN and ±∞ give NaN), so the sum is 0 exactly when
    // every value is finite; it vectorises, unlike a branch per value.
    if let Some(values) = x.as_slice()
        && values
            .chunks(4096)
            .all(|c| c.iter().fold(F::ZERO, |acc, &v| acc + v * F::ZERO) == F::ZERO)
    {
        return Ok(());
    }
    for ((row, column), &value) in x.indexed_iter() {
        let value = value.to_f64();
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
pub(crate) fn non_empty<F>(what: &str, x: ArrayView2<'_, F>) -> Result<()> {
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
pub(crate) fn n_features<F>(what: &str, x: ArrayView2<'_, F>, expected: usize) -> Result<()> {
    if x.ncols() != expected {
        return Err(Error::ShapeMismatch {
            what: format!("number of features of {what}"),
            expected: expected.to_string(),
            found: x.ncols().to_string(),
        });
    }
    Ok(())
}
