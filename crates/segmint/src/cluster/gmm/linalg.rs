//! Small dense kernels for the mixture: Cholesky factors of d × d matrices
//! (d is a few tens at most, so a hand-written loop beats a dependency).
//! Matrices are row-major `d × d` slices.

/// Lower Cholesky factor `L` (`a = L Lᵀ`), or `None` when `a` is not
/// numerically positive definite.
pub(crate) fn cholesky_lower(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|m| l[i * d + m] * l[j * d + m]).sum();
            let v = a[i * d + j] - dot;
            if i == j {
                if !(v > 0.0 && v.is_finite()) {
                    return None;
                }
                l[i * d + i] = v.sqrt();
            } else {
                l[i * d + j] = v / l[j * d + j];
            }
        }
    }
    Some(l)
}

/// The precision Cholesky factor of a covariance, as scikit-learn stores it:
/// the upper-triangular `U = L⁻ᵀ` with `cov = L Lᵀ`, so that `U Uᵀ = cov⁻¹`.
pub(crate) fn precision_cholesky_of_covariance(cov: &[f64], d: usize) -> Option<Vec<f64>> {
    let l = cholesky_lower(cov, d)?;
    // Columns of L⁻¹ by forward substitution; U[i][j] = (L⁻¹)[j][i].
    let mut u = vec![0.0; d * d];
    for c in 0..d {
        for r in c..d {
            let rhs = if r == c { 1.0 } else { 0.0 };
            let dot: f64 = (c..r).map(|m| l[r * d + m] * u[c * d + m]).sum();
            u[c * d + r] = (rhs - dot) / l[r * d + r];
        }
    }
    Some(u)
}

/// An upper-triangular `U` with `U Uᵀ = precision`: the Cholesky factor of
/// the row-and-column-reversed matrix, reversed back. It has the form of
/// [`precision_cholesky_of_covariance`], so one E-step kernel serves both.
pub(crate) fn precision_cholesky_of_precision(precision: &[f64], d: usize) -> Option<Vec<f64>> {
    let flip = |m: &[f64]| -> Vec<f64> { (0..d * d).map(|i| m[(d - 1 - i / d) * d + (d - 1 - i % d)]).collect() };
    Some(flip(&cholesky_lower(&flip(precision), d)?))
}

/// `Σ_j (Σ_{i≤j} diff_i U_ij)²`: the squared Mahalanobis norm of `diff`
/// under the precision `U Uᵀ`, for an upper-triangular `U`.
pub(crate) fn mahalanobis_upper(diff: &[f64], u: &[f64], d: usize) -> f64 {
    let mut total = 0.0;
    for j in 0..d {
        let y: f64 = (0..=j).map(|i| diff[i] * u[i * d + j]).sum();
        total += y * y;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    const A: [f64; 9] = [4.0, 2.0, 0.4, 2.0, 5.0, 1.0, 0.4, 1.0, 3.0];

    fn multiply_by_transpose(u: &[f64], d: usize) -> Vec<f64> {
        (0..d * d)
            .map(|ij| (0..d).map(|m| u[(ij / d) * d + m] * u[(ij % d) * d + m]).sum())
            .collect()
    }

    #[test]
    fn cholesky_reproduces_the_matrix_and_rejects_indefinite_ones() {
        let l = cholesky_lower(&A, 3).unwrap();
        assert_abs_diff_eq!(multiply_by_transpose(&l, 3).as_slice(), A.as_slice(), epsilon = 1e-12);
        assert!(cholesky_lower(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        assert!(cholesky_lower(&[0.0], 1).is_none());
    }

    #[test]
    fn precision_factors_invert_the_covariance() {
        let u = precision_cholesky_of_covariance(&A, 3).unwrap();
        assert!(u[3] == 0.0 && u[6] == 0.0 && u[7] == 0.0, "upper triangular");
        let precision = multiply_by_transpose(&u, 3);
        let product: Vec<f64> = (0..9)
            .map(|ij| (0..3).map(|m| precision[(ij / 3) * 3 + m] * A[m * 3 + ij % 3]).sum())
            .collect();
        assert_abs_diff_eq!(
            product.as_slice(),
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0].as_slice(),
            epsilon = 1e-12
        );
        let v = precision_cholesky_of_precision(&precision, 3).unwrap();
        assert!(v[3] == 0.0 && v[6] == 0.0 && v[7] == 0.0, "upper triangular");
        assert_abs_diff_eq!(v.as_slice(), u.as_slice(), epsilon = 1e-12);
        let diff = [1.0, -2.0, 0.5];
        let direct: f64 = (0..9).map(|ij| diff[ij / 3] * precision[ij] * diff[ij % 3]).sum();
        assert_abs_diff_eq!(mahalanobis_upper(&diff, &u, 3), direct, epsilon = 1e-12);
    }
}
