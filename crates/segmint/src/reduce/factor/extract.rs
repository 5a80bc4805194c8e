//! Factor extraction: the uniquenesses ψ are found by minimising the minres
//! (unweighted least squares) or maximum-likelihood discrepancy with L-BFGS
//! (argmin), as psych's `fa` and factor_analyzer do with L-BFGS-B; the
//! loadings then follow from one eigen-decomposition. Principal axes iterate
//! the communalities instead.
//!
//! The bounds ψ ∈ [0.005, 1] of psych and factor_analyzer are kept by
//! optimising over t with ψ = lo + (hi − lo)·σ(t) (σ the logistic function).

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use ndarray::{Array1, Array2, ArrayView2, s};

use super::params::FactorMethod;
use crate::error::Result;
use crate::reduce::linalg::{squared_multiple_correlations, symmetric_eigen, symmetric_eigenvalues};

/// Lower bound of a uniqueness (psych, factor_analyzer).
pub(crate) const PSI_LOWER: f64 = 0.005;
/// Upper bound of a uniqueness.
pub(crate) const PSI_UPPER: f64 = 1.0;
/// Eigenvalues below this are replaced by it in the minres loadings (psych:
/// 100·ε), so that the square root stays real.
const EIGEN_FLOOR: f64 = 100.0 * f64::EPSILON;
/// Pairs of corrections L-BFGS keeps.
const LBFGS_MEMORY: usize = 10;

/// What an extraction found.
#[derive(Debug, Clone)]
pub(crate) struct Extraction {
    /// Unrotated loadings, items × factors.
    pub loadings: Array2<f64>,
    /// Iterations used.
    pub n_iter: u64,
    /// Whether the stopping rule was met before the iteration limit.
    pub converged: bool,
    /// Final value of the discrepancy (0 for principal axes).
    pub objective: f64,
}

/// Extracts `n_factors` factors from the correlation matrix `r`.
pub(crate) fn extract(
    r: ArrayView2<'_, f64>,
    n_factors: usize,
    method: FactorMethod,
    max_iter: u64,
    tol: f64,
) -> Result<Extraction> {
    match method {
        FactorMethod::PrincipalAxes => principal_axes(r, n_factors, max_iter, tol),
        FactorMethod::MinRes | FactorMethod::MaximumLikelihood => {
            let start = (1.0 - squared_multiple_correlations(r)).mapv(|psi| psi.clamp(0.01, 0.99));
            let problem = Discrepancy { r, n_factors, method };
            let (psi, n_iter, converged, objective) = minimise(&problem, &start, max_iter, tol);
            let loadings = match method {
                FactorMethod::MaximumLikelihood => ml_loadings(r, &psi, n_factors)?,
                _ => minres_loadings(r, &psi, n_factors)?,
            };
            Ok(Extraction {
                loadings,
                n_iter,
                converged,
                objective,
            })
        }
    }
}

/// The minres or ML discrepancy as a function of ψ.
#[derive(Clone, Copy)]
struct Discrepancy<'a> {
    r: ArrayView2<'a, f64>,
    n_factors: usize,
    method: FactorMethod,
}

