//! Reading transaction CSV files (plain or gzip-compressed) and writing them back.
//!
//! In the row loop of `scan`, the parse stage turns a batch into
//! owned columns and hashes each line's ids; the keep stage (one core) interns
//! them in file order, reading the table slots of the next 16 lines first so
//! that their cache misses overlap.

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

/// Reads a transaction CSV (`.gz` files are decompressed on the fly); with
/// the `parquet` feature, a `.parquet` file or a directory of them.
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
    #[cfg(feature = "parquet")]
    if super::parquet::is_parquet(path) {
        return super::parquet::read_transactions_parquet(path, columns, options);
    }
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
    pub(crate) fn wanted(&self) -> [Wanted<'_>; 10] {
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

    pub(crate) fn fields(&self) -> LineFields {
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
pub(crate) fn flag_text(s: &str) -> Option<bool> {
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
mod tests;
