//! Calibration/holdout evaluation of a purchase model: fitted on the
//! calibration period, each customer's expected purchases over the holdout
//! against the purchases made there, by calibration frequency as lifetimes'
//! `plot_calibration_purchases_vs_holdout_purchases`, with the totals and the
//! errors per customer. The split itself is
//! [`calibration_holdout`](crate::features::calibration_holdout).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::data::{DistinctValues, RfmData, check_horizon};
use super::value::TransactionModel;
use crate::error::{Error, Result};

/// Customers with one calibration frequency: their mean actual and mean
/// predicted holdout purchases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutBin {
    /// Repeat purchases in the calibration period.
    pub frequency: f64,
    /// Customers in the bin (their total weight).
    pub customers: f64,
    /// Mean purchases made in the holdout.
    pub mean_actual: f64,
    /// Mean of the model's conditional expected purchases over the holdout.
    pub mean_predicted: f64,
}

/// How well a model predicted the holdout purchases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutEvaluation {
    /// Each row's conditional expected purchases over the holdout.
    pub predicted: Vec<f64>,
    /// One bin per distinct calibration frequency, ascending (lifetimes plots
    /// the first 7).
    pub bins: Vec<HoldoutBin>,
    /// Purchases made in the holdout, over all customers.
    pub total_actual: f64,
    /// Purchases the model expected there.
    pub total_predicted: f64,
    /// Mean |predicted − actual| per customer.
    pub mae: f64,
    /// Root of the mean (predicted − actual)² per customer.
    pub rmse: f64,
}

/// Compares `model`'s conditional expected purchases over `duration` (the
/// holdout length, in the time unit of the calibration data) with
/// `holdout_purchases`, row by row of `calibration` (weights count customers).
pub fn evaluate_holdout(
    model: &(impl TransactionModel + Sync),
    calibration: &RfmData<'_>,
    holdout_purchases: &[f64],
    duration: f64,
) -> Result<HoldoutEvaluation> {
    let total_weight = calibration.check()?;
    check_holdout(calibration.len(), holdout_purchases)?;
    check_horizon(duration)?;
    let predicted = (0..calibration.len())
        .into_par_iter()
        .map(|i| {
            let (x, t_x, t) = (calibration.frequency[i], calibration.recency[i], calibration.t[i]);
            model.conditional_expected_purchases(duration, x, t_x, t)
        })
        .collect::<Result<Vec<f64>>>()?;
    let weight = |i: usize| calibration.weight(i);
    let sum = |f: &dyn Fn(usize) -> f64| (0..calibration.len()).map(|i| weight(i) * f(i)).sum::<f64>();
    let error = |i: usize| predicted[i] - holdout_purchases[i];
    Ok(HoldoutEvaluation {
        bins: bins(calibration, holdout_purchases, &predicted),
        total_actual: sum(&|i| holdout_purchases[i]),
        total_predicted: sum(&|i| predicted[i]),
        mae: sum(&|i| error(i).abs()) / total_weight,
        rmse: (sum(&|i| error(i).powi(2)) / total_weight).sqrt(),
        predicted,
    })
}

/// Weighted means of actual and predicted purchases per calibration frequency.
fn bins(calibration: &RfmData<'_>, actual: &[f64], predicted: &[f64]) -> Vec<HoldoutBin> {
    let frequencies = DistinctValues::new(calibration.frequency);
    let customers = frequencies.totals(|i| calibration.weight(i));
    let actual_sums = frequencies.totals(|i| calibration.weight(i) * actual[i]);
    let predicted_sums = frequencies.totals(|i| calibration.weight(i) * predicted[i]);
    (0..frequencies.values.len())
        .filter(|&k| customers[k] > 0.0)
        .map(|k| HoldoutBin {
            frequency: frequencies.values[k],
            customers: customers[k],
            mean_actual: actual_sums[k] / customers[k],
            mean_predicted: predicted_sums[k] / customers[k],
        })
        .collect()
}

/// One count per row, each finite and ≥ 0.
fn check_holdout(rows: usize, holdout_purchases: &[f64]) -> Result<()> {
    if holdout_purchases.len() != rows {
        return Err(Error::ShapeMismatch {
            what: "length of holdout_purchases (one value per calibration row)".into(),
            expected: rows.to_string(),
            found: holdout_purchases.len().to_string(),
        });
    }
    if let Some((row, &bad)) = holdout_purchases
        .iter()
        .enumerate()
        .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
    {
        return Err(Error::invalid_parameter(
            "holdout_purchases",
            format!("{bad} (row {row})"),
            "a finite count ≥ 0 of purchases in the holdout",
        ));
    }
    Ok(())
}
