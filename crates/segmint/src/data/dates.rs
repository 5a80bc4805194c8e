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
                if let Some(t) = parse_iso_fast(field.as_bytes()) {
                    return Some(t);
                }
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

/// `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (`T` allowed) without chrono's
/// general parser: the layout of most exports, read once per row. Anything
/// else, or an impossible date, returns `None` and goes to chrono.
fn parse_iso_fast(b: &[u8]) -> Option<i64> {
    let digits = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    if !(b.len() == 10 || b.len() == 19) || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    if b.len() == 19 {
        if !matches!(b[10], b' ' | b'T') || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (h, m, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        seconds += h * 3600 + m * 60 + s;
    }
    Some(seconds)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the civil-from-days
/// inverse published by H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
    fn fast_iso_path_agrees_with_chrono() {
        // Every day from 1899 to 2101 at a few times, and impossible dates.
        let start = NaiveDate::from_ymd_opt(1899, 1, 1).unwrap();
        for offset in 0..(202 * 366) {
            let date = start + chrono::Days::new(offset);
            let text = format!(
                "{} {:02}:{:02}:{:02}",
                date,
                offset % 24,
                offset % 60,
                (offset * 7) % 60
            );
            assert_eq!(
                parse_iso_fast(text.as_bytes()),
                parse_with(&text, AUTO_FORMATS[0]),
                "{text}"
            );
            let day = date.to_string();
            assert_eq!(parse_iso_fast(day.as_bytes()), parse_with(&day, "%Y-%m-%d"), "{day}");
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-04-31",
            "2024-01-01 24:00:00",
            "2024-01-0a",
            "2024/01/01",
        ] {
            assert_eq!(parse_iso_fast(bad.as_bytes()), None, "{bad}");
        }
    }

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
