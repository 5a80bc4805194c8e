//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchases at
//! a Poisson rate λ ~ Gamma(r, α) while alive; lifetimes are exponential with
//! rate μ ~ Gamma(s, β). Likelihood and predictions as in Fader & Hardie
//! (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions"
//! (note 009), and (2014) note 028 for the conditional purchase distribution.
//!
//! The likelihood needs a ₂F₁ at each row's (x, t_x) and (x, T); as that
//! depends on the point alone, it is computed once per distinct point
//! (`HistoryPoints`), with its derivatives summed along the series (`special.rs`).

use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use super::bgnbd::{hyp, mean_rate};
use super::data::{DistinctValues, HistoryPoints, RfmData, check_history, check_horizon};
use super::fit::{FitOptions, add, chunked_sum, chunked_sums, likelihood_from_sums};
use super::model::{Fitted, ModelParams, positive_params};
use super::special::{
    Hyp2f1, digamma, ln_beta, ln_gamma, ln_hyp2f1, ln_hyp2f1_one_with_gradient, log_add_exp, log_sub_exp,
};
use super::value::TransactionModel;
use crate::error::{Error, Result};

/// Pareto/NBD parameters; α and β are in the time unit of the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdParams {
    /// Shape of the purchase-rate Gamma.
    pub r: f64,
    /// Scale (rate) of the purchase-rate Gamma, in time units.
    pub alpha: f64,
    /// Shape of the dropout-rate Gamma.
    pub s: f64,
    /// Scale (rate) of the dropout-rate Gamma, in time units.
    pub beta: f64,
}

positive_params!(ParetoNbdParams { r, alpha, s, beta });

/// A Pareto/NBD model: given parameters, or fitted by maximum likelihood.
pub type ParetoNbd = Fitted<ParetoNbdParams>;

impl Fitted<ParetoNbdParams> {
    /// Maximum-likelihood fit on (x, t_x, T) with optional weights; several
    /// deterministic starts, the best kept. See [`fit_report`](Fitted::fit_report).
    pub fn fit(data: &RfmData<'_>, options: &FitOptions) -> Result<Self> {
        Self::fit_history(data, options, |rows| Box::new(Likelihood::new(rows)), starts)
    }

    /// Log-likelihood of `data` at these parameters (note 009, eq. 22),
    /// summed over rows and weighted; −∞ or NaN never pass silently: a row
    /// whose 2F1 does not converge makes this an error.
    pub fn log_likelihood(&self, data: &RfmData<'_>) -> Result<f64> {
        data.check()?;
        let ll = log_likelihood_sum(&self.params, data, &DistinctValues::new(data.frequency));
        if ll.is_nan() {
            return Err(Error::InsufficientData {
                what: "the Pareto/NBD likelihood could not be evaluated: its 2F1 series did not converge \
                       (α and β differ by a factor of thousands)"
                    .into(),
            });
        }
        Ok(ll)
    }

