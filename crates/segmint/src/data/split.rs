//! Splitting the text of a CSV file into records.
//!
//! Most transaction files hold no quote at all. For those, cutting lines at
//! `\n` (or `\r\n`) and fields at the delimiter gives the records the csv
//! crate gives, at a fraction of the cost of its state machine. The first
//! quote, or carriage return other than the one of a `\r\n` line end, hands
//! the rest of the text to the csv crate, which then reads every remaining
//! record (line numbers carried over), so the records and their line numbers
//! are the csv crate's in every case.
//!
//! The csv crate counts every `\n` it consumes, blank lines included, and
//! gives a record the count it stood at when it began reading it: the count
//! after the previous record's line end. Blank lines before a record (and the
//! `\n` of a `\r\n`, which it consumes with the next record) are counted
//! for the records after it.

use std::io::{Cursor, Read};
use std::path::Path;

use super::io::ReadOptions;
use crate::error::{Error, Result};

/// A CSV reader over a boxed byte stream.
pub(crate) type CsvReader<'r> = csv::Reader<Box<dyn Read + Send + 'r>>;

/// Where the records come from.
pub(crate) enum Records<'r> {
    /// The csv crate's reader; its line numbers are shifted by `lines_before`.
    Csv { csv: CsvReader<'r>, lines_before: u64 },
    /// Plain lines, split here.
    Plain(Plain<'r>),
    /// Nothing left (only while the plain lines are handed to the csv crate).
    Done,
}

/// How much text is read ahead to find the header line, and then per refill.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

impl<'r> Records<'r> {
    /// The data records of `reader` and the column names of its header.
    ///
    /// `csv_reader` builds the csv crate's reader (and the names) for any stream.
    pub(crate) fn open(
        reader: impl Read + Send + 'r,
        path: &Path,
        options: &ReadOptions,
        csv_reader: impl Fn(Box<dyn Read + Send + 'r>) -> Result<(CsvReader<'r>, Vec<String>)>,
    ) -> Result<(Self, Vec<String>)> {
        let mut reader: Box<dyn Read + Send + 'r> = Box::new(reader);
        let plain_header =
            options.header && !options.whitespace_separated && ![b'"', b'\n', b'\r'].contains(&options.delimiter);
        if !plain_header {
            let (csv, names) = csv_reader(reader)?;
            return Ok((Records::Csv { csv, lines_before: 0 }, names));
        }
        let mut head = Vec::new();
        (&mut reader)
            .take(CHUNK_BYTES as u64)
            .read_to_end(&mut head)
            .map_err(|e| Error::io(path, e))?;
        let plain = |header: &[u8]| !header.is_empty() && !needs_csv(header);
        let header_end = memchr::memchr(b'\n', &head).filter(|&end| plain(without_cr(&head[..end]).0));
        let Some(end) = header_end else {
            // A quoted (perhaps multi-line) header, a blank first line (skipped by the csv
            // crate), or no line break in the first chunk: the csv crate reads it all.
            let (csv, names) = csv_reader(Box::new(Cursor::new(head).chain(reader)))?;
            return Ok((Records::Csv { csv, lines_before: 0 }, names));
        };
        // The names through the csv crate all the same (it drops a byte-order mark, for one).
        let (_, names) = csv_reader(Box::new(Cursor::new(head[..=end].to_vec())))?;
        // The csv crate ends a `\r\n` header at the `\r` and counts its `\n` with the first record.
        let crlf = without_cr(&head[..end]).1;
        head.drain(..=end);
        let plain = Plain {
            reader,
            text: head,
            start: 0,
            line: if crlf { 1 } else { 2 },
            pending: u64::from(crlf),
            delimiter: options.delimiter,
            end_of_input: false,
        };
        Ok((Records::Plain(plain), names))
    }
}

/// Whether a line (without its line end) needs the csv crate: a quote, or a
/// carriage return (a line break of its own to the csv crate).
fn needs_csv(line: &[u8]) -> bool {
    memchr::memchr2(b'"', b'\r', line).is_some()
}

/// A line cut at `\n` without the `\r` of a `\r\n` line end, and whether it had one.
fn without_cr(line: &[u8]) -> (&[u8], bool) {
    match line.strip_suffix(b"\r") {
        Some(line) => (line, true),
        None => (line, false),
    }
}

/// Quote-free lines cut from the text.
pub(crate) struct Plain<'r> {
    reader: Box<dyn Read + Send + 'r>,
    /// Text read and not yet split; `start` is where the next line begins.
    text: Vec<u8>,
    start: usize,
    /// The csv crate's line count after the last record (or the header): the
    /// line number it gives the next record.
    line: u64,
    /// The `\n`s consumed since (blank lines, the `\n` of a `\r\n` record
    /// end), which the csv crate counts while it reads the next record.
    pending: u64,
    delimiter: u8,
    end_of_input: bool,
}

