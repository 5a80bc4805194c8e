//! Parsing dates and timestamps into seconds since 1970-01-01 (wall-clock time, no time zone).

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// Seconds in a day, for converting timestamps to days.
pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// How the date column is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateFormat {
    /// Try the unambiguous formats in [`AUTO_FORMATS`] (ISO 8601 and relatives,
    /// `YYYYMMDD`, RFC 3339 with an offset). Day-first and month-first dates
    /// (`01/02/2024`) are ambiguous and need an explicit format.
    #[default]
    Auto,
    /// A `chrono` strftime format such as `%d/%m/%Y %H:%M`.
    Custom(String),
}

/// The formats [`DateFormat::Auto`] tries, date-times first.
pub const AUTO_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y%m%d",
];

/// Parses one date field; remembers which automatic format matched last so
/// that a column written in one format costs one attempt per row.
#[derive(Debug, Clone)]
pub struct DateParser {
    format: DateFormat,
    last_auto: usize,
}

impl DateParser {
    /// A parser for a format.
    pub fn new(format: DateFormat) -> Self {
        DateParser { format, last_auto: 0 }
    }

    /// What the parser expects, for error messages.
    pub fn expected(&self) -> String {
        match &self.format {
            DateFormat::Auto => {
                "a date such as 2024-03-31, 2024-03-31 14:05:00 or 20240331 (set date_format for other layouts)".into()
            }
            DateFormat::Custom(f) => format!("a date in the format {f:?}"),
        }
    }

    /// Seconds since 1970-01-01 00:00:00, or `None` when the field does not parse.
    pub fn parse(&mut self, field: &str) -> Option<i64> {
        let field = field.trim();
        match &self.format {
            DateFormat::Custom(f) => parse_with(field, f),
            DateFormat::Auto => {
                if let Some(t) = parse_with(field, AUTO_FORMATS[self.last_auto]) {
                    return Some(t);
                }
                for (i, f) in AUTO_FORMATS.iter().enumerate() {
                    if let Some(t) = parse_with(field, f) {
                        self.last_auto = i;
                        return Some(t);
                    }
                }
                DateTime::parse_from_rfc3339(field)
                    .ok()
                    .map(|t| t.naive_utc().and_utc().timestamp())
            }
        }
    }
}

fn parse_with(field: &str, format: &str) -> Option<i64> {
    if let Ok(t) = NaiveDateTime::parse_from_str(field, format) {
        return Some(t.and_utc().timestamp());
    }
    NaiveDate::parse_from_str(field, format)
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// Formats seconds since the epoch as `YYYY-MM-DD HH:MM:SS`.
pub fn format_timestamp(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_reads_the_common_unambiguous_layouts() {
        let mut p = DateParser::new(DateFormat::Auto);
        let day = 1_291_161_600; // 2010-12-01
        assert_eq!(p.parse("2010-12-01"), Some(day));
        assert_eq!(p.parse("20101201"), Some(day));
        assert_eq!(p.parse("2010-12-01 08:26:00"), Some(day + 8 * 3600 + 26 * 60));
        assert_eq!(p.parse("2010-12-01T08:26"), Some(day + 8 * 3600 + 26 * 60));
        assert_eq!(p.parse("2010-12-01T08:26:00+01:00"), Some(day + 7 * 3600 + 26 * 60));
        assert_eq!(p.parse("2010-13-01"), None);
        assert_eq!(p.parse("01/12/2010"), None);
        assert_eq!(p.parse(""), None);
    }

    #[test]
    fn custom_format_reads_day_first_dates() {
        let mut p = DateParser::new(DateFormat::Custom("%d-%m-%Y".into()));
        assert_eq!(p.parse("01-12-2010"), Some(1_291_161_600));
        assert_eq!(p.parse("2010-12-01"), None);
    }

    #[test]
    fn timestamps_format_back() {
        assert_eq!(format_timestamp(1_291_191_960), "2010-12-01 08:26:00");
    }
}
