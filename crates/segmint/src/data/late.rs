//! Dates that stand out at the end of a file: after the chosen end of
//! observation, or so far beyond the rest that they would become it.
//!
//! Without `--as-of`, the latest transaction ends the observation window, so a
//! single mistyped year (2999) would make every customer's recency centuries
//! long. Such lines are kept, but named in the audit.

use super::audit::LateDates;
use super::dates::format_timestamp;

/// A date as text, without the time when it is midnight.
fn day(t: i64) -> String {
    format_timestamp(t).trim_end_matches(" 00:00:00").to_owned()
}
use super::transactions::Transactions;

/// How many late lines are named as examples.
const EXAMPLES: usize = 5;

/// A date is far beyond the rest when it is later than the 99th percentile of
/// all dates by more than the span from the first date to that percentile, and
/// by more than a year.
const MIN_GAP_DAYS: i64 = 365;

/// Seconds in a day, as timestamps count them.
const DAY: i64 = 86_400;

/// The lines dated after `as_of`, or without it the lines far beyond the rest
/// of the dates (one of which would end the observation window); `None` when
/// there are none.
pub fn late_dates(tx: &Transactions, as_of: Option<i64>) -> Option<LateDates> {
    let times = tx.timestamps();
    let rest_end = rest_end(times)?;
    let limit = if as_of.is_some() {
        i64::MAX
    } else {
        far_limit(times, rest_end)
    };
    let after = |t: i64| as_of.is_some_and(|end| t > end);
    let (mut after_as_of, mut far_beyond, mut examples) = (0, 0, Vec::new());
    for (line, &t) in times.iter().enumerate() {
        let (late, far) = (after(t), t > limit);
        after_as_of += u64::from(late);
        far_beyond += u64::from(far);
        if (late || far) && examples.len() < EXAMPLES {
            let customer = &tx.customer_ids()[tx.customer_codes()[line] as usize];
            examples.push((customer.clone(), day(t)));
        }
    }
    (after_as_of + far_beyond > 0).then(|| LateDates {
        as_of: as_of.map(day),
        after_as_of,
        far_beyond,
        rest_end: day(rest_end),
        examples,
    })
}

/// The 99th percentile of the dates (at most the second latest), which the
/// latest ones are compared with; `None` with fewer than two dates.
fn rest_end(times: &[i64]) -> Option<i64> {
    if times.len() < 2 {
        return None;
    }
    let mut sorted = times.to_vec();
    let rank = (times.len() - 1) * 99 / 100;
    let rank = rank.min(times.len() - 2);
    Some(*sorted.select_nth_unstable(rank).1)
}

/// The date after which a line stands far beyond the rest.
fn far_limit(times: &[i64], rest_end: i64) -> i64 {
    let first = times.iter().copied().min().unwrap_or(rest_end);
    let gap = (rest_end - first).max(MIN_GAP_DAYS * DAY);
    rest_end.saturating_add(gap)
}

impl LateDates {
    /// One sentence for a warning, in the command line's words.
    pub fn describe(&self) -> String {
        let named = self
            .examples
            .iter()
            .map(|(customer, date)| format!("customer {customer:?} on {date}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut parts = Vec::new();
        if self.after_as_of > 0 {
            let end = self.as_of.as_deref().unwrap_or("?");
            parts.push(format!(
                "{} transaction lines are dated after the end of observation {end}",
                self.after_as_of
            ));
        }
        if self.far_beyond > 0 {
            parts.push(format!(
                "{} transaction lines are dated far beyond the rest of the file (which ends about {}); without \
                 --as-of the latest of them would end the observation window",
                self.far_beyond, self.rest_end
            ));
        }
        format!(
            "{} (e.g. {named}); give --as-of to set the end of observation",
            parts.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TransactionsBuilder;

    fn tx(dates: &[(&str, i64)]) -> Transactions {
        let mut b = TransactionsBuilder::new(false);
        for &(customer, day) in dates {
            b.push(customer, day * DAY, 10.0, None);
        }
        b.finish()
    }

    #[test]
    fn one_date_centuries_beyond_the_rest_is_named() {
        // Days since 1970: 19_723 is 2024-01-01; 376_000 is in the 29th century.
        let mut dates: Vec<(&str, i64)> = (0..10).map(|d| ("a", 19_723 + d)).collect();
        dates.push(("late", 376_000));
        let late = late_dates(&tx(&dates), None).expect("the 29th-century line is named");
        assert_eq!((late.after_as_of, late.far_beyond), (0, 1));
        assert_eq!(late.examples[0].0, "late");
        assert_eq!(late.rest_end, "2024-01-10");
        assert!(late.describe().contains("--as-of"), "{}", late.describe());
    }

    #[test]
    fn ordinary_files_name_nothing() {
        let dates: Vec<(&str, i64)> = (0..400).map(|d| ("a", 19_723 + d)).collect();
        assert_eq!(late_dates(&tx(&dates), None), None);
        // A last purchase eleven months after the others is not far beyond.
        let mut dates = vec![("a", 19_723), ("b", 19_724)];
        dates.push(("c", 19_724 + 330));
        assert_eq!(late_dates(&tx(&dates), None), None);
    }

    #[test]
    fn lines_after_as_of_are_counted() {
        let dates = [("a", 19_723), ("b", 19_730), ("c", 19_731)];
        let late = late_dates(&tx(&dates), Some(19_725 * DAY)).unwrap();
        assert_eq!((late.after_as_of, late.far_beyond), (2, 0));
        assert_eq!(late.as_of.as_deref(), Some("2024-01-03"));
        assert_eq!(late.examples.len(), 2);
    }
}
