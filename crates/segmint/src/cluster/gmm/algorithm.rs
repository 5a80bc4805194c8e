//! Expectation–maximisation and the fitted mixture.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::covariance::{
    BLOCK_ROWS, CovarianceType, Covariances, estimate_parameters, log_det_cholesky, log_gaussian_row, n_parameters,
};
use super::params::{GaussianMixtureInit, GaussianMixtureParams};
use crate::check;
use crate::cluster::KMeans;
use crate::error::Result;

/// A fitted Gaussian mixture (scikit-learn's `GaussianMixture` attributes).
/// Serialises to JSON with everything `predict` and `score` need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture {
    weights: Array1<f64>,
    means: Array2<f64>,
    covariances: Covariances,
    precisions_cholesky: Covariances,
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
}

impl GaussianMixture {
    /// Settings for `n_components` components, to be adjusted and then fitted.
    pub fn params(n_components: usize) -> GaussianMixtureParams {
        GaussianMixtureParams::new(n_components)
    }

    /// Mixing weights (sum to 1).
    pub fn weights(&self) -> ArrayView1<'_, f64> {
        self.weights.view()
    }

    /// Component means, `n_components × n_features`.
    pub fn means(&self) -> ArrayView2<'_, f64> {
        self.means.view()
    }

    /// Component covariances (with `reg_covar` on the diagonal).
    pub fn covariances(&self) -> &Covariances {
        &self.covariances
    }

    /// Upper-triangular Cholesky factors `U` of the precisions (`U Uᵀ = Σ⁻¹`),
    /// or inverse standard deviations for diagonal and spherical covariances.
    pub fn precisions_cholesky(&self) -> &Covariances {
        &self.precisions_cholesky
    }

    /// The covariance type.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariances.covariance_type()
    }

    /// Whether the kept run met `tol` before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// EM iterations of the kept run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Mean per-sample log-likelihood at the last E step of the kept run
    /// (scikit-learn's `lower_bound_`).
    pub fn lower_bound(&self) -> f64 {
        self.lower_bound
    }

    /// Number of components.
    pub fn n_components(&self) -> usize {
        self.means.nrows()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.means.ncols()
    }

    /// Free parameters of the model (as scikit-learn counts them for BIC/AIC).
    pub fn n_parameters(&self) -> usize {
        n_parameters(self.covariance_type(), self.n_components(), self.n_features())
    }

    /// The most likely component of each row.
    pub fn predict(&self, x: ArrayView2<'_, f64>) -> Result<Array1<usize>> {
        let weighted = self.weighted_log_prob(x)?;
        Ok(weighted.map_axis(Axis(1), |row| {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = j;
                }
            }
            best
        }))
    }

    /// Posterior probability of each component for each row (`n × k`).
    pub fn predict_proba(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        let mut weighted = self.weighted_log_prob(x)?;
        normalise_rows(&mut weighted);
        Ok(weighted.mapv(f64::exp))
    }

    /// Log-likelihood of each row under the mixture.
    pub fn score_samples(&self, x: ArrayView2<'_, f64>) -> Result<Array1<f64>> {
        let mut weighted = self.weighted_log_prob(x)?;
        Ok(normalise_rows(&mut weighted))
    }

    /// Mean log-likelihood of the rows of `x`.
    pub fn score(&self, x: ArrayView2<'_, f64>) -> Result<f64> {
        let samples = self.score_samples(x)?;
        Ok(samples.sum() / samples.len() as f64)
    }

    /// Bayesian information criterion on `x` (lower is better):
    /// −2 · total log-likelihood + n_parameters · ln n.
    pub fn bic(&self, x: ArrayView2<'_, f64>) -> Result<f64> {
        let n = x.nrows() as f64;
        Ok(-2.0 * self.score(x)? * n + self.n_parameters() as f64 * n.ln())
    }

    /// Akaike information criterion on `x`: −2 · total log-likelihood + 2 · n_parameters.
    pub fn aic(&self, x: ArrayView2<'_, f64>) -> Result<f64> {
        let n = x.nrows() as f64;
        Ok(-2.0 * self.score(x)? * n + 2.0 * self.n_parameters() as f64)
    }

    fn weighted_log_prob(&self, x: ArrayView2<'_, f64>) -> Result<Array2<f64>> {
        check::non_empty("X", x)?;
        check::n_features("X", x, self.n_features())?;
        check::finite("X", x)?;
        Ok(weighted_log_prob(x, &self.state()))
    }

    fn state(&self) -> State {
        State::new(
            self.weights.clone(),
            self.means.clone(),
            self.precisions_cholesky.clone(),
        )
    }
}

/// What the E step needs: weights, means and precision factors.
struct State {
    log_weights: Vec<f64>,
    means: Array2<f64>,
    precision_cholesky: Covariances,
    log_det: Vec<f64>,
}

impl State {
    fn new(weights: Array1<f64>, means: Array2<f64>, precision_cholesky: Covariances) -> Self {
        let (k, d) = means.dim();
        State {
            log_weights: weights.iter().map(|w| w.ln()).collect(),
            log_det: log_det_cholesky(&precision_cholesky, k, d),
            means,
            precision_cholesky,
        }
    }
}

