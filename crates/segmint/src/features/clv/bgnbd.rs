//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers the
//! Easy Way", Marketing Science 24(2)): purchases at a Poisson rate λ ~
//! Gamma(r, α) while alive; after each purchase the customer drops out with
//! probability p ~ Beta(a, b).

use serde::{Deserialize, Serialize};

use super::data::{DistinctValues, RfmData, check_history, check_horizon};
use super::fit::{FitOptions, add, chunked_sums, likelihood_from_sums};
use super::model::{Fitted, positive_params};
use super::special::{digamma, ln_beta, ln_gamma, ln_hyp2f1};
use super::value::TransactionModel;
use crate::error::{Error, Result};

/// BG/NBD parameters; α is in the time unit of the data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BetaGeoParams {
    /// Shape of the purchase-rate Gamma.
    pub r: f64,
    /// Scale (rate) of the purchase-rate Gamma, in time units.
    pub alpha: f64,
    /// First shape of the dropout-probability Beta.
    pub a: f64,
    /// Second shape of the dropout-probability Beta.
    pub b: f64,
}

positive_params!(BetaGeoParams { r, alpha, a, b });

/// A BG/NBD model: given parameters, or fitted by maximum likelihood.
///
/// ```
/// use segmint::features::clv::{BetaGeo, FitOptions, RfmData};
///
/// let (x, t_x, t) = ([2.0, 1.0, 0.0, 7.0], [30.43, 1.71, 0.0, 29.43], [38.86; 4]);
/// let model = BetaGeo::fit(&RfmData::new(&x, &t_x, &t), &FitOptions::default())?;
/// let alive = model.probability_alive(2.0, 30.43, 38.86)?;
/// assert!((0.0..=1.0).contains(&alive));
/// # Ok::<(), segmint::Error>(())
/// ```
pub type BetaGeo = Fitted<BetaGeoParams>;

impl Fitted<BetaGeoParams> {
    /// Maximum-likelihood fit on (x, t_x, T) with optional weights.
    ///
    /// Several deterministic starts (the purchase rate r/α set to Σx/ΣT);
    /// the best is kept. Non-convergence is reported in [`fit_report`](Fitted::fit_report).
    pub fn fit(data: &RfmData<'_>, options: &FitOptions) -> Result<Self> {
        Self::fit_history(data, options, |rows| Box::new(Likelihood::new(rows)), starts)
    }

    /// Log-likelihood of `data` at these parameters (FHL 2005, section 7),
    /// summed over rows and weighted.
    pub fn log_likelihood(&self, data: &RfmData<'_>) -> Result<f64> {
        data.check()?;
        Ok(Likelihood::new(*data).sums(&self.params)[0])
    }

    /// E[X(t)]: expected repeat purchases in (0, t] of a new customer (FHL 2005, eq. 9).
    pub fn expected_purchases(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let BetaGeoParams { r, alpha, a, b } = self.params;
        check_a_not_one(a)?;
        let (z, w) = (t / (alpha + t), alpha / (alpha + t));
        let (ln_f, sign) = hyp("t", t, ln_hyp2f1(r, b, a + b - 1.0, z, w))?;
        let tail = sign * (ln_f + r * (alpha / (alpha + t)).ln()).exp();
        Ok((a + b - 1.0) / (a - 1.0) * (1.0 - tail))
    }

    /// E[Y(t) | x, t_x, T]: expected repeat purchases in the next t of a
    /// customer with that history (FHL 2005, eq. 10).
    pub fn conditional_expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        check_horizon(t)?;
        check_history(frequency, recency, age, None)?;
        let BetaGeoParams { r, alpha, a, b } = self.params;
        check_a_not_one(a)?;
        let x = frequency;
        let (z, w) = (t / (alpha + age + t), (alpha + age) / (alpha + age + t));
        let (ln_f, sign) = hyp("t", t, ln_hyp2f1(r + x, b + x, a + b + x - 1.0, z, w))?;
        let ratio = sign * (ln_f + (r + x) * ((alpha + age) / (alpha + age + t)).ln()).exp();
        let numerator = (a + b + x - 1.0) / (a - 1.0) * (1.0 - ratio);
        Ok(numerator / (1.0 + self.odds_dead(x, recency, age)))
    }

    /// P(alive | x, t_x, T) (Fader, Hardie & Lee 2008, note 021): 1 for x = 0.
    pub fn probability_alive(&self, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        check_history(frequency, recency, age, None)?;
        Ok(1.0 / (1.0 + self.odds_dead(frequency, recency, age)))
    }

    /// P(X(t) = n): probability that a new customer makes n repeat purchases
    /// in (0, t] (FHL 2005, eq. 8; lifetimes' `probability_of_n_purchases_up_to_time`).
    pub fn probability_of_purchases(&self, n: u64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        if t == 0.0 {
            return Ok(f64::from(n == 0));
        }
        let BetaGeoParams { r, alpha, a, b } = self.params;
        let n = n as f64;
        let (ln_keep, ln_buy) = ((alpha / (alpha + t)).ln(), (t / (alpha + t)).ln());
        // NBD probability of j purchases in (0, t] while alive.
        let nbd = |j: f64| (ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + r * ln_keep + j * ln_buy).exp();
        let alive = (ln_beta(a, b + n) - ln_beta(a, b)).exp() * nbd(n);
        if n == 0.0 {
            return Ok(alive);
        }
        let below: f64 = (0..n as u64).map(|j| nbd(j as f64)).sum();
        Ok(alive + (ln_beta(a + 1.0, b + n - 1.0) - ln_beta(a, b)).exp() * (1.0 - below))
    }

    /// P(dead) / P(alive) given the history: 0 for x = 0.
    fn odds_dead(&self, x: f64, recency: f64, age: f64) -> f64 {
        if x == 0.0 {
            return 0.0;
        }
        let BetaGeoParams { r, alpha, a, b } = self.params;
        ((a / (b + x - 1.0)).ln() + (r + x) * ((alpha + age) / (alpha + recency)).ln()).exp()
    }
}

