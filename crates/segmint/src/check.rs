//! Input checks shared by the stages.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::cluster::Element;
use crate::error::{Error, Result};

/// Fails on the first NaN or infinity, naming its position.
pub(crate) fn finite<F: Element>(what: &'static str, x: ArrayView2<'_, F>) -> Result<()> {
    // Fast path: a contiguous array is scanned as one slice. `v * 0` is 0 only
    // when v is finite (NaN and ±∞ give NaN), so the sum is 0 exactly when
    // every value is finite. Eight independent sums let it vectorise (one
    // running sum would be a chain of dependent additions); blocks of 64K
    // values are checked in parallel.
    if let Some(values) = x.as_slice()
        && values.par_chunks(1 << 16).all(all_finite)
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

fn all_finite<F: Element>(values: &[F]) -> bool {
    let (lanes, tail) = values.as_chunks::<8>();
    let mut acc = [F::ZERO; 8];
    for lane in lanes {
        for (a, &v) in acc.iter_mut().zip(lane) {
            *a = *a + v * F::ZERO;
        }
    }
    let rest = tail.iter().fold(F::ZERO, |a, &v| a + v * F::ZERO);
    acc.iter().fold(rest, |a, &v| a + v) == F::ZERO
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
