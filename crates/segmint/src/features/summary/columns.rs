//! The repeat-purchase summary straight from columns (a customer key, a time
//! and an amount per line, as a DataFrame holds them) without building a
//! [`Transactions`](crate::data::Transactions) table. Customers come out in
//! order of first appearance, and two paths give the same rows: a log of
//! dense integer keys, the usual case, takes the [`dense`](super::dense)
//! path; anything else takes the [`general`](super::general) one, which also
//! names the first row with a missing time or a non-finite amount. Both
//! tally each customer's purchases by period, within a period in line order
//! (the order in which lifetimes' `groupby` sums them), whatever the order
//! of the periods in the log.

use super::dense::dense_summary;
use super::general::dispatch;
use super::{
    CalibrationHoldout, HoldoutTally, Period, RfmSummary, SummaryOptions, Tally, check_multiplier, duration_holdout,
    holdout_end,
};
use crate::error::{Error, Result};

/// Transaction lines as parallel columns.
#[derive(Debug, Clone, Copy)]
pub struct SummaryColumns<'a> {
    /// The customer key of each line: integer ids, or codes of a factorisation.
    pub keys: &'a [i64],
    /// The time of each line in ticks since 1970-01-01; `i64::MIN` (NumPy's `NaT`) is missing.
    pub times: &'a [i64],
    /// Ticks per second of `times`: 1 (seconds), 10^3, 10^6 or 10^9 (nanoseconds).
    pub ticks_per_second: i64,
    /// The amount of each line; negative amounts are returns, never purchases.
    pub amounts: &'a [f64],
}

impl SummaryColumns<'_> {
    fn check(&self) -> Result<()> {
        for (what, len) in [("times", self.times.len()), ("amounts", self.amounts.len())] {
            if len != self.keys.len() {
                return Err(Error::ShapeMismatch {
                    what: format!("{what} (one per line, as keys)"),
                    expected: self.keys.len().to_string(),
                    found: len.to_string(),
                });
            }
        }
        // Slots and line numbers are 32-bit; u32::MAX marks an empty slot.
        if self.keys.len() >= u32::MAX as usize {
            return Err(Error::invalid_parameter(
                "keys",
                format!("{} lines", self.keys.len()),
                "fewer than 4294967295 lines; split the input",
            ));
        }
        Ok(())
    }
}

