//! Predictive value per customer: BG/NBD and Gamma-Gamma fitted on the
//! repeat-purchase summary, giving `p_alive`, `expected_purchases_<h>m` and
//! `clv` columns for the feature table.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::clv::{
    BetaGeo, BetaGeoParams, ClvHorizon, FitOptions, FitReport, GammaGamma, GammaGammaParams, RfmData, SpendData,
};
use super::summary::{Period, RfmSummary, SummaryOptions, rfm_summary};
use crate::data::Transactions;
use crate::error::Result;

/// How to predict customer value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PredictiveOptions {
    /// End of observation (seconds since the epoch); default: the latest transaction.
    pub as_of: Option<i64>,
    /// Horizon in months (of 30 days, lifetimes' convention).
    pub months: u32,
    /// Monthly discount rate.
    pub discount_rate: f64,
    /// Fit settings.
    pub fit: FitOptions,
    /// The models are fitted on at most this many customers (every k-th one,
    /// deterministic) and predict for all; the estimates of a fit on 50,000
    /// customers have standard errors of about 1% of their value.
    pub max_fit_customers: usize,
}

impl Default for PredictiveOptions {
    fn default() -> Self {
        PredictiveOptions {
            as_of: None,
            months: 12,
            discount_rate: 0.01,
            fit: FitOptions::default(),
            max_fit_customers: 50_000,
        }
    }
}

/// The fitted models and the per-customer predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictiveValue {
    /// BG/NBD parameters (time unit: days).
    pub purchases: BetaGeoParams,
    /// How the BG/NBD fit went.
    pub purchases_fit: Option<FitReport<BetaGeoParams>>,
    /// Gamma-Gamma parameters, when there were enough repeat buyers with positive spend.
    pub spend: Option<GammaGammaParams>,
    /// How the Gamma-Gamma fit went.
    pub spend_fit: Option<FitReport<GammaGammaParams>>,
    /// Columns named for the feature table, one value per transaction customer
    /// (in [`Transactions::customer_ids`] order).
    pub columns: Vec<(String, Vec<f64>)>,
    /// What was not used and why (e.g. a Gamma-Gamma fit without a finite mean).
    pub notes: Vec<String>,
}

/// Σ over the horizon's months of the expected purchases in month i,
/// discounted by (1 + rate)^i: CLV per unit of profit, lifetimes' convention.
fn discounted_purchases(model: &BetaGeo, x: f64, recency: f64, age: f64, horizon: &ClvHorizon) -> Result<f64> {
    let (mut total, mut before) = (0.0, 0.0);
    for month in 1..=horizon.months {
        let upto =
            model.conditional_expected_purchases(f64::from(month) * horizon.periods_per_month, x, recency, age)?;
        total += (upto - before) / (1.0 + horizon.discount_rate).powi(month as i32);
        before = upto;
    }
    Ok(total)
}

/// Fits BG/NBD (days) and Gamma-Gamma on the customers' repeat-purchase
/// summary, then predicts for every customer: `p_alive`,
/// `expected_purchases_<months>m` (months of 30 days) and `clv`: expected
/// profit per purchase × the purchases expected in each month, discounted
/// monthly (lifetimes' convention). Expected profit is Gamma-Gamma's for
/// repeat buyers and its population mean for the others. A customer without a
/// purchase gets 0 for all three. When Gamma-Gamma cannot be used (no repeat
/// buyers with positive spend, or no finite mean), each customer's own mean
/// repeat spend stands in (0 for one-time buyers) and `notes` says so.
pub fn predictive_value(tx: &Transactions, options: &PredictiveOptions) -> Result<PredictiveValue> {
    let summary = rfm_summary(
        tx,
        &SummaryOptions {
            period: Period::Day,
            multiplier: 1.0,
            observation_end: options.as_of,
        },
    )?;
    predictive_value_of(&summary, tx.customer_ids(), options)
}

/// [`predictive_value`] from the daily repeat-purchase summary of a log
/// (`Period::Day`, multiplier 1, in the log's order of first appearance),
/// with one value per customer of `customer_ids`; a customer missing from
/// the summary made no purchase. The summary may come from elsewhere, such
/// as a log aggregated on a cluster.
pub fn predictive_value_of(
    summary: &RfmSummary,
    customer_ids: &[String],
    options: &PredictiveOptions,
) -> Result<PredictiveValue> {
    PredictiveModels::fit(summary, options)?.value(summary, customer_ids, options)
}

