//! The repeat-purchase summary that buy-till-you-die models fit on:
//! `frequency`, `recency`, `T` and `monetary_value` per customer, with the
//! conventions of lifetimes' `summary_data_from_transaction_data` and
//! `calibration_and_holdout_data` (docs/methodology.md lists them).

use std::hint::black_box;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::lines::CustomerLines;
use crate::data::Transactions;
use crate::error::{Error, Result};

mod columns;
mod dense;
mod general;

pub use columns::{SummaryColumns, calibration_holdout_columns, rfm_summary_columns};

const DAY: i64 = 86_400;

/// The period purchases are counted in: several purchases in one period are one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Period {
    /// Calendar days (lifetimes' `freq="D"`).
    #[default]
    Day,
    /// Monday-to-Sunday weeks (lifetimes' `freq="W"`).
    Week,
}

impl Period {
    /// Parses lifetimes' `freq` codes `"D"` and `"W"`.
    pub fn parse(code: &str) -> Result<Self> {
        match code {
            "D" => Ok(Period::Day),
            "W" => Ok(Period::Week),
            other => Err(Error::invalid_parameter(
                "time_unit",
                other,
                "\"D\" (days) or \"W\" (weeks)",
            )),
        }
    }

    /// The index of the period holding time `t` (seconds since the epoch).
    pub(super) fn index(self, t: i64) -> i64 {
        self.index_in::<1>(t)
    }

    /// The index of the period holding time `t`, in ticks of `1 / TPS` s since
    /// the epoch; a constant `TPS` turns the division into a multiplication.
    pub(super) fn index_in<const TPS: i64>(self, t: i64) -> i64 {
        let day = t.div_euclid(DAY * TPS);
        match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: shifting by 3 days starts weeks on Mondays.
            Period::Week => (day + 3).div_euclid(7),
        }
    }
}

/// Options for [`rfm_summary`] and [`calibration_holdout`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryOptions {
    /// Counting period.
    pub period: Period,
    /// Periods per time unit of `recency` and `T` (lifetimes' `freq_multiplier`):
    /// days with a multiplier of 7 give weeks with fractions, as in the CDNOW summary.
    pub multiplier: f64,
    /// End of observation (seconds since the epoch); default: the latest transaction.
    pub observation_end: Option<i64>,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            period: Period::Day,
            multiplier: 1.0,
            observation_end: None,
        }
    }
}

/// One row per customer with a purchase up to the observation end; `I` is
/// the id type (`String`, or the `i64` keys of [`rfm_summary_columns`](rfm_summary_columns)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RfmSummary<I = String> {
    /// Customer ids.
    pub ids: Vec<I>,
    /// Repeat purchases: distinct purchase periods − 1.
    pub frequency: Vec<f64>,
    /// From the first to the last purchase period, in time units.
    pub recency: Vec<f64>,
    /// From the first purchase period to the end of observation, in time units.
    pub t: Vec<f64>,
    /// Mean per-period spend over the repeat periods (0 without repeats).
    pub monetary_value: Vec<f64>,
}

/// The summary of purchases up to the observation end.
///
/// Purchases are lines that are not returns (amount ≥ 0: CDNOW has free
/// orders of $0). lifetimes counts every row, returns too; without returns
/// the two agree. Customers without a purchase are left out. Times are
/// floored to their period; the end too, so a purchase anywhere in the end's
/// period counts.
pub fn rfm_summary(tx: &Transactions, options: &SummaryOptions) -> Result<RfmSummary> {
    let end = observation_end(tx, options)?;
    let groups = CustomerLines::by_period(tx, options.period);
    let (summary, _) = summarise(
        tx,
        &groups,
        options,
        |t| options.period.index(t) <= options.period.index(end),
        end,
    );
    Ok(summary)
}

