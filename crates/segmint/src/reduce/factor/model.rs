//! The fitted factor model.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::extract::{PSI_LOWER, common_factor_eigenvalues, extract};
use super::params::{FactorAnalysisParams, FactorMethod};
use super::rotate::{Rotated, Rotation, rotate};
use crate::error::{Error, Result};
use crate::reduce::linalg::{solve, symmetric_eigenvalues};

/// An eigenvalue below this fraction of the largest makes a correlation
/// matrix singular for maximum likelihood.
const SINGULAR_RATIO: f64 = 1e-12;

/// Communalities at or above this (uniquenesses at the lower bound 0.005 or
/// below) mark a Heywood case.
const HEYWOOD_COMMUNALITY: f64 = 1.0 - PSI_LOWER - 1e-6;

/// Sums of squared loadings per factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorVariance {
    /// Σ loading² per factor ("SS loadings").
    pub ss_loadings: Array1<f64>,
    /// SS loadings / number of items.
    pub proportion: Array1<f64>,
    /// Running sum of `proportion`.
    pub cumulative: Array1<f64>,
}

/// A fitted factor model (build it with [`FactorAnalysis::params`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorAnalysis {
    params: FactorAnalysisParams,
    n_obs: usize,
    n_rows_dropped: usize,
    correlation: Array2<f64>,
    loadings: Array2<f64>,
    unrotated: Array2<f64>,
    rotation_matrix: Array2<f64>,
    phi: Option<Array2<f64>>,
    communalities: Array1<f64>,
    uniquenesses: Array1<f64>,
    eigenvalues: Array1<f64>,
    common_factor_eigenvalues: Array1<f64>,
    heywood_items: Vec<usize>,
    n_iter: u64,
    converged: bool,
    objective: f64,
    mean: Option<Array1<f64>>,
    std: Option<Array1<f64>>,
}

impl FactorAnalysis {
    /// Settings for `n_factors` factors, to be refined and then fitted:
    /// `FactorAnalysis::params(3).method(FactorMethod::MaximumLikelihood).fit(x.view())`.
    pub fn params(n_factors: usize) -> FactorAnalysisParams {
        FactorAnalysisParams::new(n_factors)
    }

    /// The settings it was fitted with.
    pub fn settings(&self) -> &FactorAnalysisParams {
        &self.params
    }

    /// Respondents the correlation matrix was computed on (complete cases).
    pub fn n_obs(&self) -> usize {
        self.n_obs
    }

    /// Rows left out because an answer was missing.
    pub fn n_rows_dropped(&self) -> usize {
        self.n_rows_dropped
    }

    /// The item correlation matrix.
    pub fn correlation(&self) -> &Array2<f64> {
        &self.correlation
    }

    /// Rotated loadings, items × factors, ordered by variance explained, each
    /// factor signed so that its loadings sum to a positive number (psych).
    pub fn loadings(&self) -> &Array2<f64> {
        &self.loadings
    }

    /// Loadings before rotation.
    pub fn unrotated_loadings(&self) -> &Array2<f64> {
        &self.unrotated
    }

    /// T with `loadings = unrotated_loadings · T` (identity without rotation).
    pub fn rotation_matrix(&self) -> &Array2<f64> {
        &self.rotation_matrix
    }

    /// Factor correlations of an oblique (promax) solution.
    pub fn phi(&self) -> Option<&Array2<f64>> {
        self.phi.as_ref()
    }

    /// Communalities h² = Σ loading² per item (of the unrotated loadings;
    /// an orthogonal rotation keeps them), at most 1 − 0.005: a Heywood
    /// item's is clamped there (see [`FactorAnalysis::heywood_items`]).
    pub fn communalities(&self) -> &Array1<f64> {
        &self.communalities
    }

    /// Uniquenesses 1 − h².
    pub fn uniquenesses(&self) -> &Array1<f64> {
        &self.uniquenesses
    }

    /// Eigenvalues of the correlation matrix, largest first.
    pub fn eigenvalues(&self) -> &Array1<f64> {
        &self.eigenvalues
    }

    /// Eigenvalues of the correlation matrix with the communalities on its
    /// diagonal, largest first (psych's `values`).
    pub fn common_factor_eigenvalues(&self) -> &Array1<f64> {
        &self.common_factor_eigenvalues
    }