/// [`rfm_summary`](super::rfm_summary) of the lines in `columns`, with the
/// customers' keys as ids in order of first appearance. Equal, value for value,
/// to the summary of the same lines as a `Transactions` table.
pub fn rfm_summary_columns(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Result<RfmSummary<i64>> {
    check_multiplier(options)?;
    columns.check()?;
    if columns.keys.is_empty() {
        return Err(Error::InsufficientData {
            what: "no transactions: the summary needs at least one purchase".into(),
        });
    }
    match dense_summary(columns, options) {
        Some(out) => Ok(out),
        None => general_summary(columns, options),
    }
}

/// The general path of [`rfm_summary_columns`] (checked columns, at least one line).
fn general_summary(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Result<RfmSummary<i64>> {
    let period = options.period;
    let sink = SummarySink {
        period,
        end_period: options.observation_end.map(|end| period.index(end)),
    };
    let run = dispatch(columns, &sink)?;
    let end_period = sink
        .end_period
        .unwrap_or_else(|| period.index(run.latest.div_euclid(columns.ticks_per_second)));
    let mut out = RfmSummary::default();
    for (&key, state) in run.keys.iter().zip(&run.states) {
        if let Some(row) = state.inner.finish(end_period, options.multiplier) {
            push_row(&mut out, key, row);
        }
    }
    Ok(out)
}

/// [`calibration_holdout`](super::calibration_holdout) of the lines in
/// `columns`; `calibration_end` and `options.observation_end` are in seconds.
pub fn calibration_holdout_columns(
    columns: &SummaryColumns<'_>,
    calibration_end: i64,
    options: &SummaryOptions,
) -> Result<CalibrationHoldout<i64>> {
    let end = holdout_end(calibration_end, options)?;
    columns.check()?;
    let tps = columns.ticks_per_second;
    let sink = SplitSink {
        period: options.period,
        calibration_end: calibration_end.saturating_mul(tps),
        end: end.saturating_mul(tps),
    };
    let run = dispatch(columns, &sink)?;
    let calibration_period = options.period.index(calibration_end);
    let mut out = CalibrationHoldout {
        duration_holdout: duration_holdout(calibration_end, end, options),
        ..Default::default()
    };
    for (&key, state) in run.keys.iter().zip(&run.states) {
        let (calibration, holdout) = &state.inner;
        if let Some(row) = calibration.finish(calibration_period, options.multiplier) {
            push_row(&mut out.calibration, key, row);
            let (frequency, monetary) = holdout.finish();
            out.frequency_holdout.push(frequency);
            out.monetary_value_holdout.push(monetary);
        }
    }
    Ok(out)
}

pub(super) fn push_row(out: &mut RfmSummary<i64>, key: i64, [frequency, recency, t, monetary]: [f64; 4]) {
    out.ids.push(key);
    out.frequency.push(frequency);
    out.recency.push(recency);
    out.t.push(t);
    out.monetary_value.push(monetary);
}

/// A customer's tally and the period of its latest counted line.
#[derive(Debug, Clone)]
pub(super) struct Timed<T> {
    pub(super) last_period: i64,
    pub(super) inner: T,
}

impl<T: Default> Default for Timed<T> {
    fn default() -> Self {
        Timed {
            last_period: i64::MIN,
            inner: T::default(),
        }
    }
}

impl<T> Timed<T> {
    /// Records a counted line in period `p`; false when it is earlier than the previous one.
    #[inline]
    fn advance(&mut self, p: i64) -> bool {
        let in_order = p >= self.last_period;
        self.last_period = p;
        in_order
    }
}

/// What a pass does with each line of a customer.
pub(super) trait Sink: Sync {
    type Tally: Default + Clone + Send;
    /// Feeds one line (`t` in ticks of `1 / TPS` s); false when it is a
    /// counted line in an earlier period than the customer's previous one.
    fn add<const TPS: i64>(&self, state: &mut Timed<Self::Tally>, t: i64, amount: f64) -> bool;
    /// The period that holds `t`.
    fn period<const TPS: i64>(&self, t: i64) -> i64;
}

/// Purchases up to the end period.
struct SummarySink {
    period: Period,
    end_period: Option<i64>,
}

impl Sink for SummarySink {
    type Tally = Tally;

    #[inline]
    fn add<const TPS: i64>(&self, state: &mut Timed<Tally>, t: i64, amount: f64) -> bool {
        let p = self.period.index_in::<TPS>(t);
        if amount < 0.0 || self.end_period.is_some_and(|end| p > end) {
            return true;
        }
        state.inner.push(p, amount);
        state.advance(p)
    }

    fn period<const TPS: i64>(&self, t: i64) -> i64 {
        self.period.index_in::<TPS>(t)
    }
}

/// Purchases split at the calibration end (raw times, in ticks).
struct SplitSink {
    period: Period,
    calibration_end: i64,
    end: i64,
}

impl Sink for SplitSink {
    type Tally = (Tally, HoldoutTally);

    #[inline]
    fn add<const TPS: i64>(&self, state: &mut Timed<Self::Tally>, t: i64, amount: f64) -> bool {
        if amount < 0.0 || t > self.end {
            return true;
        }
        let p = self.period.index_in::<TPS>(t);
        if t <= self.calibration_end {
            state.inner.0.push(p, amount);
        } else {
            state.inner.1.push(p, amount);
        }
        state.advance(p)
    }

    fn period<const TPS: i64>(&self, t: i64) -> i64 {
        self.period.index_in::<TPS>(t)
    }
}

#[cfg(test)]
mod tests;
