//! Maximum likelihood for every model on the log-parameters: BFGS (argmin)
//! with the model's analytic gradient (BG/NBD, Pareto/NBD and Gamma-Gamma
//! all have one). A likelihood without a gradient (a model to come; tested
//! with a plain closure) runs Nelder–Mead to the basin, then BFGS with
//! central differences. Starts are deterministic; the first that converges
//! is kept unless [`FitOptions::every_start`] asks for all, then the best.
//! Standard errors come from the Hessian on the natural parameters.

use std::ops::Range;
use std::sync::Mutex;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::BFGS;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Rows per block of the log-likelihood sum. Blocks are summed in order, so
/// the total does not depend on the number of threads; blocks this small
/// keep two cores busy even on a few thousand customers (CDNOW's 2,357).
const CHUNK: usize = 1024;

/// Side of the first Nelder–Mead simplex in log-parameters (a factor e^0.5).
const SIMPLEX_STEP: f64 = 0.5;

/// Nelder–Mead stops when the costs at the simplex vertices (mean negative
/// log-likelihood per customer) have this standard deviation: it only has
/// to reach the basin of the maximum, BFGS finishes.
const SIMPLEX_TOLERANCE: f64 = 1e-6;

/// BFGS stops when the gradient of the mean negative log-likelihood is this
/// small (its finite-difference error is about 10⁻¹⁰; below 10⁻⁸ the line
/// search only chases rounding noise).
const BFGS_GRADIENT_TOLERANCE: f64 = 1e-8;

/// … or when an iteration lowers the mean negative log-likelihood by less
/// than this (a few units in the last place of a cost of order 1–10).
const BFGS_COST_TOLERANCE: f64 = 1e-14;

/// Central-difference step in log-parameters (about ε^(1/3)).
const GRADIENT_STEP: f64 = 6e-6;

/// Relative central-difference step for the Hessian (about ε^(1/4)).
const HESSIAN_STEP: f64 = 1e-4;

/// Options for the maximum-likelihood fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FitOptions {
    /// Iteration limit of each optimiser run (Nelder–Mead, then BFGS) per start.
    pub max_iterations: u64,
    /// How many of the model's built-in deterministic starts to try (at least 1;
    /// each model has 4, spread over the shapes with the scales set from the data).
    pub n_starts: usize,
    /// Extra start in the model's parameter order (e.g. `[r, alpha, a, b]`), tried first.
    pub initial_params: Option<Vec<f64>>,
    /// The fit counts as converged when every partial derivative of the mean
    /// log-likelihood per customer with respect to the log-parameters is at most this.
    pub gradient_tolerance: f64,
    /// Run every start even when the first converges, and keep the best (a
    /// guard against a second local maximum, at `n_starts` times the cost).
    /// By default the first start that converges (gradient within
    /// `gradient_tolerance`, Hessian positive definite) ends the fit: the
    /// further starts are there for a start that stalls or runs off.
    pub every_start: bool,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_iterations: 2000,
            n_starts: 3,
            initial_params: None,
            gradient_tolerance: 1e-6,
            every_start: false,
        }
    }
}

impl FitOptions {
    /// Checks the options for a model with `n_params` parameters.
    pub(crate) fn check(&self, n_params: usize) -> Result<()> {
        if self.max_iterations == 0 {
            return Err(Error::invalid_parameter("max_iterations", 0, "≥ 1"));
        }
        if self.n_starts == 0 {
            return Err(Error::invalid_parameter("n_starts", 0, "≥ 1"));
        }
        if !(self.gradient_tolerance.is_finite() && self.gradient_tolerance > 0.0) {
            return Err(Error::invalid_parameter(
                "gradient_tolerance",
                self.gradient_tolerance,
                "a finite number > 0",
            ));
        }
        if let Some(start) = &self.initial_params {
            if start.len() != n_params {
                return Err(Error::ShapeMismatch {
                    what: "initial_params".into(),
                    expected: format!("{n_params} parameters"),
                    found: start.len().to_string(),
                });
            }
            if let Some(bad) = start.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(Error::invalid_parameter(
                    "initial_params",
                    bad,
                    "every parameter finite and > 0",
                ));
            }
        }
        Ok(())
    }
}

