//! A columnar log of transaction lines: customer ids interned to 32-bit codes
//! in order of first appearance, timestamps in seconds, signed amounts, and the
//! optional order, quantity, product, category, channel and discount columns.
//! More lines than 32-bit codes can number is `Error::TooLarge`.

use std::hash::BuildHasher;
use std::path::Path;

use rustc_hash::FxBuildHasher;

use crate::error::{Error, Result};

/// Transaction lines stored column by column.
///
/// Customers are interned: `customer_codes()[i]` indexes `customer_ids()`.
/// A negative amount is a return: it lowers net revenue and is never an order.
/// Timestamps are seconds since 1970-01-01 in wall-clock time.
///
/// The optional columns (order, quantity, product, category, channel, discount flag)
/// are present for every line or for none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transactions {
    customer_ids: Vec<String>,
    customer: Vec<u32>,
    timestamp: Vec<i64>,
    amount: Vec<f64>,
    order: Option<Vec<u32>>,
    quantity: Option<Vec<f64>>,
    product: Option<Coded>,
    category: Option<Coded>,
    channel: Option<Coded>,
    discounted: Option<Vec<bool>>,
}

/// An interned string column: `codes[i]` indexes `ids`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Coded {
    ids: Vec<String>,
    codes: Vec<u32>,
}

/// Which optional columns a [`TransactionsBuilder`] fills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineFields {
    /// Order (invoice) id.
    pub order: bool,
    /// Items on the line.
    pub quantity: bool,
    /// Product id.
    pub product: bool,
    /// Product category.
    pub category: bool,
    /// Sales channel (store, web, app …).
    pub channel: bool,
    /// Whether the line was bought on discount or promotion.
    pub discount: bool,
}

/// One transaction line as the builder takes it; absent optional fields are `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Line<'a> {
    /// Customer id.
    pub customer: &'a str,
    /// Seconds since 1970-01-01.
    pub timestamp: i64,
    /// Signed amount (negative for returns).
    pub amount: f64,
    /// Order id.
    pub order: Option<&'a str>,
    /// Items on the line.
    pub quantity: Option<f64>,
    /// Product id.
    pub product: Option<&'a str>,
    /// Product category.
    pub category: Option<&'a str>,
    /// Sales channel.
    pub channel: Option<&'a str>,
    /// Bought on discount or promotion.
    pub discounted: Option<bool>,
}

impl Transactions {
    /// Builds transactions from already-coded columns (as `pandas.factorize` gives them).
    ///
    /// `customer_codes[i]` must index `customer_ids`; every column has one entry per line;
    /// amounts must be finite.
    pub fn from_codes(
        customer_ids: Vec<String>,
        customer_codes: Vec<u32>,
        timestamps: Vec<i64>,
        amounts: Vec<f64>,
        order_codes: Option<Vec<u32>>,
    ) -> Result<Self> {
        let n = customer_codes.len();
        check_line_count(n, Path::new("<memory>"))?;
        let check_len = |what: &str, len: usize| {
            if len == n {
                Ok(())
            } else {
                Err(Error::ShapeMismatch {
                    what: format!("{what} (one entry per transaction line)"),
                    expected: n.to_string(),
                    found: len.to_string(),
                })
            }
        };
        check_len("timestamps", timestamps.len())?;
        check_len("amounts", amounts.len())?;
        if let Some(orders) = &order_codes {
            check_len("order codes", orders.len())?;
        }
        if let Some((row, &code)) = customer_codes
            .iter()
            .enumerate()
            .find(|&(_, &c)| c as usize >= customer_ids.len())
        {
            return Err(Error::InvalidParameter {
                name: "customer_codes",
                value: format!("{code} at line {row}"),
                expected: format!("a code below the number of customer ids ({})", customer_ids.len()),
            });
        }
        if let Some((row, &value)) = amounts.iter().enumerate().find(|(_, a)| !a.is_finite()) {
            return Err(Error::NonFinite {
                what: "amounts",
                row,
                column: 0,
                value,
            });
        }
        Ok(Transactions {
            customer_ids,
            customer: customer_codes,
            timestamp: timestamps,
            amount: amounts,
            order: order_codes,
            ..Default::default()
        })
    }

    /// Adds the items of each line (a finite number per line).
    pub fn with_quantities(mut self, quantities: Vec<f64>) -> Result<Self> {
        self.check_column_len("quantities", quantities.len())?;
        if let Some((row, &value)) = quantities.iter().enumerate().find(|(_, q)| !q.is_finite()) {
            return Err(Error::NonFinite {
                what: "quantities",
                row,
                column: 0,
                value,
            });
        }
        self.quantity = Some(quantities);
        Ok(self)
    }

