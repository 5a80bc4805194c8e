//! Covariance shapes, their estimation from responsibilities (the M step) and
//! the Gaussian log-densities (the E step), as scikit-learn defines them.

use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::linalg::{mahalanobis_upper, precision_cholesky_of_covariance, precision_cholesky_of_precision};
use super::params::shape;
use crate::error::{Error, Result};

/// Rows per block: the blocks' partial sums are added in block order, so
/// the result does not depend on the number of threads.
pub(super) const BLOCK_ROWS: usize = 1024;

/// The shape of the component covariances (scikit-learn's `covariance_type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CovarianceType {
    /// One general covariance matrix per component.
    #[default]
    Full,
    /// One general covariance matrix shared by all components.
    Tied,
    /// One diagonal covariance per component.
    Diag,
    /// One variance per component.
    Spherical,
}

impl CovarianceType {
    /// scikit-learn's name: "full", "tied", "diag" or "spherical".
    pub fn name(self) -> &'static str {
        match self {
            CovarianceType::Full => "full",
            CovarianceType::Tied => "tied",
            CovarianceType::Diag => "diag",
            CovarianceType::Spherical => "spherical",
        }
    }
}

/// Covariances (or precisions, or precision Cholesky factors), shaped by
/// the covariance type as in scikit-learn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Covariances {
    /// `n_components × n_features × n_features`.
    Full(Array3<f64>),
    /// `n_features × n_features`.
    Tied(Array2<f64>),
    /// `n_components × n_features`.
    Diag(Array2<f64>),
    /// `n_components`.
    Spherical(Array1<f64>),
}

impl Covariances {
    /// The covariance type this shape belongs to.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Covariances::Full(_) => CovarianceType::Full,
            Covariances::Tied(_) => CovarianceType::Tied,
            Covariances::Diag(_) => CovarianceType::Diag,
            Covariances::Spherical(_) => CovarianceType::Spherical,
        }
    }

    /// The values as one flat array of scikit-learn's shape.
    pub fn as_slice(&self) -> &[f64] {
        let slice = match self {
            Covariances::Full(a) => a.as_slice(),
            Covariances::Tied(a) | Covariances::Diag(a) => a.as_slice(),
            Covariances::Spherical(a) => a.as_slice(),
        };
        slice.expect("owned arrays in standard layout")
    }

    /// scikit-learn's array shape for this covariance type.
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Covariances::Full(a) => a.shape().to_vec(),
            Covariances::Tied(a) | Covariances::Diag(a) => a.shape().to_vec(),
            Covariances::Spherical(a) => a.shape().to_vec(),
        }
    }

    /// Fails unless these are finite, of `kind`'s shape for `k` components
    /// and `d` features (and positive, for diagonal and spherical values).
    pub(super) fn check_shape(&self, what: &str, kind: CovarianceType, k: usize, d: usize) -> Result<()> {
        if self.covariance_type() != kind {
            return Err(Error::invalid_parameter(
                "precisions_init",
                format!("{} precisions", self.covariance_type().name()),
                format!("{what}: expected {} precisions (the covariance_type)", kind.name()),
            ));
        }
        let expected = match kind {
            CovarianceType::Full => vec![k, d, d],
            CovarianceType::Tied => vec![d, d],
            CovarianceType::Diag => vec![k, d],
            CovarianceType::Spherical => vec![k],
        };
        if self.shape() != expected {
            let text = expected.iter().map(ToString::to_string).collect::<Vec<_>>().join(" x ");
            return Err(shape(what, text, &self.shape()));
        }
        let positive_only = matches!(kind, CovarianceType::Diag | CovarianceType::Spherical);
        if let Some(v) = self
            .as_slice()
            .iter()
            .find(|v| !v.is_finite() || (positive_only && **v <= 0.0))
        {
            return Err(Error::invalid_parameter(
                "precisions_init",
                v,
                "finite values (positive for diag and spherical precisions)",
            ));
        }
        Ok(())
    }

    /// The precision Cholesky factors of these covariances, or an error
    /// naming the component whose covariance is not positive definite.
    pub(super) fn precision_cholesky(&self) -> Result<Covariances> {
        Ok(match self {
            Covariances::Full(c) => {
                let d = c.shape()[1];
                let mut out = Array3::zeros(c.raw_dim());
                for (j, (cov, mut u)) in c.outer_iter().zip(out.outer_iter_mut()).enumerate() {
                    let factor = precision_cholesky_of_covariance(cov.as_slice().expect("standard layout"), d)
                        .ok_or_else(|| ill_defined(Some(j)))?;
                    u.as_slice_mut().expect("standard layout").copy_from_slice(&factor);
                }
                Covariances::Full(out)
            }
            Covariances::Tied(c) => {
                let d = c.nrows();
                let factor = precision_cholesky_of_covariance(c.as_slice().expect("standard layout"), d)
                    .ok_or_else(|| ill_defined(None))?;
                Covariances::Tied(Array2::from_shape_vec((d, d), factor).expect("d x d"))
            }
            Covariances::Diag(c) => Covariances::Diag(positive_inverse_sqrt(c)?),
            Covariances::Spherical(c) => Covariances::Spherical(positive_inverse_sqrt(c)?),
        })
    }

    /// The precision Cholesky factors of these precision matrices
    /// (checked by [`Self::check_shape`]).
    pub(super) fn precision_cholesky_of_precisions(&self) -> Result<Covariances> {
        let not_definite = |component: Option<usize>| {
            Error::invalid_parameter(
                "precisions_init",
                component.map_or("the tied matrix".into(), |j| format!("component {j}")),
                "symmetric positive definite precision matrices",
            )
        };
        Ok(match self {
            Covariances::Full(p) => {
                let d = p.shape()[1];
                let mut out = Array3::zeros(p.raw_dim());
                for (j, (prec, mut u)) in p.outer_iter().zip(out.outer_iter_mut()).enumerate() {
                    let factor = precision_cholesky_of_precision(&prec.iter().copied().collect::<Vec<_>>(), d)
                        .ok_or_else(|| not_definite(Some(j)))?;
                    u.as_slice_mut().expect("standard layout").copy_from_slice(&factor);
                }
                Covariances::Full(out)
            }
            Covariances::Tied(p) => {
                let d = p.nrows();
                let factor = precision_cholesky_of_precision(&p.iter().copied().collect::<Vec<_>>(), d)
                    .ok_or_else(|| not_definite(None))?;
                Covariances::Tied(Array2::from_shape_vec((d, d), factor).expect("d x d"))
            }
            Covariances::Diag(p) => Covariances::Diag(p.mapv(f64::sqrt)),
            Covariances::Spherical(p) => Covariances::Spherical(p.mapv(f64::sqrt)),
        })
    }
}

