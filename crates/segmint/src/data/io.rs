//! Reading transaction CSV files (plain or gzip-compressed) and writing them back.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use super::audit::{DropReason, IngestAudit, RowIssue};
use super::dates::{DateFormat, DateParser, format_timestamp};
use super::transactions::{Transactions, TransactionsBuilder};
use crate::error::{Error, Result};

/// Where the amount of a line comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AmountColumns {
    /// One column holding the line amount.
    Amount(String),
    /// Amount = quantity × unit price.
    QuantityPrice {
        /// The quantity column.
        quantity: String,
        /// The unit-price column.
        price: String,
    },
}

/// Which CSV columns hold the transaction fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionColumns {
    /// Customer id column.
    pub customer: String,
    /// Date or timestamp column.
    pub date: String,
    /// Amount column(s).
    pub amount: AmountColumns,
    /// Optional order (invoice) id column; without it, each distinct purchase
    /// time of a customer is one order.
    pub order: Option<String>,
}

impl TransactionColumns {
    /// Mapping with a single amount column.
    pub fn new(customer: &str, date: &str, amount: &str) -> Self {
        TransactionColumns {
            customer: customer.into(),
            date: date.into(),
            amount: AmountColumns::Amount(amount.into()),
            order: None,
        }
    }

    /// Mapping with amount = quantity × unit price.
    pub fn with_quantity_price(customer: &str, date: &str, quantity: &str, price: &str) -> Self {
        TransactionColumns {
            customer: customer.into(),
            date: date.into(),
            amount: AmountColumns::QuantityPrice {
                quantity: quantity.into(),
                price: price.into(),
            },
            order: None,
        }
    }

    /// Adds the order id column.
    pub fn order(mut self, order: &str) -> Self {
        self.order = Some(order.into());
        self
    }
}

/// What to do with a row that cannot be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BadRowPolicy {
    /// Drop it and count it in the audit by reason.
    #[default]
    Drop,
    /// Stop with an error naming the line, column and value.
    Fail,
}

/// How to read a transaction file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadOptions {
    /// Layout of the date column.
    pub date_format: DateFormat,
    /// Field delimiter (`b','` by default; `b'\t'` for tab-separated files).
    pub delimiter: u8,
    /// Drop bad rows (audited) or fail on the first one.
    pub on_bad_row: BadRowPolicy,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            date_format: DateFormat::Auto,
            delimiter: b',',
            on_bad_row: BadRowPolicy::Drop,
        }
    }
}

/// Reads a transaction CSV (`.gz` files are decompressed on the fly).
///
/// Returns the kept lines and an audit that accounts for every data row.
pub fn read_transactions(
    path: impl AsRef<Path>,
    columns: &TransactionColumns,
    options: &ReadOptions,
) -> Result<(Transactions, IngestAudit)> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let buffered = BufReader::with_capacity(1 << 20, file);
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz")) {
        read_transactions_from(MultiGzDecoder::new(buffered), path, columns, options)
    } else {
        read_transactions_from(buffered, path, columns, options)
    }
}

/// Reads transactions from any reader; `source` names it in errors and the audit.
pub fn read_transactions_from(
    reader: impl Read,
    source: &Path,
    columns: &TransactionColumns,
    options: &ReadOptions,
) -> Result<(Transactions, IngestAudit)> {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let header = csv.byte_headers().map_err(|e| csv_error(source, &e))?.clone();
    if header.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
        return Err(Error::EmptyInput {
            path: source.to_path_buf(),
        });
    }
    let layout = Layout::resolve(&header, columns, source)?;
    let mut state = RowReader {
        source,
        layout: &layout,
        dates: DateParser::new(options.date_format.clone()),
        policy: options.on_bad_row,
        audit: IngestAudit::new(source.display().to_string()),
        builder: TransactionsBuilder::new(layout.order.is_some()),
    };
    let mut record = csv::ByteRecord::new();
    while csv.read_byte_record(&mut record).map_err(|e| csv_error(source, &e))? {
        state.read(&record)?;
    }
    let RowReader {
        audit, builder, dates, ..
    } = state;
    if audit.rows_read > 0 && audit.rows_kept == 0 {
        return Err(no_row_survived(source, &audit, &dates));
    }
    Ok((builder.finish(), audit))
}

/// Column positions resolved against the header.
#[derive(Debug)]
struct Layout {
    customer: Field,
    date: Field,
    amount: Field,
    price: Option<Field>,
    order: Option<Field>,
    min_fields: usize,
}

#[derive(Debug)]
struct Field {
    index: usize,
    name: String,
}