    /// E[X(t)]: expected repeat purchases in (0, t] of a new customer (note 009, eq. 27).
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        Ok(r * beta / alpha * power_ratio(s - 1.0, (t / beta).ln_1p()))
    }

    /// E[Y(t) | x, t_x, T]: expected repeat purchases in the next t of a
    /// customer with that history (note 009, eq. 41).
    pub fn conditional_expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        check_horizon(t)?;
        check_history(frequency, recency, age, None)?;
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        let x = frequency;
        let ln_l = self.ln_likelihood(x, recency, age)?;
        let alive_at_t = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln()
            - (r + x) * (alpha + age).ln()
            - s * (beta + age).ln();
        let rate = (r + x).ln() + (beta + age).ln() - (alpha + age).ln();
        let horizon = power_ratio(s - 1.0, (t / (beta + age)).ln_1p()).ln();
        Ok((alive_at_t + rate + horizon - ln_l).exp())
    }

    /// P(alive | x, t_x, T) (note 009, eq. 36–37).
    pub fn probability_alive(&self, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        check_history(frequency, recency, age, None)?;
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        let x = frequency;
        let ln_a0 = self.ln_a0(x, recency, age)?;
        let odds = s.ln() - (r + s + x).ln() + (r + x) * (alpha + age).ln() + s * (beta + age).ln() + ln_a0;
        Ok(1.0 / (1.0 + odds.exp()))
    }

    /// P(X(t) = n): probability that a new customer makes n repeat purchases
    /// in (0, t]; the conditional probability below for a history (0, 0, 0).
    pub fn probability_of_purchases(&self, n: u64, t: f64) -> Result<f64> {
        self.conditional_probability_of_purchases(n, t, 0.0, 0.0, 0.0)
    }

    /// P(Y(t) = n | x, t_x, T): probability of n repeat purchases in the next
    /// t (Fader, Hardie & Shang, note 028, eq. 16, as lifetimes'
    /// `conditional_probability_of_n_purchases_up_to_time`; for t = 0 this
    /// gives 1 for n = 0 where lifetimes gives 0).
    pub fn conditional_probability_of_purchases(
        &self,
        n: u64,
        t: f64,
        frequency: f64,
        recency: f64,
        age: f64,
    ) -> Result<f64> {
        check_horizon(t)?;
        check_history(frequency, recency, age, None)?;
        if t == 0.0 {
            return Ok(f64::from(n == 0));
        }
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        let (x, nf) = (frequency, n as f64);
        let ln_l = self.ln_likelihood(x, recency, age)?;
        let (small, big, shape) = if alpha < beta {
            (alpha, beta, r + x + nf)
        } else {
            (beta, alpha, s + 1.0)
        };
        let gap = big - small;
        let prior = r * alpha.ln() + s * beta.ln() - ln_gamma(r);
        // Alive at T and at T + t, n purchases in between.
        let ln_p_alive = ln_gamma(r + x) + prior - (r + x) * (alpha + age).ln() - s * (beta + age).ln() - ln_l;
        let ln_b1 = ln_gamma(r + x + nf) + prior - (r + x + nf) * (alpha + age + t).ln() - s * (beta + age + t).ln();
        let rsx = r + s + x;
        let shared = prior + ln_beta(r + x + nf, s + 1.0) - ln_gamma(s);
        let (z, w) = (gap / (big + age), (small + age) / (big + age));
        let b2 = hyp("t", t, ln_hyp2f1(rsx, shape, rsx + nf + 1.0, z, w))?;
        let ln_b2 = shared + ln_gamma(rsx) + b2.0 - rsx * (big + age).ln();
        let mut ln_b3 = f64::NEG_INFINITY;
        for i in 0..=n {
            let i = i as f64;
            let (z, w) = (gap / (big + age + t), (small + age + t) / (big + age + t));
            let h = hyp("t", t, ln_hyp2f1(rsx + i, shape, rsx + nf + 1.0, z, w))?;
            let term =
                i * t.ln() - ln_gamma(i + 1.0) + shared + ln_gamma(rsx + i) + h.0 - (rsx + i) * (big + age + t).ln();
            ln_b3 = log_add_exp(ln_b3, term);
        }
        let zeroth = if n == 0 { 1.0 - ln_p_alive.exp() } else { 0.0 };
        let first = (nf * t.ln() - ln_gamma(nf + 1.0) + ln_b1 - ln_l).exp();
        let rest = (ln_b2 - ln_l).exp() - (ln_b3 - ln_l).exp();
        Ok((zeroth + first + rest).max(0.0))
    }

    /// ln L(r, α, s, β | x, t_x, T) of one customer.
    fn ln_likelihood(&self, x: f64, recency: f64, age: f64) -> Result<f64> {
        let ParetoNbdParams { r, alpha, s, beta } = self.params;
        let head = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
        Ok(head + tail(&self.params, x, self.ln_a0(x, recency, age)?, age))
    }

    fn ln_a0(&self, x: f64, recency: f64, age: f64) -> Result<f64> {
        ln_a0(&self.params, x, recency, age).ok_or_else(|| {
            Error::invalid_parameter(
                "T",
                age,
                "a history for which the 2F1 series of the Pareto/NBD likelihood converges",
            )
        })
    }
}

impl TransactionModel for ParetoNbd {
    fn conditional_expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        ParetoNbd::conditional_expected_purchases(self, t, frequency, recency, age)
    }
}

