//! The factor-analysis builder and the rules it is checked against.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::model::{FactorAnalysis, fit_correlation};
use super::rotate::Rotation;
use crate::error::{Error, Result};
use crate::reduce::linalg::correlation;
use crate::reduce::{complete_rows, finite_or_missing};

/// How the factors are extracted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum FactorMethod {
    /// Minimum residuals (unweighted least squares): psych's default `minres`,
    /// factor_analyzer's `minres`.
    #[default]
    MinRes,
    /// Maximum likelihood (Lawley & Maxwell; psych `ml`).
    MaximumLikelihood,
    /// Iterated principal axes (psych `pa`): squared multiple correlations
    /// as the first communalities, iterated to a fixed point.
    PrincipalAxes,
}

/// Unchecked factor-analysis settings; [`FactorAnalysisParams::fit`] checks
/// them against the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorAnalysisParams {
    n_factors: usize,
    /// Extraction method.
    pub method: FactorMethod,
    /// Rotation.
    pub rotation: Rotation,
    /// Iteration limit.
    pub max_iter: u64,
    /// Tolerance.
    pub tol: f64,
}

impl FactorAnalysisParams {
    /// Defaults for `n_factors` factors: minres, varimax, at most 1,000
    /// optimiser iterations, gradient tolerance 1e-9.
    pub fn new(n_factors: usize) -> Self {
        FactorAnalysisParams {
            n_factors,
            method: FactorMethod::MinRes,
            rotation: Rotation::Varimax,
            max_iter: 1000,
            tol: 1e-9,
        }
    }

    setters! {
        /// The extraction method.
        method: FactorMethod;

        /// The rotation.
        rotation: Rotation;

        /// Iteration limit of the optimiser (minres, ML) or of the communality
        /// iteration (principal axes).
        max_iter: u64;

        /// Minres and ML stop when the norm of the gradient (in the optimiser's
        /// unbounded coordinates) is at most `tol`; principal axes when the sum
        /// of communalities changes by less than `tol`.
        tol: f64;
    }

    /// Number of factors.
    pub fn n_factors(&self) -> usize {
        self.n_factors
    }

    /// Checks every rule against `n_items` items.
    pub fn check(&self, n_items: usize) -> Result<()> {
        if self.n_factors == 0 {
            return Err(Error::invalid_parameter("n_factors", 0, "at least 1"));
        }
        if self.n_factors >= n_items {
            return Err(Error::invalid_parameter(
                "n_factors",
                self.n_factors,
                format!("fewer than the number of items ({n_items})"),
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid_parameter("max_iter", 0, "at least 1"));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::invalid_parameter("tol", self.tol, "a finite number > 0"));
        }
        if let Rotation::Promax { power } = self.rotation
            && power < 2
        {
            return Err(Error::invalid_parameter("promax power", power, "at least 2"));
        }
        Ok(())
    }

    /// Fits the model to respondents × items. Rows with a missing answer
    /// (NaN) are left out (complete cases); infinities are an error.
    pub fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FactorAnalysis> {
        crate::check::non_empty("X", x)?;
        self.check(x.ncols())?;
        finite_or_missing("X", x)?;
        let rows = complete_rows(x);
        let complete = x.select(ndarray::Axis(0), &rows);
        enough_rows(complete.nrows(), x.ncols(), x.nrows())?;
        let r = correlation(complete.view())?;
        let mut model = fit_correlation(self, r, complete.nrows())?;
        model.set_scaling(complete.view(), x.nrows() - complete.nrows());
        Ok(model)
    }

    /// Fits the model to a correlation matrix of `n_obs` respondents (no
    /// factor scores: [`FactorAnalysis::transform`] then fails).
    pub fn fit_correlation(&self, r: ArrayView2<'_, f64>, n_obs: usize) -> Result<FactorAnalysis> {
        check_correlation(r)?;
        self.check(r.ncols())?;
        fit_correlation(self, r.to_owned(), n_obs)
    }
}

/// Factor analysis needs an invertible correlation matrix: more complete
/// rows than items.
pub(crate) fn enough_rows(complete: usize, items: usize, total: usize) -> Result<()> {
    if complete <= items {
        return Err(Error::InsufficientData {
            what: format!(
                "{complete} complete rows (of {total}) for {items} items; the correlation matrix is singular \
                 unless there are more complete rows than items"
            ),
        });
    }
    Ok(())
}