/// How a fit went, besides the parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport<P> {
    /// Log-likelihood at the estimate (summed over customers, weighted).
    pub log_likelihood: f64,
    /// Optimiser iterations of the best start (Nelder–Mead plus BFGS).
    pub iterations: u64,
    /// True when the gradient is below [`FitOptions::gradient_tolerance`] and
    /// the Hessian is positive definite: a maximum, not a stall.
    pub converged: bool,
    /// Largest |∂ℓ/∂ ln θ| at the estimate, ℓ the mean log-likelihood per customer.
    pub max_gradient: f64,
    /// Standard errors from the inverse numerical Hessian of the negative
    /// log-likelihood on the natural parameters; `None` when that Hessian is
    /// not positive definite.
    pub standard_errors: Option<P>,
    /// Starts tried.
    pub n_starts: usize,
    /// Rows of the data fitted (customers, or histories when weighted); BG/NBD
    /// and Pareto/NBD merge equal histories before fitting.
    pub n_rows: usize,
    /// Why the fit is or is not converged, in words.
    pub message: String,
}

impl<P> FitReport<P> {
    /// The same report with the standard errors turned into another type.
    pub(crate) fn map<Q>(self, f: impl FnOnce(P) -> Q) -> FitReport<Q> {
        FitReport {
            log_likelihood: self.log_likelihood,
            iterations: self.iterations,
            converged: self.converged,
            max_gradient: self.max_gradient,
            standard_errors: self.standard_errors.map(f),
            n_starts: self.n_starts,
            n_rows: self.n_rows,
            message: self.message,
        }
    }
}

/// Σ over rows of `row_sum(range)`, in blocks of [`CHUNK`] rows run in
/// parallel and added in block order: the same bits on any number of threads.
pub(crate) fn chunked_sum(n: usize, row_sum: impl Fn(Range<usize>) -> f64 + Sync) -> f64 {
    chunked_sums(n, |rows| [row_sum(rows)])[0]
}

/// [`chunked_sum`] of K sums at once (a log-likelihood and its gradient).
pub(crate) fn chunked_sums<const K: usize>(n: usize, block_sums: impl Fn(Range<usize>) -> [f64; K] + Sync) -> [f64; K] {
    if n <= CHUNK {
        return block_sums(0..n);
    }
    let partial: Vec<[f64; K]> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| block_sums(c * CHUNK..((c + 1) * CHUNK).min(n)))
        .collect();
    partial.iter().fold([0.0; K], add)
}

/// `total + block`, element by element.
pub(crate) fn add<const K: usize>(mut total: [f64; K], block: &[f64; K]) -> [f64; K] {
    for (t, b) in total.iter_mut().zip(block) {
        *t += b;
    }
    total
}

/// A model's log-likelihood ℓ of its natural parameters, summed over
/// customers (weighted).
pub(crate) trait LogLikelihood: Sync {
    /// ℓ at `params`; NaN or −∞ where it cannot be evaluated.
    fn value(&self, params: &[f64]) -> f64;

    /// Whether [`LogLikelihood::value_and_gradient`] gives the gradient;
    /// without it the fit takes central differences.
    fn has_gradient(&self) -> bool {
        false
    }

    /// ℓ and ∂ℓ/∂params from one pass over the data; `None` for a model
    /// without a closed-form gradient.
    fn value_and_gradient(&self, _params: &[f64]) -> Option<(f64, Vec<f64>)> {
        None
    }
}

/// [`LogLikelihood`] for a model's likelihood whose `sums(&params)` gives ℓ
/// followed by its gradient, in one pass over the data.
macro_rules! likelihood_from_sums {
    ($likelihood:ty, $params:ty) => {
        impl $crate::features::clv::fit::LogLikelihood for $likelihood {
            fn value(&self, params: &[f64]) -> f64 {
                self.sums(&<$params as $crate::features::clv::model::ModelParams>::from_slice(params))[0]
            }

            fn has_gradient(&self) -> bool {
                true
            }

            fn value_and_gradient(&self, params: &[f64]) -> Option<(f64, Vec<f64>)> {
                let [value, gradient @ ..] =
                    self.sums(&<$params as $crate::features::clv::model::ModelParams>::from_slice(params));
                Some((value, gradient.to_vec()))
            }
        }
    };
}
pub(super) use likelihood_from_sums;