    /// Adds the product of each line, coded as for customers.
    pub fn with_products(mut self, ids: Vec<String>, codes: Vec<u32>) -> Result<Self> {
        self.product = Some(self.coded_column("product_codes", ids, codes)?);
        Ok(self)
    }

    /// Adds the category of each line, coded as for customers.
    pub fn with_categories(mut self, ids: Vec<String>, codes: Vec<u32>) -> Result<Self> {
        self.category = Some(self.coded_column("category_codes", ids, codes)?);
        Ok(self)
    }

    /// Adds the sales channel of each line, coded as for customers.
    pub fn with_channels(mut self, ids: Vec<String>, codes: Vec<u32>) -> Result<Self> {
        self.channel = Some(self.coded_column("channel_codes", ids, codes)?);
        Ok(self)
    }

    /// Adds whether each line was bought on discount or promotion.
    pub fn with_discount_flags(mut self, discounted: Vec<bool>) -> Result<Self> {
        self.check_column_len("discount flags", discounted.len())?;
        self.discounted = Some(discounted);
        Ok(self)
    }

    /// The lines dated at or before `end` (seconds), in their order;
    /// customers without such a line are left out.
    pub fn up_to(&self, end: i64) -> Transactions {
        let keep: Vec<usize> = (0..self.len()).filter(|&i| self.timestamp[i] <= end).collect();
        let mut code_of = vec![u32::MAX; self.customer_ids.len()];
        let mut customer_ids = Vec::new();
        let customer = keep
            .iter()
            .map(|&i| {
                let old = self.customer[i] as usize;
                if code_of[old] == u32::MAX {
                    code_of[old] = customer_ids.len() as u32;
                    customer_ids.push(self.customer_ids[old].clone());
                }
                code_of[old]
            })
            .collect();
        fn pick<T: Copy>(values: &[T], keep: &[usize]) -> Vec<T> {
            keep.iter().map(|&i| values[i]).collect()
        }
        let coded = |c: &Coded| Coded {
            ids: c.ids.clone(),
            codes: pick(&c.codes, &keep),
        };
        Transactions {
            customer_ids,
            customer,
            timestamp: pick(&self.timestamp, &keep),
            amount: pick(&self.amount, &keep),
            order: self.order.as_deref().map(|o| pick(o, &keep)),
            quantity: self.quantity.as_deref().map(|q| pick(q, &keep)),
            product: self.product.as_ref().map(coded),
            category: self.category.as_ref().map(coded),
            channel: self.channel.as_ref().map(coded),
            discounted: self.discounted.as_deref().map(|d| pick(d, &keep)),
        }
    }

    fn check_column_len(&self, what: &str, len: usize) -> Result<()> {
        if len == self.len() {
            return Ok(());
        }
        Err(Error::ShapeMismatch {
            what: format!("{what} (one entry per transaction line)"),
            expected: self.len().to_string(),
            found: len.to_string(),
        })
    }

    fn coded_column(&self, name: &'static str, ids: Vec<String>, codes: Vec<u32>) -> Result<Coded> {
        self.check_column_len(name, codes.len())?;
        if let Some((row, &code)) = codes.iter().enumerate().find(|&(_, &c)| c as usize >= ids.len()) {
            return Err(Error::InvalidParameter {
                name,
                value: format!("{code} at line {row}"),
                expected: format!("a code below the number of ids ({})", ids.len()),
            });
        }
        Ok(Coded { ids, codes })
    }

    /// Number of transaction lines.
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    /// True when there are no lines.
    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    /// Number of distinct customers.
    pub fn n_customers(&self) -> usize {
        self.customer_ids.len()
    }

    /// Distinct customer ids, in order of first appearance.
    pub fn customer_ids(&self) -> &[String] {
        &self.customer_ids
    }

    /// For each line, the index of its customer in [`Self::customer_ids`].
    pub fn customer_codes(&self) -> &[u32] {
        &self.customer
    }

    /// For each line, seconds since 1970-01-01.
    pub fn timestamps(&self) -> &[i64] {
        &self.timestamp
    }

    /// For each line, the signed amount (negative for returns).
    pub fn amounts(&self) -> &[f64] {
        &self.amount
    }

    /// For each line, the interned order id, when the data had an order column.
    pub fn order_codes(&self) -> Option<&[u32]> {
        self.order.as_deref()
    }

