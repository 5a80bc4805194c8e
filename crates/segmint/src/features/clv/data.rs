//! The models' inputs and their checks. Every error names the column and row.

use crate::error::{Error, Result};
use crate::features::RfmSummary;

/// The row methods both inputs share: rows of `frequency`, optionally weighted.
macro_rules! weighted_rows {
    ($input:ident) => {
        impl<'a> $input<'a> {
            /// The same rows, each standing for `weights[i]` customers.
            pub fn with_weights(self, weights: &'a [f64]) -> Self {
                $input {
                    weights: Some(weights),
                    ..self
                }
            }

            /// Number of rows.
            pub fn len(&self) -> usize {
                self.frequency.len()
            }

            /// True when there are no rows.
            pub fn is_empty(&self) -> bool {
                self.frequency.is_empty()
            }

            /// The weight of row `i` (1 without weights).
            pub(crate) fn weight(&self, i: usize) -> f64 {
                self.weights.map_or(1.0, |w| w[i])
            }
        }
    };
}

weighted_rows!(RfmData);
weighted_rows!(SpendData);

/// Repeat-purchase histories to fit [`BetaGeo`](super::BetaGeo) or
/// [`ParetoNbd`](super::ParetoNbd) on: one row per customer (or per distinct
/// history, with `weights` counting the customers who share it).
///
/// Times are in any one unit (the CDNOW papers use weeks); the fitted α and β
/// are in that unit.
#[derive(Debug, Clone, Copy)]
pub struct RfmData<'a> {
    /// x: repeat purchases, a whole number ≥ 0.
    pub frequency: &'a [f64],
    /// t_x: time from the first to the last purchase (0 when x = 0).
    pub recency: &'a [f64],
    /// T: time from the first purchase to the end of observation (≥ t_x).
    pub t: &'a [f64],
    /// Customers per row (≥ 0); `None` means one each.
    pub weights: Option<&'a [f64]>,
}

impl<'a> RfmData<'a> {
    /// Rows of (x, t_x, T), one customer each.
    pub fn new(frequency: &'a [f64], recency: &'a [f64], t: &'a [f64]) -> Self {
        RfmData {
            frequency,
            recency,
            t,
            weights: None,
        }
    }

    /// Checks shapes and every row; returns the total weight.
    pub(crate) fn check(&self) -> Result<f64> {
        let n = self.len();
        same_length("recency", n, self.recency.len())?;
        same_length("T", n, self.t.len())?;
        if let Some(w) = self.weights {
            same_length("weights", n, w.len())?;
        }
        if n == 0 {
            return Err(Error::InsufficientData {
                what: "the repeat-purchase data have no rows; expected at least one customer".into(),
            });
        }
        for i in 0..n {
            finite_row("frequency", i, self.frequency[i])?;
            finite_row("recency", i, self.recency[i])?;
            finite_row("T", i, self.t[i])?;
            check_history(self.frequency[i], self.recency[i], self.t[i], Some(i))?;
        }
        check_weights(self.weights)?;
        let total: f64 = (0..n).map(|i| self.weight(i)).sum();
        if repeat_weight(self.frequency, |i| self.weight(i)) == 0.0 {
            return Err(Error::InsufficientData {
                what: format!(
                    "all {n} customers have frequency 0 (no repeat purchase), so the purchase rate \
                     cannot be told from the dropout; expected at least one frequency > 0"
                ),
            });
        }
        Ok(total)
    }
}

impl<'a> From<&'a RfmSummary> for RfmData<'a> {
    fn from(summary: &'a RfmSummary) -> Self {
        RfmData::new(&summary.frequency, &summary.recency, &summary.t)
    }
}

/// Repeat buyers' spend to fit [`GammaGamma`](super::GammaGamma) on.
///
/// Rows with frequency 0 carry no repeat spend and are skipped, so a whole
/// summary can be passed as it is.
#[derive(Debug, Clone, Copy)]
pub struct SpendData<'a> {
    /// x: repeat purchases, a whole number ≥ 0.
    pub frequency: &'a [f64],
    /// m: mean value of the repeat purchases, > 0 where x > 0.
    pub monetary: &'a [f64],
    /// Customers per row (≥ 0); `None` means one each.
    pub weights: Option<&'a [f64]>,
}