fn ill_defined(component: Option<usize>) -> Error {
    let which = component.map_or("the tied covariance".into(), |j| format!("component {j}'s covariance"));
    Error::InsufficientData {
        what: format!(
            "{which} is not positive definite (singleton or collapsed samples); \
             decrease n_components, increase reg_covar or scale the input data"
        ),
    }
}

fn positive_inverse_sqrt<D: ndarray::Dimension>(c: &ndarray::Array<f64, D>) -> Result<ndarray::Array<f64, D>> {
    if let Some((j, _)) = c.iter().enumerate().find(|(_, v)| v.is_nan() || **v <= 0.0) {
        let component = j / c.shape().get(1).copied().unwrap_or(1);
        return Err(ill_defined(Some(component)));
    }
    Ok(c.mapv(|v| 1.0 / v.sqrt()))
}

/// Sums per fixed row block, added in block order.
fn blocked_sum(n: usize, len: usize, block: impl Fn(std::ops::Range<usize>) -> Vec<f64> + Sync) -> Vec<f64> {
    use rayon::prelude::*;
    let partials: Vec<Vec<f64>> = (0..n.div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .map(|b| block(b * BLOCK_ROWS..((b + 1) * BLOCK_ROWS).min(n)))
        .collect();
    let mut total = vec![0.0; len];
    for p in partials {
        total.iter_mut().zip(p).for_each(|(t, v)| *t += v);
    }
    total
}

/// The M step: `(weights, means, covariances)` from responsibilities
/// (`n × k`), as scikit-learn's `_estimate_gaussian_parameters` followed by
/// normalising the weights. Covariances are accumulated around the new
/// means (rather than as E[x²] − μ², which loses digits).
pub(super) fn estimate_parameters(
    x: ArrayView2<'_, f64>,
    resp: ArrayView2<'_, f64>,
    reg_covar: f64,
    kind: CovarianceType,
) -> (Array1<f64>, Array2<f64>, Covariances) {
    let ((n, d), k) = (x.dim(), resp.ncols());
    let sums = blocked_sum(n, k * (d + 1), |rows| {
        let mut s = vec![0.0; k * (d + 1)];
        for i in rows {
            for j in 0..k {
                let r = resp[[i, j]];
                s[j * (d + 1)] += r;
                for f in 0..d {
                    s[j * (d + 1) + 1 + f] += r * x[[i, f]];
                }
            }
        }
        s
    });
    // scikit-learn adds 10 ε to every component's weight so that an empty
    // component does not divide by zero.
    let nk = Array1::from_shape_fn(k, |j| sums[j * (d + 1)] + 10.0 * f64::EPSILON);
    let means = Array2::from_shape_fn((k, d), |(j, f)| sums[j * (d + 1) + 1 + f] / nk[j]);
    let covariances = match kind {
        CovarianceType::Full | CovarianceType::Tied => {
            let scatter = full_scatter(x, resp, means.view());
            let mut full = Array3::from_shape_vec((k, d, d), scatter).expect("k x d x d");
            if kind == CovarianceType::Full {
                for (j, mut c) in full.outer_iter_mut().enumerate() {
                    c.mapv_inplace(|v| v / nk[j]);
                    c.diag_mut().mapv_inplace(|v| v + reg_covar);
                }
                Covariances::Full(full)
            } else {
                let mut tied = full.sum_axis(Axis(0)) / nk.sum();
                tied.diag_mut().mapv_inplace(|v| v + reg_covar);
                Covariances::Tied(tied)
            }
        }
        CovarianceType::Diag | CovarianceType::Spherical => {
            let scatter = diagonal_scatter(x, resp, means.view());
            let diag = Array2::from_shape_fn((k, d), |(j, f)| scatter[j * d + f] / nk[j] + reg_covar);
            if kind == CovarianceType::Diag {
                Covariances::Diag(diag)
            } else {
                Covariances::Spherical(diag.mean_axis(Axis(1)).expect("d >= 1"))
            }
        }
    };
    let weights = &nk / nk.sum();
    (weights, means, covariances)
}

/// Σᵢ rᵢⱼ (xᵢ − μⱼ)(xᵢ − μⱼ)ᵀ per component, flat `k × d × d`.
fn full_scatter(x: ArrayView2<'_, f64>, resp: ArrayView2<'_, f64>, means: ArrayView2<'_, f64>) -> Vec<f64> {
    let ((n, d), k) = (x.dim(), resp.ncols());
    let mut s = blocked_sum(n, k * d * d, |rows| {
        let mut s = vec![0.0; k * d * d];
        let mut diff = vec![0.0; d];
        for i in rows {
            for j in 0..k {
                let r = resp[[i, j]];
                for f in 0..d {
                    diff[f] = x[[i, f]] - means[[j, f]];
                }
                let block = &mut s[j * d * d..(j + 1) * d * d];
                for a in 0..d {
                    let ra = r * diff[a];
                    for b in a..d {
                        block[a * d + b] += ra * diff[b];
                    }
                }
            }
        }
        s
    });
    for block in s.chunks_exact_mut(d * d) {
        for a in 0..d {
            for b in 0..a {
                block[a * d + b] = block[b * d + a];
            }
        }
    }
    s
}

/// Σᵢ rᵢⱼ (xᵢ − μⱼ)² per component and feature, flat `k × d`.
fn diagonal_scatter(x: ArrayView2<'_, f64>, resp: ArrayView2<'_, f64>, means: ArrayView2<'_, f64>) -> Vec<f64> {
    let ((n, d), k) = (x.dim(), resp.ncols());
    blocked_sum(n, k * d, |rows| {
        let mut s = vec![0.0; k * d];
        for i in rows {
            for j in 0..k {
                let r = resp[[i, j]];
                for f in 0..d {
                    let diff = x[[i, f]] - means[[j, f]];
                    s[j * d + f] += r * diff * diff;
                }
            }
        }
        s
    })
}

/// log N(xᵢ | μⱼ, Σⱼ) for one row and every component, into `out`
/// (scikit-learn's `_estimate_log_gaussian_prob`). `log_det` holds
/// log det of each precision Cholesky factor.
pub(super) fn log_gaussian_row(
    row: &[f64],
    means: ArrayView2<'_, f64>,
    precision_cholesky: &Covariances,
    log_det: &[f64],
    out: &mut [f64],
) {
    let d = row.len();
    let constant = d as f64 * (2.0 * std::f64::consts::PI).ln();
    let mut diff = vec![0.0; d];
    for (j, o) in out.iter_mut().enumerate() {
        for f in 0..d {
            diff[f] = row[f] - means[[j, f]];
        }
        let squared = match precision_cholesky {
            Covariances::Full(u) => mahalanobis_upper(&diff, component(u, j), d),
            Covariances::Tied(u) => mahalanobis_upper(&diff, u.as_slice().expect("standard layout"), d),
            Covariances::Diag(p) => diff.iter().zip(p.row(j)).map(|(v, p)| (v * p) * (v * p)).sum(),
            Covariances::Spherical(p) => diff.iter().map(|v| v * v).sum::<f64>() * p[j] * p[j],
        };
        *o = -0.5 * (constant + squared) + log_det[j];
    }
}

fn component(u: &Array3<f64>, j: usize) -> &[f64] {
    let d = u.shape()[1];
    &u.as_slice().expect("standard layout")[j * d * d..(j + 1) * d * d]
}

/// log det of each component's precision Cholesky factor.
pub(super) fn log_det_cholesky(precision_cholesky: &Covariances, k: usize, d: usize) -> Vec<f64> {
    match precision_cholesky {
        Covariances::Full(u) => (0..k)
            .map(|j| (0..d).map(|f| component(u, j)[f * d + f].ln()).sum())
            .collect(),
        Covariances::Tied(u) => vec![u.diag().iter().map(|v| v.ln()).sum(); k],
        Covariances::Diag(p) => p.outer_iter().map(|r| r.iter().map(|v| v.ln()).sum()).collect(),
        Covariances::Spherical(p) => p.iter().map(|v| d as f64 * v.ln()).collect(),
    }
}

/// Free parameters of a mixture, as scikit-learn's `_n_parameters`.
pub fn n_parameters(kind: CovarianceType, k: usize, d: usize) -> usize {
    let covariance = match kind {
        CovarianceType::Full => k * d * (d + 1) / 2,
        CovarianceType::Tied => d * (d + 1) / 2,
        CovarianceType::Diag => k * d,
        CovarianceType::Spherical => k,
    };
    covariance + k * d + k - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn free_parameters_follow_scikit_learn() {
        assert_eq!(n_parameters(CovarianceType::Full, 3, 2), 9 + 6 + 2);
        assert_eq!(n_parameters(CovarianceType::Tied, 3, 2), 3 + 6 + 2);
        assert_eq!(n_parameters(CovarianceType::Diag, 3, 2), 6 + 6 + 2);
        assert_eq!(n_parameters(CovarianceType::Spherical, 3, 2), 3 + 6 + 2);
    }

    #[test]
    fn one_hot_responsibilities_give_the_cluster_moments() {
        let x = array![[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [10.0, 14.0]];
        let resp = array![[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
        let (w, m, c) = estimate_parameters(x.view(), resp.view(), 0.0, CovarianceType::Full);
        assert!((w[0] - 0.5).abs() < 1e-12);
        assert!((m[[1, 1]] - 12.0).abs() < 1e-12);
        let Covariances::Full(c) = c else { panic!("full") };
        assert!((c[[0, 0, 0]] - 1.0).abs() < 1e-12 && (c[[1, 1, 1]] - 4.0).abs() < 1e-12);
        let (_, _, s) = estimate_parameters(x.view(), resp.view(), 0.5, CovarianceType::Spherical);
        let Covariances::Spherical(s) = s else {
            panic!("spherical")
        };
        assert!((s[0] - 1.0).abs() < 1e-12 && (s[1] - 2.5).abs() < 1e-12);
    }

    #[test]
    fn a_collapsed_component_is_a_clear_error() {
        let c = Covariances::Full(Array3::zeros((2, 2, 2)));
        let e = c.precision_cholesky().unwrap_err().to_string();
        assert!(e.contains("component 0's covariance is not positive definite"), "{e}");
        assert!(e.contains("increase reg_covar"));
    }
}
