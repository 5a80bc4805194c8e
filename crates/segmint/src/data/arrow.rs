//! Transactions from Arrow record batches: the tables of polars, pyarrow,
//! DuckDB and Spark in memory, and the Parquet reader's output.
//!
//! Column types come from the table: timestamps (any unit; with a time zone
//! they are UTC instants), dates, or text parsed as the CSV reader parses it;
//! amounts as any integer, float or decimal, or text; ids as text (plain,
//! large, view or dictionary-encoded) or integers. Every row is kept or
//! dropped with the CSV reader's reasons, and the audit balances; a row's
//! `line` is its 1-based row number in the table (or in its Parquet file).

use std::hash::{BuildHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Date64Type, Float64Type, Int64Type};
use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray};
use arrow_cast::{CastOptions, cast_with_options};
use arrow_schema::{DataType, Schema, TimeUnit};
use rayon::prelude::*;

use super::audit::{DropReason, IngestAudit, Repeats, RowIssue};
use super::dates::{DateParser, SECONDS_PER_DAY};
use super::io::{TransactionColumns, flag_text};
use super::options::{BadRowPolicy, ReadOptions};
use super::scan::{expected_for, no_row_survived};
use super::transactions::{IdHashes, Line, Transactions, TransactionsBuilder};
use crate::error::{Error, Result};

/// Reads transactions from Arrow record batches that share `schema`;
/// `source` names them in errors and in the audit.
pub fn read_transactions_arrow(
    schema: &Schema,
    batches: impl IntoIterator<Item = std::result::Result<RecordBatch, arrow_schema::ArrowError>>,
    source: &Path,
    columns: &TransactionColumns,
    options: &ReadOptions,
) -> Result<(Transactions, IngestAudit)> {
    let mut reader = ArrowReader::new(columns, options, source);
    let table = reader.resolve(schema, source)?;
    for batch in batches {
        let batch = batch.map_err(|e| Error::malformed(source, "Arrow", e))?;
        reader.add(&table, &batch, source)?;
    }
    reader.finish()
}

/// The mapped columns' positions in a table, in [`TransactionColumns`]' order.
pub(crate) struct Resolved {
    /// Position of each wanted column (customer, date, amount, price, order,
    /// quantity, product, category, channel, discount).
    positions: [Option<usize>; 10],
    names: [Option<String>; 10],
}

impl Resolved {
    /// The positions of the mapped columns, for a Parquet projection.
    #[cfg(feature = "parquet")]
    pub(crate) fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.positions.iter().flatten().copied()
    }
}

/// Builds transactions from batches, one source after another.
pub(crate) struct ArrowReader<'a> {
    columns: &'a TransactionColumns,
    options: &'a ReadOptions,
    builder: TransactionsBuilder,
    audit: IngestAudit,
    dates: DateParser,
    repeats: Repeats,
    /// The date column's type in the first source, which later ones must share.
    date_type: Option<(PathBuf, DataType)>,
    /// Rows of the current source read before this batch.
    row: u64,
}

impl<'a> ArrowReader<'a> {
    pub(crate) fn new(columns: &'a TransactionColumns, options: &'a ReadOptions, source: &Path) -> Self {
        ArrowReader {
            columns,
            options,
            builder: TransactionsBuilder::with_fields(columns.fields()),
            audit: IngestAudit::new(source.display().to_string()),
            dates: DateParser::new(options.date_format.clone()),
            repeats: Repeats::new(options.drop_duplicate_lines),
            date_type: None,
            row: 0,
        }
    }

    /// Finds the mapped columns of a source and checks their types (a new
    /// source restarts the row count).
    pub(crate) fn resolve(&mut self, schema: &Schema, source: &Path) -> Result<Resolved> {
        self.row = 0;
        let mut positions = [None; 10];
        let mut names: [Option<String>; 10] = Default::default();
        for (slot, wanted) in self.columns.wanted().iter().enumerate() {
            let Some(name) = wanted.column else { continue };
            let Ok(position) = schema.index_of(name) else {
                let available: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                return Err(Error::MissingColumn {
                    path: source.to_path_buf(),
                    parameter: wanted.parameter,
                    column: name.to_string(),
                    available: available.join(", "),
                });
            };
            let data_type = schema.field(position).data_type();
            check_type(slot, data_type).map_err(|expected| Error::ColumnType {
                path: source.to_path_buf(),
                column: name.to_string(),
                parameter: wanted.parameter,
                found: data_type.to_string(),
                expected,
            })?;
            positions[slot] = Some(position);
            names[slot] = Some(name.to_string());
        }
        let date_type = schema
            .field(positions[DATE].expect("the date column is required"))
            .data_type();
        match &self.date_type {
            Some((first, earlier)) if earlier != date_type => {
                return Err(Error::ColumnType {
                    path: source.to_path_buf(),
                    column: names[DATE].clone().unwrap_or_default(),
                    parameter: "date_col",
                    found: format!("{date_type}, where {} has {earlier}", first.display()),
                    expected: "the same date type (and time zone) in every file",
                });
            }
            Some(_) => {}
            None => self.date_type = Some((source.to_path_buf(), date_type.clone())),
        }
        Ok(Resolved { positions, names })
    }