/// Calibration summary plus holdout counts, as lifetimes' `calibration_and_holdout_data`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalibrationHoldout<I = String> {
    /// The summary over the calibration period (customers with a calibration purchase).
    pub calibration: RfmSummary<I>,
    /// Distinct holdout periods with a purchase (not minus one).
    pub frequency_holdout: Vec<f64>,
    /// Mean amount of the holdout purchase lines (0 without).
    pub monetary_value_holdout: Vec<f64>,
    /// Length of the holdout in time units.
    pub duration_holdout: f64,
}

/// Splits purchases at `calibration_end`: lines at or before it (raw times)
/// form the calibration summary; lines after it and at or before
/// `options.observation_end` (required) are the holdout.
pub fn calibration_holdout(
    tx: &Transactions,
    calibration_end: i64,
    options: &SummaryOptions,
) -> Result<CalibrationHoldout> {
    let end = holdout_end(calibration_end, options)?;
    let groups = CustomerLines::by_period(tx, options.period);
    let (calibration, customers) = summarise(tx, &groups, options, |t| t <= calibration_end, calibration_end);
    let (frequency_holdout, monetary_value_holdout): (Vec<f64>, Vec<f64>) = customers
        .par_iter()
        .map(|&c| {
            let mut holdout = HoldoutTally::default();
            for &l in groups.lines(c) {
                let (t, amount) = (tx.timestamps()[l as usize], tx.amounts()[l as usize]);
                if t > calibration_end && t <= end && amount >= 0.0 {
                    holdout.push(options.period.index(t), amount);
                }
            }
            holdout.finish()
        })
        .unzip();
    Ok(CalibrationHoldout {
        calibration,
        frequency_holdout,
        monetary_value_holdout,
        duration_holdout: duration_holdout(calibration_end, end, options),
    })
}

/// The holdout's end: `options.observation_end`, which must follow `calibration_end`.
pub(super) fn holdout_end(calibration_end: i64, options: &SummaryOptions) -> Result<i64> {
    let end = options
        .observation_end
        .ok_or_else(|| Error::invalid_parameter("observation_end", "None", "the end of the holdout period"))?;
    if end <= calibration_end {
        return Err(Error::invalid_parameter(
            "observation_end",
            crate::data::format_timestamp(end),
            format!(
                "a time after calibration_end ({})",
                crate::data::format_timestamp(calibration_end)
            ),
        ));
    }
    check_multiplier(options)?;
    Ok(end)
}

/// The holdout's length in time units (both ends in seconds).
pub(super) fn duration_holdout(calibration_end: i64, end: i64, options: &SummaryOptions) -> f64 {
    let p = options.period;
    (p.index(end) - p.index(calibration_end)) as f64 / options.multiplier
}

/// One customer's purchases, fed in period order, so each period's lines are consecutive.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tally {
    first: i64,
    last: i64,
    periods: i64,
    repeat_spend: f64,
    current: f64,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            first: i64::MAX, // lowered by the first purchase
            last: 0,
            periods: 0,
            repeat_spend: 0.0,
            current: 0.0,
        }
    }
}

impl Tally {
    /// Adds a purchase of `amount` in period `p` (not earlier than the previous one).
    ///
    /// Without branches: whether a line is a customer's first or opens a
    /// period is as random as the log, and a mispredicted branch costs more
    /// than both arms. The sums are chosen as bit patterns (LLVM turns a float
    /// select, even an unpredictable one, back into a branch), so the results
    /// are those of the branching form for any sum, infinite ones included.
    #[inline]
    pub(super) fn push(&mut self, p: i64, amount: f64) {
        let opens = (self.periods == 0) | (p != self.last);
        // The period just closed is a repeat unless it was the first.
        let closes_repeat = opens & (self.periods > 1);
        self.repeat_spend += either(closes_repeat, self.current, 0.0);
        self.first = self.first.min(p);
        self.periods += i64::from(opens);
        self.last = p;
        self.current = either(opens, 0.0, self.current) + amount;
    }

