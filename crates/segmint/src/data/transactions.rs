//! A columnar log of transaction lines.

use std::collections::HashMap;

use crate::error::{Error, Result};

/// Transaction lines stored column by column.
///
/// Customers are interned: `customer_codes()[i]` indexes `customer_ids()`.
/// A negative amount is a return: it lowers net revenue and is never an order.
/// Timestamps are seconds since 1970-01-01 in wall-clock time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transactions {
    customer_ids: Vec<String>,
    customer: Vec<u32>,
    timestamp: Vec<i64>,
    amount: Vec<f64>,
    order: Option<Vec<u32>>,
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
        })
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

    /// The earliest and latest timestamp, or `None` when empty.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        let min = self.timestamp.iter().copied().min()?;
        let max = self.timestamp.iter().copied().max()?;
        Some((min, max))
    }
}

/// Appends transaction lines one at a time, interning customer and order ids.
#[derive(Debug, Default)]
pub struct TransactionsBuilder {
    customers: HashMap<String, u32>,
    orders: HashMap<String, u32>,
    tx: Transactions,
}

impl TransactionsBuilder {
    /// A builder; `with_orders` says whether lines carry an order id.
    pub fn new(with_orders: bool) -> Self {
        TransactionsBuilder {
            tx: Transactions {
                order: with_orders.then(Vec::new),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// Adds one line. `order` is ignored when the builder has no order column.
    pub fn push(&mut self, customer: &str, timestamp: i64, amount: f64, order: Option<&str>) {
        let code = intern(&mut self.customers, &mut self.tx.customer_ids, customer);
        self.tx.customer.push(code);
        self.tx.timestamp.push(timestamp);
        self.tx.amount.push(amount);
        if let Some(orders) = self.tx.order.as_mut() {
            let next = self.orders.len() as u32;
            let code = *self.orders.entry(order.unwrap_or("").to_owned()).or_insert(next);
            orders.push(code);
        }
    }

    /// Adds one line whose customer is already coded (fast path for generators).
    pub(crate) fn push_coded(&mut self, customer: u32, timestamp: i64, amount: f64, order: u32) {
        self.tx.customer.push(customer);
        self.tx.timestamp.push(timestamp);
        self.tx.amount.push(amount);
        if let Some(orders) = self.tx.order.as_mut() {
            orders.push(order);
        }
    }

    /// The finished columns.
    pub fn finish(self) -> Transactions {
        self.tx
    }

    /// Starts from known customer ids (codes are their positions).
    pub(crate) fn with_customer_ids(ids: Vec<String>, with_orders: bool) -> Self {
        let mut builder = TransactionsBuilder::new(with_orders);
        builder.tx.customer_ids = ids;
        builder
    }
}

fn intern(map: &mut HashMap<String, u32>, ids: &mut Vec<String>, key: &str) -> u32 {
    if let Some(&code) = map.get(key) {
        return code;
    }
    let code = ids.len() as u32;
    ids.push(key.to_owned());
    map.insert(key.to_owned(), code);
    code
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