impl<F: Fn(&[f64]) -> f64 + Sync> LogLikelihood for F {
    fn value(&self, params: &[f64]) -> f64 {
        self(params)
    }
}

/// The estimate: natural parameters, and the report with standard errors as a vector.
pub(crate) struct Estimate {
    pub params: Vec<f64>,
    pub report: FitReport<Vec<f64>>,
}

/// Maximises `ll` from `starts` (natural parameters; `options.initial_params`
/// first): the first start alone, then, unless it converged (or when
/// [`FitOptions::every_start`]), the others in parallel, the best kept.
pub(crate) fn maximise(
    ll: &dyn LogLikelihood,
    starts: &[Vec<f64>],
    total_weight: f64,
    n_rows: usize,
    options: &FitOptions,
) -> Result<Estimate> {
    let mut tried: Vec<&[f64]> = options.initial_params.iter().map(Vec::as_slice).collect();
    tried.extend(starts.iter().take(options.n_starts).map(Vec::as_slice));
    let run = |start: &[f64]| run_start(&MeanNll::new(ll, total_weight), start, options.max_iterations);
    let first = run(tried[0]);
    let summary = MeanNll::new(ll, total_weight);
    if let Some(first) = &first {
        let estimate = summarise(&summary, first, 1, n_rows, options);
        if (estimate.report.converged && !options.every_start) || tried.len() == 1 {
            return Ok(estimate);
        }
    }
    // The best is chosen in start order, so the result does not depend on threads.
    let others: Vec<Option<Run>> = tried[1..].par_iter().map(|start| run(start)).collect();
    let best = std::iter::once(first)
        .chain(others)
        .flatten()
        .fold(None, |best: Option<Run>, run| match best {
            Some(b) if b.cost <= run.cost => Some(b),
            _ => Some(run),
        })
        .ok_or_else(|| Error::InsufficientData {
            what: format!(
                "no start of the fit reached a finite log-likelihood on these {n_rows} rows; \
                 try FitOptions::initial_params closer to the data"
            ),
        })?;
    Ok(summarise(&summary, &best, tried.len(), n_rows, options))
}

/// A point θ with its cost and gradient.
type CostAndGradient = (Vec<f64>, f64, Vec<f64>);

/// The best point of one start.
struct Run {
    theta: Vec<f64>,
    cost: f64,
    iterations: u64,
}

/// Mean negative log-likelihood per customer of the log-parameters θ; +∞
/// where it is not finite (the optimisers then step back).
struct MeanNll<'a> {
    ll: &'a dyn LogLikelihood,
    total_weight: f64,
    /// Whether `ll` has an analytic gradient.
    analytic: bool,
    /// The last point of the analytic path with its cost and gradient:
    /// argmin asks for the cost and then the gradient of each line-search
    /// point, and one pass over the data gives both.
    last: Mutex<Option<CostAndGradient>>,
    /// The first point the solver asked about whose gradient is within
    /// [`BFGS_GRADIENT_TOLERANCE`]. Near the optimum the costs of nearby
    /// points differ by rounding noise, so a line search that compares them
    /// can chase that noise for dozens of passes; the solver is stopped there.
    reached: Mutex<Option<(Vec<f64>, f64)>>,
}

impl<'a> MeanNll<'a> {
    fn new(ll: &'a dyn LogLikelihood, total_weight: f64) -> Self {
        MeanNll {
            ll,
            total_weight,
            analytic: ll.has_gradient(),
            last: Mutex::new(None),
            reached: Mutex::new(None),
        }
    }

    /// Cost and gradient for the solver: an error, which stops it, at the
    /// first point whose gradient is within tolerance (kept in `reached`).
    fn for_solver(&self, theta: &[f64]) -> std::result::Result<(f64, Vec<f64>), argmin::core::Error> {
        let (cost, gradient) = self.cost_and_gradient(theta);
        if cost.is_finite() && gradient.iter().all(|g| g.abs() <= BFGS_GRADIENT_TOLERANCE) {
            *self.reached.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((theta.to_vec(), cost));
            return Err(argmin::core::Error::msg("gradient within tolerance"));
        }
        Ok((cost, gradient))
    }