impl<'a> SpendData<'a> {
    /// Rows of (x, m), one customer each.
    pub fn new(frequency: &'a [f64], monetary: &'a [f64]) -> Self {
        SpendData {
            frequency,
            monetary,
            weights: None,
        }
    }

    /// Checks shapes and rows; returns the total weight of the repeat rows.
    pub(crate) fn check(&self) -> Result<f64> {
        let n = self.len();
        same_length("monetary", n, self.monetary.len())?;
        if let Some(w) = self.weights {
            same_length("weights", n, w.len())?;
        }
        for i in 0..n {
            finite_row("frequency", i, self.frequency[i])?;
            finite_row("monetary", i, self.monetary[i])?;
            check_count(self.frequency[i], Some(i))?;
            if self.frequency[i] > 0.0 && self.monetary[i] <= 0.0 {
                return Err(Error::invalid_parameter(
                    "monetary",
                    at_row(self.monetary[i], Some(i)),
                    "> 0 for a customer with repeat purchases (the Gamma-Gamma model is for positive spend)",
                ));
            }
        }
        check_weights(self.weights)?;
        let repeat = repeat_weight(self.frequency, |i| self.weight(i));
        if repeat == 0.0 {
            return Err(Error::InsufficientData {
                what: format!("none of the {n} rows has frequency > 0; the Gamma-Gamma model needs repeat buyers"),
            });
        }
        Ok(repeat)
    }
}

/// Checks one customer's (x, t_x, T); `row` is named in the error when given.
pub(crate) fn check_history(frequency: f64, recency: f64, age: f64, row: Option<usize>) -> Result<()> {
    if row.is_none() {
        finite_scalar("frequency", frequency)?;
        finite_scalar("recency", recency)?;
        finite_scalar("T", age)?;
    }
    check_count(frequency, row)?;
    if recency < 0.0 {
        return Err(Error::invalid_parameter(
            "recency",
            at_row(recency, row),
            "≥ 0 (time from the first to the last purchase)",
        ));
    }
    if age < 0.0 {
        return Err(Error::invalid_parameter(
            "T",
            at_row(age, row),
            "≥ 0 (time from the first purchase to the end of observation)",
        ));
    }
    if recency > age {
        return Err(Error::invalid_parameter(
            "recency",
            at_row(recency, row),
            format!("≤ T = {age} of the same customer (the last purchase cannot be after the end)"),
        ));
    }
    if frequency == 0.0 && recency > 0.0 {
        return Err(Error::invalid_parameter(
            "recency",
            at_row(recency, row),
            "0 when frequency is 0 (without a repeat purchase the last purchase is the first)",
        ));
    }
    if frequency > 0.0 && recency == 0.0 {
        return Err(Error::invalid_parameter(
            "recency",
            at_row(recency, row),
            format!("> 0 when frequency is {frequency} (a repeat purchase comes after the first)"),
        ));
    }
    Ok(())
}

