//! Reading transaction CSV files (plain or gzip-compressed) and writing them back.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::audit::{DropReason, IngestAudit};
use super::dates::{DateParser, format_timestamp};
pub use super::options::{BadRowPolicy, ReadOptions};
use super::output::{FormulaCells, write_atomically};
use super::scan::{Field, Progress, RowError, RowText, Wanted, scan_reader, scan_reporting};
use super::transactions::{IdHashes, Line, LineFields, Transactions, TransactionsBuilder, id_hash};
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
    /// Optional items-per-line column (implied by [`AmountColumns::QuantityPrice`]).
    #[serde(default)]
    pub quantity: Option<String>,
    /// Optional product id column.
    #[serde(default)]
    pub product: Option<String>,
    /// Optional product category column.
    #[serde(default)]
    pub category: Option<String>,
    /// Optional sales-channel column (store, web, app …).
    #[serde(default)]
    pub channel: Option<String>,
    /// Optional discount column: a discount amount (> 0 means discounted) or a
    /// yes/no flag (`1/0`, `true/false`, `yes/no`, `y/n`; empty means no).
    #[serde(default)]
    pub discount: Option<String>,
}

impl TransactionColumns {
    /// Mapping with a single amount column.
    pub fn new(customer: &str, date: &str, amount: &str) -> Self {
        TransactionColumns {
            customer: customer.into(),
            date: date.into(),
            amount: AmountColumns::Amount(amount.into()),
            order: None,
            quantity: None,
            product: None,
            category: None,
            channel: None,
            discount: None,
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
            quantity: Some(quantity.into()),
            product: None,
            category: None,
            channel: None,
            discount: None,
        }
    }

    /// Adds the order id column.
    pub fn order(mut self, order: &str) -> Self {
        self.order = Some(order.into());
        self
    }

    /// Adds the items-per-line column.
    pub fn quantity(mut self, quantity: &str) -> Self {
        self.quantity = Some(quantity.into());
        self
    }

    /// Adds the product id column.
    pub fn product(mut self, product: &str) -> Self {
        self.product = Some(product.into());
        self
    }

    /// Adds the category column.
    pub fn category(mut self, category: &str) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Adds the sales-channel column.
    pub fn channel(mut self, channel: &str) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Adds the discount column (an amount or a yes/no flag).
    pub fn discount(mut self, discount: &str) -> Self {
        self.discount = Some(discount.into());
        self
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
    read_file(path.as_ref(), columns, options, None)
}

/// [`read_transactions`], calling `progress` with the bytes of the file read so
/// far (about every MiB; compressed bytes for `.gz`), e.g. for a progress bar.
pub fn read_transactions_reporting(
    path: impl AsRef<Path>,
    columns: &TransactionColumns,
    options: &ReadOptions,
    progress: Progress<'_>,
) -> Result<(Transactions, IngestAudit)> {
    read_file(path.as_ref(), columns, options, Some(progress))
}

/// Reads transactions from any reader; `source` names it in errors and the audit.
pub fn read_transactions_from(
    reader: impl Read + Send,
    source: &Path,
    columns: &TransactionColumns,
    options: &ReadOptions,
) -> Result<(Transactions, IngestAudit)> {
    let mut kept = Kept::new(columns);
    let audit = scan_reader(
        reader,
        source,
        &columns.wanted(),
        options,
        |r: &_, f: &_, d: &mut _, out: &mut _| parse_line(r, f, d, options.not_after, out),
        |lines| kept.add(&lines, source),
    )?;
    Ok(kept.finish(audit))
}

fn read_file(
    path: &Path,
    columns: &TransactionColumns,
    options: &ReadOptions,
    progress: Option<Progress<'_>>,
) -> Result<(Transactions, IngestAudit)> {
    let mut kept = Kept::new(columns);
    let audit = scan_reporting(
        path,
        &columns.wanted(),
        options,
        progress,
        |r: &_, f: &_, d: &mut _, out: &mut _| parse_line(r, f, d, options.not_after, out),
        |lines| kept.add(&lines, path),
    )?;
    Ok(kept.finish(audit))
}

impl TransactionColumns {
    /// The mapped columns in the order [`Collector::take`] reads them.
    fn wanted(&self) -> [Wanted<'_>; 10] {
        let (amount, price) = match &self.amount {
            AmountColumns::Amount(a) => (("amount_col", a.as_str()), None),
            AmountColumns::QuantityPrice { quantity, price } => {
                (("quantity_col", quantity.as_str()), Some(price.as_str()))
            }
        };
        let quantity = match &self.amount {
            AmountColumns::Amount(_) => self.quantity.as_deref(),
            AmountColumns::QuantityPrice { .. } => None,
        };
        let wanted = |parameter, column| Wanted { parameter, column };
        [
            wanted("customer_col", Some(&self.customer)),
            wanted("date_col", Some(&self.date)),
            wanted(amount.0, Some(amount.1)),
            wanted("price_col", price),
            wanted("order_col", self.order.as_deref()),
            wanted("quantity_col", quantity),
            wanted("product_col", self.product.as_deref()),
            wanted("category_col", self.category.as_deref()),
            wanted("channel_col", self.channel.as_deref()),
            wanted("discount_col", self.discount.as_deref()),
        ]
    }