    /// Takes the point recorded by [`MeanNll::for_solver`], if any.
    fn take_reached(&self) -> Option<(Vec<f64>, f64)> {
        self.reached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// The cost alone (Nelder–Mead, central differences).
    fn value_at(&self, theta: &[f64]) -> f64 {
        let params: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        self.finite(-self.ll.value(&params) / self.total_weight)
    }

    fn finite(&self, value: f64) -> f64 {
        if value.is_finite() { value } else { f64::INFINITY }
    }

    /// Cost and gradient in θ: the analytic gradient by the chain rule
    /// ∂/∂ln p = p ∂/∂p, or central differences.
    fn cost_and_gradient(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        if !self.analytic {
            return (self.value_at(theta), self.central_gradient(theta));
        }
        let mut last = self.last.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((at, cost, gradient)) = last.as_ref()
            && at.as_slice() == theta
        {
            return (*cost, gradient.clone());
        }
        let (cost, gradient) = self.analytic_cost_and_gradient(theta);
        *last = Some((theta.to_vec(), cost, gradient.clone()));
        (cost, gradient)
    }

    /// Cost and analytic gradient in θ, one pass, not cached.
    fn analytic_cost_and_gradient(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let params: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        let (value, gradient) = self
            .ll
            .value_and_gradient(&params)
            .unwrap_or((f64::NAN, vec![f64::NAN; theta.len()]));
        let cost = self.finite(-value / self.total_weight);
        let gradient: Vec<f64> = gradient
            .iter()
            .zip(&params)
            .map(|(g, p)| -g * p / self.total_weight)
            .collect();
        (cost, gradient)
    }

    fn central_gradient(&self, theta: &[f64]) -> Vec<f64> {
        (0..theta.len())
            .map(|i| {
                let mut up = theta.to_vec();
                let mut down = theta.to_vec();
                up[i] += GRADIENT_STEP;
                down[i] -= GRADIENT_STEP;
                (self.value_at(&up) - self.value_at(&down)) / (2.0 * GRADIENT_STEP)
            })
            .collect()
    }

    /// Hessian of the cost in θ (to start BFGS with Newton steps): forward
    /// differences of the gradient, n passes beside the start's own (cached,
    /// and left in the cache for the solver), as a first guess needs no more.
    fn hessian(&self, theta: &[f64]) -> Option<Vec<Vec<f64>>> {
        let n = theta.len();
        if self.analytic {
            let at_theta = self.cost_and_gradient(theta).1;
            let rows: Vec<Vec<f64>> = (0..n)
                .map(|i| {
                    let mut moved = theta.to_vec();
                    moved[i] += GRADIENT_STEP;
                    let g = self.analytic_cost_and_gradient(&moved).1;
                    g.iter().zip(&at_theta).map(|(a, b)| (a - b) / GRADIENT_STEP).collect()
                })
                .collect();
            return symmetrised(rows);
        }
        central_hessian(|t| self.value_at(t), theta, &vec![HESSIAN_STEP; n])
    }

    /// Hessian of the negative log-likelihood on the natural parameters (for
    /// the standard errors).
    fn natural_hessian(&self, params: &[f64]) -> Option<Vec<Vec<f64>>> {
        if self.analytic {
            let steps: Vec<f64> = params.iter().map(|p| GRADIENT_STEP * p).collect();
            let minus_gradient = |p: &[f64]| match self.ll.value_and_gradient(p) {
                Some((_, g)) => g.iter().map(|v| -v).collect(),
                None => vec![f64::NAN; p.len()],
            };
            return gradient_hessian(minus_gradient, params, &steps);
        }
        let steps: Vec<f64> = params.iter().map(|p| HESSIAN_STEP * p).collect();
        central_hessian(|p| -self.ll.value(p), params, &steps)
    }
}

impl CostFunction for &MeanNll<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, theta: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        if self.analytic {
            return Ok(self.for_solver(theta)?.0);
        }
        Ok(self.value_at(theta))
    }
}

