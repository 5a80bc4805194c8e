//! The row loop shared by every CSV source: open (plain, gzip or
//! whitespace-separated), resolve the mapped columns against the header,
//! parse each row, and keep it or drop it with a counted reason.
//!
//! Three stages overlap: a thread cuts the text into batches of records
//! (`records.rs`, over `split.rs`), a batch is parsed while the one before it
//! is kept, and batches are kept in file order, so the rows, the audit and
//! every interned code are the same on any number of cores.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc;

use flate2::read::MultiGzDecoder;

use super::audit::{DropReason, IngestAudit, Repeats, RowIssue};
use super::dates::DateParser;
use super::options::{BadRowPolicy, ReadOptions};
use super::split::{CsvReader, Records, Tap};
use crate::error::{Error, Result};

mod fields;
mod records;

pub(crate) use fields::{RowText, date, number, optional_text, utf8};
use records::{Batch, Unclosed, split_records};

/// A mapped column: its position in the row and the name the user gave.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub index: usize,
    pub name: String,
}

/// A column the caller asks for: the parameter that names it, and the name
/// (`None` for an optional column that is not mapped).
pub(crate) struct Wanted<'a> {
    pub parameter: &'static str,
    pub column: Option<&'a str>,
}

/// Why a row could not be read: the reason and the mapped field at fault.
pub(crate) type RowError<'f> = (DropReason, &'f Field);

/// Opens `path` and calls `take` on each data row with the resolved fields
/// (in the order of `wanted`; `None` where an optional column is not mapped).
/// `take` keeps the row, or says why it cannot: the row is then dropped and
/// counted, or stops the scan in strict mode.
pub(crate) fn scan(
    path: &Path,
    wanted: &[Wanted<'_>],
    options: &ReadOptions,
    mut take: impl TakeRow + Send,
) -> Result<IngestAudit> {
    let reader = open(path, None)?;
    scan_reader(
        reader,
        path,
        wanted,
        options,
        |record: &_, fields: &_, dates: &mut _, (): &mut ()| take(record, fields, dates),
        |()| Ok(()),
    )
}

/// [`scan_reader`] on a file, calling `progress` with the bytes read so far (every MiB or so).
pub(crate) fn scan_reporting<B: Default + Send>(
    path: &Path,
    wanted: &[Wanted<'_>],
    options: &ReadOptions,
    progress: Option<Progress<'_>>,
    parse: impl ParseRow<B> + Send,
    keep: impl FnMut(B) -> Result<()> + Send,
) -> Result<IngestAudit> {
    let reader = open(path, progress)?;
    scan_reader(reader, path, wanted, options, parse, keep)
}

/// A callback told how many bytes of the input file have been read.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Counts the bytes read from the file and reports them every MiB.
struct Counted<'a, R> {
    inner: R,
    read: u64,
    reported: u64,
    progress: Progress<'a>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read - self.reported >= 1 << 20 || n == 0 {
            self.reported = self.read;
            (self.progress)(self.read);
        }
        Ok(n)
    }
}

/// What a source does with one row: keep it, or say which field is at fault.
pub(crate) trait TakeRow:
    for<'f> FnMut(&csv::ByteRecord, &'f [Option<Field>], &mut DateParser) -> std::result::Result<(), RowError<'f>>
{
}

impl<F> TakeRow for F where
    F: for<'f> FnMut(&csv::ByteRecord, &'f [Option<Field>], &mut DateParser) -> std::result::Result<(), RowError<'f>>
{
}

/// The first half of keeping a row: parse it into the batch `B`, or say
/// which field is at fault. A row that fails must leave `B` as it was.
pub(crate) trait ParseRow<B>:
    for<'f> FnMut(&csv::ByteRecord, &'f [Option<Field>], &mut DateParser, &mut B) -> std::result::Result<(), RowError<'f>>
{
}