/// ln A₀ of note 009 (eq. 19–20): with m = max(α, β),
/// A₀ = F(t_x)/(m + t_x)^(r+s+x) − F(T)/(m + T)^(r+s+x), where
/// F(t) = ₂F₁(r+s+x, b; r+s+x+1; |α − β|/(m + t)), b = s + 1 if α ≥ β else r + x.
/// Fader & Hardie's choice of m keeps the argument in [0, 1). `None` when a
/// series does not converge; −∞ when t_x = T.
fn ln_a0(p: &ParetoNbdParams, x: f64, recency: f64, age: f64) -> Option<f64> {
    ln_a0_with(p, &a0_function(p, x), recency, age)
}

/// The F of [`ln_a0`] for customers with x repeat purchases.
fn a0_function(p: &ParetoNbdParams, x: f64) -> Hyp2f1 {
    let ParetoNbdParams { r, alpha, s, beta } = *p;
    let b = if alpha < beta { r + x } else { s + 1.0 };
    Hyp2f1::new(r + s + x, b, r + s + x + 1.0)
}

/// [`ln_a0`] with its F given.
fn ln_a0_with(p: &ParetoNbdParams, f: &Hyp2f1, recency: f64, age: f64) -> Option<f64> {
    Some(log_sub_exp(ln_g(p, f, recency)?, ln_g(p, f, age)?))
}

/// ln G(t) = ln F(t) − (r+s+x) ln(m + t), a term of [`ln_a0`], with its F given.
fn ln_g(p: &ParetoNbdParams, f: &Hyp2f1, t: f64) -> Option<f64> {
    let ParetoNbdParams { alpha, beta, .. } = *p;
    let (small, big) = if alpha < beta { (alpha, beta) } else { (beta, alpha) };
    // 1 − z = (min + t)/(max + t), exact where z is near 1.
    let (ln_f, sign) = f.ln_at((big - small) / (big + t), (small + t) / (big + t))?;
    (sign > 0.0).then(|| ln_f - f.a() * (big + t).ln())
}

/// ln of the bracket of note 009 eq. 22: alive at T, or died in (t_x, T].
fn tail(p: &ParetoNbdParams, x: f64, ln_a0: f64, age: f64) -> f64 {
    let ParetoNbdParams { r, alpha, s, beta } = *p;
    let alive = -(r + x) * (alpha + age).ln() - s * (beta + age).ln();
    log_add_exp(alive, s.ln() + ln_a0 - (r + s + x).ln())
}

/// (1 − e^(−e·L)) / e, and its limit L at e = 0: the (1 − (β/(β+t))^(s−1)) / (s − 1)
/// of eq. 27 and 41 with L = ln(1 + t/β), exact when s is near 1.
fn power_ratio(e: f64, l: f64) -> f64 {
    if e == 0.0 { l } else { -(-e * l).exp_m1() / e }
}

/// Σ weight × ln L over rows; NaN when a 2F1 series does not converge.
fn log_likelihood_sum(p: &ParetoNbdParams, data: &RfmData<'_>, frequencies: &DistinctValues) -> f64 {
    let ParetoNbdParams { r, alpha, s, beta } = *p;
    let constant = r * alpha.ln() + s * beta.ln() - ln_gamma(r);
    let by_x = frequencies.table(|x| ln_gamma(r + x) + constant);
    let functions: Vec<Hyp2f1> = frequencies.values.iter().map(|&x| a0_function(p, x)).collect();
    chunked_sum(data.len(), |rows| {
        rows.map(|i| {
            let w = data.weight(i);
            if w == 0.0 {
                return 0.0;
            }
            let (x, age, k) = (data.frequency[i], data.t[i], frequencies.index[i]);
            match ln_a0_with(p, &functions[k], data.recency[i], age) {
                Some(ln_a0) => w * (by_x[k] + tail(p, x, ln_a0, age)),
                None => f64::NAN,
            }
        })
        .sum()
    })
}

/// ln G at one (x, t) point and its gradient in (r, α, s, β).
type PointValue = (f64, [f64; 4]);

/// Step of the central differences in the log-parameters for the points
/// where [`ln_g_and_gradient`] falls back on them (about ε^(1/3)).
const FALLBACK_STEP: f64 = 6e-6;