impl Gradient for &MeanNll<'_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, theta: &Self::Param) -> std::result::Result<Vec<f64>, argmin::core::Error> {
        Ok(self.for_solver(theta)?.1)
    }
}

/// One start: with an analytic gradient BFGS straight away (it needs no
/// simplex to find the basin: each step costs one pass over the data);
/// otherwise Nelder–Mead to the basin, then BFGS from its best vertex.
/// `None` when no finite cost was found.
fn run_start(objective: &MeanNll<'_>, start: &[f64], max_iterations: u64) -> Option<Run> {
    let theta0: Vec<f64> = start.iter().map(|p| p.ln()).collect();
    let run = if objective.analytic {
        let cost = objective.cost_and_gradient(&theta0).0;
        Run {
            theta: theta0,
            cost,
            iterations: 0,
        }
    } else {
        simplex_search(objective, theta0, max_iterations)?
    };
    if !run.cost.is_finite() {
        return None;
    }
    Some(polish(objective, run, max_iterations))
}

/// Nelder–Mead from θ₀ to the basin of a maximum.
fn simplex_search(objective: &MeanNll<'_>, theta0: Vec<f64>, max_iterations: u64) -> Option<Run> {
    let simplex: Vec<Vec<f64>> = std::iter::once(theta0.clone())
        .chain((0..theta0.len()).map(|i| {
            let mut vertex = theta0.clone();
            vertex[i] += SIMPLEX_STEP;
            vertex
        }))
        .collect();
    let solver = NelderMead::new(simplex).with_sd_tolerance(SIMPLEX_TOLERANCE).ok()?;
    let result = Executor::new(objective, solver)
        .configure(|state| state.max_iters(max_iterations))
        .timer(false)
        .run()
        .ok()?;
    let state = result.state();
    Some(Run {
        theta: state.get_best_param()?.clone(),
        cost: state.get_best_cost(),
        iterations: state.get_iter(),
    })
}

/// BFGS (More–Thuente line search) from `run`, one iteration per round with
/// the inverse Hessian carried over, until a point's gradient is within
/// tolerance (that point ends the run) or the solver stops; keeps the best
/// point. The first inverse Hessian is the numerical one at the start when
/// it is positive definite, so that BFGS starts with Newton steps.
fn polish(objective: &MeanNll<'_>, mut run: Run, max_iterations: u64) -> Run {
    let n = run.theta.len();
    let identity = || (0..n).map(|i| (0..n).map(|j| f64::from(i == j)).collect()).collect();
    let mut inverse_hessian: Vec<Vec<f64>> = objective
        .hessian(&run.theta)
        .and_then(|h| cholesky_inverse(&h))
        .unwrap_or_else(identity);
    let (mut done, mut retried) = (0, false);
    while done < max_iterations {
        let solver = BFGS::new(MoreThuenteLineSearch::new())
            .with_tolerance_grad(BFGS_GRADIENT_TOLERANCE)
            .and_then(|bfgs| bfgs.with_tolerance_cost(BFGS_COST_TOLERANCE));
        let Ok(solver) = solver else {
            break;
        };
        let start = (run.theta.clone(), inverse_hessian.clone());
        let outcome = Executor::new(objective, solver)
            .configure(|state| state.param(start.0).inv_hessian(start.1).max_iters(1))
            .timer(false)
            .run();
        if let Some((theta, cost)) = objective.take_reached() {
            // Reached at the start of the round or during its iteration.
            run.iterations += u64::from(theta != run.theta);
            (run.theta, run.cost) = (theta, cost);
            break;
        }
        let Ok(result) = outcome else {
            // A line search that fails far from the optimum may fail for the
            // scale of the first inverse Hessian: retry once with the identity.
            if !retried {
                retried = true;
                inverse_hessian = identity();
                continue;
            }
            break;
        };
        let state = result.state();
        done += state.get_iter();
        run.iterations += state.get_iter();
        if let Some(best) = state.get_best_param()
            && state.get_best_cost() < run.cost
        {
            run.theta = best.clone();
            run.cost = state.get_best_cost();
        }
        match state.get_inv_hessian() {
            Some(h) if h.iter().flatten().all(|v| v.is_finite()) => inverse_hessian = h.clone(),
            _ => break,
        }
        if !matches!(state.get_termination_reason(), Some(TerminationReason::MaxItersReached)) {
            break;
        }
    }
    run
}

