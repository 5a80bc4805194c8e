//! Reading one field of a row: text, number, date, optional text; each
//! failure a [`DropReason`] with the field at fault.

use super::{Field, RowError};
use crate::data::audit::DropReason;
use crate::data::dates::DateParser;

/// A trimmed text field.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, DropReason> {
    std::str::from_utf8(bytes).map(trim).map_err(|_| DropReason::NonUtf8)
}

/// [`str::trim`], skipped when both ends are visible ASCII (most fields): the
/// Unicode-aware trim costs more than the rest of reading a short field.
fn trim(s: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    if visible(s.as_bytes().first()) && visible(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

/// A finite number; empty is [`DropReason::MissingAmount`].
pub(crate) fn number(bytes: &[u8]) -> Result<f64, DropReason> {
    number_text(std::str::from_utf8(bytes).map_err(|_| DropReason::NonNumericAmount)?)
}

/// [`number`] of a text.
fn number_text(s: &str) -> Result<f64, DropReason> {
    let s = trim(s);
    if s.is_empty() {
        return Err(DropReason::MissingAmount);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(DropReason::NonNumericAmount),
    }
}

/// A text field of an optional column.
pub(crate) fn optional_text<'r, 'f>(
    record: &'r csv::ByteRecord,
    field: &'f Option<Field>,
) -> Result<Option<&'r str>, RowError<'f>> {
    match field {
        Some(f) => utf8(&record[f.index]).map(Some).map_err(|r| (r, f)),
        None => Ok(None),
    }
}

/// A date field, parsed with the scan's date format.
pub(crate) fn date<'f>(
    record: &csv::ByteRecord,
    field: &'f Field,
    dates: &mut DateParser,
) -> Result<i64, RowError<'f>> {
    date_text(utf8(&record[field.index]).map_err(|r| (r, field))?, field, dates)
}

/// [`date`] of a trimmed text.
fn date_text<'f>(text: &str, field: &'f Field, dates: &mut DateParser) -> Result<i64, RowError<'f>> {
    if text.is_empty() {
        return Err((DropReason::MissingDate, field));
    }
    dates.parse(text).ok_or((DropReason::UnparsableDate, field))
}

/// The fields of a row as text, the row checked as UTF-8 once: one check of
/// the whole row costs less than one per field. Field by field only when the
/// row fails it, so that each field gets its own reason.
pub(crate) struct RowText<'r> {
    record: &'r csv::ByteRecord,
    whole: Option<&'r str>,
}

impl<'r> RowText<'r> {
    pub(crate) fn new(record: &'r csv::ByteRecord) -> Self {
        RowText {
            record,
            whole: std::str::from_utf8(record.as_slice()).ok(),
        }
    }

    /// Field `index` untrimmed, when the row is UTF-8 (and the field on character boundaries).
    fn raw(&self, index: usize) -> Option<&'r str> {
        self.whole?.get(self.record.range(index)?)
    }

    /// As [`utf8`].
    pub(crate) fn text<'f>(&self, field: &'f Field) -> Result<&'r str, RowError<'f>> {
        match self.raw(field.index) {
            Some(s) => Ok(trim(s)),
            None => utf8(&self.record[field.index]).map_err(|r| (r, field)),
        }
    }

    /// As [`optional_text`].
    pub(crate) fn optional<'f>(&self, field: &'f Option<Field>) -> Result<Option<&'r str>, RowError<'f>> {
        field.as_ref().map(|f| self.text(f)).transpose()
    }

    /// As [`number`], of a field.
    pub(crate) fn number<'f>(&self, field: &'f Field) -> Result<f64, RowError<'f>> {
        match self.raw(field.index) {
            Some(s) => number_text(s),
            None => number(&self.record[field.index]),
        }
        .map_err(|r| (r, field))
    }

    /// As [`date`].
    pub(crate) fn date<'f>(&self, field: &'f Field, dates: &mut DateParser) -> Result<i64, RowError<'f>> {
        match self.raw(field.index) {
            Some(s) => date_text(trim(s), field, dates),
            None => date(self.record, field, dates),
        }
    }

    /// `parse` of the trimmed text of field `index`; `None` when it is not UTF-8.
    pub(crate) fn flag(&self, index: usize, parse: fn(&str) -> Option<bool>) -> Option<bool> {
        match self.raw(index) {
            Some(s) => parse(trim(s)),
            None => utf8(&self.record[index]).ok().and_then(parse),
        }
    }
}