    fn fields(&self) -> LineFields {
        LineFields {
            order: self.order.is_some(),
            quantity: self.quantity.is_some() || matches!(self.amount, AmountColumns::QuantityPrice { .. }),
            product: self.product.is_some(),
            category: self.category.is_some(),
            channel: self.channel.is_some(),
            discount: self.discount.is_some(),
        }
    }
}

/// A batch of parsed lines; their ids are ranges of one text arena.
#[derive(Default)]
struct ParsedLines {
    text: String,
    lines: Vec<ParsedLine>,
}

struct ParsedLine {
    customer: Range<usize>,
    timestamp: i64,
    amount: f64,
    order: Option<Range<usize>>,
    quantity: Option<f64>,
    product: Option<Range<usize>>,
    category: Option<Range<usize>>,
    channel: Option<Range<usize>>,
    discounted: Option<bool>,
    /// The ids' hashes, computed here so that the keep stage (one core) need not.
    hashes: IdHashes,
}

impl ParsedLines {
    fn add(&mut self, id: &str) -> Range<usize> {
        let start = self.text.len();
        self.text.push_str(id);
        start..self.text.len()
    }
}

/// Parses one row (fields in [`TransactionColumns::wanted`] order) into `out`;
/// a row that cannot be read leaves `out` as it was.
fn parse_line<'f>(
    record: &csv::ByteRecord,
    fields: &'f [Option<Field>],
    dates: &mut DateParser,
    not_after: Option<i64>,
    out: &mut ParsedLines,
) -> std::result::Result<(), RowError<'f>> {
    let [
        Some(customer),
        Some(date_field),
        Some(amount),
        price,
        order,
        quantity,
        product,
        category,
        channel,
        discount,
    ] = fields
    else {
        unreachable!("wanted() maps ten columns, the first three required")
    };
    let row = RowText::new(record);
    let id = row.text(customer)?;
    if id.is_empty() {
        return Err((DropReason::MissingCustomer, customer));
    }
    let timestamp = row.date(date_field, dates)?;
    if not_after.is_some_and(|end| timestamp > end) {
        return Err((DropReason::FutureDate, date_field));
    }
    let first = row.number(amount)?;
    let (line_amount, items) = match price {
        Some(p) => (first * row.number(p)?, Some(first)),
        None => (first, quantity.as_ref().map(|q| row.number(q)).transpose()?),
    };
    let discounted = match discount {
        Some(d) => Some(
            row.flag(d.index, flag_text)
                .ok_or((DropReason::UnreadableDiscount, d))?,
        ),
        None => None,
    };
    let order_id = row.optional(order)?;
    if let (Some(""), Some(field)) = (order_id, order) {
        // An empty id would merge all such lines of a customer into one order.
        return Err((DropReason::MissingOrder, field));
    }
    let (product, category) = (row.optional(product)?, row.optional(category)?);
    let channel = row.optional(channel)?;
    let hash = |id: Option<&str>| id_hash(id.unwrap_or(""));
    let line = ParsedLine {
        customer: out.add(id),
        timestamp,
        amount: line_amount,
        order: order_id.map(|o| out.add(o)),
        quantity: items,
        product: product.map(|p| out.add(p)),
        category: category.map(|c| out.add(c)),
        channel: channel.map(|c| out.add(c)),
        discounted,
        hashes: IdHashes {
            customer: id_hash(id),
            order: hash(order_id),
            product: hash(product),
            category: hash(category),
            channel: hash(channel),
        },
    };
    out.lines.push(line);
    Ok(())
}

/// Lines whose id lookups [`TransactionsBuilder::warm`] reads ahead at once.
const WARM_LINES: usize = 16;