    /// Keeps or drops every row of a batch (an error on the first bad row in strict mode).
    pub(crate) fn add(&mut self, table: &Resolved, batch: &RecordBatch, source: &Path) -> Result<()> {
        self.builder.check_room(batch.num_rows(), source)?;
        let columns = BatchColumns::new(table, batch)?;
        for start in (0..batch.num_rows()).step_by(PARSE_ROWS) {
            let rows = start..(start + PARSE_ROWS).min(batch.num_rows());
            let parsed = self.parse(&columns, rows.clone());
            for (group, first) in parsed.chunks(WARM_LINES).zip((rows.start..).step_by(WARM_LINES)) {
                self.builder
                    .warm(group.iter().filter_map(|p| p.as_ref().ok()).map(|p| p.hashes));
                for (i, outcome) in (first..).zip(group) {
                    self.take(table, &columns, i, outcome, source)?;
                }
            }
        }
        Ok(())
    }

    /// Rows `rows` of a batch as lines, in parallel (reading a row has no side effect).
    fn parse<'c>(&self, columns: &'c BatchColumns, rows: std::ops::Range<usize>) -> Vec<Parsed<'c>> {
        let not_after = self.options.not_after;
        rows.into_par_iter()
            .map_init(
                || self.dates.clone(),
                |dates, i| {
                    let line = columns.line(i, dates, not_after)?;
                    Ok(ParsedLine {
                        hashes: IdHashes::of(&line),
                        repeat: repeat_hash(&line),
                        line,
                    })
                },
            )
            .collect()
    }

    /// Keeps one parsed row, or drops it with its reason (an error in strict mode).
    fn take(
        &mut self,
        table: &Resolved,
        columns: &BatchColumns,
        i: usize,
        outcome: &Parsed<'_>,
        source: &Path,
    ) -> Result<()> {
        self.row += 1;
        self.audit.rows_read += 1;
        match outcome {
            Ok(parsed) => {
                if self.repeats.note(parsed.repeat, &mut self.audit) {
                    let issue = columns.issue(table, CUSTOMER, i, self.row);
                    self.audit.drop_row(DropReason::DuplicateLine, issue);
                    return Ok(());
                }
                self.audit.rows_kept += 1;
                self.audit.return_rows += u64::from(parsed.line.amount < 0.0);
                self.builder.push_hashed(&parsed.line, parsed.hashes);
            }
            Err((reason, slot)) => {
                let issue = columns.issue(table, *slot, i, self.row);
                if self.options.on_bad_row == BadRowPolicy::Fail {
                    return Err(Error::Parse {
                        path: source.to_path_buf(),
                        line: issue.line,
                        column: issue.column,
                        value: issue.value,
                        expected: expected_for(*reason, &self.dates),
                    });
                }
                self.audit.drop_row(*reason, issue);
            }
        }
        Ok(())
    }

    /// The transactions and their audit; an error when no row could be kept.
    pub(crate) fn finish(mut self) -> Result<(Transactions, IngestAudit)> {
        self.repeats.finish(&mut self.audit);
        let source = PathBuf::from(&self.audit.source);
        if self.audit.rows_read == 0 {
            return Err(Error::EmptyInput { path: source });
        }
        if self.audit.rows_kept == 0 {
            return Err(no_row_survived(&source, &self.audit, &self.dates));
        }
        Ok((self.builder.finish(), self.audit))
    }
}

/// Rows read ahead in parallel before they are kept in order.
const PARSE_ROWS: usize = 1 << 16;

/// Lines whose id lookups [`TransactionsBuilder::warm`] reads ahead at once.
const WARM_LINES: usize = 16;

/// A row read as a line with its id hashes and the hash that finds repeats,
/// or why it cannot be one and the slot at fault.
type Parsed<'c> = std::result::Result<ParsedLine<'c>, (DropReason, usize)>;

struct ParsedLine<'c> {
    line: Line<'c>,
    hashes: IdHashes,
    repeat: u64,
}