impl TransactionModel for BetaGeo {
    fn conditional_expected_purchases(&self, t: f64, frequency: f64, recency: f64, age: f64) -> Result<f64> {
        BetaGeo::conditional_expected_purchases(self, t, frequency, recency, age)
    }
}

/// The BG/NBD log-likelihood of one data set (FHL 2005, eq. 6, in logs), with
/// its closed-form gradient.
///
/// ℓᵢ = ln Γ(r+x) − ln Γ(r) + r ln α + ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)
///      + ln[e^A + e^B], A = −(r+x) ln(α+T), B = ln a − ln(b+x−1) − (r+x) ln(α+t_x)
/// (B only for x > 0). The first line depends on x alone and is summed once per
/// distinct x with the total weight of its rows. With π_A = e^(A−tail) and
/// π_B = e^(B−tail) the shares of the two terms in the tail:
/// ∂/∂r = ψ(r+x) − ψ(r) + ln α − π_A ln(α+T) − π_B ln(α+t_x);
/// ∂/∂α = r/α − (r+x)(π_A/(α+T) + π_B/(α+t_x));
/// ∂/∂a = ψ(a+b) − ψ(a+b+x) + π_B/a;
/// ∂/∂b = ψ(a+b) + ψ(b+x) − ψ(b) − ψ(a+b+x) − π_B/(b+x−1).
///
/// ln(α+T), 1/(α+T) and the same of t_x are taken from tables over the
/// distinct T and t_x (a few hundred in daily data), and the tail and its
/// shares from one exponential: with e = e^(−|A−B|), tail = max(A, B) + ln(1+e)
/// and the shares are 1/(1+e) and e/(1+e).
struct Likelihood<'a> {
    data: RfmData<'a>,
    frequencies: DistinctValues,
    weight_by_x: Vec<f64>,
    /// The distinct T and each row's index among them.
    ages: DistinctValues,
    /// The distinct t_x and each row's index among them.
    recencies: DistinctValues,
}

/// ln(α + t) and 1/(α + t) at each distinct time.
struct TimeTable {
    ln: Vec<f64>,
    inverse: Vec<f64>,
}

impl TimeTable {
    fn new(times: &DistinctValues, alpha: f64) -> Self {
        TimeTable {
            ln: times.table(|t| (alpha + t).ln()),
            inverse: times.table(|t| 1.0 / (alpha + t)),
        }
    }
}

impl<'a> Likelihood<'a> {
    fn new(data: RfmData<'a>) -> Self {
        let frequencies = DistinctValues::new(data.frequency);
        let weight_by_x = frequencies.totals(|i| data.weight(i));
        Likelihood {
            ages: DistinctValues::new(data.t),
            recencies: DistinctValues::new(data.recency),
            data,
            frequencies,
            weight_by_x,
        }
    }

