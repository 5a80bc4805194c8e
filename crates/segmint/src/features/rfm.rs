//! Recency, frequency, monetary value, average order value and tenure.

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{CustomerTable, SECONDS_PER_DAY, Transactions};
use crate::error::{Error, Result};

/// The columns [`rfm`] returns, in order.
pub const RFM_COLUMNS: [&str; 5] = ["recency_days", "frequency", "monetary", "aov", "tenure_days"];

/// Options for [`rfm`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmOptions {
    /// End of the observation window in seconds since the epoch; defaults to
    /// the latest timestamp in the data. Must not precede any transaction.
    pub as_of: Option<i64>,
}

/// Per-customer RFM, AOV and tenure.
///
/// - `recency_days`: days from the last purchase to `as_of`;
/// - `frequency`: number of orders (distinct order ids, or distinct purchase
///   times when there is no order column) with a positive amount;
/// - `monetary`: net revenue, returns subtracted;
/// - `aov`: net revenue per order (0 without orders);
/// - `tenure_days`: days from the first purchase to `as_of`.
///
/// Purchases are lines with a positive amount; a customer with only returns or
/// zero-amount lines falls back to all of their lines for recency and tenure.
/// Rows follow [`Transactions::customer_ids`].
pub fn rfm(tx: &Transactions, options: &RfmOptions) -> Result<CustomerTable> {
    let Some((_, latest)) = tx.time_span() else {
        return Err(Error::InsufficientData {
            what: "no transactions: RFM needs at least one line".into(),
        });
    };
    let as_of = options.as_of.unwrap_or(latest);
    if as_of < latest {
        return Err(Error::invalid_parameter(
            "as_of",
            crate::data::format_timestamp(as_of),
            format!(
                "a time at or after the latest transaction ({})",
                crate::data::format_timestamp(latest)
            ),
        ));
    }
    let n = tx.n_customers();
    let mut acc = vec![CustomerAccumulator::default(); n];
    for i in 0..tx.len() {
        acc[tx.customer_codes()[i] as usize].add(tx.timestamps()[i], tx.amounts()[i]);
    }
    let orders = count_orders(tx);
    let mut values = Array2::<f64>::zeros((n, RFM_COLUMNS.len()));
    for (c, mut row) in values.rows_mut().into_iter().enumerate() {
        let a = &acc[c];
        let (first, last) = a.purchase_span();
        let frequency = orders[c] as f64;
        row[0] = (as_of - last) as f64 / SECONDS_PER_DAY;
        row[1] = frequency;
        row[2] = a.net;
        row[3] = if frequency > 0.0 { a.net / frequency } else { 0.0 };
        row[4] = (as_of - first) as f64 / SECONDS_PER_DAY;
    }
    CustomerTable::new(
        tx.customer_ids().to_vec(),
        RFM_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        values,
    )
}

#[derive(Debug, Clone, Copy)]
struct CustomerAccumulator {
    net: f64,
    first_any: i64,
    last_any: i64,
    first_purchase: i64,
    last_purchase: i64,
}

impl Default for CustomerAccumulator {
    fn default() -> Self {
        CustomerAccumulator {
            net: 0.0,
            first_any: i64::MAX,
            last_any: i64::MIN,
            first_purchase: i64::MAX,
            last_purchase: i64::MIN,
        }
    }
}

impl CustomerAccumulator {
    fn add(&mut self, t: i64, amount: f64) {
        self.net += amount;
        self.first_any = self.first_any.min(t);
        self.last_any = self.last_any.max(t);
        if amount > 0.0 {
            self.first_purchase = self.first_purchase.min(t);
            self.last_purchase = self.last_purchase.max(t);
        }
    }

    fn purchase_span(&self) -> (i64, i64) {
        if self.first_purchase <= self.last_purchase {
            (self.first_purchase, self.last_purchase)
        } else {
            (self.first_any, self.last_any)
        }
    }
}