impl Discrepancy<'_> {
    /// The objective and its gradient with respect to ψ (psych's `FAgr` and
    /// `FAgr.minres`, which are the exact gradients of these objectives).
    fn value_and_gradient(&self, psi: &Array1<f64>) -> Option<(f64, Array1<f64>)> {
        let (value, loadings) = match self.method {
            FactorMethod::MaximumLikelihood => self.ml(psi)?,
            _ => self.minres(psi)?,
        };
        let implied_diagonal = loadings.map_axis(ndarray::Axis(1), |row| row.dot(&row));
        let residual = &implied_diagonal + psi - self.r.diag();
        let gradient = match self.method {
            FactorMethod::MaximumLikelihood => residual / psi.mapv(|p| p * p),
            _ => residual * 2.0,
        };
        Some((value, gradient))
    }

    /// Σ (R* − LLᵀ)² with R* = R with 1 − ψ on the diagonal.
    fn minres(&self, psi: &Array1<f64>) -> Option<(f64, Array2<f64>)> {
        let mut reduced = self.r.to_owned();
        reduced.diag_mut().assign(&(1.0 - psi));
        let (values, vectors) = symmetric_eigen(reduced.view()).ok()?;
        let values = values.mapv(|v| v.max(EIGEN_FLOOR));
        let loadings = scaled_columns(&vectors, &values, self.n_factors, f64::sqrt);
        let residual = &reduced - &loadings.dot(&loadings.t());
        Some((residual.iter().map(|v| v * v).sum(), loadings))
    }

    /// −Σ_{k>m}(ln e_k − e_k) − m + p, e the eigenvalues of Ψ^-½ R Ψ^-½.
    fn ml(&self, psi: &Array1<f64>) -> Option<(f64, Array2<f64>)> {
        let p = self.r.nrows();
        let scaled = scaled_correlation(self.r, psi);
        let (values, vectors) = symmetric_eigen(scaled.view()).ok()?;
        let rest = values.slice(s![self.n_factors..]);
        if rest.iter().any(|&e| e.is_nan() || e <= 0.0) {
            return None;
        }
        let value = -(rest.iter().map(|e| e.ln() - e).sum::<f64>()) - self.n_factors as f64 + p as f64;
        let mut loadings = scaled_columns(&vectors, &values, self.n_factors, |v| (v - 1.0).max(0.0).sqrt());
        for (mut row, &psi_i) in loadings.rows_mut().into_iter().zip(psi.iter()) {
            row *= psi_i.sqrt();
        }
        Some((value, loadings))
    }
}

/// Ψ^-½ R Ψ^-½.
fn scaled_correlation(r: ArrayView2<'_, f64>, psi: &Array1<f64>) -> Array2<f64> {
    let inv_sd = psi.mapv(|p| 1.0 / p.sqrt());
    Array2::from_shape_fn(r.dim(), |(i, j)| r[(i, j)] * inv_sd[i] * inv_sd[j])
}

/// The first `k` eigenvectors, each times `scale(eigenvalue)`.
fn scaled_columns(vectors: &Array2<f64>, values: &Array1<f64>, k: usize, scale: impl Fn(f64) -> f64) -> Array2<f64> {
    let mut columns = vectors.slice(s![.., ..k]).to_owned();
    for (mut column, &value) in columns.columns_mut().into_iter().zip(values.iter()) {
        column *= scale(value);
    }
    columns
}

/// Minres loadings at ψ: eigenvectors of R* times √max(λ, 0).
fn minres_loadings(r: ArrayView2<'_, f64>, psi: &Array1<f64>, k: usize) -> Result<Array2<f64>> {
    let mut reduced = r.to_owned();
    reduced.diag_mut().assign(&(1.0 - psi));
    let (values, vectors) = symmetric_eigen(reduced.view())?;
    Ok(scaled_columns(&vectors, &values, k, |v| v.max(0.0).sqrt()))
}

/// ML loadings at ψ: Ψ^½ V √max(e − 1, 0) (Lawley & Maxwell; psych, factor_analyzer).
fn ml_loadings(r: ArrayView2<'_, f64>, psi: &Array1<f64>, k: usize) -> Result<Array2<f64>> {
    let (values, vectors) = symmetric_eigen(scaled_correlation(r, psi).view())?;
    let mut loadings = scaled_columns(&vectors, &values, k, |v| (v - 1.0).max(0.0).sqrt());
    for (mut row, &psi_i) in loadings.rows_mut().into_iter().zip(psi.iter()) {
        row *= psi_i.sqrt();
    }
    Ok(loadings)
}

/// ψ from the unconstrained t, and dψ/dt.
fn psi_of(t: &[f64]) -> (Array1<f64>, Array1<f64>) {
    let width = PSI_UPPER - PSI_LOWER;
    let sigma: Array1<f64> = t.iter().map(|&t| 1.0 / (1.0 + (-t).exp())).collect();
    let psi = sigma.mapv(|s| PSI_LOWER + width * s);
    let slope = sigma.mapv(|s| width * s * (1.0 - s));
    (psi, slope)
}