    /// Items whose uniqueness reached the lower bound 0.005 (a Heywood
    /// case: the reported communality is clamped to 0.995, the uniqueness
    /// to 0.005). Their loadings are
    /// usable but the model is suspect: fewer factors or dropping the item
    /// usually helps.
    pub fn heywood_items(&self) -> &[usize] {
        &self.heywood_items
    }

    /// Optimiser (or principal-axes) iterations.
    pub fn n_iter(&self) -> u64 {
        self.n_iter
    }

    /// Whether the stopping rule was met within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The minimised discrepancy (minres: residual sum of squares; ML: the
    /// likelihood function; 0 for principal axes).
    pub fn objective(&self) -> f64 {
        self.objective
    }

    /// Number of factors.
    pub fn n_factors(&self) -> usize {
        self.loadings.ncols()
    }

    /// SS loadings, proportion and cumulative proportion of variance per
    /// factor (of the rotated loadings, as factor_analyzer reports them).
    pub fn variance(&self) -> FactorVariance {
        let ss_loadings = self.loadings.mapv(|v| v * v).sum_axis(Axis(0));
        let proportion = &ss_loadings / self.loadings.nrows() as f64;
        let mut running = 0.0;
        let cumulative = proportion.mapv(|v| {
            running += v;
            running
        });
        FactorVariance {
            ss_loadings,
            proportion,
            cumulative,
        }
    }

    /// Item means of the complete cases (`None` when fitted to a correlation matrix).
    pub fn mean(&self) -> Option<&Array1<f64>> {
        self.mean.as_ref()
    }

    /// Item standard deviations (n − 1) of the complete cases.
    pub fn std(&self) -> Option<&Array1<f64>> {
        self.std.as_ref()
    }

    /// Factor scores by the regression method (Thurstone): z-scores of the
    /// items (means and sample standard deviations of the fitted complete
    /// cases) times R⁻¹·S, with S = loadings·Φ the structure matrix.
    pub fn transform(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let (Some(mean), Some(std)) = (&self.mean, &self.std) else {
            return Err(Error::InsufficientData {
                what: "the model was fitted to a correlation matrix: item means and standard deviations are \
                       unknown, so there are no factor scores"
                    .into(),
            });
        };
        crate::check::n_features("X", x, mean.len())?;
        crate::check::finite("X", x)?;
        let structure = match &self.phi {
            Some(phi) => self.loadings.dot(phi),
            None => self.loadings.clone(),
        };
        let weights = solve(self.correlation.view(), structure.view());
        let z = (&x - mean) / std;
        Ok(z.dot(&weights))
    }

    /// The same extraction under another rotation (no refit).
    pub fn with_rotation(&self, rotation: Rotation) -> Result<FactorAnalysis> {
        let Rotated {
            loadings,
            rotation: rotation_matrix,
            phi,
        } = rotated(&self.unrotated, rotation)?;
        Ok(FactorAnalysis {
            params: self.params.clone().rotation(rotation),
            loadings,
            rotation_matrix,
            phi,
            ..self.clone()
        })
    }

    pub(super) fn set_scaling(&mut self, complete: ArrayView2<'_, f64>, dropped: usize) {
        self.mean = complete.mean_axis(Axis(0));
        self.std = Some(complete.std_axis(Axis(0), 1.0));
        self.n_rows_dropped = dropped;
    }
}

/// Extraction, rotation and the statistics around them.
pub(super) fn fit_correlation(params: &FactorAnalysisParams, r: Array2<f64>, n_obs: usize) -> Result<FactorAnalysis> {
    let eigenvalues = symmetric_eigenvalues(r.view())?;
    if params.method == FactorMethod::MaximumLikelihood {
        positive_definite(&eigenvalues)?;
    }
    let extraction = extract(r.view(), params.n_factors(), params.method, params.max_iter, params.tol)?;
    let unrotated = sign_positive(extraction.loadings);
    // A Heywood item's communality is reported clamped to 1 − 0.005 (its
    // loadings are left as extracted) and the item is flagged.
    let communalities = unrotated.mapv(|v| v * v).sum_axis(Axis(1));
    let Rotated {
        loadings,
        rotation: rotation_matrix,
        phi,
    } = rotated(&unrotated, params.rotation)?;
    let heywood_items = communalities
        .iter()
        .enumerate()
        .filter(|&(_, &h)| h >= HEYWOOD_COMMUNALITY)
        .map(|(i, _)| i)
        .collect();
    let communalities = communalities.mapv(|h| h.min(1.0 - PSI_LOWER));
    Ok(FactorAnalysis {
        params: params.clone(),
        n_obs,
        n_rows_dropped: 0,
        eigenvalues,
        common_factor_eigenvalues: common_factor_eigenvalues(r.view(), &communalities)?,
        uniquenesses: 1.0 - &communalities,
        communalities,
        correlation: r,
        loadings,
        unrotated,
        rotation_matrix,
        phi,
        heywood_items,
        n_iter: extraction.n_iter,
        converged: extraction.converged,
        objective: extraction.objective,
        mean: None,
        std: None,
    })
}

