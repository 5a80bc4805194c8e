//! The row loop shared by every CSV source: open (plain, gzip or
//! whitespace-separated), resolve the mapped columns against the header,
//! parse each row, and keep it or drop it with a counted reason.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc;

use flate2::read::MultiGzDecoder;

use super::audit::{DropReason, IngestAudit, RowIssue};
use super::dates::DateParser;
use super::options::{BadRowPolicy, ReadOptions};
use super::split::{CsvReader, Next, Records, Tap};
use crate::error::{Error, Result};

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
        seen: Default::default(),
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
    let RowParser { audit, dates, .. } = rows;
    if audit.rows_read > 0 && audit.rows_kept == 0 {
        return Err(no_row_survived(path, &audit, &dates));
    }
    Ok(audit)
}

/// Records split from the text, reused from batch to batch.
struct Batch {
    records: Vec<csv::ByteRecord>,
    len: usize,
    /// A quote left open at the end of the file, after the records.
    unclosed: Option<Unclosed>,
}

/// A record whose quote is never closed: the csv crate reads the rest of the
/// file into its last field, so each line it swallowed is counted here.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unclosed {
    /// The physical line where the record (and its open quote) begins.
    line: u64,
    /// The non-blank lines from there to the end of the file.
    lines: u64,
    /// The field whose quote is open (0-based).
    field: usize,
    /// The text of the line where it opened (shortened).
    text: String,
}

/// What [`next_record`] found.
#[derive(Debug, PartialEq)]
pub(crate) enum Got {
    Record,
    End,
    /// A record with an open quote, which ends the input.
    Unclosed(Unclosed),
}

const BATCH_RECORDS: usize = 4096;

/// Reads records into batches until the end of the input, an error, or the consumer stops.
fn split_records(
    mut records: Records<'_>,
    path: &Path,
    options: &ReadOptions,
    full: &mpsc::SyncSender<Result<Batch>>,
    empties: &mpsc::Receiver<Batch>,
) {
    loop {
        let mut batch = empties.try_recv().unwrap_or_else(|_| Batch {
            records: vec![csv::ByteRecord::new(); BATCH_RECORDS],
            len: 0,
            unclosed: None,
        });
        (batch.len, batch.unclosed) = (0, None);
        let mut done = false;
        while batch.len < BATCH_RECORDS && !done {
            match next_record(&mut records, &mut batch.records[batch.len], path, options) {
                Ok(Got::Record) => batch.len += 1,
                Ok(Got::End) => done = true,
                Ok(Got::Unclosed(open)) => (batch.unclosed, done) = (Some(open), true),
                Err(e) => {
                    let _ = full.send(Err(e));
                    return;
                }
            }
        }
        if full.send(Ok(batch)).is_err() || done {
            return;
        }
    }
}

/// Reads the next record into `record`, its position set to the physical line it starts on.
fn next_record(
    records: &mut Records<'_>,
    record: &mut csv::ByteRecord,
    path: &Path,
    options: &ReadOptions,
) -> Result<Got> {
    loop {
        match records {
            Records::Plain(plain) => match plain.next_record(record, path)? {
                Next::Record => return Ok(Got::Record),
                Next::End => return Ok(Got::End),
                Next::NeedsCsv => {
                    let Records::Plain(plain) = std::mem::replace(records, Records::Done) else {
                        unreachable!("matched as plain above")
                    };
                    *records = plain.into_csv(|r| csv_builder(options).has_headers(false).from_reader(r));
                }
            },
            Records::Csv { csv, lines_before, tap } => {
                let more = csv
                    .read_byte_record(record)
                    .map_err(|e| csv_error(path, &e, *lines_before))?;
                if !more {
                    return Ok(Got::End);
                }
                return Ok(locate_csv_record(
                    record,
                    csv.position().byte(),
                    *lines_before,
                    tap,
                    options,
                ));
            }
            Records::Done => return Ok(Got::End),
        }
    }
}

