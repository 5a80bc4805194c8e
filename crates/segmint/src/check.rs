//! Input checks shared by the stages.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::element::Element;
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn every_non_finite_value_is_found_wherever_it_sits() {
        // 3 × 70,000 values: more than one parallel block, a tail that is not a multiple of 8.
        let clean = Array2::<f64>::from_shape_fn((70_001, 3), |(i, j)| (i * 3 + j) as f64 - 1e5);
        finite("X", clean.view()).unwrap();
        for (row, column) in [(0, 0), (5, 2), (21_845, 1), (70_000, 2)] {
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let mut x = clean.clone();
                x[[row, column]] = bad;
                let err = finite("X", x.view()).unwrap_err().to_string();
                assert!(err.contains(&format!("row {row}, column {column}")), "{err}");
            }
        }
        let mut f32s = clean.mapv(|v| v as f32);
        f32s[[9, 1]] = f32::NAN;
        assert!(finite("X", f32s.view()).is_err());
        // A non-contiguous view takes the slow path.
        assert!(finite("X", clean.t()).is_ok());
    }
}