    /// True when `p` is earlier than the latest period pushed.
    #[inline]
    pub(super) fn is_after(&self, p: i64) -> bool {
        (self.periods > 0) & (p < self.last)
    }

    /// `[frequency, recency, T, monetary_value]` observed until period
    /// `end_period`, in units of `multiplier` periods; `None` without a purchase.
    pub(super) fn finish(&self, end_period: i64, multiplier: f64) -> Option<[f64; 4]> {
        if self.periods == 0 {
            return None;
        }
        let unit = |periods: i64| periods as f64 / multiplier;
        let frequency = (self.periods - 1) as f64;
        let monetary = if self.periods > 1 {
            (self.repeat_spend + self.current) / frequency
        } else {
            0.0
        };
        Some([
            frequency,
            unit(self.last - self.first),
            unit(end_period - self.first),
            monetary,
        ])
    }
}

/// `a` if `pick_a`, else `b`, by masking the bits. `black_box` hides that the
/// mask is all ones or all zeros: seeing it, LLVM rebuilds the select and
/// then a branch.
#[inline(always)]
fn either(pick_a: bool, a: f64, b: f64) -> f64 {
    let mask = black_box(u64::from(pick_a).wrapping_neg());
    f64::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

/// One customer's holdout purchases, fed in period order.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HoldoutTally {
    periods: f64,
    last: Option<i64>,
    sum: f64,
    count: f64,
}

impl HoldoutTally {
    /// Adds a holdout purchase of `amount` in period `p`.
    #[inline]
    pub(super) fn push(&mut self, p: i64, amount: f64) {
        if self.last != Some(p) {
            self.periods += 1.0;
            self.last = Some(p);
        }
        self.sum += amount;
        self.count += 1.0;
    }

    /// Distinct holdout periods and the mean holdout line amount (0 without).
    pub(super) fn finish(&self) -> (f64, f64) {
        let mean = if self.count > 0.0 { self.sum / self.count } else { 0.0 };
        (self.periods, mean)
    }
}

pub(super) fn check_multiplier(options: &SummaryOptions) -> Result<()> {
    if options.multiplier.is_finite() && options.multiplier > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid_parameter(
            "freq_multiplier",
            options.multiplier,
            "a finite number > 0",
        ))
    }
}

fn observation_end(tx: &Transactions, options: &SummaryOptions) -> Result<i64> {
    check_multiplier(options)?;
    let (_, latest) = tx.time_span().ok_or_else(|| Error::InsufficientData {
        what: "no transactions: the summary needs at least one purchase".into(),
    })?;
    Ok(options.observation_end.unwrap_or(latest))
}

/// The summary over the purchase lines that `counts` keeps, observed until `end`.
/// Also returns, for each summary row, the customer's code in `tx`.
fn summarise(
    tx: &Transactions,
    groups: &CustomerLines,
    options: &SummaryOptions,
    counts: impl Fn(i64) -> bool + Sync,
    end: i64,
) -> (RfmSummary, Vec<usize>) {
    let period = options.period;
    let end_period = period.index(end);
    let rows: Vec<Option<[f64; 4]>> = (0..tx.n_customers())
        .into_par_iter()
        .map(|c| {
            let mut tally = Tally::default();
            for &l in groups.lines(c) {
                let (t, amount) = (tx.timestamps()[l as usize], tx.amounts()[l as usize]);
                if amount >= 0.0 && counts(t) {
                    tally.push(period.index(t), amount);
                }
            }
            tally.finish(end_period, options.multiplier)
        })
        .collect();
    let mut out = RfmSummary::default();
    let mut customers = Vec::new();
    for (c, (id, row)) in tx.customer_ids().iter().zip(rows).enumerate() {
        if let Some([f, r, t, m]) = row {
            customers.push(c);
            out.ids.push(id.clone());
            out.frequency.push(f);
            out.recency.push(r);
            out.t.push(t);
            out.monetary_value.push(m);
        }
    }
    (out, customers)
}
