//! The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005,
//! "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis", JMR 42;
//! Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value", note 025):
//! a customer's transactions are Gamma(p, ν), ν ~ Gamma(q, v) across customers.

use serde::{Deserialize, Serialize};

use super::data::{DistinctValues, SpendData, check_count, finite_scalar};
use super::fit::{FitOptions, add, chunked_sums, likelihood_from_sums};
use super::model::{Fitted, positive_params};
use super::special::{digamma, ln_gamma};
use super::value::{ClvHorizon, TransactionModel};
use crate::error::{Error, Result};

/// Gamma-Gamma parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    /// Shape of the spend of one transaction.
    pub p: f64,
    /// Shape of the Gamma of the customers' spend rates ν.
    pub q: f64,
    /// Scale (rate) of the Gamma of the customers' spend rates ν, in money units.
    pub v: f64,
}

positive_params!(GammaGammaParams { p, q, v });

/// A Gamma-Gamma spend model: given parameters, or fitted by maximum likelihood.
pub type GammaGamma = Fitted<GammaGammaParams>;

impl Fitted<GammaGammaParams> {
    /// Maximum-likelihood fit on the repeat buyers of `data` (frequency > 0;
    /// other rows are skipped). See [`fit_report`](Fitted::fit_report).
    pub fn fit(data: &SpendData<'_>, options: &FitOptions) -> Result<Self> {
        let total_weight = data.check()?;
        let n_repeat = data.frequency.iter().filter(|&&x| x > 0.0).count();
        Self::maximise(&Likelihood::new(data), &starts(data), total_weight, n_repeat, options)
    }

    /// Log-likelihood of the repeat buyers of `data` (note 025, eq. 1a, the
    /// density of the mean spend m), summed over rows and weighted.
    pub fn log_likelihood(&self, data: &SpendData<'_>) -> Result<f64> {
        data.check()?;
        Ok(Likelihood::new(data).sums(&self.params)[0])
    }

    /// Mean spend per transaction across customers, v·p / (q − 1); needs q > 1.
    pub fn population_mean_profit(&self) -> Result<f64> {
        let GammaGammaParams { p, q, v } = self.params;
        if q <= 1.0 {
            return Err(Error::invalid_parameter(
                "q",
                q,
                "> 1 (the mean spend v·p/(q − 1) is infinite otherwise)",
            ));
        }
        Ok(v * p / (q - 1.0))
    }

    /// E[M | x, m]: expected spend per transaction of a customer with x
    /// repeat purchases of mean value m (note 025, eq. 5) — a weighted mean of
    /// m and the population mean; the population mean for x = 0.
    pub fn conditional_expected_average_profit(&self, frequency: f64, monetary: f64) -> Result<f64> {
        finite_scalar("frequency", frequency)?;
        finite_scalar("monetary", monetary)?;
        check_count(frequency, None)?;
        if frequency > 0.0 && monetary <= 0.0 {
            return Err(Error::invalid_parameter(
                "monetary",
                monetary,
                "> 0 for a customer with repeat purchases",
            ));
        }
        let GammaGammaParams { p, q, .. } = self.params;
        let population = self.population_mean_profit()?;
        let weight = p * frequency / (p * frequency + q - 1.0);
        Ok((1.0 - weight) * population + weight * monetary)
    }

    /// Discounted value of the next `horizon.months` months of a customer
    /// (lifetimes' `customer_lifetime_value`): Σᵢ E[M | x, m] ×
    /// (E[Y(i months)] − E[Y(i − 1 months)]) / (1 + d)ⁱ, the purchases from
    /// `model` given (x, t_x, T).
    pub fn customer_lifetime_value<M: TransactionModel + ?Sized>(
        &self,
        model: &M,
        frequency: f64,
        recency: f64,
        age: f64,
        monetary: f64,
        horizon: &ClvHorizon,
    ) -> Result<f64> {
        horizon.check()?;
        let profit = self.conditional_expected_average_profit(frequency, monetary)?;
        let step = horizon.periods_per_month;
        let (mut value, mut before) = (0.0, 0.0);
        for month in 1..=horizon.months {
            let upto = model.conditional_expected_purchases(f64::from(month) * step, frequency, recency, age)?;
            value += profit * (upto - before) / (1.0 + horizon.discount_rate).powf(f64::from(month));
            before = upto;
        }
        Ok(value)
    }
}