impl<B, F> ParseRow<B> for F where
    F: for<'f> FnMut(
        &csv::ByteRecord,
        &'f [Option<Field>],
        &mut DateParser,
        &mut B,
    ) -> std::result::Result<(), RowError<'f>>
{
}

/// Scans any reader; `path` names the source in errors and the audit.
///
/// Three stages overlap: a thread splits the text into records, `parse`
/// turns a batch of records into `B` (and audits the rows it cannot read),
/// and `keep` takes the parsed batches in file order (or stops the scan). Parsing batch i runs
/// beside keeping batch i − 1, so the order of rows, the audit and every
/// interned code are the same on any number of cores.
pub(crate) fn scan_reader<B: Default + Send>(
    reader: impl Read + Send,
    path: &Path,
    wanted: &[Wanted<'_>],
    options: &ReadOptions,
    mut parse: impl ParseRow<B> + Send,
    mut keep: impl FnMut(B) -> Result<()> + Send,
) -> Result<IngestAudit> {
    let (records, names) = Records::open(reader, path, options, |r| csv_reader(r, path, options))?;
    let fields = resolve(&names, wanted, path)?;
    let mut rows = RowParser {
        fields: &fields,
        names: &names,
        repeats: Repeats::new(options.drop_duplicate_lines),
        dates: DateParser::new(options.date_format.clone()),
        audit: IngestAudit::new(path.display().to_string()),
        options,
        path,
    };
    std::thread::scope(|scope| {
        let (full, batches) = mpsc::sync_channel::<Result<Batch>>(4);
        let (recycle, empties) = mpsc::channel::<Batch>();
        scope.spawn(move || split_records(records, path, options, &full, &empties));
        let mut parsed: Option<B> = None;
        for batch in batches {
            let batch = batch?;
            let (now, kept) = rayon::join(
                || rows.parse_batch(&batch, &mut parse),
                || parsed.take().map_or(Ok(()), &mut keep),
            );
            kept?;
            parsed = Some(now?);
            // The splitter may have finished; then the batch is simply dropped.
            let _ = recycle.send(batch);
        }
        parsed.map_or(Ok(()), &mut keep)
    })?;
    let RowParser {
        mut audit,
        dates,
        repeats,
        ..
    } = rows;
    repeats.finish(&mut audit);
    if audit.rows_read > 0 && audit.rows_kept == 0 {
        return Err(no_row_survived(path, &audit, &dates));
    }
    Ok(audit)
}

/// The parse stage's state: the resolved fields, the date parser and the audit.
struct RowParser<'a> {
    fields: &'a [Option<Field>],
    /// Every column name, for an open quote in an unmapped column.
    names: &'a [String],
    /// The rows that repeat an earlier one exactly.
    repeats: Repeats,
    dates: DateParser,
    audit: IngestAudit,
    options: &'a ReadOptions,
    path: &'a Path,
}