/// The Pareto/NBD log-likelihood of one data set (note 009, eq. 22) with its
/// closed-form gradient, for the fit ([`log_likelihood_sum`] is the value alone).
///
/// ℓᵢ = ln Γ(r+x) − ln Γ(r) + r ln α + s ln β + ln[e^A + e^B], with
/// A = −(r+x) ln(α+T) − s ln(β+T) (alive at T) and
/// B = ln s − ln(r+s+x) + ln(G(t_x) − G(T)) (died in (t_x, T]), G the term of
/// A₀ in [`ln_a0`]. The first part depends on x alone and is summed once per
/// distinct x; G depends on (x, t) alone and is computed once per distinct
/// point (see [`ln_g_and_gradient`] for its gradient). With π_A, π_B the
/// shares of e^A and e^B in the bracket and J = G(t_x) − G(T),
/// ∂ ln J = (G(t_x) ∂ln G(t_x) − G(T) ∂ln G(T)) / J, and
/// ∂ℓ = ∂head + π_A ∂A + π_B (∂(ln s − ln(r+s+x)) + ∂ ln J).
struct Likelihood<'a> {
    data: RfmData<'a>,
    frequencies: DistinctValues,
    weight_by_x: Vec<f64>,
    points: HistoryPoints,
}

impl<'a> Likelihood<'a> {
    fn new(data: RfmData<'a>) -> Self {
        let frequencies = DistinctValues::new(data.frequency);
        let weight_by_x = frequencies.totals(|i| data.weight(i));
        Likelihood {
            points: HistoryPoints::new(&data),
            data,
            frequencies,
            weight_by_x,
        }
    }

    /// [ℓ, ∂ℓ/∂r, ∂ℓ/∂α, ∂ℓ/∂s, ∂ℓ/∂β] summed over rows, weighted; NaN when a
    /// ₂F₁ cannot be evaluated.
    fn sums(&self, p: &ParetoNbdParams) -> [f64; 5] {
        let ParetoNbdParams { r, alpha, s, beta } = *p;
        // Each point on its own, collected in order: the same bits on any thread count.
        let g: Vec<Option<PointValue>> = (0..self.points.len())
            .into_par_iter()
            .with_min_len(256)
            .map(|k| ln_g_and_gradient(p, self.points.frequency[k], self.points.time[k]))
            .collect();
        let rows = chunked_sums(self.data.len(), |range| {
            range.fold([0.0; 5], |total, i| add(total, &self.row_tail(p, i, &g)))
        });
        let shared = [
            r * alpha.ln() + s * beta.ln() - ln_gamma(r),
            alpha.ln() - digamma(r),
            r / alpha,
            beta.ln(),
            s / beta,
        ];
        let f = &self.frequencies;
        f.values.iter().zip(&self.weight_by_x).fold(rows, |total, (&x, &w)| {
            let by_x = [ln_gamma(r + x), digamma(r + x), 0.0, 0.0, 0.0];
            add(total, &add(by_x, &shared).map(|t| w * t))
        })
    }

    /// Row i's weighted ln[e^A + e^B] and its gradient, from the points' G.
    fn row_tail(&self, p: &ParetoNbdParams, i: usize, g: &[Option<PointValue>]) -> [f64; 5] {
        let w = self.data.weight(i);
        if w == 0.0 {
            return [0.0; 5];
        }
        let ParetoNbdParams { r, alpha, s, beta } = *p;
        let (x, recency, age) = (self.data.frequency[i], self.data.recency[i], self.data.t[i]);
        let (ln_alpha_age, ln_beta_age) = ((alpha + age).ln(), (beta + age).ln());
        let alive = -(r + x) * ln_alpha_age - s * ln_beta_age;
        let d_alive = [-ln_alpha_age, -(r + x) / (alpha + age), -ln_beta_age, -s / (beta + age)];
        if recency == age {
            // No time to die between the last purchase and the end: B = −∞.
            return [
                w * alive,
                w * d_alive[0],
                w * d_alive[1],
                w * d_alive[2],
                w * d_alive[3],
            ];
        }
        let (Some((ln_g1, d_g1)), Some((ln_g2, d_g2))) = (g[self.points.recency_index[i]], g[self.points.age_index[i]])
        else {
            return [f64::NAN; 5];
        };
        let rsx = r + s + x;
        let ln_share = s.ln() - rsx.ln();
        let died = ln_share + log_sub_exp(ln_g1, ln_g2);
        let tail = log_add_exp(alive, died);
        let (share_alive, share_died) = ((alive - tail).exp(), (died - tail).exp());
        // π_B G(t)/J = e^(ln s − ln(r+s+x) + ln G(t) − tail): finite even when J rounds to 0.
        let (w1, w2) = ((ln_share + ln_g1 - tail).exp(), (ln_share + ln_g2 - tail).exp());
        let d_share = [-1.0 / rsx, 0.0, 1.0 / s - 1.0 / rsx, 0.0];
        let mut out = [w * tail, 0.0, 0.0, 0.0, 0.0];
        for j in 0..4 {
            out[j + 1] = w * (share_alive * d_alive[j] + share_died * d_share[j] + w1 * d_g1[j] - w2 * d_g2[j]);
        }
        out
    }
}