/// Gradient, Hessian, standard errors and the converged flag at the best run.
fn summarise(objective: &MeanNll<'_>, best: &Run, n_starts: usize, n_rows: usize, options: &FitOptions) -> Estimate {
    let params: Vec<f64> = best.theta.iter().map(|t| t.exp()).collect();
    let max_gradient = objective
        .cost_and_gradient(&best.theta)
        .1
        .iter()
        .fold(0.0, |m: f64, g| m.max(g.abs()));
    let standard_errors = objective
        .natural_hessian(&params)
        .and_then(|h| cholesky_inverse(&h))
        .map(|inverse| (0..params.len()).map(|i| inverse[i][i].sqrt()).collect::<Vec<f64>>());
    let small_gradient = max_gradient <= options.gradient_tolerance;
    let converged = small_gradient && standard_errors.is_some();
    let message = match (small_gradient, standard_errors.is_some()) {
        (true, true) => format!("converged: largest gradient {max_gradient:.1e}, Hessian positive definite"),
        (false, _) => format!(
            "not converged: largest gradient {max_gradient:.1e} > tolerance {:.1e} after {} iterations",
            options.gradient_tolerance, best.iterations
        ),
        (true, false) => "not converged: the Hessian is not positive definite (a flat or saddle direction), \
                          so there are no standard errors"
            .to_string(),
    };
    let report = FitReport {
        log_likelihood: -best.cost * objective.total_weight,
        iterations: best.iterations,
        converged,
        max_gradient,
        standard_errors,
        n_starts,
        n_rows,
        message,
    };
    Estimate { params, report }
}

/// Hessian from a gradient `g` by central differences, row i
/// (g(x + hᵢeᵢ) − g(x − hᵢeᵢ)) / 2hᵢ, then symmetrised: 2n gradients, each
/// one pass over the data, where [`central_hessian`] needs 2n² + 1 values.
fn gradient_hessian(g: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], steps: &[f64]) -> Option<Vec<Vec<f64>>> {
    let n = x.len();
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut up = x.to_vec();
            let mut down = x.to_vec();
            up[i] += steps[i];
            down[i] -= steps[i];
            let (g_up, g_down) = (g(&up), g(&down));
            (0..n).map(|j| (g_up[j] - g_down[j]) / (2.0 * steps[i])).collect()
        })
        .collect();
    symmetrised(rows)
}

/// (H + Hᵀ)/2 of a Hessian taken row by row from gradients; `None` when an
/// entry is not finite.
fn symmetrised(rows: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = rows.len();
    let h: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| 0.5 * (rows[i][j] + rows[j][i])).collect())
        .collect();
    h.iter().flatten().all(|v| v.is_finite()).then_some(h)
}

/// Central-difference Hessian of `f` at `x` with the given steps; `None`
/// when a value on the stencil is not finite.
fn central_hessian(f: impl Fn(&[f64]) -> f64, x: &[f64], steps: &[f64]) -> Option<Vec<Vec<f64>>> {
    let n = x.len();
    let at = |moves: &[(usize, f64)]| {
        let mut p = x.to_vec();
        for &(i, k) in moves {
            p[i] += k * steps[i];
        }
        f(&p)
    };
    let centre = at(&[]);
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n {
        h[i][i] = (at(&[(i, 1.0)]) - 2.0 * centre + at(&[(i, -1.0)])) / (steps[i] * steps[i]);
        for j in 0..i {
            let mixed = at(&[(i, 1.0), (j, 1.0)]) - at(&[(i, 1.0), (j, -1.0)]) - at(&[(i, -1.0), (j, 1.0)])
                + at(&[(i, -1.0), (j, -1.0)]);
            h[i][j] = mixed / (4.0 * steps[i] * steps[j]);
            h[j][i] = h[i][j];
        }
    }
    h.iter().flatten().all(|v| v.is_finite()).then_some(h)
}