impl RowParser<'_> {
    /// Parses the records of a batch in order; an error only in strict mode.
    fn parse_batch<B: Default>(&mut self, batch: &Batch, parse: &mut impl ParseRow<B>) -> Result<B> {
        let mut parsed = B::default();
        for record in &batch.records[..batch.len] {
            self.take_record(record, |r, f, d| parse(r, f, d, &mut parsed))?;
        }
        if let Some(open) = &batch.unclosed {
            self.unclosed(open)?;
        }
        Ok(parsed)
    }

    /// Counts each line swallowed by an open quote as a dropped row (an error in strict mode).
    fn unclosed(&mut self, open: &Unclosed) -> Result<()> {
        let column = self
            .names
            .get(open.field)
            .cloned()
            .unwrap_or_else(|| (open.field + 1).to_string());
        if self.options.on_bad_row == BadRowPolicy::Fail {
            return Err(Error::Csv {
                path: self.path.to_path_buf(),
                line: open.line,
                message: format!(
                    "the quote opened in column {column:?} is never closed, so the {} lines from here to the end \
                     of the file would be one field (expected a closing quote)",
                    open.lines
                ),
            });
        }
        self.audit.rows_read += open.lines;
        let issue = RowIssue {
            line: open.line,
            column,
            value: open.text.clone(),
        };
        self.audit.drop_rows(DropReason::UnclosedQuote, open.lines, issue);
        Ok(())
    }

    /// Keeps one record or drops it with its reason (an error in strict mode).
    fn take_record(&mut self, record: &csv::ByteRecord, mut take: impl TakeRow) -> Result<()> {
        self.audit.rows_read += 1;
        let repeat = self.repeats.note(row_hash(record), &mut self.audit);
        if let (true, Some(first)) = (repeat, self.fields[0].as_ref()) {
            // Asked for, so a drop even in strict mode.
            self.audit.drop_row(DropReason::DuplicateLine, issue_at(record, first));
            return Ok(());
        }
        let missing = self.fields.iter().flatten().find(|f| f.index >= record.len());
        let taken = match missing {
            Some(field) => Err((DropReason::TooFewFields, field)),
            None => take(record, self.fields, &mut self.dates),
        };
        if let Err((reason, field)) = taken {
            let issue = issue_at(record, field);
            if self.options.on_bad_row == BadRowPolicy::Fail {
                return Err(parse_error(self.path, reason, &issue, &self.dates));
            }
            self.audit.drop_row(reason, issue);
        } else {
            self.audit.rows_kept += 1;
        }
        Ok(())
    }
}

/// A 64-bit hash of the record's fields, to find exact repeats.
fn row_hash(record: &csv::ByteRecord) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
    for field in record {
        field.hash(&mut hasher);
    }
    hasher.finish()
}

/// A dropped row's example: its line, and the column and value at fault.
fn issue_at(record: &csv::ByteRecord, field: &Field) -> RowIssue {
    RowIssue {
        line: record.position().map_or(0, |p| p.line()),
        column: field.name.clone(),
        value: String::from_utf8_lossy(record.get(field.index).unwrap_or_default()).into_owned(),
    }
}

/// The column names of a file: its header, or `"1"`, `"2"`, … without one.
pub(crate) fn column_names(path: &Path, options: &ReadOptions) -> Result<Vec<String>> {
    Ok(csv_reader(open(path, None)?, path, options)?.1)
}

/// The csv crate's reader settings for `options` (the header is read by [`csv_reader`]).
pub(super) fn csv_builder(options: &ReadOptions) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .delimiter(if options.whitespace_separated {
            b','
        } else {
            options.delimiter
        })
        .flexible(true)
        .has_headers(options.header);
    builder
}

fn csv_reader<'r>(
    reader: impl Read + Send + 'r,
    path: &Path,
    options: &ReadOptions,
) -> Result<(CsvReader<'r>, Vec<String>, Tap)> {
    let reader: Box<dyn Read + Send + 'r> = if options.whitespace_separated {
        Box::new(CommaSeparated::new(BufReader::new(reader)))
    } else {
        Box::new(reader)
    };
    let (tap, reader) = Tap::wrap(reader);
    let mut csv = csv_builder(options).from_reader(reader);
    let header = csv.byte_headers().map_err(|e| csv_error(path, &e, 0))?;
    if header.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
        return Err(Error::EmptyInput {
            path: path.to_path_buf(),
        });
    }
    let names = if options.header {
        header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect()
    } else {
        (1..=header.len()).map(|i| i.to_string()).collect()
    };
    Ok((csv, names, tap))
}

