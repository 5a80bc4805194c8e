//! The linear algebra the module shares, on faer.
//!
//! ndarray holds the public data; faer does the decompositions. A standard
//! layout `Array2` is viewed by faer without a copy
//! ([`MatRef::from_row_major_slice`]); results come back with one O(n·p) copy.

use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Mat, MatRef, Side};
use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::error::{Error, Result};

/// A faer view of `x`: no copy for a row-major array or the transpose of
/// one (`a.t()`), a copy otherwise.
pub(crate) fn with_faer<T>(x: ArrayView2<'_, f64>, f: impl FnOnce(MatRef<'_, f64>) -> T) -> T {
    let transposed = x.t();
    match (x.as_slice(), transposed.as_slice()) {
        (Some(values), _) => f(MatRef::from_row_major_slice(values, x.nrows(), x.ncols())),
        (None, Some(values)) => f(MatRef::from_column_major_slice(values, x.nrows(), x.ncols())),
        (None, None) => {
            let owned = x.as_standard_layout();
            let values = owned.as_slice().unwrap_or_default();
            f(MatRef::from_row_major_slice(values, x.nrows(), x.ncols()))
        }
    }
}

/// The faer matrix as an ndarray one.
pub(crate) fn to_ndarray(m: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)])
}

/// Eigenvalues (descending) and eigenvectors (as columns, same order) of a
/// symmetric matrix.
pub(crate) fn symmetric_eigen(a: ArrayView2<'_, f64>) -> Result<(Array1<f64>, Array2<f64>)> {
    let p = a.nrows();
    let evd = with_faer(a, |m| m.self_adjoint_eigen(Side::Lower)).map_err(|e| Error::NumericalFailure {
        what: format!("eigen-decomposition of a {p}x{p} symmetric matrix did not converge ({e:?})"),
    })?;
    let values = evd.S().column_vector();
    let vectors = evd.U();
    // faer sorts ascending; the field reads eigenvalues largest first.
    let descending = Array1::from_shape_fn(p, |k| values[p - 1 - k]);
    let columns = Array2::from_shape_fn((p, p), |(i, k)| vectors[(i, p - 1 - k)]);
    Ok((descending, columns))
}

/// Eigenvalues only, descending.
pub(crate) fn symmetric_eigenvalues(a: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
    let p = a.nrows();
    let mut values =
        with_faer(a, |m| m.self_adjoint_eigenvalues(Side::Lower)).map_err(|e| Error::NumericalFailure {
            what: format!("eigenvalues of a {p}x{p} symmetric matrix did not converge ({e:?})"),
        })?;
    values.reverse();
    Ok(Array1::from(values))
}

/// The inverse of a symmetric positive definite matrix (Cholesky), `None`
/// when it is not positive definite.
pub(crate) fn spd_inverse(a: ArrayView2<'_, f64>) -> Option<Array2<f64>> {
    let llt = with_faer(a, |m| m.llt(Side::Lower)).ok()?;
    let inverse = to_ndarray(llt.inverse().as_ref());
    inverse.iter().all(|v| v.is_finite()).then_some(inverse)
}

/// Solves `a · x = b` for a square `a` (LU with partial pivoting).
pub(crate) fn solve(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    let lu = with_faer(a, |m| m.partial_piv_lu());
    let x: Mat<f64> = with_faer(b, |rhs| lu.solve(rhs));
    to_ndarray(x.as_ref())
}

/// The inverse of a square matrix (LU with partial pivoting).
pub(crate) fn inverse(a: ArrayView2<'_, f64>) -> Array2<f64> {
    let lu = with_faer(a, |m| m.partial_piv_lu());
    to_ndarray(lu.inverse().as_ref())
}

/// `a · b` with faer's matrix product.
pub(crate) fn matmul(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    let product: Mat<f64> = with_faer(a, |a| with_faer(b, |b| a * b));
    to_ndarray(product.as_ref())
}

/// Pearson correlation matrix of the columns of `x` (`x` already finite,
/// at least two rows). Columns with zero variance are reported by index.
pub(crate) fn correlation(x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
    let (covariance, _) = covariance(x);
    let sd = covariance.diag().mapv(f64::sqrt);
    if let Some(column) = sd.iter().position(|&s| s.is_nan() || s <= 0.0) {
        return Err(Error::ConstantColumn { what: "X", column });
    }
    let mut r = covariance;
    for ((i, j), v) in r.indexed_iter_mut() {
        *v = if i == j { 1.0 } else { *v / (sd[i] * sd[j]) };
    }
    Ok(r)
}

/// Sample covariance (ddof 1) and the column means.
pub(crate) fn covariance(x: ArrayView2<'_, f64>) -> (Array2<f64>, Array1<f64>) {
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
    let centred = &x - &mean;
    let mut cov = matmul(centred.t(), centred.view());
    cov /= (x.nrows() as f64 - 1.0).max(1.0);
    (cov, mean)
}

/// Squared multiple correlations 1 − 1/r^ii, each item on all the others
/// (from the inverse of the correlation matrix, the pseudo-inverse's
/// diagonal when it is singular, as psych's `smc` does with a warning).
pub(crate) fn squared_multiple_correlations(r: ArrayView2<'_, f64>) -> Array1<f64> {
    let inverse = spd_inverse(r).unwrap_or_else(|| pseudo_inverse_symmetric(r));
    Array1::from_shape_fn(r.nrows(), |i| (1.0 - 1.0 / inverse[(i, i)]).clamp(0.0, 1.0))
}

/// Pseudo-inverse of a symmetric matrix from its eigen-decomposition,
/// eigenvalues below p·ε·λ_max treated as zero.
pub(crate) fn pseudo_inverse_symmetric(a: ArrayView2<'_, f64>) -> Array2<f64> {
    let p = a.nrows();
    let Ok((values, vectors)) = symmetric_eigen(a) else {
        return Array2::from_elem((p, p), f64::NAN);
    };
    let cutoff = values.iter().fold(0.0_f64, |m, v| m.max(v.abs())) * p as f64 * f64::EPSILON;
    let mut scaled = vectors.clone();
    for (mut column, &value) in scaled.columns_mut().into_iter().zip(values.iter()) {
        column *= if value.abs() > cutoff { 1.0 / value } else { 0.0 };
    }
    matmul(scaled.view(), vectors.t())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn transposed_and_strided_views_reach_faer_intact() {
        let a = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        assert_eq!(with_faer(a.t(), to_ndarray), a.t().to_owned());
        let strided = a.slice(ndarray::s![.., ..;2]);
        assert_eq!(with_faer(strided, to_ndarray), strided.to_owned());
        assert_eq!(matmul(a.t(), a.view()), a.t().dot(&a));
    }
}