/// A square, symmetric, finite matrix with a unit diagonal.
pub(crate) fn check_correlation(r: ArrayView2<'_, f64>) -> Result<()> {
    if r.nrows() != r.ncols() || r.nrows() < 2 {
        return Err(Error::ShapeMismatch {
            what: "correlation matrix".into(),
            expected: "square, at least 2x2".into(),
            found: format!("{}x{}", r.nrows(), r.ncols()),
        });
    }
    crate::check::finite("correlation matrix", r)?;
    let p = r.nrows();
    for i in 0..p {
        if (r[(i, i)] - 1.0).abs() > 1e-8 {
            return Err(Error::invalid_parameter(
                "correlation matrix",
                format!("diagonal[{i}]={}", r[(i, i)]),
                "1 on the diagonal",
            ));
        }
        for j in 0..i {
            if (r[(i, j)] - r[(j, i)]).abs() > 1e-8 {
                return Err(Error::invalid_parameter(
                    "correlation matrix",
                    format!("[{i},{j}]={} but [{j},{i}]={}", r[(i, j)], r[(j, i)]),
                    "a symmetric matrix",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn err(p: FactorAnalysisParams) -> String {
        p.fit_correlation(ndarray::Array2::<f64>::eye(4).view(), 100)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn n_factors_must_be_positive() {
        assert_eq!(
            err(FactorAnalysisParams::new(0)),
            "invalid parameter n_factors=0: expected at least 1"
        );
    }

    #[test]
    fn n_factors_must_be_fewer_than_items() {
        assert_eq!(
            err(FactorAnalysisParams::new(4)),
            "invalid parameter n_factors=4: expected fewer than the number of items (4)"
        );
    }

    #[test]
    fn max_iter_must_be_positive() {
        assert!(err(FactorAnalysisParams::new(1).max_iter(0)).contains("max_iter=0"));
    }

    #[test]
    fn tol_must_be_positive_and_finite() {
        assert!(err(FactorAnalysisParams::new(1).tol(0.0)).contains("tol=0"));
        assert!(err(FactorAnalysisParams::new(1).tol(f64::NAN)).contains("tol=NaN"));
    }

    #[test]
    fn promax_power_must_be_at_least_two() {
        let p = FactorAnalysisParams::new(1).rotation(Rotation::Promax { power: 1 });
        assert!(err(p).contains("promax power=1"));
    }

    #[test]
    fn correlation_must_be_square_with_unit_diagonal_and_symmetric() {
        let p = FactorAnalysisParams::new(1);
        let not_square = ndarray::Array2::<f64>::zeros((2, 3));
        assert!(p.fit_correlation(not_square.view(), 10).is_err());
        let bad_diagonal = array![[1.0, 0.2], [0.2, 2.0]];
        assert!(
            p.fit_correlation(bad_diagonal.view(), 10)
                .unwrap_err()
                .to_string()
                .contains("diagonal[1]=2")
        );
        let asymmetric = array![[1.0, 0.2, 0.0], [0.3, 1.0, 0.0], [0.0, 0.0, 1.0]];
        assert!(
            p.fit_correlation(asymmetric.view(), 10)
                .unwrap_err()
                .to_string()
                .contains("symmetric")
        );
    }

    #[test]
    fn fewer_complete_rows_than_items_is_an_error() {
        let x = array![[1.0, 2.0, 3.0], [2.0, 1.0, 0.0], [f64::NAN, 1.0, 1.0], [0.0, 1.0, 4.0]];
        let message = FactorAnalysisParams::new(1).fit(x.view()).unwrap_err().to_string();
        assert_eq!(
            message,
            "not enough data: 3 complete rows (of 4) for 3 items; the correlation matrix is singular unless there \
             are more complete rows than items"
        );
    }

    #[test]
    fn infinite_answers_are_an_error() {
        let x = array![[1.0, 2.0], [f64::INFINITY, 1.0], [0.0, 1.0]];
        assert!(
            FactorAnalysisParams::new(1)
                .fit(x.view())
                .unwrap_err()
                .to_string()
                .contains("row 1, column 0")
        );
    }
}
