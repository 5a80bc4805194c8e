//! The ingest audit: every input row is either kept or dropped with a reason.

use std::collections::BTreeMap;

use rayon::slice::ParallelSliceMut;
use serde::{Deserialize, Serialize};

/// How many example rows are remembered for each drop reason.
pub const EXAMPLES_PER_REASON: usize = 5;

/// Why an input row was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DropReason {
    /// The row has fewer fields than the header.
    TooFewFields,
    /// The customer id is empty.
    MissingCustomer,
    /// The date field is empty.
    MissingDate,
    /// The date field does not match the date format.
    UnparsableDate,
    /// The amount (or quantity or unit price) is empty.
    MissingAmount,
    /// The amount (or quantity or unit price) is not a finite number.
    NonNumericAmount,
    /// A text field (customer, order, product, category) is not valid UTF-8.
    NonUtf8,
    /// The discount field is neither a number nor a yes/no flag.
    UnreadableDiscount,
    /// The date is after the latest date allowed (`ReadOptions::not_after`).
    FutureDate,
    /// The id was already seen in a table that has one row per id.
    DuplicateId,
    /// The order id is empty although an order column is mapped.
    MissingOrder,
    /// The id of a one-row-per-id table (e.g. a product id) is empty.
    MissingId,
    /// A line swallowed by a quote that is never closed (counted once per non-blank line).
    UnclosedQuote,
    /// The line repeats an earlier line exactly (dropped only when asked: `ReadOptions::drop_duplicate_lines`).
    DuplicateLine,
}

impl DropReason {
    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::TooFewFields => "fewer fields than the header",
            DropReason::MissingCustomer => "missing customer id",
            DropReason::MissingDate => "missing date",
            DropReason::UnparsableDate => "unparsable date",
            DropReason::MissingAmount => "missing amount",
            DropReason::NonNumericAmount => "non-numeric amount",
            DropReason::NonUtf8 => "text that is not UTF-8",
            DropReason::UnreadableDiscount => "unreadable discount",
            DropReason::FutureDate => "date after the allowed end",
            DropReason::DuplicateId => "duplicate id",
            DropReason::MissingOrder => "missing order id",
            DropReason::MissingId => "missing id",
            DropReason::UnclosedQuote => "inside a quote that is never closed",
            DropReason::DuplicateLine => "exact duplicate of an earlier line",
        }
    }
}

/// One dropped row, remembered as an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowIssue {
    /// 1-based line number in the file.
    pub line: u64,
    /// The column at fault.
    pub column: String,
    /// The raw value found.
    pub value: String,
}

/// The rows dropped for one reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DroppedRows {
    /// How many rows.
    pub count: u64,
    /// The first few of them.
    pub examples: Vec<RowIssue>,
}

/// What happened to every input row.
///
/// Invariant: `rows_read == rows_kept + Σ dropped[reason].count`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestAudit {
    /// Where the rows came from (a path, or a description such as `synthetic`).
    pub source: String,
    /// Data rows read (the header excluded).
    pub rows_read: u64,
    /// Rows kept as transactions.
    pub rows_kept: u64,
    /// Of the kept rows, those with a negative amount (returns).
    pub return_rows: u64,
    /// Dropped rows by reason.
    pub dropped: BTreeMap<DropReason, DroppedRows>,
    /// Rows that repeat an earlier row exactly, field for field (kept unless
    /// dropped on request, when they are also counted under `dropped`).
    #[serde(default)]
    pub duplicate_rows: u64,
    /// Transaction dates that stand out: after the end of observation, or far
    /// beyond the rest of the file (see [`crate::data::late_dates`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_dates: Option<LateDates>,
}

/// Dates that would move the end of observation, or fall after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LateDates {
    /// The end of observation the dates were judged against (`--as-of`), if one was given.
    pub as_of: Option<String>,
    /// How many kept lines are dated after `as_of` (they are ignored by the features).
    pub after_as_of: u64,
    /// How many kept lines are dated far beyond the rest of the file.
    pub far_beyond: u64,
    /// The latest date of the other lines, which the far-beyond ones are compared with.
    pub rest_end: String,
    /// The first few such lines: customer, date.
    pub examples: Vec<(String, String)>,
}

impl IngestAudit {
    /// A fresh audit for a source.
    pub fn new(source: impl Into<String>) -> Self {
        IngestAudit {
            source: source.into(),
            ..Default::default()
        }
    }

    /// Records a dropped row.
    pub fn drop_row(&mut self, reason: DropReason, issue: RowIssue) {
        let entry = self.dropped.entry(reason).or_default();
        entry.count += 1;
        if entry.examples.len() < EXAMPLES_PER_REASON {
            entry.examples.push(issue);
        }
    }

    /// Total rows dropped, all reasons together.
    pub fn rows_dropped(&self) -> u64 {
        self.dropped.values().map(|d| d.count).sum()
    }

    /// Records `count` dropped rows for one reason, with one example.
    pub fn drop_rows(&mut self, reason: DropReason, count: u64, issue: RowIssue) {
        let entry = self.dropped.entry(reason).or_default();
        entry.count += count;
        if entry.examples.len() < EXAMPLES_PER_REASON {
            entry.examples.push(issue);
        }
    }

    /// Rows dropped for one reason.
    pub fn dropped_for(&self, reason: DropReason) -> u64 {
        self.dropped.get(&reason).map_or(0, |d| d.count)
    }

    /// True when every row read is either kept or dropped with a reason.
    pub fn is_balanced(&self) -> bool {
        self.rows_read == self.rows_kept + self.rows_dropped()
    }
}

/// Finds the rows that repeat an earlier row exactly, by a 64-bit hash of
/// each row. Dropping a repeat needs to know it as it comes, so the hashes go
/// into a set; counting repeats needs only their number, so the hashes are
/// kept in a list and sorted once at the end, which costs far less than a
/// lookup per row in a table as large as the file.
#[derive(Debug)]
pub(crate) enum Repeats {
    /// The hashes of the rows read, for [`Repeats::finish`] to count.
    Counted(Vec<u64>),
    /// The hashes seen so far, each repeat counted and dropped as it comes.
    Dropped(rustc_hash::FxHashSet<u64>),
}

impl Repeats {
    /// Repeats that are dropped (`drop`) or only counted.
    pub(crate) fn new(drop: bool) -> Self {
        if drop {
            Repeats::Dropped(Default::default())
        } else {
            Repeats::Counted(Vec::new())
        }
    }

    /// Notes a row of hash `hash`; `true` when it is a repeat to drop
    /// (counted in `audit` then).
    pub(crate) fn note(&mut self, hash: u64, audit: &mut IngestAudit) -> bool {
        match self {
            Repeats::Counted(hashes) => {
                hashes.push(hash);
                false
            }
            Repeats::Dropped(seen) => {
                let repeat = !seen.insert(hash);
                audit.duplicate_rows += u64::from(repeat);
                repeat
            }
        }
    }

    /// Counts in `audit` the repeats that were only noted.
    pub(crate) fn finish(self, audit: &mut IngestAudit) {
        if let Repeats::Counted(mut hashes) = self {
            hashes.par_sort_unstable();
            audit.duplicate_rows += hashes.windows(2).filter(|pair| pair[0] == pair[1]).count() as u64;
        }
    }
}