    /// [ℓ, ∂ℓ/∂r, ∂ℓ/∂α, ∂ℓ/∂a, ∂ℓ/∂b] summed over rows, weighted.
    fn sums(&self, p: &BetaGeoParams) -> [f64; 5] {
        let BetaGeoParams { r, alpha, a, b } = *p;
        let f = &self.frequencies;
        let death = f.table(|x| a.ln() - (b + x.max(1.0) - 1.0).ln());
        let inverse_b = f.table(|x| 1.0 / (b + x.max(1.0) - 1.0));
        let (ages, recencies) = (
            TimeTable::new(&self.ages, alpha),
            TimeTable::new(&self.recencies, alpha),
        );
        let rows = chunked_sums(self.data.len(), |range| {
            range.fold([0.0; 5], |total, i| {
                let k = f.index[i];
                add(total, &self.row_tail(p, i, (death[k], inverse_b[k]), &ages, &recencies))
            })
        });
        let shared = [
            r * alpha.ln() - ln_gamma(r) + ln_gamma(a + b) - ln_gamma(b),
            alpha.ln() - digamma(r),
            r / alpha,
            digamma(a + b),
            digamma(a + b) - digamma(b),
        ];
        f.values.iter().zip(&self.weight_by_x).fold(rows, |total, (&x, &w)| {
            let psi_abx = digamma(a + b + x);
            let by_x = [
                ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x),
                digamma(r + x),
                0.0,
                -psi_abx,
                digamma(b + x) - psi_abx,
            ];
            add(total, &add(by_x, &shared).map(|t| w * t))
        })
    }

    /// Row i's weighted ln[e^A + e^B] and its gradient; `by_x` holds
    /// ln a − ln(b+x−1) and 1/(b+x−1) of its x.
    fn row_tail(
        &self,
        p: &BetaGeoParams,
        i: usize,
        by_x: (f64, f64),
        ages: &TimeTable,
        recencies: &TimeTable,
    ) -> [f64; 5] {
        let w = self.data.weight(i);
        if w == 0.0 {
            return [0.0; 5];
        }
        let (death, inverse_b) = by_x;
        let (r, a) = (p.r, p.a);
        let x = self.data.frequency[i];
        let (j, k) = (self.ages.index[i], self.recencies.index[i]);
        let (ln_age, inverse_age) = (ages.ln[j], ages.inverse[j]);
        let alive = -(r + x) * ln_age;
        if x == 0.0 {
            return [w * alive, -w * ln_age, -w * (r + x) * inverse_age, 0.0, 0.0];
        }
        let (ln_recency, inverse_recency) = (recencies.ln[k], recencies.inverse[k]);
        let died = death - (r + x) * ln_recency;
        // One exponential for the log-sum-exp and both shares.
        // ln(1 + e) rather than ln_1p(e): e ≤ 1, so the absolute error stays
        // below 2⁻⁵³ (what matters in a sum) and glibc's log is the faster.
        let e = (-(alive - died).abs()).exp();
        let tail = alive.max(died) + (1.0 + e).ln();
        let major = 1.0 / (1.0 + e);
        let minor = e * major;
        let (share_alive, share_died) = if alive >= died { (major, minor) } else { (minor, major) };
        [
            w * tail,
            -w * (share_alive * ln_age + share_died * ln_recency),
            -w * (r + x) * (share_alive * inverse_age + share_died * inverse_recency),
            w * share_died / a,
            -w * share_died * inverse_b,
        ]
    }
}

likelihood_from_sums!(Likelihood<'_>, BetaGeoParams);

/// Deterministic starts: the mean purchase rate r/α at Σx/ΣT, with spread-out shapes.
fn starts(data: &RfmData<'_>) -> Vec<Vec<f64>> {
    let rate = mean_rate(data);
    [(1.0, 1.0, 1.0), (0.5, 0.5, 2.0), (2.0, 2.0, 5.0), (0.25, 1.0, 3.0)]
        .iter()
        .map(|&(r, a, b)| vec![r, r / rate, a, b])
        .collect()
}

/// Σ w·x / Σ w·T, the purchase rate of the data (1 when undefined).
pub(crate) fn mean_rate(data: &RfmData<'_>) -> f64 {
    let (mut purchases, mut time) = (0.0, 0.0);
    for i in 0..data.len() {
        purchases += data.weight(i) * data.frequency[i];
        time += data.weight(i) * data.t[i];
    }
    let rate = purchases / time;
    if rate.is_finite() && rate > 0.0 { rate } else { 1.0 }
}

/// eq. 9–10 of FHL 2005 divide by a − 1.
fn check_a_not_one(a: f64) -> Result<()> {
    if a == 1.0 {
        return Err(Error::invalid_parameter(
            "a",
            a,
            "≠ 1 (FHL 2005 eq. 9–10 divide by a − 1)",
        ));
    }
    Ok(())
}

/// The value of a 2F1 evaluation, or an error naming the horizon that made it diverge.
pub(crate) fn hyp(name: &'static str, value: f64, result: Option<(f64, f64)>) -> Result<(f64, f64)> {
    result.ok_or_else(|| {
        Error::invalid_parameter(
            name,
            value,
            "a value at which the hypergeometric series 2F1 converges (its argument too close to 1)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::clv::fit::assert_gradient_matches_differences;

    #[test]
    fn gradient_equals_central_differences() {
        let (x, t_x, t) = (
            [0.0, 1.0, 2.0, 7.0, 3.0],
            [0.0, 1.71, 30.43, 29.43, 5.0],
            [38.86, 20.0, 38.86, 35.0, 5.0],
        );
        let w = [3.0, 1.0, 2.0, 1.0, 0.5];
        let ll = Likelihood::new(RfmData::new(&x, &t_x, &t).with_weights(&w));
        let p = [0.243, 4.414, 0.793, 2.426];
        assert_gradient_matches_differences(&ll, &p);
    }
}