/// log wⱼ + log N(xᵢ | μⱼ, Σⱼ), `n × k`, by row blocks in parallel.
fn weighted_log_prob(x: ArrayView2<'_, f64>, state: &State) -> Array2<f64> {
    let k = state.means.nrows();
    let mut out = Array2::zeros((x.nrows(), k));
    out.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS)
        .into_par_iter()
        .zip(x.axis_chunks_iter(Axis(0), BLOCK_ROWS))
        .for_each(|(mut out_block, x_block)| {
            let mut row = vec![0.0; x.ncols()];
            for (mut o, xr) in out_block.outer_iter_mut().zip(x_block.outer_iter()) {
                row.iter_mut().zip(xr).for_each(|(r, v)| *r = *v);
                let o = o.as_slice_mut().expect("standard layout");
                log_gaussian_row(&row, state.means.view(), &state.precision_cholesky, &state.log_det, o);
                o.iter_mut().zip(&state.log_weights).for_each(|(v, lw)| *v += lw);
            }
        });
    out
}

/// Replaces each row by itself minus its log-sum-exp; returns the log-sum-exps.
fn normalise_rows(m: &mut Array2<f64>) -> Array1<f64> {
    let mut norms = Array1::zeros(m.nrows());
    m.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS)
        .into_par_iter()
        .zip(norms.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS))
        .for_each(|(mut block, mut norm)| {
            for (mut row, n) in block.outer_iter_mut().zip(norm.iter_mut()) {
                *n = log_sum_exp(row.as_slice().expect("standard layout"));
                row.mapv_inplace(|v| v - *n);
            }
        });
    norms
}

fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// Sum of a vector in fixed blocks, blocks added in order.
fn blocked_total(v: &Array1<f64>) -> f64 {
    let partials: Vec<f64> = v
        .as_slice()
        .expect("standard layout")
        .par_chunks(BLOCK_ROWS)
        .map(|c| c.iter().sum())
        .collect();
    partials.iter().sum()
}

/// Fits checked parameters: `n_init` seeded runs in parallel; the highest
/// lower bound is kept (the first on ties, as scikit-learn).
pub(super) fn fit(params: &GaussianMixtureParams, x: ArrayView2<'_, f64>) -> Result<GaussianMixture> {
    let x = x.as_standard_layout();
    let x = x.view();
    let mut master = ChaCha8Rng::seed_from_u64(params.seed);
    let seeds: Vec<u64> = (0..params.n_init).map(|_| master.random()).collect();
    let runs: Vec<Result<GaussianMixture>> = seeds.par_iter().map(|&seed| run(params, x, seed)).collect();
    let mut best: Option<GaussianMixture> = None;
    for r in runs {
        let r = r?;
        if best.as_ref().is_none_or(|b| r.lower_bound > b.lower_bound) {
            best = Some(r);
        }
    }
    Ok(best.expect("n_init is at least 1"))
}

/// One EM run: initial responsibilities, one M step (overridden by the
/// given initial parameters), then E and M steps until the per-sample
/// log-likelihood changes by less than `tol`.
fn run(params: &GaussianMixtureParams, x: ArrayView2<'_, f64>, seed: u64) -> Result<GaussianMixture> {
    params.cancel.check()?;
    let kind = params.covariance_type;
    let reg = params.reg_covar;
    let resp = initial_responsibilities(params, x, seed)?;
    // `max_iter >= 1`, so the first M step below replaces these covariances.
    let (mut weights, mut means, mut covariances) = estimate_parameters(x, resp.view(), reg, kind);
    if let Some(w) = params.weights_init.as_ref() {
        weights = w.clone();
    }
    if let Some(m) = params.means_init.as_ref() {
        means = m.clone();
    }
    let mut precision_cholesky = match params.precisions_init.as_ref() {
        Some(p) => p.precision_cholesky_of_precisions()?,
        None => covariances.precision_cholesky()?,
    };
    let (mut lower_bound, mut converged, mut n_iter) = (f64::NEG_INFINITY, false, 0);
    for iteration in 1..=params.max_iter {
        params.cancel.check()?;
        n_iter = iteration;
        let previous = lower_bound;
        let state = State::new(weights, means, precision_cholesky);
        let mut log_resp = weighted_log_prob(x, &state);
        lower_bound = blocked_total(&normalise_rows(&mut log_resp)) / x.nrows() as f64;
        (weights, means, covariances) = estimate_parameters(x, log_resp.mapv(f64::exp).view(), reg, kind);
        precision_cholesky = covariances.precision_cholesky()?;
        if (lower_bound - previous).abs() < params.tol {
            converged = true;
            break;
        }
    }
    Ok(GaussianMixture {
        weights,
        means,
        covariances,
        precisions_cholesky: precision_cholesky,
        converged,
        n_iter,
        lower_bound,
    })
}

fn initial_responsibilities(params: &GaussianMixtureParams, x: ArrayView2<'_, f64>, seed: u64) -> Result<Array2<f64>> {
    let k = params.n_components();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok(match &params.init {
        GaussianMixtureInit::KMeans => {
            let labels = KMeans::params(k)
                .cancel(params.cancel.clone())
                .n_init(1)
                .seed(rng.random())
                .fit(x)?
                .labels()
                .to_owned();
            let mut resp = Array2::zeros((x.nrows(), k));
            for (i, &l) in labels.iter().enumerate() {
                resp[[i, l]] = 1.0;
            }
            resp
        }
        GaussianMixtureInit::Random => {
            let mut resp = Array2::from_shape_simple_fn((x.nrows(), k), || rng.random::<f64>());
            for mut row in resp.outer_iter_mut() {
                let total = row.sum();
                row.mapv_inplace(|v| v / total);
            }
            resp
        }
    })
}