    /// For each line, the number of items, when the data had a quantity column.
    pub fn quantities(&self) -> Option<&[f64]> {
        self.quantity.as_deref()
    }

    /// Distinct product ids and, for each line, its product's index, when the data had a product column.
    pub fn products(&self) -> Option<(&[String], &[u32])> {
        self.product.as_ref().map(|c| (&c.ids[..], &c.codes[..]))
    }

    /// Distinct categories and, for each line, its category's index, when the data had a category column.
    pub fn categories(&self) -> Option<(&[String], &[u32])> {
        self.category.as_ref().map(|c| (&c.ids[..], &c.codes[..]))
    }

    /// Distinct sales channels and, for each line, its channel's index, when the data had a channel column.
    pub fn channels(&self) -> Option<(&[String], &[u32])> {
        self.channel.as_ref().map(|c| (&c.ids[..], &c.codes[..]))
    }

    /// For each line, whether it was bought on discount, when the data said so.
    pub fn discount_flags(&self) -> Option<&[bool]> {
        self.discounted.as_deref()
    }

    /// Which optional columns the data has.
    pub fn fields(&self) -> LineFields {
        LineFields {
            order: self.order.is_some(),
            quantity: self.quantity.is_some(),
            product: self.product.is_some(),
            category: self.category.is_some(),
            channel: self.channel.is_some(),
            discount: self.discounted.is_some(),
        }
    }

    /// The earliest and latest timestamp, or `None` when empty.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        let min = self.timestamp.iter().copied().min()?;
        let max = self.timestamp.iter().copied().max()?;
        Some((min, max))
    }
}

/// Appends transaction lines one at a time, interning ids.
#[derive(Debug, Default)]
pub struct TransactionsBuilder {
    customers: Interner,
    orders: Interner,
    products: Interner,
    categories: Interner,
    channels: Interner,
    tx: Transactions,
}

impl TransactionsBuilder {
    /// A builder; `with_orders` says whether lines carry an order id.
    pub fn new(with_orders: bool) -> Self {
        Self::with_fields(LineFields {
            order: with_orders,
            ..Default::default()
        })
    }

