//! Splitting the text of a CSV file into records.
//!
//! Most transaction files hold no quote at all. For those, cutting lines at
//! `\n` (or `\r\n`) and fields at the delimiter gives the records the csv
//! crate gives, at a fraction of the cost of its state machine. The first
//! quote, or carriage return other than the one of a `\r\n` line end, hands
//! the rest of the text to the csv crate, which then reads every remaining
//! record, so the records are the csv crate's in every case.
//!
//! A record's line is the physical line it starts on, as an editor shows it
//! (every `\n` counts, blank lines included). The csv crate gives a record the
//! count it stood at before skipping the blank lines (and the `\n` of a `\r\n`)
//! in front of it, so its count is corrected from the raw text ([`Tap`]).

use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use super::options::ReadOptions;
use crate::error::{Error, Result};

/// A CSV reader over a boxed byte stream.
pub(crate) type CsvReader<'r> = csv::Reader<Box<dyn Read + Send + 'r>>;

/// Where the records come from.
pub(crate) enum Records<'r> {
    /// The csv crate's reader; its line numbers are shifted by `lines_before`
    /// and corrected from the raw text seen through `tap`.
    Csv {
        csv: CsvReader<'r>,
        lines_before: u64,
        tap: Tap,
    },
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
        csv_reader: impl Fn(Box<dyn Read + Send + 'r>) -> Result<(CsvReader<'r>, Vec<String>, Tap)>,
    ) -> Result<(Self, Vec<String>)> {
        let mut reader: Box<dyn Read + Send + 'r> = Box::new(reader);
        let plain_header =
            options.header && !options.whitespace_separated && ![b'"', b'\n', b'\r'].contains(&options.delimiter);
        if !plain_header {
            let (csv, names, tap) = csv_reader(reader)?;
            let csv = Records::Csv {
                csv,
                lines_before: 0,
                tap,
            };
            return Ok((csv, names));
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
            let (csv, names, tap) = csv_reader(Box::new(Cursor::new(head).chain(reader)))?;
            let csv = Records::Csv {
                csv,
                lines_before: 0,
                tap,
            };
            return Ok((csv, names));
        };
        // The names through the csv crate all the same (it drops a byte-order mark, for one).
        let (_, names, _) = csv_reader(Box::new(Cursor::new(head[..=end].to_vec())))?;
        head.drain(..=end);
        let plain = Plain {
            reader,
            text: head,
            start: 0,
            line: 2,
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
    /// The physical line (1-based) of the next line to cut.
    line: u64,
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
            let bytes = if newline { without_cr(bytes).0 } else { bytes };
            if needs_csv(bytes) {
                return Ok(Next::NeedsCsv);
            }
            self.start += used;
            let number = self.line;
            self.line += u64::from(newline);
            if bytes.is_empty() {
                continue;
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
    pub(crate) fn into_csv(self, csv_reader: impl FnOnce(Box<dyn Read + Send + 'r>) -> CsvReader<'r>) -> Records<'r> {
        let Plain {
            reader,
            mut text,
            start,
            line,
            ..
        } = self;
        text.drain(..start);
        let (tap, rest) = Tap::wrap(Box::new(Cursor::new(text).chain(reader)));
        Records::Csv {
            csv: csv_reader(rest),
            lines_before: line - 1,
            tap,
        }
    }
}

/// The raw text the csv crate has read and not yet passed by. The crate
/// neither says where a record's text begins (it gives the count of lines it
/// stood at before skipping blank lines) nor whether a quote was left open at
/// the end; both are read off the raw bytes of the record.
#[derive(Clone, Default)]
pub(crate) struct Tap(Arc<Mutex<Seen>>);

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tap")
    }
}

/// Passed bytes a [`Tap`] lets pile up before it forgets them.
const COMPACT_BYTES: usize = 1 << 16;

/// The bytes from offset `base` of the stream on.
#[derive(Default)]
struct Seen {
    base: u64,
    bytes: Vec<u8>,
}

/// A reader that copies what it reads into a [`Tap`].
struct Tapped<'r> {
    inner: Box<dyn Read + Send + 'r>,
    tap: Tap,
}

impl Read for Tapped<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tap.seen().bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Tap {
    /// `reader`, its bytes kept in the returned tap as they are read.
    pub(crate) fn wrap<'r>(reader: Box<dyn Read + Send + 'r>) -> (Tap, Box<dyn Read + Send + 'r>) {
        let tap = Tap::default();
        let tapped = Tapped {
            inner: reader,
            tap: tap.clone(),
        };
        (tap, Box::new(tapped))
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `look` at the raw bytes from stream offset `start` to `end`; the bytes
    /// before `start` may be forgotten (the csv crate has passed them).
    pub(crate) fn record<T>(&self, start: u64, end: u64, look: impl FnOnce(&[u8]) -> T) -> T {
        let mut seen = self.seen();
        let offset = |seen: &Seen, at: u64| {
            let i = usize::try_from(at.saturating_sub(seen.base)).unwrap_or(usize::MAX);
            i.min(seen.bytes.len())
        };
        let mut from = offset(&seen, start);
        // Forgotten in large steps, each moving no more bytes than it frees:
        // dropping them record by record would move the buffer once per record.
        if from >= COMPACT_BYTES && 2 * from >= seen.bytes.len() {
            seen.bytes.drain(..from);
            seen.base += from as u64;
            from = 0;
        }
        let to = offset(&seen, end).max(from);
        look(&seen.bytes[from..to])
    }
}