/// The models behind the predictive columns: BG/NBD (days) and, when it has
/// a finite mean, Gamma-Gamma. Fitted once, they give the columns of any
/// summary of the same log, such as each part of a log too large for one
/// machine, so that every part is valued by the same models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictiveModels {
    /// Repeat purchases and P(alive).
    pub purchases: BetaGeo,
    /// Spend per purchase; `None` when it could not be used (see `notes`).
    pub spend: Option<GammaGamma>,
    /// What was not used and why.
    pub notes: Vec<String>,
}

impl PredictiveModels {
    /// Fits both models on every k-th customer of `summary` (at most
    /// `options.max_fit_customers` of them).
    pub fn fit(summary: &RfmSummary, options: &PredictiveOptions) -> Result<Self> {
        let stride = summary.ids.len().div_ceil(options.max_fit_customers.max(1)).max(1);
        let fitted: Vec<usize> = (0..summary.ids.len()).step_by(stride).collect();
        let pick = |v: &[f64], rows: &[usize]| rows.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        let (x, r, age) = (
            pick(&summary.frequency, &fitted),
            pick(&summary.recency, &fitted),
            pick(&summary.t, &fitted),
        );
        let purchases = BetaGeo::fit(&RfmData::new(&x, &r, &age), &options.fit)?;
        let repeat: Vec<usize> = fitted
            .iter()
            .copied()
            .filter(|&i| summary.frequency[i] > 0.0 && summary.monetary_value[i] > 0.0)
            .collect();
        let (rep_x, rep_m) = (
            pick(&summary.frequency, &repeat),
            pick(&summary.monetary_value, &repeat),
        );
        // A spend model with q ≤ 1 has no finite mean: it is no use for CLV.
        let mut notes = Vec::new();
        let spend = match GammaGamma::fit(&SpendData::new(&rep_x, &rep_m), &options.fit) {
            Ok(gg) if gg.population_mean_profit().is_ok() => Some(gg),
            Ok(gg) => {
                notes.push(format!(
                    "Gamma-Gamma not used: its spend distribution has no finite mean (q = {:.3} <= 1)",
                    gg.params().q
                ));
                None
            }
            Err(e) => {
                notes.push(format!("Gamma-Gamma not fitted: {e}"));
                None
            }
        };
        if spend.is_none() {
            notes.push("clv uses each customer's own mean repeat spend (0 for one-time buyers)".into());
        }
        Ok(PredictiveModels {
            purchases,
            spend,
            notes,
        })
    }

    /// The predictive columns of the customers of `summary`, one value per
    /// customer of `customer_ids` (0 for a customer absent from the summary).
    pub fn value(
        &self,
        summary: &RfmSummary,
        customer_ids: &[String],
        options: &PredictiveOptions,
    ) -> Result<PredictiveValue> {
        let (purchases, spend) = (&self.purchases, &self.spend);
        let horizon = ClvHorizon::new(options.months, options.discount_rate, ClvHorizon::DAYS_PER_MONTH);
        horizon.check()?;
        let t = f64::from(options.months) * ClvHorizon::DAYS_PER_MONTH;
        let rows: Vec<[f64; 3]> = (0..summary.ids.len())
            .into_par_iter()
            .map(|i| {
                let (x, r, age, m) = (
                    summary.frequency[i],
                    summary.recency[i],
                    summary.t[i],
                    summary.monetary_value[i],
                );
                let alive = purchases.probability_alive(x, r, age)?;
                let expected = purchases.conditional_expected_purchases(t, x, r, age)?;
                let profit = match spend {
                    Some(gg) if x > 0.0 && m > 0.0 => gg.conditional_expected_average_profit(x, m)?,
                    Some(gg) => gg.population_mean_profit()?,
                    None => m,
                };
                Ok([
                    alive,
                    expected,
                    profit * discounted_purchases(purchases, x, r, age, &horizon)?,
                ])
            })
            .collect::<Result<_>>()?;
        let row_of: HashMap<&str, usize> = summary.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
        let column = |k: usize| -> Vec<f64> {
            customer_ids
                .iter()
                .map(|id| row_of.get(id.as_str()).map_or(0.0, |&i| rows[i][k]))
                .collect()
        };
        Ok(PredictiveValue {
            notes: self.notes.clone(),
            purchases: purchases.params(),
            purchases_fit: purchases.fit_report().cloned(),
            spend: spend.as_ref().map(GammaGamma::params),
            spend_fit: spend.as_ref().and_then(|g| g.fit_report().cloned()),
            columns: vec![
                ("p_alive".into(), column(0)),
                (format!("expected_purchases_{}m", options.months), column(1)),
                ("clv".into(), column(2)),
            ],
        })
    }
}