impl Layout {
    fn resolve(header: &csv::ByteRecord, columns: &TransactionColumns, source: &Path) -> Result<Self> {
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect();
        let find = |parameter: &'static str, column: &str| {
            names
                .iter()
                .position(|n| n == column.trim())
                .map(|index| Field {
                    index,
                    name: column.to_owned(),
                })
                .ok_or_else(|| Error::MissingColumn {
                    path: source.to_path_buf(),
                    parameter,
                    column: column.to_owned(),
                    available: names.join(", "),
                })
        };
        let customer = find("customer_col", &columns.customer)?;
        let date = find("date_col", &columns.date)?;
        let (amount, price) = match &columns.amount {
            AmountColumns::Amount(a) => (find("amount_col", a)?, None),
            AmountColumns::QuantityPrice { quantity, price } => {
                (find("quantity_col", quantity)?, Some(find("price_col", price)?))
            }
        };
        let order = columns.order.as_deref().map(|o| find("order_col", o)).transpose()?;
        let min_fields = [
            Some(&customer),
            Some(&date),
            Some(&amount),
            price.as_ref(),
            order.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|f| f.index + 1)
        .max()
        .unwrap_or(0);
        Ok(Layout {
            customer,
            date,
            amount,
            price,
            order,
            min_fields,
        })
    }
}

/// The per-row work of the reader: parse, keep or drop, and audit.
struct RowReader<'a> {
    source: &'a Path,
    layout: &'a Layout,
    dates: DateParser,
    policy: BadRowPolicy,
    audit: IngestAudit,
    builder: TransactionsBuilder,
}

/// One readable row.
struct Line<'r> {
    customer: Cow<'r, str>,
    timestamp: i64,
    amount: f64,
    order: Option<Cow<'r, str>>,
}

impl<'a> RowReader<'a> {
    fn read(&mut self, record: &csv::ByteRecord) -> Result<()> {
        self.audit.rows_read += 1;
        match self.parse(record) {
            Ok(line) => {
                self.audit.rows_kept += 1;
                if line.amount < 0.0 {
                    self.audit.return_rows += 1;
                }
                self.builder
                    .push(&line.customer, line.timestamp, line.amount, line.order.as_deref());
                Ok(())
            }
            Err((reason, field)) => {
                let issue = RowIssue {
                    line: record.position().map_or(0, |p| p.line()),
                    column: field.name.clone(),
                    value: text(record.get(field.index).unwrap_or_default()).into_owned(),
                };
                if self.policy == BadRowPolicy::Fail {
                    return Err(parse_error(self.source, reason, &issue, &self.dates));
                }
                self.audit.drop_row(reason, issue);
                Ok(())
            }
        }
    }

    fn parse<'r>(&mut self, record: &'r csv::ByteRecord) -> std::result::Result<Line<'r>, (DropReason, &'a Field)> {
        let layout = self.layout;
        if record.len() < layout.min_fields {
            let missing = [&layout.customer, &layout.date, &layout.amount]
                .into_iter()
                .chain(layout.price.as_ref())
                .chain(layout.order.as_ref())
                .find(|f| f.index >= record.len())
                .unwrap_or(&layout.customer);
            return Err((DropReason::TooFewFields, missing));
        }
        let customer = trimmed(text(&record[layout.customer.index]));
        if customer.is_empty() {
            return Err((DropReason::MissingCustomer, &layout.customer));
        }
        let date = text(&record[layout.date.index]);
        if date.trim().is_empty() {
            return Err((DropReason::MissingDate, &layout.date));
        }
        let timestamp = self
            .dates
            .parse(&date)
            .ok_or((DropReason::UnparsableDate, &layout.date))?;
        let mut amount = number(&record[layout.amount.index]).map_err(|r| (r, &layout.amount))?;
        if let Some(price) = &layout.price {
            amount *= number(&record[price.index]).map_err(|r| (r, price))?;
        }
        let order = layout.order.as_ref().map(|o| trimmed(text(&record[o.index])));
        Ok(Line {
            customer,
            timestamp,
            amount,
            order,
        })
    }
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

fn trimmed(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
    }
}

fn number(bytes: &[u8]) -> std::result::Result<f64, DropReason> {
    let s = std::str::from_utf8(bytes)
        .map_err(|_| DropReason::NonNumericAmount)?
        .trim();
    if s.is_empty() {
        return Err(DropReason::MissingAmount);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(DropReason::NonNumericAmount),
    }
}

