//! Rotations of a loading matrix: varimax as R's `stats::varimax` (Kaiser
//! normalisation, stop when the criterion grows by less than a relative
//! 1e-5, at most 1,000 sweeps) and promax as psych's `kaiser(…, "Promax")`:
//! rows normalised to unit communality, varimax, target = loadings^m (sign
//! kept), least-squares fit to the target, columns rescaled, rows
//! de-normalised. Factor correlations Φ = (T⁻¹)(T⁻¹)ᵀ.

use ndarray::{Array1, Array2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::reduce::linalg::{inverse, matmul, solve, with_faer};

/// Relative growth of the varimax criterion below which it stops (R's `eps`).
const VARIMAX_EPS: f64 = 1e-5;
/// Sweep limit of varimax (R's).
const VARIMAX_MAX_SWEEPS: usize = 1000;

/// How the extracted factors are rotated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub enum Rotation {
    /// The unrotated solution.
    None,
    /// Orthogonal varimax (Kaiser 1958) with Kaiser normalisation.
    #[default]
    Varimax,
    /// Oblique promax (Hendrickson & White 1964) of the given power
    /// (4 in R, psych and factor_analyzer), with Kaiser normalisation.
    Promax {
        /// The power m of the target matrix.
        power: u32,
    },
}

impl Rotation {
    /// Promax with the usual power 4.
    pub const PROMAX: Rotation = Rotation::Promax { power: 4 };
}

/// A rotated solution.
#[derive(Debug, Clone)]
pub(crate) struct Rotated {
    pub loadings: Array2<f64>,
    /// T with rotated = unrotated · T.
    pub rotation: Array2<f64>,
    /// Factor correlations (oblique rotations only).
    pub phi: Option<Array2<f64>>,
}

pub(crate) fn rotate(loadings: &Array2<f64>, rotation: Rotation) -> Result<Rotated> {
    let k = loadings.ncols();
    if k < 2 || rotation == Rotation::None {
        return Ok(Rotated {
            loadings: loadings.clone(),
            rotation: Array2::eye(k),
            phi: None,
        });
    }
    match rotation {
        Rotation::Promax { power } => promax(loadings, power),
        _ => {
            let (rotated, t) = varimax(loadings)?;
            Ok(Rotated {
                loadings: rotated,
                rotation: t,
                phi: None,
            })
        }
    }
}

/// Row norms (square roots of the communalities); zero rows keep norm 1.
fn row_norms(x: &Array2<f64>) -> Array1<f64> {
    x.map_axis(Axis(1), |row| {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 { norm } else { 1.0 }
    })
}

fn scale_rows(x: &Array2<f64>, by: &Array1<f64>, divide: bool) -> Array2<f64> {
    let mut out = x.clone();
    for (mut row, &s) in out.rows_mut().into_iter().zip(by.iter()) {
        if divide {
            row /= s;
        } else {
            row *= s;
        }
    }
    out
}

/// R's `stats::varimax(x, normalize = TRUE, eps = 1e-5)`.
fn varimax(x: &Array2<f64>) -> Result<(Array2<f64>, Array2<f64>)> {
    let (p, k) = x.dim();
    let norms = row_norms(x);
    let z0 = scale_rows(x, &norms, true);
    let mut t = Array2::eye(k);
    let mut criterion = 0.0;
    for _ in 0..VARIMAX_MAX_SWEEPS {
        let z = z0.dot(&t);
        let column_ss = z.mapv(|v| v * v).sum_axis(Axis(0));
        let target = Array2::from_shape_fn((p, k), |(i, j)| z[(i, j)].powi(3) - z[(i, j)] * column_ss[j] / p as f64);
        let b = z0.t().dot(&target);
        let (u, singular, vt) = svd_square(&b)?;
        t = u.dot(&vt);
        let previous = criterion;
        criterion = singular.sum();
        if criterion < previous * (1.0 + VARIMAX_EPS) {
            break;
        }
    }
    let rotated = scale_rows(&z0.dot(&t), &norms, false);
    Ok((rotated, t))
}

/// U, singular values and Vᵀ of a small square matrix.
fn svd_square(b: &Array2<f64>) -> Result<(Array2<f64>, Array1<f64>, Array2<f64>)> {
    let k = b.nrows();
    let svd = with_faer(b.view(), |m| m.svd()).map_err(|e| Error::NumericalFailure {
        what: format!("SVD of the {k}x{k} varimax criterion matrix did not converge ({e:?})"),
    })?;
    let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
    Ok((
        Array2::from_shape_fn((k, k), |(i, j)| u[(i, j)]),
        Array1::from_shape_fn(k, |i| s[i]),
        Array2::from_shape_fn((k, k), |(i, j)| v[(j, i)]),
    ))
}

/// psych's `kaiser(x, rotate = "Promax", m = power)`.
fn promax(x: &Array2<f64>, power: u32) -> Result<Rotated> {
    let norms = row_norms(x);
    let (v, t_varimax) = varimax(&scale_rows(x, &norms, true))?;
    let target = v.mapv(|a| a * a.abs().powi(power as i32 - 1));
    // U = (VᵀV)⁻¹ Vᵀ Q, R's lm.fit(V, Q).
    let mut u = solve(matmul(v.t(), v.view()).view(), matmul(v.t(), target.view()).view());
    let d = inverse(matmul(u.t(), u.view()).view()).diag().to_owned();
    for (mut column, &dj) in u.columns_mut().into_iter().zip(d.iter()) {
        column *= dj.sqrt();
    }
    let rotated = scale_rows(&v.dot(&u), &norms, false);
    let rotation = t_varimax.dot(&u);
    let rotation_inverse = inverse(rotation.view());
    let phi = rotation_inverse.dot(&rotation_inverse.t());
    if !rotated.iter().chain(phi.iter()).all(|v| v.is_finite()) {
        return Err(Error::NumericalFailure {
            what: "promax rotation produced non-finite loadings (the varimax loadings are rank deficient)".into(),
        });
    }
    Ok(Rotated {
        loadings: rotated,
        rotation,
        phi: Some(phi),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn loadings() -> Array2<f64> {
        array![
            [0.7, 0.3],
            [0.65, 0.35],
            [0.6, 0.25],
            [0.3, -0.6],
            [0.25, -0.55],
            [0.35, -0.5]
        ]
    }

    #[test]
    fn varimax_is_orthogonal_and_keeps_communalities() {
        let l = loadings();
        let r = rotate(&l, Rotation::Varimax).unwrap();
        let tt = r.rotation.t().dot(&r.rotation);
        assert!((tt - Array2::<f64>::eye(2)).iter().all(|v| v.abs() < 1e-12));
        let h = |x: &Array2<f64>| x.mapv(|v| v * v).sum_axis(Axis(1));
        assert!((h(&l) - h(&r.loadings)).iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn promax_reproduces_the_loadings_through_its_rotation() {
        let l = loadings();
        let r = rotate(&l, Rotation::PROMAX).unwrap();
        let back = l.dot(&r.rotation);
        assert!((back - &r.loadings).iter().all(|v| v.abs() < 1e-10));
        let phi = r.phi.unwrap();
        assert!((phi[(0, 0)] - 1.0).abs() < 1e-10 && (phi[(1, 1)] - 1.0).abs() < 1e-10);
    }

    #[test]
    fn one_factor_is_left_alone() {
        let l = array![[0.5], [0.6]];
        assert_eq!(rotate(&l, Rotation::Varimax).unwrap().loadings, l);
    }
}