/// What [`Plain::next_record`] found.
pub(crate) enum Next {
    /// A record was written.
    Record,
    /// The text is over.
    End,
    /// The next line needs the csv crate.
    NeedsCsv,
}

impl<'r> Plain<'r> {
    /// Splits the next non-empty line into `record` (empty lines are skipped, as the csv crate does).
    pub(crate) fn next_record(&mut self, record: &mut csv::ByteRecord, path: &Path) -> Result<Next> {
        loop {
            let rest = &self.text[self.start..];
            let (bytes, used, newline) = match memchr::memchr(b'\n', rest) {
                Some(end) => (&rest[..end], end + 1, true),
                None if self.end_of_input => (rest, rest.len(), false),
                None => {
                    self.refill(path)?;
                    continue;
                }
            };
            if used == 0 {
                return Ok(Next::End);
            }
            // A `\r` before the `\n` is part of the line end (at the end of the input, a lone one).
            let (bytes, crlf) = if newline { without_cr(bytes) } else { (bytes, false) };
            if needs_csv(bytes) {
                return Ok(Next::NeedsCsv);
            }
            self.start += used;
            if bytes.is_empty() {
                self.pending += 1;
                continue;
            }
            let number = self.line;
            if crlf {
                // The csv crate ends this record at the `\r` and counts the `\n` with the next one.
                self.line += self.pending;
                self.pending = 1;
            } else {
                self.line += self.pending + u64::from(newline);
                self.pending = 0;
            }
            record.clear();
            for field in bytes.split(|&b| b == self.delimiter) {
                record.push_field(field);
            }
            let mut position = csv::Position::new();
            position.set_line(number);
            record.set_position(Some(position));
            return Ok(Next::Record);
        }
    }

    /// Moves the unsplit text to the front and reads more after it.
    fn refill(&mut self, path: &Path) -> Result<()> {
        self.text.drain(..self.start);
        self.start = 0;
        let before = self.text.len();
        (&mut self.reader)
            .take(CHUNK_BYTES as u64)
            .read_to_end(&mut self.text)
            .map_err(|e| Error::io(path, e))?;
        self.end_of_input = self.text.len() == before;
        Ok(())
    }

    /// The csv crate's reader over the rest of the text, from the next line on.
    ///
    /// The `\n`s consumed since the last record are given back in front of
    /// it, so that the csv crate counts them where it would have.
    pub(crate) fn into_csv(self, csv_reader: impl FnOnce(Box<dyn Read + Send + 'r>) -> CsvReader<'r>) -> Records<'r> {
        let Plain {
            reader,
            mut text,
            start,
            line,
            pending,
            ..
        } = self;
        text.drain(..start);
        let skipped = std::io::repeat(b'\n').take(pending);
        Records::Csv {
            csv: csv_reader(Box::new(skipped.chain(Cursor::new(text)).chain(reader))),
            lines_before: line - 1,
        }
    }
}