/// Distinct orders with a positive amount per customer. An order is an order
/// id when the data has one, otherwise a distinct purchase timestamp.
///
/// Lines are grouped by customer with a counting sort (4 bytes per line), then
/// each customer's keys are deduplicated in parallel.
fn count_orders(tx: &Transactions) -> Vec<u64> {
    let codes = tx.customer_codes();
    let mut start = vec![0usize; tx.n_customers() + 1];
    for &c in codes {
        start[c as usize + 1] += 1;
    }
    for c in 1..start.len() {
        start[c] += start[c - 1];
    }
    let mut cursor = start.clone();
    let mut lines = vec![0u32; codes.len()];
    for (i, &c) in codes.iter().enumerate() {
        lines[cursor[c as usize]] = i as u32;
        cursor[c as usize] += 1;
    }
    let key = |i: usize| match tx.order_codes() {
        Some(orders) => i64::from(orders[i]),
        None => tx.timestamps()[i],
    };
    (0..tx.n_customers())
        .into_par_iter()
        .map_init(Vec::new, |keys: &mut Vec<i64>, c| {
            keys.clear();
            keys.extend(
                lines[start[c]..start[c + 1]]
                    .iter()
                    .map(|&i| i as usize)
                    .filter(|&i| tx.amounts()[i] > 0.0)
                    .map(key),
            );
            keys.sort_unstable();
            keys.dedup();
            keys.len() as u64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TransactionsBuilder;
    use approx::assert_relative_eq;

    const DAY: i64 = 86_400;

    #[test]
    fn returns_lower_revenue_but_are_never_orders() {
        let mut b = TransactionsBuilder::new(true);
        b.push("a", 0, 10.0, Some("o1"));
        b.push("a", 0, 5.0, Some("o1"));
        b.push("a", 10 * DAY, 20.0, Some("o2"));
        b.push("a", 12 * DAY, -5.0, Some("r1"));
        b.push("b", 20 * DAY, 7.0, Some("o3"));
        let t = rfm(&b.finish(), &RfmOptions::default()).unwrap();
        let a = t.values().row(0).to_vec();
        assert_relative_eq!(a[0], 10.0); // recency: last purchase day 10, as_of day 20
        assert_relative_eq!(a[1], 2.0); // frequency: o1 and o2; the return is no order
        assert_relative_eq!(a[2], 30.0); // net revenue
        assert_relative_eq!(a[3], 15.0); // aov
        assert_relative_eq!(a[4], 20.0); // tenure
        assert_eq!(t.values().row(1).to_vec(), vec![0.0, 1.0, 7.0, 7.0, 0.0]);
    }

    #[test]
    fn without_order_ids_distinct_purchase_times_are_orders() {
        let mut b = TransactionsBuilder::new(false);
        b.push("a", 0, 1.0, None);
        b.push("a", 0, 1.0, None);
        b.push("a", DAY, 1.0, None);
        let t = rfm(&b.finish(), &RfmOptions { as_of: Some(3 * DAY) }).unwrap();
        assert_eq!(t.column("frequency").unwrap()[0], 2.0);
        assert_eq!(t.column("recency_days").unwrap()[0], 2.0);
    }

    #[test]
    fn a_customer_with_only_returns_is_kept() {
        let mut b = TransactionsBuilder::new(false);
        b.push("a", 0, -3.0, None);
        b.push("b", DAY, 2.0, None);
        let t = rfm(&b.finish(), &RfmOptions::default()).unwrap();
        assert_eq!(t.values().row(0).to_vec(), vec![1.0, 0.0, -3.0, 0.0, 1.0]);
    }

    #[test]
    fn as_of_before_the_data_is_rejected() {
        let mut b = TransactionsBuilder::new(false);
        b.push("a", 5 * DAY, 1.0, None);
        let err = rfm(&b.finish(), &RfmOptions { as_of: Some(0) })
            .unwrap_err()
            .to_string();
        assert!(err.contains("as_of=1970-01-01 00:00:00"), "{err}");
    }

    #[test]
    fn empty_transactions_are_an_error() {
        let err = rfm(&Transactions::default(), &RfmOptions::default()).unwrap_err();
        assert!(matches!(err, Error::InsufficientData { .. }));
    }
}
