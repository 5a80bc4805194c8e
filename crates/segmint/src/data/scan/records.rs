//! Cutting the input into CSV records, in batches on a thread of their own,
//! and locating a record the csv crate could not read (an open quote that
//! swallows the rest of the file is counted line by line).

use std::path::Path;
use std::sync::mpsc;

use super::{csv_builder, csv_error};
use crate::data::options::ReadOptions;
use crate::data::split::{Next, Records, Tap};
use crate::error::Result;

/// Records split from the text, reused from batch to batch.
pub(super) struct Batch {
    pub(super) records: Vec<csv::ByteRecord>,
    pub(super) len: usize,
    /// A quote left open at the end of the file, after the records.
    pub(super) unclosed: Option<Unclosed>,
}

/// A record whose quote is never closed: the csv crate reads the rest of the
/// file into its last field, so each line it swallowed is counted here.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Unclosed {
    /// The physical line where the record (and its open quote) begins.
    pub(super) line: u64,
    /// The non-blank lines from there to the end of the file.
    pub(super) lines: u64,
    /// The field whose quote is open (0-based).
    pub(super) field: usize,
    /// The text of the line where it opened (shortened).
    pub(super) text: String,
}

/// What [`next_record`] found.
#[derive(Debug, PartialEq)]
pub(super) enum Got {
    Record,
    End,
    /// A record with an open quote, which ends the input.
    Unclosed(Unclosed),
}

pub(super) const BATCH_RECORDS: usize = 4096;

/// Reads records into batches until the end of the input, an error, or the consumer stops.
pub(super) fn split_records(
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
pub(super) fn next_record(
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