fn t_of(psi: &Array1<f64>) -> Vec<f64> {
    psi.iter()
        .map(|&p| {
            let s = (p - PSI_LOWER) / (PSI_UPPER - PSI_LOWER);
            (s / (1.0 - s)).ln()
        })
        .collect()
}

/// The discrepancy seen by argmin: a function of t, infinite where undefined.
struct Transformed<'a>(Discrepancy<'a>);

impl CostFunction for Transformed<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, t: &Vec<f64>) -> std::result::Result<f64, argmin::core::Error> {
        let (psi, _) = psi_of(t);
        Ok(self
            .0
            .value_and_gradient(&psi)
            .map_or(f64::INFINITY, |(value, _)| value))
    }
}

impl Gradient for Transformed<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, t: &Vec<f64>) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        let (psi, slope) = psi_of(t);
        let (_, gradient) = self
            .0
            .value_and_gradient(&psi)
            .ok_or_else(|| argmin::core::Error::msg("discrepancy undefined at this point"))?;
        Ok((gradient * slope).to_vec())
    }
}

/// Iterations per L-BFGS round: a line search that fails near the optimum
/// (the objective flat to rounding) then costs at most one round.
const LBFGS_ROUND: u64 = 50;

/// An iteration that lowers the objective by less than this fraction ends
/// the run: the objective is flat to rounding there, and the line search
/// would only spend evaluations.
const RELATIVE_COST_TOLERANCE: f64 = 1e-14;

/// L-BFGS from `start`, in rounds that restart from the best point so far;
/// returns ψ, iterations, convergence (gradient norm in t at most `tol`) and
/// the objective.
fn minimise(problem: &Discrepancy<'_>, start: &Array1<f64>, max_iter: u64, tol: f64) -> (Array1<f64>, u64, bool, f64) {
    let objective = Transformed(*problem);
    let mut t = t_of(start);
    let mut cost = objective.cost(&t).unwrap_or(f64::INFINITY);
    let mut n_iter = 0;
    let mut stalled = false;
    while n_iter < max_iter && gradient_norm(&objective, &t) > tol {
        let Ok(solver) = LBFGS::new(MoreThuenteLineSearch::new(), LBFGS_MEMORY)
            .with_tolerance_grad(tol)
            .and_then(|s| s.with_tolerance_cost(RELATIVE_COST_TOLERANCE * cost.abs()))
        else {
            break;
        };
        let round = LBFGS_ROUND.min(max_iter - n_iter);
        let Ok(result) = Executor::new(Transformed(*problem), solver)
            .configure(|state| state.param(t.clone()).max_iters(round))
            .timer(false)
            .run()
        else {
            break;
        };
        let state = result.state();
        n_iter += state.get_iter().max(1);
        match state.get_best_param() {
            Some(best) if state.get_best_cost() < cost => {
                t = best.clone();
                cost = state.get_best_cost();
            }
            _ => break,
        }
        if !matches!(state.get_termination_reason(), Some(TerminationReason::MaxItersReached)) {
            stalled = matches!(state.get_termination_reason(), Some(TerminationReason::SolverConverged));
            break;
        }
    }
    let converged = stalled || gradient_norm(&objective, &t) <= tol;
    (psi_of(&t).0, n_iter, converged, cost)
}

fn gradient_norm(objective: &Transformed<'_>, t: &Vec<f64>) -> f64 {
    objective
        .gradient(t)
        .map_or(f64::INFINITY, |g| g.iter().map(|v| v * v).sum::<f64>().sqrt())
}

