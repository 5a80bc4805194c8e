//! The Ward builder and the rules it is checked against.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::algorithm::{Ward, fit};
use crate::check;
use crate::error::{Error, Result};

/// Default limit on the number of rows: the nearest-neighbour chain does
/// O(n²·d) distance work, so time grows with the square of the base.
pub const DEFAULT_MAX_SAMPLES: usize = 20_000;

/// Unchecked Ward settings; [`WardParams::fit`] checks them against the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardParams {
    /// The row limit.
    pub max_samples: usize,
}

impl Default for WardParams {
    fn default() -> Self {
        WardParams {
            max_samples: DEFAULT_MAX_SAMPLES,
        }
    }
}

impl WardParams {
    /// Defaults: at most [`DEFAULT_MAX_SAMPLES`] rows.
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest number of rows accepted (the work grows as n²).
    pub fn max_samples(mut self, max_samples: usize) -> Self {
        self.max_samples = max_samples;
        self
    }

    /// Checks every rule against `n_samples` rows.
    pub fn check(&self, n_samples: usize) -> Result<()> {
        if self.max_samples < 2 {
            return Err(Error::invalid_parameter("max_samples", self.max_samples, "at least 2"));
        }
        if n_samples < 2 {
            return Err(Error::InsufficientData {
                what: format!("Ward clustering needs at least 2 rows; got n_samples = {n_samples}"),
            });
        }
        if n_samples > self.max_samples {
            return Err(Error::invalid_parameter(
                "max_samples",
                self.max_samples,
                format!(
                    "at least n_samples={n_samples}: Ward linkage does O(n²) distance work, \
                     so larger bases are refused; cluster a sample (or use KMeans), \
                     or raise max_samples knowingly"
                ),
            ));
        }
        Ok(())
    }

    /// Builds the full Ward merge tree of the rows of `x`.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Ward> {
        check::non_empty("X", x)?;
        self.check(x.nrows())?;
        check::finite("X", x)?;
        Ok(fit(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    #[test]
    fn max_samples_must_be_at_least_two() {
        let e = WardParams::new().max_samples(1).fit(array![[0.0], [1.0]].view());
        assert_eq!(
            e.unwrap_err().to_string(),
            "invalid parameter max_samples=1: expected at least 2"
        );
    }

    #[test]
    fn at_least_two_rows_are_needed() {
        let e = WardParams::new().fit(array![[0.0]].view()).unwrap_err();
        assert!(e.to_string().contains("at least 2 rows; got n_samples = 1"), "{e}");
    }

    #[test]
    fn too_many_rows_are_refused_with_the_reason() {
        let x = Array2::<f64>::zeros((11, 1));
        let e = WardParams::new().max_samples(10).fit(x.view()).unwrap_err().to_string();
        assert!(
            e.contains("at least n_samples=11: Ward linkage does O(n²) distance work"),
            "{e}"
        );
    }

    #[test]
    fn non_finite_values_are_refused() {
        let e = WardParams::new().fit(array![[0.0], [f64::NAN]].view()).unwrap_err();
        assert_eq!(e.to_string(), "X contains a non-finite value (NaN) at row 1, column 0");
    }
}