/// Sets a record of the csv crate to its physical line, and finds a quote left open in it.
fn locate_csv_record(
    record: &mut csv::ByteRecord,
    end: u64,
    lines_before: u64,
    tap: &Tap,
    options: &ReadOptions,
) -> Got {
    let mut position = record.position().cloned().unwrap_or_else(csv::Position::new);
    let delimiter = if options.whitespace_separated {
        b','
    } else {
        options.delimiter
    };
    let (skipped, open) = tap.record(position.byte(), end, |raw| {
        let (skipped, text) = after_line_ends(raw);
        // Only a record that reached the end of the input, or spans lines, can hold an open quote.
        let suspect = !text.ends_with(b"\n") && !text.ends_with(b"\r")
            || memchr::memchr2(b'\n', b'\r', record.as_slice()).is_some();
        let open = suspect && !quotes_close(text, delimiter);
        (skipped, open.then(|| opening(text)))
    });
    let line = position.line() + skipped + lines_before;
    position.set_line(line);
    record.set_position(Some(position));
    match open {
        Some((lines, text)) => Got::Unclosed(Unclosed {
            line,
            lines,
            field: record.len().saturating_sub(1),
            text,
        }),
        None => Got::Record,
    }
}

/// The number of `\n` in the line ends before a record's text (blank lines the
/// csv crate skips, the `\n` of a `\r\n`), and the text after them.
fn after_line_ends(raw: &[u8]) -> (u64, &[u8]) {
    let run = raw.iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
    let newlines = raw[..run].iter().filter(|&&b| b == b'\n').count();
    (newlines as u64, &raw[run..])
}

/// Whether the record `text` ends outside a quoted field: a line end after it
/// then ends the record. Read by the same state machine as the csv crate's.
fn quotes_close(text: &[u8], delimiter: u8) -> bool {
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let input = [text, b"\n"].concat();
    let (mut output, mut ends) = (vec![0; input.len()], vec![0; input.len() + 1]);
    let (result, ..) = reader.read_record(&input, &mut output, &mut ends);
    matches!(result, csv_core::ReadRecordResult::Record)
}

/// The non-blank lines of a record with an open quote, and its first line (shortened).
fn opening(text: &[u8]) -> (u64, String) {
    let lines = text
        .split(|&b| b == b'\n')
        .filter(|l| l.iter().any(|&b| b != b'\r'))
        .count();
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut shown = String::from_utf8_lossy(first).trim_end().to_owned();
    if let Some((cut, _)) = shown.char_indices().nth(80) {
        shown.truncate(cut);
        shown.push('…');
    }
    (lines as u64, shown)
}

/// The parse stage's state: the resolved fields, the date parser and the audit.
struct RowParser<'a> {
    fields: &'a [Option<Field>],
    /// Every column name, for an open quote in an unmapped column.
    names: &'a [String],
    /// Hashes of the rows read, to count exact duplicates.
    seen: rustc_hash::FxHashSet<u64>,
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
        let duplicate = self.is_duplicate(record);
        if let (true, Some(first)) = (duplicate && self.options.drop_duplicate_lines, self.fields[0].as_ref()) {
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

impl RowParser<'_> {
    /// Whether the record repeats an earlier one field for field (counted in the audit).
    fn is_duplicate(&mut self, record: &csv::ByteRecord) -> bool {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
        for field in record {
            field.hash(&mut hasher);
        }
        let repeat = !self.seen.insert(hasher.finish());
        self.audit.duplicate_rows += u64::from(repeat);
        repeat
    }
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
fn csv_builder(options: &ReadOptions) -> csv::ReaderBuilder {
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

/// A trimmed text field.
pub(crate) fn utf8(bytes: &[u8]) -> std::result::Result<&str, DropReason> {
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
pub(crate) fn number(bytes: &[u8]) -> std::result::Result<f64, DropReason> {
    number_text(std::str::from_utf8(bytes).map_err(|_| DropReason::NonNumericAmount)?)
}

/// [`number`] of a text.
fn number_text(s: &str) -> std::result::Result<f64, DropReason> {
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
) -> std::result::Result<Option<&'r str>, RowError<'f>> {
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
) -> std::result::Result<i64, RowError<'f>> {
    date_text(utf8(&record[field.index]).map_err(|r| (r, field))?, field, dates)
}

/// [`date`] of a trimmed text.
fn date_text<'f>(text: &str, field: &'f Field, dates: &mut DateParser) -> std::result::Result<i64, RowError<'f>> {
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
    pub(crate) fn text<'f>(&self, field: &'f Field) -> std::result::Result<&'r str, RowError<'f>> {
        match self.raw(field.index) {
            Some(s) => Ok(trim(s)),
            None => utf8(&self.record[field.index]).map_err(|r| (r, field)),
        }
    }

    /// As [`optional_text`].
    pub(crate) fn optional<'f>(&self, field: &'f Option<Field>) -> std::result::Result<Option<&'r str>, RowError<'f>> {
        field.as_ref().map(|f| self.text(f)).transpose()
    }

    /// As [`number`], of a field.
    pub(crate) fn number<'f>(&self, field: &'f Field) -> std::result::Result<f64, RowError<'f>> {
        match self.raw(field.index) {
            Some(s) => number_text(s),
            None => number(&self.record[field.index]),
        }
        .map_err(|r| (r, field))
    }

    /// As [`date`].
    pub(crate) fn date<'f>(&self, field: &'f Field, dates: &mut DateParser) -> std::result::Result<i64, RowError<'f>> {
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