/// Iterated principal axes (psych `fm = "pa"`): start from the squared
/// multiple correlations on the diagonal, take the first `k` eigenpairs,
/// put their communalities back, until the sum of communalities changes by
/// less than `tol`. Communalities are capped at 1 − 0.005.
fn principal_axes(r: ArrayView2<'_, f64>, k: usize, max_iter: u64, tol: f64) -> Result<Extraction> {
    let mut reduced = r.to_owned();
    let mut communalities = squared_multiple_correlations(r);
    let mut loadings = Array2::zeros((r.nrows(), k));
    let (mut n_iter, mut converged) = (0, false);
    while n_iter < max_iter {
        n_iter += 1;
        reduced.diag_mut().assign(&communalities);
        let (values, vectors) = symmetric_eigen(reduced.view())?;
        loadings = scaled_columns(&vectors, &values, k, |v| v.max(0.0).sqrt());
        // A communality above 1 (a Heywood case) would grow without bound:
        // clamp it where minres and ML stop, 1 − 0.005; the model flags it.
        let updated = loadings.map_axis(ndarray::Axis(1), |row| row.dot(&row).min(1.0 - PSI_LOWER));
        let change = (updated.sum() - communalities.sum()).abs();
        communalities = updated;
        if change < tol {
            converged = true;
            break;
        }
    }
    Ok(Extraction {
        loadings,
        n_iter,
        converged,
        objective: 0.0,
    })
}

/// Eigenvalues of R with the communalities on the diagonal (the "common
/// factor" eigenvalues of psych and factor_analyzer).
pub(crate) fn common_factor_eigenvalues(r: ArrayView2<'_, f64>, communalities: &Array1<f64>) -> Result<Array1<f64>> {
    let mut reduced = r.to_owned();
    reduced.diag_mut().assign(communalities);
    symmetric_eigenvalues(reduced.view())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn correlation() -> Array2<f64> {
        array![
            [1.0, 0.6, 0.5, 0.2, 0.1],
            [0.6, 1.0, 0.55, 0.15, 0.2],
            [0.5, 0.55, 1.0, 0.1, 0.15],
            [0.2, 0.15, 0.1, 1.0, 0.5],
            [0.1, 0.2, 0.15, 0.5, 1.0],
        ]
    }

    /// The analytic gradients agree with central differences.
    #[test]
    fn gradients_match_finite_differences() {
        let r = correlation();
        let psi = array![0.4, 0.45, 0.5, 0.55, 0.6];
        for method in [FactorMethod::MinRes, FactorMethod::MaximumLikelihood] {
            let problem = Discrepancy {
                r: r.view(),
                n_factors: 2,
                method,
            };
            let (_, gradient) = problem.value_and_gradient(&psi).unwrap();
            for i in 0..psi.len() {
                let h = 1e-6;
                let (mut up, mut down) = (psi.clone(), psi.clone());
                up[i] += h;
                down[i] -= h;
                let numeric = (problem.value_and_gradient(&up).unwrap().0
                    - problem.value_and_gradient(&down).unwrap().0)
                    / (2.0 * h);
                assert!(
                    (numeric - gradient[i]).abs() < 1e-6,
                    "{method:?} {i}: {numeric} vs {}",
                    gradient[i]
                );
            }
        }
    }

    #[test]
    fn principal_axes_reach_a_fixed_point() {
        let r = array![
            [1.0, 0.6, 0.5, 0.2, 0.1, 0.15],
            [0.6, 1.0, 0.55, 0.15, 0.2, 0.1],
            [0.5, 0.55, 1.0, 0.1, 0.15, 0.2],
            [0.2, 0.15, 0.1, 1.0, 0.5, 0.45],
            [0.1, 0.2, 0.15, 0.5, 1.0, 0.4],
            [0.15, 0.1, 0.2, 0.45, 0.4, 1.0]
        ];
        let fit = principal_axes(r.view(), 2, 10_000, 1e-12).unwrap();
        assert!(fit.converged);
        let communalities = fit.loadings.map_axis(ndarray::Axis(1), |row| row.dot(&row));
        let again = minres_loadings(r.view(), &(1.0 - &communalities), 2).unwrap();
        for (a, b) in again.iter().zip(fit.loadings.iter()) {
            assert!((a.abs() - b.abs()).abs() < 1e-8);
        }
    }

    /// Two factors for five items with one weak pair: item 3's communality
    /// runs past 1 in plain principal axes; the cap stops it.
    #[test]
    fn principal_axes_cap_a_heywood_communality() {
        let fit = principal_axes(correlation().view(), 2, 10_000, 1e-10).unwrap();
        assert!(fit.converged);
        let communalities = fit.loadings.map_axis(ndarray::Axis(1), |row| row.dot(&row));
        assert!(communalities[3] >= 0.99, "{communalities}");
    }
}