fn open<'a>(path: &Path, progress: Option<Progress<'a>>) -> Result<Box<dyn Read + Send + 'a>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let counted: Box<dyn Read + Send + 'a> = match progress {
        Some(progress) => Box::new(Counted {
            inner: file,
            read: 0,
            reported: 0,
            progress,
        }),
        None => Box::new(file),
    };
    let buffered = BufReader::with_capacity(1 << 20, counted);
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        Ok(Box::new(MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

fn resolve(names: &[String], wanted: &[Wanted<'_>], path: &Path) -> Result<Vec<Option<Field>>> {
    wanted
        .iter()
        .map(|w| {
            let Some(column) = w.column else { return Ok(None) };
            names
                .iter()
                .position(|n| n == column.trim())
                .map(|index| {
                    Some(Field {
                        index,
                        name: column.to_owned(),
                    })
                })
                .ok_or_else(|| Error::MissingColumn {
                    path: path.to_path_buf(),
                    parameter: w.parameter,
                    column: column.to_owned(),
                    available: names.join(", "),
                })
        })
        .collect()
}

pub(crate) fn expected_for(reason: DropReason, dates: &DateParser) -> String {
    match reason {
        DropReason::TooFewFields => "a row with a field for every mapped column".into(),
        DropReason::MissingCustomer => "a customer id".into(),
        DropReason::MissingDate | DropReason::UnparsableDate => dates.expected(),
        DropReason::MissingAmount | DropReason::NonNumericAmount => "a finite number".into(),
        DropReason::NonUtf8 => "UTF-8 text".into(),
        DropReason::UnreadableDiscount => "a discount amount or a yes/no flag".into(),
        DropReason::FutureDate => "a date not after the end of observation (--as-of, ReadOptions::not_after)".into(),
        DropReason::DuplicateId => "an id that appears once".into(),
        DropReason::MissingOrder => "an order id".into(),
        DropReason::MissingId => "an id".into(),
        DropReason::UnclosedQuote => "a closing quote".into(),
        DropReason::DuplicateLine => "a line that does not repeat an earlier one".into(),
    }
}

fn parse_error(source: &Path, reason: DropReason, issue: &RowIssue, dates: &DateParser) -> Error {
    Error::Parse {
        path: source.to_path_buf(),
        line: issue.line,
        column: issue.column.clone(),
        value: issue.value.clone(),
        expected: expected_for(reason, dates),
    }
}

/// When every row was dropped, the most frequent reason's first example becomes the error.
pub(crate) fn no_row_survived(source: &Path, audit: &IngestAudit, dates: &DateParser) -> Error {
    let (reason, rows) = audit
        .dropped
        .iter()
        .max_by_key(|(_, d)| d.count)
        .expect("rows were read and none kept, so some were dropped");
    let issue = &rows.examples[0];
    Error::Parse {
        path: source.to_path_buf(),
        line: issue.line,
        column: issue.column.clone(),
        value: issue.value.clone(),
        expected: format!(
            "{} (no row could be read: all {} rows dropped, {} for {})",
            expected_for(*reason, dates),
            audit.rows_read,
            rows.count,
            reason.describe()
        ),
    }
}

/// A csv crate error; `lines_before` shifts its line when the crate read from the middle of the file.
pub(super) fn csv_error(source: &Path, e: &csv::Error, lines_before: u64) -> Error {
    Error::Csv {
        path: source.to_path_buf(),
        line: e.position().map_or(0, |p| p.line() + lines_before),
        message: e.to_string(),
    }
}

/// Turns whitespace-separated lines into comma-separated ones as they stream by.
struct CommaSeparated<R> {
    inner: R,
    line: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
}

impl<R: BufRead> CommaSeparated<R> {
    fn new(inner: R) -> Self {
        CommaSeparated {
            inner,
            line: Vec::new(),
            out: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: BufRead> Read for CommaSeparated<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.out.len() {
            self.line.clear();
            if self.inner.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            for (i, field) in self
                .line
                .split(u8::is_ascii_whitespace)
                .filter(|f| !f.is_empty())
                .enumerate()
            {
                if i > 0 {
                    self.out.push(b',');
                }
                self.out.extend_from_slice(field);
            }
            self.out.push(b'\n');
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