/// The hash of every field of a line, to count exact repeats.
fn repeat_hash(line: &Line<'_>) -> u64 {
    let mut hasher = rustc_hash::FxBuildHasher.build_hasher();
    line.customer.hash(&mut hasher);
    line.timestamp.hash(&mut hasher);
    line.amount.to_bits().hash(&mut hasher);
    line.order.hash(&mut hasher);
    line.quantity.map(f64::to_bits).hash(&mut hasher);
    (line.product, line.category, line.channel, line.discounted).hash(&mut hasher);
    hasher.finish()
}

const CUSTOMER: usize = 0;
const DATE: usize = 1;
const AMOUNT: usize = 2;
const PRICE: usize = 3;
const ORDER: usize = 4;
const QUANTITY: usize = 5;
const DISCOUNT: usize = 9;

/// Whether a column of this type can fill the slot; else what it should hold.
fn check_type(slot: usize, data_type: &DataType) -> std::result::Result<(), &'static str> {
    let text = is_text(data_type);
    let ok = match slot {
        DATE => matches!(data_type, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64) || text,
        AMOUNT | PRICE | QUANTITY => data_type.is_numeric() || text,
        DISCOUNT => data_type.is_numeric() || text || *data_type == DataType::Boolean,
        _ => data_type.is_integer() || text,
    };
    if ok {
        return Ok(());
    }
    Err(match slot {
        DATE => "timestamps, dates or text dates",
        AMOUNT | PRICE | QUANTITY => "numbers (integer, float or decimal) or text numbers",
        DISCOUNT => "booleans, numbers or yes/no text",
        _ => "text or integer ids",
    })
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, values) => is_text(values),
        _ => false,
    }
}

/// One batch's mapped columns, converted once to the types a line needs.
struct BatchColumns {
    raw: [Option<ArrayRef>; 10],
    text: [Option<StringArray>; 10],
    numbers: [Option<Float64Array>; 10],
    /// Seconds since the epoch, when the date column holds timestamps or dates.
    seconds: Option<Vec<Option<i64>>>,
    flags: Option<BooleanArray>,
}

impl BatchColumns {
    fn new(table: &Resolved, batch: &RecordBatch) -> Result<Self> {
        let mut columns = BatchColumns {
            raw: Default::default(),
            text: Default::default(),
            numbers: Default::default(),
            seconds: None,
            flags: None,
        };
        for (slot, position) in table.positions.iter().enumerate() {
            let Some(position) = *position else { continue };
            let array = batch.column(position).clone();
            match slot {
                DATE if !is_text(array.data_type()) => columns.seconds = Some(seconds(&array)?),
                AMOUNT | PRICE | QUANTITY => {
                    columns.numbers[slot] = Some(to(&array, &DataType::Float64)?.as_primitive::<Float64Type>().clone())
                }
                DISCOUNT if *array.data_type() == DataType::Boolean => columns.flags = Some(array.as_boolean().clone()),
                DISCOUNT if array.data_type().is_numeric() => {
                    columns.numbers[slot] = Some(to(&array, &DataType::Float64)?.as_primitive::<Float64Type>().clone());
                }
                _ => columns.text[slot] = Some(to(&array, &DataType::Utf8)?.as_string::<i32>().clone()),
            }
            columns.raw[slot] = Some(array);
        }
        Ok(columns)
    }

    fn text(&self, slot: usize, i: usize) -> Option<&str> {
        let column = self.text[slot].as_ref()?;
        column.is_valid(i).then(|| column.value(i))
    }

    fn number(&self, slot: usize, i: usize) -> std::result::Result<f64, (DropReason, usize)> {
        let column = self.numbers[slot].as_ref().expect("a numeric slot");
        if column.is_valid(i) {
            let value = column.value(i);
            return if value.is_finite() {
                Ok(value)
            } else {
                Err((DropReason::NonNumericAmount, slot))
            };
        }
        // Text that did not parse is null after the cast, but not in the table.
        let raw = self.raw[slot].as_ref().expect("a mapped slot");
        if raw.is_valid(i) {
            Err((DropReason::NonNumericAmount, slot))
        } else {
            Err((DropReason::MissingAmount, slot))
        }
    }