/// Maximum likelihood needs log|R|: a singular correlation matrix is refused.
fn positive_definite(eigenvalues: &Array1<f64>) -> Result<()> {
    let largest = eigenvalues.first().copied().unwrap_or(0.0);
    let smallest = eigenvalues.last().copied().unwrap_or(0.0);
    if smallest.is_nan() || smallest <= SINGULAR_RATIO * largest {
        return Err(Error::NumericalFailure {
            what: format!(
                "maximum likelihood needs a positive definite correlation matrix, but its smallest eigenvalue is \
                 {smallest:e} (an item is a linear combination of others); drop the redundant item or use minres"
            ),
        });
    }
    Ok(())
}

/// The rotation of `unrotated`, its factors ordered and signed.
fn rotated(unrotated: &Array2<f64>, rotation: Rotation) -> Result<Rotated> {
    Ok(order_and_sign(rotate(unrotated, rotation)?))
}

/// Each column signed so that it sums to a non-negative number.
fn sign_positive(mut loadings: Array2<f64>) -> Array2<f64> {
    for mut column in loadings.columns_mut() {
        if column.sum() < 0.0 {
            column.mapv_inplace(|v| -v);
        }
    }
    loadings
}

/// psych's order of rotated factors: by variance explained (diag(Φ LᵀL) for
/// oblique solutions), largest first, then each signed to a positive sum;
/// the rotation matrix and Φ follow.
fn order_and_sign(rotated: Rotated) -> Rotated {
    let Rotated {
        loadings,
        rotation,
        phi,
    } = rotated;
    let gram = loadings.t().dot(&loadings);
    let explained = match &phi {
        Some(phi) => phi.dot(&gram).diag().to_owned(),
        None => gram.diag().to_owned(),
    };
    let mut order: Vec<usize> = (0..loadings.ncols()).collect();
    order.sort_by(|&a, &b| explained[b].total_cmp(&explained[a]));
    let signs: Vec<f64> = order
        .iter()
        .map(|&j| if loadings.column(j).sum() < 0.0 { -1.0 } else { 1.0 })
        .collect();
    let pick = |m: &Array2<f64>| {
        let mut out = m.select(Axis(1), &order);
        for (mut column, &sign) in out.columns_mut().into_iter().zip(&signs) {
            column *= sign;
        }
        out
    };
    Rotated {
        loadings: pick(&loadings),
        rotation: pick(&rotation),
        phi: phi.map(|phi| Array2::from_shape_fn(phi.dim(), |(a, b)| phi[(order[a], order[b])] * signs[a] * signs[b])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Items 3 and 4 form the second factor alone, which leaves it
    /// unidentified: one of them takes all of their correlation, its
    /// communality reaches the bound, and the model says so.
    #[test]
    fn heywood_cases_are_clamped_and_flagged() {
        let r = array![
            [1.0, 0.6, 0.5, 0.2, 0.1],
            [0.6, 1.0, 0.55, 0.15, 0.2],
            [0.5, 0.55, 1.0, 0.1, 0.15],
            [0.2, 0.15, 0.1, 1.0, 0.5],
            [0.1, 0.2, 0.15, 0.5, 1.0],
        ];
        for method in [
            FactorMethod::MinRes,
            FactorMethod::MaximumLikelihood,
            FactorMethod::PrincipalAxes,
        ] {
            let model = FactorAnalysis::params(2)
                .method(method)
                .fit_correlation(r.view(), 200)
                .unwrap();
            // Items 3 and 4 are a symmetric pair: one of them takes the bound.
            let flagged = model.heywood_items();
            assert!(flagged == [3] || flagged == [4], "{method:?}: {flagged:?}");
            assert_eq!(model.communalities()[flagged[0]], 1.0 - PSI_LOWER);
            assert!(model.uniquenesses().iter().all(|&u| u >= PSI_LOWER), "{method:?}");
        }
    }
}