/// H⁻¹ = L⁻ᵀ L⁻¹ through the Cholesky factor H = L Lᵀ; `None` when H is not
/// positive definite (the test that a stationary point is a maximum).
fn cholesky_inverse(h: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = h.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = h[i][j] - (0..j).map(|k| l[i][k] * l[j][k]).sum::<f64>();
            if i == j {
                if s <= 0.0 || !s.is_finite() {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    // Column c of L⁻¹ by forward substitution of L y = e_c (rows below c only).
    let mut l_inv = vec![vec![0.0; n]; n];
    #[allow(clippy::needless_range_loop)] // c indexes columns of both L⁻¹ and the unit vector
    for c in 0..n {
        for i in c..n {
            let rhs = f64::from(i == c) - (c..i).map(|k| l[i][k] * l_inv[k][c]).sum::<f64>();
            l_inv[i][c] = rhs / l[i][i];
        }
    }
    let inverse = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| l_inv[k][i] * l_inv[k][j]).sum())
                .collect()
        })
        .collect();
    Some(inverse)
}

/// Asserts that `likelihood`'s analytic gradient at `params` agrees with central
/// differences of its value, and that the value is the one `value` gives.
#[cfg(test)]
pub(super) fn assert_gradient_matches_differences(likelihood: &dyn LogLikelihood, params: &[f64]) {
    let (value, gradient) = likelihood.value_and_gradient(params).unwrap();
    assert!(value.is_finite(), "{params:?}: ℓ = {value}");
    assert_eq!(value, likelihood.value(params));
    for i in 0..params.len() {
        let h = 1e-6 * params[i];
        let (mut up, mut down) = (params.to_vec(), params.to_vec());
        up[i] += h;
        down[i] -= h;
        let numeric = (likelihood.value(&up) - likelihood.value(&down)) / (2.0 * h);
        assert!(
            (gradient[i] - numeric).abs() < 1e-6 * numeric.abs().max(1.0),
            "{params:?} ∂{i}: {} vs {numeric}",
            gradient[i]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_of_a_known_matrix() {
        // H = [[4, 2], [2, 3]]: H⁻¹ = [[3, −2], [−2, 4]] / 8.
        let inverse = cholesky_inverse(&[vec![4.0, 2.0], vec![2.0, 3.0]]).unwrap();
        let expected = [[0.375, -0.25], [-0.25, 0.5]];
        for i in 0..2 {
            for j in 0..2 {
                assert!((inverse[i][j] - expected[i][j]).abs() < 1e-15, "{inverse:?}");
            }
        }
        assert!(cholesky_inverse(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
    }

    #[test]
    fn maximise_finds_a_gaussian_mean_and_its_standard_error() {
        // ℓ(μ, σ) of 5 points; the maximum is at the sample mean and sd (ddof 0).
        let data = [1.0, 2.0, 4.0, 7.0, 11.0];
        let ll = |p: &[f64]| -> f64 {
            data.iter()
                .map(|x| -p[1].ln() - 0.5 * ((x - p[0]) / p[1]).powi(2))
                .sum()
        };
        let est = maximise(&ll, &[vec![1.0, 1.0]], 5.0, 5, &FitOptions::default()).unwrap();
        let sd = (data.iter().map(|x| (x - 5.0_f64).powi(2)).sum::<f64>() / 5.0).sqrt();
        assert!((est.params[0] - 5.0).abs() < 1e-6, "{:?}", est.params);
        assert!((est.params[1] - sd).abs() < 1e-6);
        assert!(est.report.converged, "{}", est.report.message);
        let se = est.report.standard_errors.unwrap();
        assert!((se[0] - sd / 5f64.sqrt()).abs() < 1e-5, "{se:?}");
    }

    #[test]
    fn chunked_sum_is_the_same_on_one_and_two_threads() {
        let row_sum = |r: Range<usize>| r.map(|i| 1.0 / (1.0 + i as f64)).sum::<f64>();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let a = one.install(|| chunked_sum(100_000, row_sum));
        let b = two.install(|| chunked_sum(100_000, row_sum));
        assert_eq!(a.to_bits(), b.to_bits());
    }
}