    /// Row `i` as a line, or why it cannot be one and the slot at fault.
    fn line(
        &self,
        i: usize,
        dates: &mut DateParser,
        not_after: Option<i64>,
    ) -> std::result::Result<Line<'_>, (DropReason, usize)> {
        let customer = self.text(CUSTOMER, i).filter(|c| !c.is_empty());
        let customer = customer.ok_or((DropReason::MissingCustomer, CUSTOMER))?;
        let timestamp = match &self.seconds {
            Some(seconds) => seconds[i].ok_or((DropReason::MissingDate, DATE))?,
            None => {
                let text = self.text(DATE, i).filter(|t| !t.trim().is_empty());
                let text = text.ok_or((DropReason::MissingDate, DATE))?;
                dates.parse(text).ok_or((DropReason::UnparsableDate, DATE))?
            }
        };
        if not_after.is_some_and(|end| timestamp > end) {
            return Err((DropReason::FutureDate, DATE));
        }
        let first = self.number(AMOUNT, i)?;
        let (amount, quantity) = if self.numbers[PRICE].is_some() {
            (first * self.number(PRICE, i)?, Some(first))
        } else if self.numbers[QUANTITY].is_some() {
            (first, Some(self.number(QUANTITY, i)?))
        } else {
            (first, None)
        };
        let order = self.text(ORDER, i);
        if self.raw[ORDER].is_some() && order.is_none_or(str::is_empty) {
            return Err((DropReason::MissingOrder, ORDER));
        }
        Ok(Line {
            customer,
            timestamp,
            amount,
            order,
            quantity,
            product: self.optional(6, i),
            category: self.optional(7, i),
            channel: self.optional(8, i),
            discounted: self.discounted(i)?,
        })
    }

    /// An optional id: empty when the slot is mapped and the value null.
    fn optional(&self, slot: usize, i: usize) -> Option<&str> {
        self.text[slot].as_ref().map(|_| self.text(slot, i).unwrap_or(""))
    }

    fn discounted(&self, i: usize) -> std::result::Result<Option<bool>, (DropReason, usize)> {
        if self.raw[DISCOUNT].is_none() {
            return Ok(None);
        }
        if let Some(flags) = &self.flags {
            return Ok(Some(flags.is_valid(i) && flags.value(i)));
        }
        if let Some(numbers) = &self.numbers[DISCOUNT] {
            return Ok(Some(numbers.is_valid(i) && numbers.value(i) > 0.0));
        }
        let text = self.text(DISCOUNT, i).unwrap_or("");
        flag_text(text.trim())
            .map(Some)
            .ok_or((DropReason::UnreadableDiscount, DISCOUNT))
    }

    /// A dropped row's example: its row number, and the column and value at fault.
    fn issue(&self, table: &Resolved, slot: usize, i: usize, row: u64) -> RowIssue {
        let raw = self.raw[slot].as_ref().expect("a mapped slot");
        let value = if raw.is_null(i) {
            String::new()
        } else {
            arrow_cast::display::ArrayFormatter::try_new(raw.as_ref(), &Default::default())
                .map(|f| f.value(i).to_string())
                .unwrap_or_default()
        };
        RowIssue {
            line: row,
            column: table.names[slot].clone().unwrap_or_default(),
            value,
        }
    }
}

/// An Arrow cast that leaves unconvertible values null (counted as unreadable rows).
fn to(array: &ArrayRef, data_type: &DataType) -> Result<ArrayRef> {
    let options = CastOptions {
        safe: true,
        ..Default::default()
    };
    cast_with_options(array, data_type, &options).map_err(|e| Error::InvalidValue {
        what: format!("Arrow column of type {}", array.data_type()),
        value: data_type.to_string(),
        expected: format!("a type that converts ({e})"),
    })
}

/// Seconds since the epoch of a timestamp or date column (UTC instants for
/// a time zone; fractions of a second floored, as the CSV reader does).
fn seconds(array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    let per_second = |values: &dyn Fn(usize) -> i64, ticks: i64| -> Vec<Option<i64>> {
        (0..array.len())
            .map(|i| array.is_valid(i).then(|| values(i).div_euclid(ticks)))
            .collect()
    };
    Ok(match array.data_type() {
        DataType::Date32 => {
            let days = array.as_primitive::<Date32Type>();
            per_second(&|i| i64::from(days.value(i)) * SECONDS_PER_DAY as i64, 1)
        }
        DataType::Date64 => {
            let millis = array.as_primitive::<Date64Type>();
            per_second(&|i| millis.value(i), 1_000)
        }
        DataType::Timestamp(unit, _) => {
            let ticks = match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
            // The stored values are ticks since the epoch, in UTC when a zone is set.
            let plain = to(array, &DataType::Timestamp(*unit, None))?;
            let values = to(&plain, &DataType::Int64)?;
            let values = values.as_primitive::<Int64Type>();
            per_second(&|i| values.value(i), ticks)
        }
        other => unreachable!("check_type admits no date column of type {other}"),
    })
}