likelihood_from_sums!(Likelihood<'_>, ParetoNbdParams);

/// ln G(t) of [`ln_a0`] for customers with x purchases, and its gradient in
/// (r, α, s, β); `None` where the ₂F₁ cannot be evaluated.
///
/// With c = a + 1, Euler's transformation turns F = ₂F₁(a, b; a+1; z) into
/// (1 − z)^(1−b) H, H = ₂F₁(1, a+1−b; a+1; z), and 1 − z = (min + t)/(max + t), so
/// * α ≥ β: G = (α+t)^−(r+x) (β+t)^−s H(r+x, r+s+x+1; (α−β)/(α+t));
/// * α < β: G = (α+t)^−(r+x−1) (β+t)^−(s+1) H(s+1, r+s+x+1; (β−α)/(β+t)).
///
/// The powers differentiate directly; H's derivatives in its parameters and
/// in z come from [`ln_hyp2f1_one_with_gradient`], and z's derivatives are
/// ∂z/∂α = (β+t)/(α+t)², ∂z/∂β = −1/(α+t) (α ≥ β), or ∂z/∂α = −1/(β+t),
/// ∂z/∂β = (α+t)/(β+t)² (α < β). Above z = 0.9 (α and β a factor 10 or more
/// apart) that series is slow: those points take the general ₂F₁ route and
/// central differences.
fn ln_g_and_gradient(p: &ParetoNbdParams, x: f64, t: f64) -> Option<PointValue> {
    let ParetoNbdParams { r, alpha, s, beta } = *p;
    let (at, bt) = (alpha + t, beta + t);
    let (ln_at, ln_bt) = (at.ln(), bt.ln());
    let q = r + s + x + 1.0;
    let value = if alpha >= beta {
        ln_hyp2f1_one_with_gradient(r + x, q, (alpha - beta) / at).map(|(ln_h, [dp, dq, dz])| {
            let ln_g = -(r + x) * ln_at - s * ln_bt + ln_h;
            (
                ln_g,
                [
                    -ln_at + dp + dq,
                    -(r + x) / at + dz * bt / (at * at),
                    -ln_bt + dq,
                    -s / bt - dz / at,
                ],
            )
        })
    } else {
        ln_hyp2f1_one_with_gradient(s + 1.0, q, (beta - alpha) / bt).map(|(ln_h, [dp, dq, dz])| {
            let ln_g = -(r + x - 1.0) * ln_at - (s + 1.0) * ln_bt + ln_h;
            let d_alpha = -(r + x - 1.0) / at - dz / bt;
            (
                ln_g,
                [
                    -ln_at + dq,
                    d_alpha,
                    -ln_bt + dp + dq,
                    -(s + 1.0) / bt + dz * at / (bt * bt),
                ],
            )
        })
    };
    value.or_else(|| ln_g_by_differences(p, x, t))
}

/// ln G through the general ₂F₁ (its 1 − z transformation near z = 1) and its
/// gradient by central differences in the log-parameters: the slow-series
/// case of [`ln_g_and_gradient`].
fn ln_g_by_differences(p: &ParetoNbdParams, x: f64, t: f64) -> Option<PointValue> {
    let at = |q: &ParetoNbdParams| ln_g(q, &a0_function(q, x), t);
    let value = at(p)?;
    let natural = [p.r, p.alpha, p.s, p.beta];
    let mut gradient = [0.0; 4];
    for (j, d) in gradient.iter_mut().enumerate() {
        let moved = |factor: f64| {
            let mut q = natural;
            q[j] *= factor;
            at(&ParetoNbdParams::from_slice(&q))
        };
        let (up, down) = (moved(FALLBACK_STEP.exp())?, moved((-FALLBACK_STEP).exp())?);
        *d = (up - down) / (2.0 * FALLBACK_STEP) / natural[j];
    }
    Some((value, gradient))
}

/// Deterministic starts: the mean purchase rate r/α at Σx/ΣT and the
/// dropout rate s/β at 1/mean(T), with spread-out shapes.
fn starts(data: &RfmData<'_>) -> Vec<Vec<f64>> {
    let rate = mean_rate(data);
    let total: f64 = (0..data.len()).map(|i| data.weight(i)).sum();
    let mean_age = (0..data.len()).map(|i| data.weight(i) * data.t[i]).sum::<f64>() / total;
    let span = if mean_age.is_finite() && mean_age > 0.0 {
        mean_age
    } else {
        1.0
    };
    [(1.0, 1.0), (0.5, 0.5), (2.0, 2.0), (0.5, 2.0)]
        .iter()
        .map(|&(r, s)| vec![r, r / rate, s, s * span])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::clv::fit::{LogLikelihood, assert_gradient_matches_differences};

    /// CDNOW-like rows (weeks), weighted: x = 0 at t_x = 0, t_x = T, large x.
    fn rows() -> ([f64; 6], [f64; 6], [f64; 6], [f64; 6]) {
        (
            [0.0, 1.0, 2.0, 7.0, 3.0, 40.0],
            [0.0, 1.71, 30.43, 29.43, 5.0, 36.0],
            [38.86, 20.0, 38.86, 35.0, 5.0, 38.0],
            [3.0, 1.0, 2.0, 1.0, 0.5, 1.0],
        )
    }

    /// The analytic gradient against central differences of the same value.
    fn check_gradient(p: [f64; 4]) {
        let (x, t_x, t, w) = rows();
        let ll = Likelihood::new(RfmData::new(&x, &t_x, &t).with_weights(&w));
        assert_gradient_matches_differences(&ll, &p);
    }

    #[test]
    fn gradient_equals_central_differences_on_both_sides_of_alpha_equal_beta() {
        // The CDNOW estimate has α < β (the H of s + 1); the others cross to α ≥ β
        // (the H of r + x) and put α = β exactly (z = 0).
        check_gradient([0.553, 10.578, 0.606, 11.669]);
        check_gradient([0.553, 12.5, 0.606, 11.669]);
        check_gradient([1.2, 11.669, 0.3, 11.669]);
        // r + x < 1 for x = 0 with α < β: a negative power of (α + t).
        check_gradient([0.2, 3.0, 2.5, 40.0]);
    }

    #[test]
    fn gradient_where_the_series_is_slow_uses_differences_and_agrees() {
        // β/α = 30: z = 1 − (α + t)/(β + t) > 0.9 at t = 0 and t = 1.71.
        let p = ParetoNbdParams {
            r: 0.553,
            alpha: 2.0,
            s: 0.606,
            beta: 60.0,
        };
        assert!((p.beta - p.alpha) / p.beta > super::super::special::ONE_SERIES_MAX_Z);
        check_gradient([p.r, p.alpha, p.s, p.beta]);
        // And the two routes give the same ln G where both apply (z = 0.8).
        let q = ParetoNbdParams { beta: 10.0, ..p };
        let (series, _) = ln_g_and_gradient(&q, 2.0, 0.0).unwrap();
        let general = ln_g(&q, &a0_function(&q, 2.0), 0.0).unwrap();
        assert!(
            (series - general).abs() < 1e-13 * general.abs(),
            "{series} vs {general}"
        );
    }

    #[test]
    fn fit_likelihood_equals_the_public_one() {
        let (x, t_x, t, w) = rows();
        let data = RfmData::new(&x, &t_x, &t).with_weights(&w);
        let p = ParetoNbdParams {
            r: 0.553,
            alpha: 10.578,
            s: 0.606,
            beta: 11.669,
        };
        let ours = Likelihood::new(data).value(&[p.r, p.alpha, p.s, p.beta]);
        let public = ParetoNbd::new(p).unwrap().log_likelihood(&data).unwrap();
        assert!((ours - public).abs() < 1e-12 * public.abs(), "{ours} vs {public}");
    }
}