    /// A builder that fills the given optional columns.
    pub fn with_fields(fields: LineFields) -> Self {
        TransactionsBuilder {
            tx: Transactions {
                order: fields.order.then(Vec::new),
                quantity: fields.quantity.then(Vec::new),
                product: fields.product.then(Coded::default),
                category: fields.category.then(Coded::default),
                channel: fields.channel.then(Coded::default),
                discounted: fields.discount.then(Vec::new),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Adds one line with a customer, time, amount and (when the builder has orders) order id.
    pub fn push(&mut self, customer: &str, timestamp: i64, amount: f64, order: Option<&str>) {
        self.push_line(&Line {
            customer,
            timestamp,
            amount,
            order,
            ..Default::default()
        });
    }

    /// Adds one line. Optional fields the builder does not hold are ignored;
    /// a missing one it holds is stored as empty id, zero items or not discounted.
    pub fn push_line(&mut self, line: &Line<'_>) {
        self.push_hashed(line, IdHashes::of(line));
    }

    /// [`Self::push_line`] with the hashes of the line's ids computed ahead (by the parse stage).
    pub(crate) fn push_hashed(&mut self, line: &Line<'_>, hashes: IdHashes) {
        let customer = self
            .customers
            .code(&mut self.tx.customer_ids, line.customer, hashes.customer);
        let order = self
            .tx
            .order
            .is_some()
            .then(|| self.orders.code_only(line.order.unwrap_or(""), hashes.order));
        self.tx.customer.push(customer);
        self.tx.timestamp.push(line.timestamp);
        self.tx.amount.push(line.amount);
        if let Some(orders) = self.tx.order.as_mut() {
            orders.push(order.unwrap_or(0));
        }
        self.push_rest(line, hashes);
    }

    /// Reads the table slots where the customer and order ids of the coming
    /// lines are looked up, one after another, so that their cache misses
    /// overlap instead of each stalling its own lookup.
    pub(crate) fn warm(&self, hashes: impl Iterator<Item = IdHashes>) {
        let mut seen = 0u64;
        for h in hashes {
            seen ^= self.customers.slot(h.customer) ^ self.orders.slot(h.order);
        }
        std::hint::black_box(seen);
    }

    /// Adds one line whose customer and order are already coded (fast path for
    /// generators); `line.customer` and `line.order` are ignored.
    pub(crate) fn push_coded(&mut self, customer: u32, order: u32, line: &Line<'_>) {
        self.tx.customer.push(customer);
        self.tx.timestamp.push(line.timestamp);
        self.tx.amount.push(line.amount);
        if let Some(orders) = self.tx.order.as_mut() {
            orders.push(order);
        }
        self.push_rest(line, IdHashes::of(line));
    }

    /// The columns after the order.
    fn push_rest(&mut self, line: &Line<'_>, hashes: IdHashes) {
        if let Some(quantity) = self.tx.quantity.as_mut() {
            quantity.push(line.quantity.unwrap_or(0.0));
        }
        if let Some(product) = self.tx.product.as_mut() {
            let code = self
                .products
                .code(&mut product.ids, line.product.unwrap_or(""), hashes.product);
            product.codes.push(code);
        }
        if let Some(category) = self.tx.category.as_mut() {
            let code = self
                .categories
                .code(&mut category.ids, line.category.unwrap_or(""), hashes.category);
            category.codes.push(code);
        }
        if let Some(channel) = self.tx.channel.as_mut() {
            let code = self
                .channels
                .code(&mut channel.ids, line.channel.unwrap_or(""), hashes.channel);
            channel.codes.push(code);
        }
        if let Some(discounted) = self.tx.discounted.as_mut() {
            discounted.push(line.discounted.unwrap_or(false));
        }
    }

    /// Checks that `more` lines still fit: line indices and every interned
    /// code are `u32`, and no key set is larger than the line count.
    pub fn check_room(&self, more: usize, source: &Path) -> Result<()> {
        check_line_count(self.tx.len().saturating_add(more), source)
    }

    /// The finished columns.
    pub fn finish(self) -> Transactions {
        self.tx
    }

    /// Starts from known customer ids (codes are their positions).
    pub(crate) fn with_customer_ids(ids: Vec<String>, fields: LineFields) -> Self {
        let mut builder = TransactionsBuilder::with_fields(fields);
        builder.tx.customer_ids = ids;
        builder
    }
}

/// The largest number of lines (and so of distinct ids) a store can code.
pub const MAX_LINES: usize = u32::MAX as usize;

/// An error when `lines` exceeds [`MAX_LINES`].
pub(crate) fn check_line_count(lines: usize, source: &Path) -> Result<()> {
    if lines > MAX_LINES {
        return Err(Error::TooLarge {
            path: source.to_path_buf(),
            what: "lines",
            limit: MAX_LINES as u64,
        });
    }
    Ok(())
}

/// The 32-bit hash an [`Interner`] files a key under.
pub(crate) fn id_hash(key: &str) -> u32 {
    // Truncation intended: 32 bits of the hash are kept per entry.
    FxBuildHasher.hash_one(key) as u32
}

/// The hashes of a line's ids (an absent id hashes as the empty one it is stored as).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IdHashes {
    pub customer: u32,
    pub order: u32,
    pub product: u32,
    pub category: u32,
    pub channel: u32,
}

impl IdHashes {
    pub(crate) fn of(line: &Line<'_>) -> Self {
        let hash = |id: Option<&str>| id_hash(id.unwrap_or(""));
        IdHashes {
            customer: id_hash(line.customer),
            order: hash(line.order),
            product: hash(line.product),
            category: hash(line.category),
            channel: hash(line.channel),
        }
    }
}

/// Codes strings by order of first appearance.
///
/// Keys live in one text arena (no allocation per key), and the previous key
/// is checked before the table: transaction files list an order's lines,
/// and often a customer's orders, one after another. The table is open
/// addressing with linear probing, at most three quarters full: a slot holds
/// the code + 1 (0: empty) beside 32 bits of the key's hash, so a lookup is
/// one cache line (which [`TransactionsBuilder::warm`] can read ahead), and
/// growing it (millions of order ids) or rejecting a wrong candidate never
/// reads the arena.
#[derive(Debug, Default)]
struct Interner {
    slots: Vec<u64>,
    text: String,
    ends: Vec<usize>,
    /// The previous key's code and hash (the hash rejects most other keys without reading the arena).
    last: Option<(u32, u32)>,
}

/// The first slot probed for a hash: the top bits of its product with a
/// 64-bit odd constant (Fibonacci hashing), for a table of `1 << bits` slots.
fn home(short: u32, bits: u32) -> usize {
    (u64::from(short).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

impl Interner {
    /// The code of `key` (of hash `short`), appending it to `ids` when new.
    fn code(&mut self, ids: &mut Vec<String>, key: &str, short: u32) -> u32 {
        let before = self.ends.len();
        let code = self.code_only(key, short);
        if self.ends.len() > before {
            ids.push(key.to_owned());
        }
        code
    }

    /// The code of `key` (of hash `short`), without keeping the ids.
    fn code_only(&mut self, key: &str, short: u32) -> u32 {
        if let Some((code, hash)) = self.last
            && hash == short
            && key_of(&self.text, &self.ends, code) == key
        {
            return code;
        }
        if 4 * (self.ends.len() + 1) > 3 * self.slots.len() {
            self.grow();
        }
        let bits = self.slots.len().trailing_zeros();
        let mask = self.slots.len() - 1;
        let mut i = home(short, bits);
        let code = loop {
            let slot = self.slots[i];
            if slot == 0 {
                // At most one new key a line, and lines are checked against MAX_LINES (< u32::MAX).
                let code = self.ends.len() as u32;
                self.text.push_str(key);
                self.ends.push(self.text.len());
                self.slots[i] = (u64::from(code) + 1) << 32 | u64::from(short);
                break code;
            }
            let code = ((slot >> 32) - 1) as u32;
            if slot as u32 == short && key_of(&self.text, &self.ends, code) == key {
                break code;
            }
            i = (i + 1) & mask;
        };
        self.last = Some((code, short));
        code
    }

    /// The slot a lookup of hash `short` reads first (0 when the table is empty).
    fn slot(&self, short: u32) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        self.slots[home(short, self.slots.len().trailing_zeros())]
    }

    /// Doubles the table (16 slots at first) and files every code again.
    fn grow(&mut self) {
        let size = (2 * self.slots.len()).max(16);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        let (bits, mask) = (size.trailing_zeros(), size - 1);
        for slot in old.into_iter().filter(|&s| s != 0) {
            let mut i = home(slot as u32, bits);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }
}

/// Key `code` of an arena: the text between the previous end and its own.
fn key_of<'t>(text: &'t str, ends: &[usize], code: u32) -> &'t str {
    let code = code as usize;
    let start = if code == 0 { 0 } else { ends[code - 1] };
    &text[start..ends[code]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_interns_customers_in_order_of_first_appearance() {
        let mut b = TransactionsBuilder::new(true);
        b.push("b", 10, 5.0, Some("o1"));
        b.push("a", 20, 3.0, Some("o2"));
        b.push("b", 30, -1.0, Some("o1"));
        let tx = b.finish();
        assert_eq!(tx.customer_ids(), ["b", "a"]);
        assert_eq!(tx.customer_codes(), [0, 1, 0]);
        assert_eq!(tx.order_codes(), Some(&[0, 1, 0][..]));
        assert_eq!(tx.time_span(), Some((10, 30)));
    }

    #[test]
    fn interner_codes_keys_in_order_of_first_appearance_through_growth_and_collisions() {
        let mut interner = Interner::default();
        let mut ids = Vec::new();
        // Every key twice, the second time far from the first.
        for round in 0..2 {
            for i in 0..100_000u32 {
                let key = format!("k{i}");
                assert_eq!(interner.code(&mut ids, &key, id_hash(&key)), i, "round {round}");
            }
        }
        assert_eq!((ids.len(), ids[99_999].as_str()), (100_000, "k99999"));
        // Distinct keys filed under one hash.
        let mut same = Interner::default();
        for round in 0..2 {
            for i in 0..1000u32 {
                assert_eq!(same.code_only(&format!("s{i}"), 7), i, "round {round}");
            }
        }
    }

    #[test]
    fn more_lines_than_32_bit_codes_hold_is_an_error_naming_the_source() {
        let builder = TransactionsBuilder::new(false);
        assert!(builder.check_room(MAX_LINES, Path::new("big.csv")).is_ok());
        let err = builder.check_room(MAX_LINES + 1, Path::new("big.csv")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "big.csv: more than 4294967295 lines; lines and ids are coded in 32 bits, so split the input"
        );
    }

    #[test]
    fn from_codes_rejects_ragged_columns_and_bad_codes() {
        let ids = vec!["a".to_string()];
        let err = Transactions::from_codes(ids.clone(), vec![0, 0], vec![1], vec![1.0, 2.0], None);
        assert!(matches!(err, Err(Error::ShapeMismatch { .. })));
        let err = Transactions::from_codes(ids.clone(), vec![1], vec![1], vec![1.0], None);
        assert!(matches!(
            err,
            Err(Error::InvalidParameter {
                name: "customer_codes",
                ..
            })
        ));
        let err = Transactions::from_codes(ids, vec![0], vec![1], vec![f64::NAN], None);
        assert!(matches!(err, Err(Error::NonFinite { .. })));
    }
}