/// The kept lines, interned in file order.
struct Kept {
    builder: TransactionsBuilder,
    returns: u64,
}

impl Kept {
    fn new(columns: &TransactionColumns) -> Self {
        Kept {
            builder: TransactionsBuilder::with_fields(columns.fields()),
            returns: 0,
        }
    }

    fn add(&mut self, batch: &ParsedLines, source: &Path) -> Result<()> {
        self.builder.check_room(batch.lines.len(), source)?;
        let text = |range: &Range<usize>| &batch.text[range.clone()];
        for group in batch.lines.chunks(WARM_LINES) {
            self.builder.warm(group.iter().map(|line| line.hashes));
            for line in group {
                self.returns += u64::from(line.amount < 0.0);
                let parsed = Line {
                    customer: text(&line.customer),
                    timestamp: line.timestamp,
                    amount: line.amount,
                    order: line.order.as_ref().map(text),
                    quantity: line.quantity,
                    product: line.product.as_ref().map(text),
                    category: line.category.as_ref().map(text),
                    channel: line.channel.as_ref().map(text),
                    discounted: line.discounted,
                };
                self.builder.push_hashed(&parsed, line.hashes);
            }
        }
        Ok(())
    }

    fn finish(self, mut audit: IngestAudit) -> (Transactions, IngestAudit) {
        audit.return_rows = self.returns;
        (self.builder.finish(), audit)
    }
}

/// A discount field (trimmed): a number (> 0 is discounted) or a yes/no flag; empty is no.
fn flag_text(s: &str) -> Option<bool> {
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(s));
    match s {
        // The usual 0/1 flags first, without allocating.
        "0" => Some(false),
        "1" => Some(true),
        _ if is(&["", "false", "no", "n", "f"]) => Some(false),
        _ if is(&["true", "yes", "y", "t"]) => Some(true),
        _ => s.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| v > 0.0),
    }
}

/// Writes transactions as CSV with columns `customer_id,order_id,date,amount`,
/// then `product_id`, `category`, `channel` and `discounted` (0/1) when the data has them.
///
/// Ids a spreadsheet would run as formulas get a leading `'`; the file is
/// replaced whole or not at all.
pub fn write_transactions(path: impl AsRef<Path>, tx: &Transactions) -> Result<()> {
    let path: PathBuf = path.as_ref().to_path_buf();
    write_atomically(&path, |file| {
        write_transaction_rows(file, &path, tx, FormulaCells::default())
    })
}

