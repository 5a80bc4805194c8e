//! How every CSV file is read: its layout and what to do with a bad row.

use serde::{Deserialize, Serialize};

use super::dates::DateFormat;
use crate::error::{Error, Result};

/// What to do with a row that cannot be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BadRowPolicy {
    /// Drop it and count it in the audit by reason.
    #[default]
    Drop,
    /// Stop with an error naming the line, column and value.
    Fail,
}

impl std::str::FromStr for BadRowPolicy {
    type Err = Error;

    /// `drop` or `fail`, the words of the CLI's `--on-bad-row` and Python's `on_bad_row`.
    fn from_str(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "drop" => Ok(BadRowPolicy::Drop),
            "fail" => Ok(BadRowPolicy::Fail),
            _ => Err(Error::invalid_parameter("on_bad_row", text, "drop or fail")),
        }
    }
}

/// How to read a CSV file: a transaction log, a customer table, a survey, a side file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOptions {
    /// Layout of the date column.
    pub date_format: DateFormat,
    /// Field delimiter (`b','` by default; `b'\t'` for tab-separated files).
    pub delimiter: u8,
    /// Fields are separated by runs of spaces or tabs, as in fixed-width
    /// files such as CDNOW's (`delimiter` is then ignored).
    #[serde(default)]
    pub whitespace_separated: bool,
    /// The first line names the columns. Without a header, columns are named
    /// by their 1-based position: `"1"`, `"2"`, …
    #[serde(default = "default_true")]
    pub header: bool,
    /// Drop bad rows (audited) or fail on the first one.
    pub on_bad_row: BadRowPolicy,
    /// Rows dated after this time (seconds since the epoch) are future-dated:
    /// dropped and counted, or an error in strict mode.
    #[serde(default)]
    pub not_after: Option<i64>,
    /// Drop rows that repeat an earlier row exactly (counted as
    /// [`DropReason::DuplicateLine`](super::DropReason::DuplicateLine)); by default they are kept and counted in
    /// [`IngestAudit::duplicate_rows`](super::IngestAudit::duplicate_rows).
    #[serde(default)]
    pub drop_duplicate_lines: bool,
}

fn default_true() -> bool {
    true
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            date_format: DateFormat::Auto,
            delimiter: b',',
            whitespace_separated: false,
            header: true,
            on_bad_row: BadRowPolicy::Drop,
            not_after: None,
            drop_duplicate_lines: false,
        }
    }
}