fn expected_for(reason: DropReason, dates: &DateParser) -> String {
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
fn no_row_survived(source: &Path, audit: &IngestAudit, dates: &DateParser) -> Error {
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
fn csv_error(source: &Path, e: &csv::Error, lines_before: u64) -> Error {
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
mod tests {
    use super::*;

    type Split = (Vec<String>, Vec<(u64, Vec<String>)>);

    fn fields(record: &csv::ByteRecord) -> (u64, Vec<String>) {
        let line = record.position().map_or(0, csv::Position::line);
        (
            line,
            record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect(),
        )
    }

    /// The names and records (with their lines) as the scan splits them.
    fn split(text: &str) -> Split {
        let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
        let (mut records, names) =
            Records::open(text.as_bytes(), path, &options, |r| csv_reader(r, path, &options)).unwrap();
        (names, drain(&mut records))
    }

    fn drain(records: &mut Records<'_>) -> Vec<(u64, Vec<String>)> {
        let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
        let (mut out, mut record) = (Vec::new(), csv::ByteRecord::new());
        while next_record(records, &mut record, path, &options).unwrap() == Got::Record {
            out.push(fields(&record));
        }
        out
    }

    /// The same with every record read by the csv crate, its lines corrected.
    fn through_csv(text: &str) -> Split {
        let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
        let (csv, names, tap) = csv_reader(text.as_bytes(), path, &options).unwrap();
        let mut records = Records::Csv {
            csv,
            lines_before: 0,
            tap,
        };
        (names, drain(&mut records))
    }

    /// The csv crate's records alone (its own line numbers dropped).
    fn csv_crate(text: &str) -> Vec<Vec<String>> {
        let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
        let (mut csv, _, _) = csv_reader(text.as_bytes(), path, &options).unwrap();
        let (mut out, mut record) = (Vec::new(), csv::ByteRecord::new());
        while csv.read_byte_record(&mut record).unwrap() {
            out.push(fields(&record).1);
        }
        out
    }

    /// Both paths give the csv crate's records, on the same physical lines.
    fn assert_paths_agree(text: &str) {
        let (plain, csv) = (split(text), through_csv(text));
        assert_eq!(plain, csv, "{text:?}");
        let records: Vec<Vec<String>> = plain.1.into_iter().map(|(_, r)| r).collect();
        assert_eq!(records, csv_crate(text), "{text:?}");
    }

    fn lines(text: &str) -> Vec<u64> {
        split(text).1.iter().map(|(line, _)| *line).collect()
    }

    /// Whether the whole text was split without the csv crate.
    fn stays_plain(text: &str) -> bool {
        let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
        let (mut records, _) =
            Records::open(text.as_bytes(), path, &options, |r| csv_reader(r, path, &options)).unwrap();
        let mut record = csv::ByteRecord::new();
        while next_record(&mut records, &mut record, path, &options).unwrap() == Got::Record {}
        matches!(records, Records::Plain(_))
    }

    #[test]
    fn plain_splitting_gives_the_csv_crates_records_on_physical_lines() {
        let texts = [
            "a,b\nx,1\n\ny,2\r\nz,3",
            "a,b\r\nx,1,\r\n\r\n,\n  ,2\n",
            "a,b\nx,1\n\"q,\nu\",2\nz,3\n",
            "\"a\",b\nx,1\n",
            "\u{feff}a,b\nx,1\n",
            "a,b\nx,1\ry,2\n",
            "a,b\n",
            "a,b",
            "\na,b\nx,1\n",
            // Blank lines: every later record's line counts them.
            "a,b\nx,1\n\ny,2\nz,3\n",
            "a,b\nx,1\n\n\n\ny,2\n\nz,3\n\n\n",
            // Blank lines, then a quote: the csv crate takes over and counts them.
            "a,b\nx,1\n\n\n\"q\",2\nz,3\n",
            "a,b\r\nx,1\r\n\r\n\"q\",2\r\n\r\nz,3\r\n",
            // Windows line ends, with blank lines, a lone `\r` and a `\r` inside a field.
            "a,b\r\nx,1\r\ny,2\r\n",
            "a,b\r\nx,1\r\n\r\n\r\ny,2\r\nz,3",
            "a,b\r\nx,1\r\ny,2\rz,3\r\n",
            "a,b\r\nx,1\r\ny\r,2\r\nz,3\r\n",
            "a,b\nx,1\r\n\ny,2\n\r\nz,3\n",
            "a,b\r\nx,1\r",
            "a,b\r\n\r\n",
            "\r\na,b\r\nx,1\r\n",
        ];
        for text in texts {
            assert_paths_agree(text);
        }
    }

    #[test]
    fn blank_lines_and_windows_line_ends_stay_on_the_plain_path() {
        for text in [
            "a,b\nx,1\n\n\ny,2\n",
            "a,b\r\nx,1\r\n\r\ny,2\r\n",
            "a,b\r\nx,1\ny,2\r\nz,3",
        ] {
            assert!(stays_plain(text), "{text:?}");
            assert_paths_agree(text);
        }
        for text in ["a,b\nx,1\ry,2\n", "a,b\r\nx,\"1\"\r\n", "a,b\r\nx,1\r"] {
            assert!(!stays_plain(text), "{text:?}");
        }
    }

    #[test]
    fn a_quote_after_many_chunks_hands_over_with_the_right_lines() {
        for line_end in ["\n", "\r\n"] {
            let mut text = format!("id,value{line_end}");
            for i in 0..300_000 {
                text.push_str(&format!("c{i},{i}{line_end}"));
                if i % 1000 == 7 {
                    text.push_str(line_end);
                }
                if i == 250_000 {
                    text.push_str(&format!("{line_end}\"quoted\nline\",1{line_end}"));
                }
            }
            assert!(text.len() > 2 * super::super::split::CHUNK_BYTES);
            assert_paths_agree(&text);
        }
    }

    #[test]
    fn records_carry_the_line_an_editor_shows() {
        // Blank lines and Windows line ends, on the plain path and after a quote hands over to the csv crate.
        assert_eq!(lines("a,b\nx,1\n\ny,2\n\n\nz,3\n"), [2, 4, 7]);
        assert_eq!(lines("a,b\r\nx,1\r\ny,2\r\n\r\nz,3\r\n"), [2, 3, 5]);
        assert_eq!(lines("a,b\r\nx,1\r\n\r\n\"q\",2\r\n\r\nz,3\r\n"), [2, 4, 6]);
        assert_eq!(lines("a,b\nx,1\n\"multi\nline\",2\n\nz,3\n"), [2, 3, 6]);
        assert_eq!(lines("\"a\",b\r\n\r\nx,1\r\ny,2\r\n"), [3, 4]);
    }

    /// Reads `text` with the transaction columns `c,d,a`.
    fn scan_text(text: &str, options: &ReadOptions) -> Result<IngestAudit> {
        let wanted = [
            Wanted {
                parameter: "customer_col",
                column: Some("c"),
            },
            Wanted {
                parameter: "amount_col",
                column: Some("a"),
            },
        ];
        scan_reader(
            text.as_bytes(),
            Path::new("t.csv"),
            &wanted,
            options,
            take_amount,
            |()| Ok(()),
        )
    }

    fn take_amount<'f>(
        record: &csv::ByteRecord,
        fields: &'f [Option<Field>],
        _: &mut DateParser,
        (): &mut (),
    ) -> std::result::Result<(), RowError<'f>> {
        let Some(amount) = &fields[1] else {
            unreachable!("two mapped columns")
        };
        number(&record[amount.index]).map(drop).map_err(|e| (e, amount))
    }

    /// 121 rows; a quote opens on row 11 (line 12) and is never closed.
    fn unclosed_quote_file() -> String {
        let mut text = String::from("c,d,a\n");
        for i in 0..121 {
            let amount = if i == 10 { "\"2".to_string() } else { i.to_string() };
            text.push_str(&format!("C{i},2024-01-02,{amount}\n"));
            if i == 60 {
                text.push('\n');
            }
        }
        text
    }

    #[test]
    fn an_unclosed_quote_counts_every_line_it_swallows() {
        let audit = scan_text(&unclosed_quote_file(), &ReadOptions::default()).unwrap();
        assert_eq!((audit.rows_read, audit.rows_kept), (121, 10));
        assert_eq!(audit.dropped_for(DropReason::UnclosedQuote), 111);
        assert!(audit.is_balanced());
        let example = &audit.dropped[&DropReason::UnclosedQuote].examples[0];
        assert_eq!((example.line, example.column.as_str()), (12, "a"));
        assert_eq!(example.value, "C10,2024-01-02,\"2");
    }

    #[test]
    fn an_unclosed_quote_is_an_error_in_strict_mode_naming_where_it_opened() {
        let strict = ReadOptions {
            on_bad_row: BadRowPolicy::Fail,
            ..ReadOptions::default()
        };
        let err = scan_text(&unclosed_quote_file(), &strict).unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv line 12: malformed CSV: the quote opened in column \"a\""),
            "{err}"
        );
        assert!(err.contains("never closed"), "{err}");
        // On the last line, with nothing after it, too.
        let err = scan_text("c,d,a\nx,1,2\ny,1,\"3\n", &strict).unwrap_err().to_string();
        assert!(err.starts_with("t.csv line 3:"), "{err}");
    }

    #[test]
    fn closed_quotes_across_lines_are_ordinary_records() {
        let text = "c,d,a\nx,\"two\nlines\",1\ny,1,\"2\"";
        let audit = scan_text(text, &ReadOptions::default()).unwrap();
        assert_eq!((audit.rows_read, audit.rows_kept), (2, 2));
    }

    #[test]
    fn exact_duplicate_rows_are_counted_and_dropped_on_request() {
        let text = "c,d,a\nx,1,2\nx,1,2\ny,1,2\nx,1,2\nx,12,\n";
        let audit = scan_text(text, &ReadOptions::default()).unwrap();
        assert_eq!((audit.rows_read, audit.rows_kept, audit.duplicate_rows), (5, 4, 2));
        let dropping = ReadOptions {
            drop_duplicate_lines: true,
            ..ReadOptions::default()
        };
        let audit = scan_text(text, &dropping).unwrap();
        assert_eq!((audit.rows_kept, audit.dropped_for(DropReason::DuplicateLine)), (2, 2));
        assert!(audit.is_balanced());
        let lines: Vec<u64> = audit.dropped[&DropReason::DuplicateLine]
            .examples
            .iter()
            .map(|e| e.line)
            .collect();
        assert_eq!(lines, [3, 5]);
    }
}
