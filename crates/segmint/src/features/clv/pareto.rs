//! The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): purchases at
//! a Poisson rate λ ~ Gamma(r, α) while alive; lifetimes are exponential with
//! rate μ ~ Gamma(s, β). Likelihood and predictions as in Fader & Hardie
//! (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions"
//! (note 009), and (2014) note 028 for the conditional purchase distribution.

use serde::{Deserialize, Serialize};

use super::bgnbd::{hyp, mean_rate};
use super::data::{Frequencies, MergedRfm, RfmData, check_history, check_horizon, check_positive};
use super::fit::{FitOptions, FitReport, chunked_sum, maximise};
use super::special::{Hyp2f1, ln_beta, ln_gamma, ln_hyp2f1, log_add_exp, log_sub_exp};
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

impl ParetoNbdParams {
    fn from_slice(p: &[f64]) -> Self {
        ParetoNbdParams {
            r: p[0],
            alpha: p[1],
            s: p[2],
            beta: p[3],
        }
    }

    fn check(&self) -> Result<()> {
        check_positive(&[("r", self.r), ("alpha", self.alpha), ("s", self.s), ("beta", self.beta)])
    }
}

/// A Pareto/NBD model: given parameters, or fitted by maximum likelihood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbd {
    params: ParetoNbdParams,
    report: Option<FitReport<ParetoNbdParams>>,
}

impl ParetoNbd {
    /// A model with the given parameters (each finite and > 0).
    pub fn new(params: ParetoNbdParams) -> Result<Self> {
        params.check()?;
        Ok(ParetoNbd { params, report: None })
    }

    /// Maximum-likelihood fit on (x, t_x, T) with optional weights; several
    /// deterministic starts, the best kept. See [`ParetoNbd::fit_report`].
    pub fn fit(data: &RfmData<'_>, options: &FitOptions) -> Result<Self> {
        let total_weight = data.check()?;
        options.check(4)?;
        let merged = MergedRfm::new(data);
        let rows = merged.data();
        let frequencies = Frequencies::new(rows.frequency);
        let ll = |p: &[f64]| log_likelihood_sum(&ParetoNbdParams::from_slice(p), &rows, &frequencies);
        let estimate = maximise(&ll, &starts(&rows), total_weight, data.len(), options)?;
        Ok(ParetoNbd {
            params: ParetoNbdParams::from_slice(&estimate.params),
            report: Some(estimate.report.map(|se| ParetoNbdParams::from_slice(&se))),
        })
    }

    /// The parameters.
    pub fn params(&self) -> ParetoNbdParams {
        self.params
    }

    /// How the fit went; `None` for a model made with [`ParetoNbd::new`].
    pub fn fit_report(&self) -> Option<&FitReport<ParetoNbdParams>> {
        self.report.as_ref()
    }

    /// Log-likelihood of `data` at these parameters (note 009, eq. 22),
    /// summed over rows and weighted; −∞ or NaN never pass silently: a row
    /// whose 2F1 does not converge makes this an error.
    pub fn log_likelihood(&self, data: &RfmData<'_>) -> Result<f64> {
        data.check()?;
        let ll = log_likelihood_sum(&self.params, data, &Frequencies::new(data.frequency));
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
    let ParetoNbdParams { alpha, beta, .. } = *p;
    let (small, big) = if alpha < beta { (alpha, beta) } else { (beta, alpha) };
    let a = f.a();
    let ln_term = |t: f64| -> Option<f64> {
        // 1 − z = (min + t)/(max + t), exact where z is near 1.
        let (ln_f, sign) = f.ln_at((big - small) / (big + t), (small + t) / (big + t))?;
        (sign > 0.0).then(|| ln_f - a * (big + t).ln())
    };
    Some(log_sub_exp(ln_term(recency)?, ln_term(age)?))
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
fn log_likelihood_sum(p: &ParetoNbdParams, data: &RfmData<'_>, frequencies: &Frequencies) -> f64 {
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