/// The Gamma-Gamma log-likelihood of the repeat rows (x > 0), with its
/// closed-form gradient. Per row, with L = ln(x m + v):
/// ℓ = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + px ln x + (px−1) ln m − (px+q) L;
/// ∂/∂p = x (ψ(px+q) − ψ(px) + ln x + ln m − L);
/// ∂/∂q = ψ(px+q) − ψ(q) + ln v − L;
/// ∂/∂v = q/v − (px+q)/(x m + v).
/// The terms of x alone are summed once per distinct x with its total weight.
struct Likelihood<'a> {
    data: &'a SpendData<'a>,
    frequencies: DistinctValues,
    weight_by_x: Vec<f64>,
}

impl<'a> Likelihood<'a> {
    fn new(data: &'a SpendData<'a>) -> Self {
        let frequencies = DistinctValues::new(data.frequency);
        let weight_by_x = frequencies.totals(|i| if data.frequency[i] > 0.0 { data.weight(i) } else { 0.0 });
        Likelihood {
            data,
            frequencies,
            weight_by_x,
        }
    }

    /// [ℓ, ∂ℓ/∂p, ∂ℓ/∂q, ∂ℓ/∂v] summed over repeat rows, weighted.
    fn sums(&self, params: &GammaGammaParams) -> [f64; 4] {
        let GammaGammaParams { p, q, v } = *params;
        let rows = chunked_sums(self.data.len(), |range| {
            range.fold([0.0; 4], |total, i| add(total, &self.row(params, i)))
        });
        let shared = [q * v.ln() - ln_gamma(q), 0.0, v.ln() - digamma(q), q / v];
        let f = &self.frequencies;
        f.values.iter().zip(&self.weight_by_x).fold(rows, |total, (&x, &w)| {
            if x == 0.0 || w == 0.0 {
                return total;
            }
            let psi = digamma(p * x + q);
            let by_x = [
                ln_gamma(p * x + q) - ln_gamma(p * x) + p * x * x.ln(),
                x * (psi - digamma(p * x) + x.ln()),
                psi,
                0.0,
            ];
            add(total, &add(by_x, &shared).map(|t| w * t))
        })
    }

    /// Row i's weighted terms of m: value and gradient.
    fn row(&self, params: &GammaGammaParams, i: usize) -> [f64; 4] {
        let (x, m, w) = (self.data.frequency[i], self.data.monetary[i], self.data.weight(i));
        if x == 0.0 || w == 0.0 {
            return [0.0; 4];
        }
        let GammaGammaParams { p, q, v } = *params;
        let (ln_m, ln_spend) = (m.ln(), (x * m + v).ln());
        [
            w * ((p * x - 1.0) * ln_m - (p * x + q) * ln_spend),
            w * x * (ln_m - ln_spend),
            -w * ln_spend,
            -w * (p * x + q) / (x * m + v),
        ]
    }
}

likelihood_from_sums!(Likelihood<'_>, GammaGammaParams);

/// Deterministic starts with the population mean v·p/(q − 1) at the mean spend.
fn starts(data: &SpendData<'_>) -> Vec<Vec<f64>> {
    let (mut spend, mut weight) = (0.0, 0.0);
    for i in (0..data.len()).filter(|&i| data.frequency[i] > 0.0) {
        spend += data.weight(i) * data.monetary[i];
        weight += data.weight(i);
    }
    let mean = spend / weight;
    [(1.0, 2.0), (5.0, 3.0), (2.0, 5.0), (0.5, 1.5)]
        .iter()
        .map(|&(p, q)| vec![p, q, mean * (q - 1.0) / p])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::clv::fit::assert_gradient_matches_differences;

    #[test]
    fn gradient_equals_central_differences() {
        let (x, m, w) = (
            [0.0, 1.0, 2.0, 7.0, 3.0],
            [0.0, 20.0, 35.5, 12.0, 80.0],
            [3.0, 1.0, 2.0, 1.0, 0.5],
        );
        let data = SpendData::new(&x, &m).with_weights(&w);
        let ll = Likelihood::new(&data);
        let p = [6.25, 3.74, 15.44];
        assert_gradient_matches_differences(&ll, &p);
    }
}