/// Fails unless every named model parameter is finite and > 0.
pub(crate) fn check_positive(params: &[(&'static str, f64)]) -> Result<()> {
    match params.iter().find(|(_, value)| !(value.is_finite() && *value > 0.0)) {
        Some(&(name, value)) => Err(Error::invalid_parameter(name, value, "a finite number > 0")),
        None => Ok(()),
    }
}

/// Σ weight of the rows with frequency > 0 (repeat buyers).
fn repeat_weight(frequency: &[f64], weight: impl Fn(usize) -> f64) -> f64 {
    (0..frequency.len()).filter(|&i| frequency[i] > 0.0).map(weight).sum()
}

/// Fails unless `frequency` is a whole number ≥ 0.
pub(crate) fn check_count(frequency: f64, row: Option<usize>) -> Result<()> {
    if frequency < 0.0 || frequency.fract() != 0.0 {
        return Err(Error::invalid_parameter(
            "frequency",
            at_row(frequency, row),
            "a whole number ≥ 0 (repeat purchases are counted)",
        ));
    }
    Ok(())
}

/// Fails unless a scalar argument is finite.
pub(crate) fn finite_scalar(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() {
        return Ok(());
    }
    Err(Error::invalid_parameter(name, value, "a finite number"))
}

/// Fails unless a prediction horizon t is finite and ≥ 0.
pub(crate) fn check_horizon(t: f64) -> Result<()> {
    if t.is_finite() && t >= 0.0 {
        return Ok(());
    }
    Err(Error::invalid_parameter("t", t, "a finite time ≥ 0 to predict over"))
}

fn finite_row(what: &'static str, row: usize, value: f64) -> Result<()> {
    if value.is_finite() {
        return Ok(());
    }
    Err(Error::NonFinite {
        what,
        row,
        column: 0,
        value,
    })
}

/// Weights must be finite, ≥ 0 and not all 0.
fn check_weights(weights: Option<&[f64]>) -> Result<()> {
    let Some(weights) = weights else {
        return Ok(());
    };
    for (i, &w) in weights.iter().enumerate() {
        finite_row("weights", i, w)?;
        if w < 0.0 {
            return Err(Error::invalid_parameter(
                "weights",
                at_row(w, Some(i)),
                "≥ 0 (the number of customers with this history)",
            ));
        }
    }
    let total: f64 = weights.iter().sum();
    if total == 0.0 {
        return Err(Error::InsufficientData {
            what: "every weight is 0; expected at least one customer".into(),
        });
    }
    Ok(())
}

fn same_length(what: &str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        return Ok(());
    }
    Err(Error::ShapeMismatch {
        what: format!("length of {what} (one value per row of frequency)"),
        expected: expected.to_string(),
        found: found.to_string(),
    })
}

fn at_row(value: f64, row: Option<usize>) -> String {
    match row {
        Some(i) => format!("{value} (row {i})"),
        None => value.to_string(),
    }
}

/// The distinct values of one column (frequency, T or recency) and each row's
/// index among them, so that terms of that value alone (the log-gamma terms
/// of x, the logarithms of T) are computed once per distinct value per
/// likelihood evaluation rather than once per row.
pub(crate) struct DistinctValues {
    /// Distinct values, ascending.
    pub values: Vec<f64>,
    /// Row → position in `values`.
    pub index: Vec<usize>,
}

impl DistinctValues {
    /// Indexes `column` (finite values, checked before).
    pub(crate) fn new(column: &[f64]) -> Self {
        let mut values = column.to_vec();
        values.sort_unstable_by(f64::total_cmp);
        values.dedup();
        let index = column.iter().map(|x| values.partition_point(|v| v < x)).collect();
        DistinctValues { values, index }
    }

    /// Σ weight(i) over the rows of each distinct x: the x-only terms of a
    /// log-likelihood are then added once per distinct x, not per row.
    pub(crate) fn totals(&self, weight: impl Fn(usize) -> f64) -> Vec<f64> {
        let mut totals = vec![0.0; self.values.len()];
        for (i, &k) in self.index.iter().enumerate() {
            totals[k] += weight(i);
        }
        totals
    }

    /// `f(x)` for every distinct x, in the order of `values`.
    pub(crate) fn table(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        self.values.iter().map(|&x| f(x)).collect()
    }
}

/// The distinct (x, t) points among the rows' (x, t_x) and (x, T), and each
/// row's two indexes among them. The Pareto/NBD likelihood needs a ₂F₁ at
/// both points of every row, and it depends on (x, t) alone: customers with
/// x = 0 all share t_x = 0, and daily or weekly T repeat, so there are far
/// fewer points than rows.
pub(crate) struct HistoryPoints {
    /// x of each point; points are sorted by (x, t).
    pub frequency: Vec<f64>,
    /// t of each point.
    pub time: Vec<f64>,
    /// Row → index of its (x, t_x).
    pub recency_index: Vec<usize>,
    /// Row → index of its (x, T).
    pub age_index: Vec<usize>,
}

impl HistoryPoints {
    /// Indexes the points of checked `data` (finite values ≥ 0).
    pub(crate) fn new(data: &RfmData<'_>) -> Self {
        // `+ 0.0` turns −0.0 into 0.0; for values ≥ 0 the bit order is the numeric order.
        let key = |x: f64, t: f64| ((x + 0.0).to_bits(), (t + 0.0).to_bits());
        let rows = 0..data.len();
        let mut keys: Vec<(u64, u64)> = rows
            .clone()
            .flat_map(|i| {
                [
                    key(data.frequency[i], data.recency[i]),
                    key(data.frequency[i], data.t[i]),
                ]
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let find = |x: f64, t: f64| keys.partition_point(|k| *k < key(x, t));
        HistoryPoints {
            recency_index: rows.clone().map(|i| find(data.frequency[i], data.recency[i])).collect(),
            age_index: rows.map(|i| find(data.frequency[i], data.t[i])).collect(),
            frequency: keys.iter().map(|k| f64::from_bits(k.0)).collect(),
            time: keys.iter().map(|k| f64::from_bits(k.1)).collect(),
        }
    }

    /// Number of distinct points.
    pub(crate) fn len(&self) -> usize {
        self.frequency.len()
    }
}

/// The rows of [`RfmData`] with equal (x, t_x, T) merged into one row whose
/// weight is their total. Histories measured in whole days or weeks repeat
/// a lot (10⁶ customers over a year have at most a few hundred thousand
/// distinct histories), and the likelihood costs per row. Rows are sorted by
/// history and weights added in input order, so the result is deterministic.
pub(crate) struct MergedRfm {
    frequency: Vec<f64>,
    recency: Vec<f64>,
    t: Vec<f64>,
    weights: Vec<f64>,
}

impl MergedRfm {
    /// Merges the rows of checked `data`; rows of weight 0 are dropped.
    pub(crate) fn new(data: &RfmData<'_>) -> Self {
        // `+ 0.0` turns −0.0 into 0.0; for values ≥ 0 the bit order is the numeric order.
        let key = |i: usize| {
            let bits = |v: f64| (v + 0.0).to_bits();
            (bits(data.frequency[i]), bits(data.recency[i]), bits(data.t[i]))
        };
        let mut order: Vec<usize> = (0..data.len()).filter(|&i| data.weight(i) > 0.0).collect();
        order.sort_by_key(|&i| key(i));
        let mut merged = MergedRfm {
            frequency: vec![],
            recency: vec![],
            t: vec![],
            weights: vec![],
        };
        let mut last = None;
        for i in order {
            if last == Some(key(i)) {
                if let Some(w) = merged.weights.last_mut() {
                    *w += data.weight(i);
                }
                continue;
            }
            last = Some(key(i));
            merged.frequency.push(data.frequency[i] + 0.0);
            merged.recency.push(data.recency[i] + 0.0);
            merged.t.push(data.t[i] + 0.0);
            merged.weights.push(data.weight(i));
        }
        merged
    }

    /// The merged rows, weighted.
    pub(crate) fn data(&self) -> RfmData<'_> {
        RfmData::new(&self.frequency, &self.recency, &self.t).with_weights(&self.weights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_histories_merge_and_weights_add() {
        let (x, t_x, t) = ([1.0, 0.0, 1.0, 0.0], [2.0, 0.0, 2.0, -0.0], [3.0, 3.0, 3.0, 3.0]);
        let w = [1.0, 2.0, 4.0, 0.5];
        let merged = MergedRfm::new(&RfmData::new(&x, &t_x, &t).with_weights(&w));
        let rows = merged.data();
        assert_eq!(rows.frequency, [0.0, 1.0]);
        assert_eq!(rows.recency, [0.0, 2.0]);
        assert_eq!(rows.weights, Some(&[2.5, 5.0][..]));
    }

    #[test]
    fn repeat_purchases_without_recency_are_rejected() {
        let err = check_history(5.0, 0.0, 10.0, Some(3)).unwrap_err().to_string();
        assert!(
            err.contains("recency") && err.contains("> 0 when frequency is 5"),
            "{err}"
        );
        assert!(check_history(5.0, 2.0, 10.0, Some(3)).is_ok());
        assert!(check_history(0.0, 0.0, 10.0, None).is_ok());
    }

    #[test]
    fn history_points_are_shared_by_rows() {
        let (x, t_x, t) = ([0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 3.0, 5.0], [5.0, 7.0, 5.0, 5.0]);
        let points = HistoryPoints::new(&RfmData::new(&x, &t_x, &t));
        assert_eq!(points.frequency, [0.0, 0.0, 0.0, 2.0, 2.0]);
        assert_eq!(points.time, [0.0, 5.0, 7.0, 3.0, 5.0]);
        assert_eq!(points.recency_index, [0, 0, 3, 4]);
        assert_eq!(points.age_index, [1, 2, 4, 4]);
    }

    #[test]
    fn frequencies_index_the_distinct_values() {
        let f = DistinctValues::new(&[3.0, 0.0, 3.0, 1.0]);
        assert_eq!(f.values, [0.0, 1.0, 3.0]);
        assert_eq!(f.index, [2, 0, 2, 1]);
    }
}
