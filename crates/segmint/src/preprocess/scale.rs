//! Standardisation and the log transform for skewed money and count features.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::check;
use crate::error::Result;

/// `sign(x) · ln(1 + |x|)`: tames the long right tail of revenue and order
/// counts while keeping zero at zero and the sign of net returns.
pub fn signed_log1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

/// Centres each column on its mean and divides by its standard deviation
/// (population, ddof = 0, as scikit-learn's `StandardScaler`). A constant
/// column keeps scale 1, so it becomes all zeros instead of NaN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler {
    /// Column means.
    pub mean: Array1<f64>,
    /// Column scales (standard deviations, 1 for constant columns).
    pub scale: Array1<f64>,
}

impl StandardScaler {
    /// Learns means and scales from `x`.
    pub fn fit(x: ArrayView2<'_, f64>) -> Result<Self> {
        check::non_empty("X", x)?;
        check::finite("X", x)?;
        let n = x.nrows() as f64;
        let mean = x.sum_axis(Axis(0)) / n;
        let scale = x
            .axis_iter(Axis(1))
            .zip(mean.iter())
            .map(|(col, &m)| {
                let var = col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n;
                if var > f64::EPSILON * m.abs().max(1.0) {
                    var.sqrt()
                } else {
                    1.0
                }
            })
            .collect();
        Ok(StandardScaler { mean, scale })
    }

    /// Standardises `x` with the learnt means and scales.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check::n_features("X", x, self.mean.len())?;
        check::finite("X", x)?;
        Ok((&x - &self.mean) / &self.scale)
    }

    /// Undoes [`Self::transform`].
    pub fn inverse_transform(&self, z: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check::n_features("Z", z, self.mean.len())?;
        Ok(&z * &self.scale + &self.mean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn standardises_to_zero_mean_unit_variance_and_back() {
        let x = array![[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [6.0, 5.0]];
        let s = StandardScaler::fit(x.view()).unwrap();
        let z = s.transform(x.view()).unwrap();
        assert_abs_diff_eq!(z.mean_axis(Axis(0)).unwrap(), array![0.0, 0.0], epsilon = 1e-12);
        assert_abs_diff_eq!(z.column(0).var(0.0), 1.0, epsilon = 1e-12);
        assert_eq!(z.column(1).to_vec(), vec![0.0; 4]); // constant column
        assert_abs_diff_eq!(s.inverse_transform(z.view()).unwrap(), x, epsilon = 1e-12);
    }

    #[test]
    fn nan_is_rejected_with_its_position() {
        let x = array![[1.0, 2.0], [f64::NAN, 1.0]];
        let err = StandardScaler::fit(x.view()).unwrap_err().to_string();
        assert_eq!(err, "X contains a non-finite value (NaN) at row 1, column 0");
    }

    #[test]
    fn signed_log_keeps_sign_and_zero() {
        assert_eq!(signed_log1p(0.0), 0.0);
        assert_abs_diff_eq!(signed_log1p(-(std::f64::consts::E - 1.0)), -1.0, epsilon = 1e-12);
    }
}