fn expected_for(reason: DropReason, dates: &DateParser) -> String {
    match reason {
        DropReason::TooFewFields => "a row with a field for every mapped column".into(),
        DropReason::MissingCustomer => "a customer id".into(),
        DropReason::MissingDate | DropReason::UnparsableDate => dates.expected(),
        DropReason::MissingAmount | DropReason::NonNumericAmount => "a finite number".into(),
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

fn csv_error(source: &Path, e: &csv::Error) -> Error {
    Error::Csv {
        path: source.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    }
}

/// Writes transactions as CSV with columns `customer_id,order_id,date,amount`.
pub fn write_transactions(path: impl AsRef<Path>, tx: &Transactions) -> Result<()> {
    let path: PathBuf = path.as_ref().to_path_buf();
    let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let io = |e| Error::io(&path, e);
    writeln!(out, "customer_id,order_id,date,amount").map_err(io)?;
    let ids = tx.customer_ids();
    for i in 0..tx.len() {
        let customer = &ids[tx.customer_codes()[i] as usize];
        let order = tx.order_codes().map_or(String::new(), |o| format!("O{}", o[i]));
        let date = format_timestamp(tx.timestamps()[i]);
        writeln!(out, "{customer},{order},{date},{:.2}", tx.amounts()[i]).map_err(io)?;
    }
    out.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, columns: &TransactionColumns, policy: BadRowPolicy) -> Result<(Transactions, IngestAudit)> {
        let options = ReadOptions {
            on_bad_row: policy,
            ..Default::default()
        };
        read_transactions_from(text.as_bytes(), Path::new("t.csv"), columns, &options)
    }

    fn cols() -> TransactionColumns {
        TransactionColumns::new("cust", "date", "amount")
    }

    #[test]
    fn every_row_is_kept_or_dropped_with_its_reason() {
        let text = "cust,date,amount\n\
                    a,2024-01-01,10\n\
                    ,2024-01-02,5\n\
                    b,2024-13-01,5\n\
                    b,2024-01-03,abc\n\
                    b,2024-01-04,-2.5\n\
                    c,2024-01-05\n\
                    c,,1\n";
        let (tx, audit) = read(text, &cols(), BadRowPolicy::Drop).unwrap();
        assert_eq!((audit.rows_read, audit.rows_kept, audit.return_rows), (7, 2, 1));
        assert!(audit.is_balanced());
        for reason in [
            DropReason::MissingCustomer,
            DropReason::UnparsableDate,
            DropReason::NonNumericAmount,
            DropReason::TooFewFields,
            DropReason::MissingDate,
        ] {
            assert_eq!(audit.dropped_for(reason), 1, "{reason:?}");
        }
        let bad_date = &audit.dropped[&DropReason::UnparsableDate].examples[0];
        assert_eq!(
            (bad_date.line, bad_date.column.as_str(), bad_date.value.as_str()),
            (4, "date", "2024-13-01")
        );
        assert_eq!(tx.customer_ids(), ["a", "b"]);
        assert_eq!(tx.amounts(), [10.0, -2.5]);
    }

    #[test]
    fn strict_mode_names_file_line_column_and_value() {
        let text = "cust,date,amount\na,2024-01-01,10\nb,2024-01-02,ten\n";
        let err = read(text, &cols(), BadRowPolicy::Fail).unwrap_err().to_string();
        assert!(err.contains("t.csv line 3"), "{err}");
        assert!(err.contains("column \"amount\""), "{err}");
        assert!(err.contains("\"ten\""), "{err}");
    }

    #[test]
    fn unparsable_date_in_strict_mode_says_what_was_expected() {
        let text = "cust,date,amount\na,31/01/2024,10\n";
        let err = read(text, &cols(), BadRowPolicy::Fail).unwrap_err().to_string();
        assert!(
            err.contains("line 2, column \"date\": cannot parse \"31/01/2024\" as a date"),
            "{err}"
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        let err = read("", &cols(), BadRowPolicy::Drop).unwrap_err();
        assert!(matches!(err, Error::EmptyInput { .. }), "{err}");
    }

    #[test]
    fn header_only_gives_no_transactions() {
        let (tx, audit) = read("cust,date,amount\n", &cols(), BadRowPolicy::Drop).unwrap();
        assert!(tx.is_empty());
        assert_eq!(audit.rows_read, 0);
    }

    #[test]
    fn missing_column_lists_the_header() {
        let err = read("customer,date,amount\n", &cols(), BadRowPolicy::Drop)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "t.csv: no column \"cust\" (parameter customer_col); the header has: customer, date, amount"
        );
    }

    #[test]
    fn all_rows_dropped_is_an_error_with_the_first_example() {
        let text = "cust,date,amount\na,2024-01-01,x\nb,2024-01-01,y\n";
        let err = read(text, &cols(), BadRowPolicy::Drop).unwrap_err().to_string();
        assert!(err.contains("line 2, column \"amount\": cannot parse \"x\""), "{err}");
        assert!(err.contains("all 2 rows dropped"), "{err}");
    }

    #[test]
    fn quantity_times_price_and_orders() {
        let text = "inv,qty,price,cust,when\nA1,2,1.5,x,2024-01-01 10:00:00\nC2,-1,1.5,x,2024-01-02 10:00:00\n";
        let columns = TransactionColumns::with_quantity_price("cust", "when", "qty", "price").order("inv");
        let (tx, audit) = read(text, &columns, BadRowPolicy::Drop).unwrap();
        assert_eq!(tx.amounts(), [3.0, -1.5]);
        assert_eq!(tx.order_codes(), Some(&[0, 1][..]));
        assert_eq!(audit.return_rows, 1);
    }

    #[test]
    fn malformed_quoting_is_a_csv_error_with_a_line() {
        let text = "cust,date,amount\na,2024-01-01,1\n\"b,2024-01-01,1\n";
        // An unterminated quote swallows the rest of the file as one field: the row is short.
        let (_, audit) = read(text, &cols(), BadRowPolicy::Drop).unwrap();
        assert_eq!(audit.dropped_for(DropReason::TooFewFields), 1);
    }
}