fn write_transaction_rows(
    file: &mut BufWriter<File>,
    path: &Path,
    tx: &Transactions,
    cells: FormulaCells,
) -> Result<()> {
    // The csv writer quotes ids that hold a comma, a quote or a line break.
    let mut out = csv::Writer::from_writer(file);
    let csv_err = |e: csv::Error| Error::Serialize {
        what: "transactions CSV",
        message: e.to_string(),
    };
    let (products, categories, channels) = (tx.products(), tx.categories(), tx.channels());
    let discounts = tx.discount_flags();
    let mut header = vec!["customer_id", "order_id", "date", "amount"];
    for (present, name) in [
        (products.is_some(), "product_id"),
        (categories.is_some(), "category"),
        (channels.is_some(), "channel"),
        (discounts.is_some(), "discounted"),
    ] {
        if present {
            header.push(name);
        }
    }
    out.write_record(&header).map_err(csv_err)?;
    let ids = tx.customer_ids();
    for i in 0..tx.len() {
        out.write_field(&*cells.cell(&ids[tx.customer_codes()[i] as usize]))
            .map_err(csv_err)?;
        let order = tx.order_codes().map_or(String::new(), |o| format!("O{}", o[i]));
        out.write_field(order).map_err(csv_err)?;
        out.write_field(format_timestamp(tx.timestamps()[i])).map_err(csv_err)?;
        out.write_field(format!("{:.2}", tx.amounts()[i])).map_err(csv_err)?;
        if let Some((names, codes)) = products {
            out.write_field(&*cells.cell(&names[codes[i] as usize]))
                .map_err(csv_err)?;
        }
        for (names, codes) in [categories, channels].into_iter().flatten() {
            out.write_field(&*cells.cell(&names[codes[i] as usize]))
                .map_err(csv_err)?;
        }
        if let Some(flags) = discounts {
            out.write_field(if flags[i] { "1" } else { "0" }).map_err(csv_err)?;
        }
        out.write_record(None::<&[u8]>).map_err(csv_err)?;
    }
    out.flush().map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DateFormat;

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
    fn strict_errors_name_the_physical_line_on_crlf_files_and_after_blank_lines() {
        let crlf = "cust,date,amount\r\na,2024-01-01,10\r\nb,2024-01-02,ten\r\n";
        let err = read(crlf, &cols(), BadRowPolicy::Fail).unwrap_err().to_string();
        assert!(err.contains("t.csv line 3,"), "{err}");
        let blanks = "cust,date,amount\n\na,2024-01-01,10\n\n\nb,2024-01-02,ten\n";
        let err = read(blanks, &cols(), BadRowPolicy::Fail).unwrap_err().to_string();
        assert!(err.contains("t.csv line 6,"), "{err}");
        let quoted = "cust,date,amount\r\n\"a\",2024-01-01,10\r\n\r\nb,2024-01-02,ten\r\n";
        let err = read(quoted, &cols(), BadRowPolicy::Fail).unwrap_err().to_string();
        assert!(err.contains("t.csv line 4,"), "{err}");
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
    fn whitespace_separated_file_without_header_is_read_by_position() {
        let text = " 01 19970101  1   29.33\r\n 02   19970112 2 0.00\r\n";
        let options = ReadOptions {
            whitespace_separated: true,
            header: false,
            date_format: DateFormat::Custom("%Y%m%d".into()),
            ..Default::default()
        };
        let columns = TransactionColumns::new("1", "2", "4").quantity("3");
        let (tx, audit) = read_transactions_from(text.as_bytes(), Path::new("cdnow.txt"), &columns, &options).unwrap();
        assert_eq!(audit.rows_kept, 2);
        assert_eq!(tx.customer_ids(), ["01", "02"]);
        assert_eq!(tx.amounts(), [29.33, 0.0]);
        assert_eq!(tx.quantities(), Some(&[1.0, 2.0][..]));
    }

    #[test]
    fn optional_columns_are_read_and_bad_flags_dropped() {
        let text = "c,d,a,prod,cat,promo,via\n\
                    x,2024-01-01,5,p1,books,yes,web\n\
                    x,2024-01-02,5,p2,music,0, store \n\
                    x,2024-01-03,5,p2,music,2.5,web\n\
                    x,2024-01-04,5,p2,music,maybe,app\n";
        let columns = TransactionColumns::new("c", "d", "a")
            .product("prod")
            .category("cat")
            .channel("via")
            .discount("promo");
        let (tx, audit) = read(text, &columns, BadRowPolicy::Drop).unwrap();
        assert_eq!(tx.discount_flags(), Some(&[true, false, true][..]));
        assert_eq!(tx.products().unwrap().0, ["p1", "p2"]);
        assert_eq!(tx.categories().unwrap().1, [0, 1, 1]);
        assert_eq!(
            tx.channels(),
            Some((&["web".to_string(), "store".to_string()][..], &[0, 1, 0][..]))
        );
        assert_eq!(audit.dropped_for(DropReason::UnreadableDiscount), 1);
    }

    #[test]
    fn non_utf8_and_future_dates_are_counted_drops() {
        let mut bytes = b"c,d,a\nx,2024-01-01,5\n".to_vec();
        bytes.extend_from_slice(b"\xff\xfe,2024-01-02,5\ny,2030-01-01,5\n");
        let options = ReadOptions {
            not_after: Some(1_735_689_600), // 2025-01-01
            ..Default::default()
        };
        let (tx, audit) = read_transactions_from(&bytes[..], Path::new("t.csv"), &cols_cda(), &options).unwrap();
        assert_eq!(tx.len(), 1);
        assert_eq!(audit.dropped_for(DropReason::NonUtf8), 1);
        assert_eq!(audit.dropped_for(DropReason::FutureDate), 1);
        assert!(audit.is_balanced());
        let strict = ReadOptions {
            on_bad_row: BadRowPolicy::Fail,
            ..options
        };
        let err = read_transactions_from(&bytes[..], Path::new("t.csv"), &cols_cda(), &strict)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3, column \"c\"") && err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn an_empty_order_id_is_a_counted_drop_not_one_merged_order() {
        let text = "c,d,a,o\nx,2024-01-01,5,A\nx,2024-01-02,5,\nx,2024-01-03,5,\n";
        let (tx, audit) = read(text, &cols_cda().order("o"), BadRowPolicy::Drop).unwrap();
        assert_eq!(tx.len(), 1);
        assert_eq!(audit.dropped_for(DropReason::MissingOrder), 2);
    }

    #[test]
    fn progress_reaches_the_file_size() {
        let path = std::env::temp_dir().join(format!("segmint-progress-{}.csv", std::process::id()));
        std::fs::write(&path, "c,d,a\nx,2024-01-01,5\ny,2024-01-02,6\n").unwrap();
        let last = std::sync::atomic::AtomicU64::new(0);
        let report = |bytes: u64| last.store(bytes, std::sync::atomic::Ordering::Relaxed);
        let (tx, _) = read_transactions_reporting(&path, &cols_cda(), &ReadOptions::default(), &report).unwrap();
        assert_eq!(tx.len(), 2);
        assert_eq!(last.into_inner(), std::fs::metadata(&path).unwrap().len());
    }

    #[test]
    fn written_transactions_read_back_even_with_commas_in_ids() {
        let mut b = TransactionsBuilder::new(true);
        b.push("Smith, J.", 86_400, 12.5, Some("o1"));
        b.push("plain", 2 * 86_400, -3.0, Some("o2"));
        let tx = b.finish();
        let path = std::env::temp_dir().join(format!("segmint-write-{}.csv", std::process::id()));
        write_transactions(&path, &tx).unwrap();
        let columns = TransactionColumns::new("customer_id", "date", "amount").order("order_id");
        let (back, audit) = read_transactions(&path, &columns, &ReadOptions::default()).unwrap();
        assert_eq!(audit.rows_dropped(), 0);
        assert_eq!(back.customer_ids(), tx.customer_ids());
        assert_eq!((back.timestamps(), back.amounts()), (tx.timestamps(), tx.amounts()));
    }

    /// A random file from tokens that stress the reader: quotes, line ends of
    /// every kind, blank lines, delimiters, bad bytes, dates and numbers.
    fn random_file(rng: &mut impl rand::Rng, quotes: bool) -> Vec<u8> {
        let tokens: &[&[u8]] = &[
            b"a",
            b"b7",
            b",",
            b",",
            b"\n",
            b"\r\n",
            b"\n\n",
            b"2024-01-02",
            b"2999-12-31",
            b"-3.5",
            b"1e308",
            b"x y",
            b"\xff",
            b"=SUM(1)",
            b"\"",
            b"\"\"",
            b"\r",
        ];
        let usable = if quotes { tokens.len() } else { tokens.len() - 3 };
        let mut text = b"c,d,a\n".to_vec();
        for _ in 0..rng.random_range(0..60) {
            text.extend_from_slice(tokens[rng.random_range(0..usable)]);
        }
        text
    }

    #[test]
    fn seeded_random_files_never_panic_and_every_row_is_accounted_for() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(23);
        for case in 0..3000 {
            let quotes = case % 2 == 0;
            let text = random_file(&mut rng, quotes);
            for on_bad_row in [BadRowPolicy::Drop, BadRowPolicy::Fail] {
                let options = ReadOptions {
                    on_bad_row,
                    drop_duplicate_lines: case % 3 == 0,
                    ..Default::default()
                };
                let Ok((_, audit)) = read_transactions_from(&text[..], Path::new("t.csv"), &cols_cda(), &options)
                else {
                    continue;
                };
                assert!(audit.is_balanced(), "{:?}", String::from_utf8_lossy(&text));
                if !quotes {
                    // Without quotes or lone carriage returns, each non-empty line after the header is a row.
                    let lines = text
                        .split(|&b| b == b'\n')
                        .filter(|l| !l.is_empty() && *l != b"\r")
                        .count();
                    assert_eq!(
                        audit.rows_read,
                        lines as u64 - 1,
                        "{:?}",
                        String::from_utf8_lossy(&text)
                    );
                }
            }
        }
    }

    fn cols_cda() -> TransactionColumns {
        TransactionColumns::new("c", "d", "a")
    }

    #[test]
    fn malformed_quoting_is_a_csv_error_with_a_line() {
        let text = "cust,date,amount\na,2024-01-01,1\n\"b,2024-01-01,1\n";
        // An unterminated quote swallows the rest of the file: the line where it opened is counted.
        let (_, audit) = read(text, &cols(), BadRowPolicy::Drop).unwrap();
        assert_eq!(audit.dropped_for(DropReason::UnclosedQuote), 1);
        assert_eq!(audit.dropped[&DropReason::UnclosedQuote].examples[0].line, 3);
        let err = read(text, &cols(), BadRowPolicy::Fail).unwrap_err().to_string();
        assert!(err.starts_with("t.csv line 3: malformed CSV"), "{err}");
    }
}
