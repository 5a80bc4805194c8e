//! Recency, frequency, monetary value, average order value and tenure.

use crate::data::{CustomerTable, Transactions};
use crate::error::Result;

use super::behaviour::{FeatureOptions, Sources, customer_features};

/// The columns [`rfm`] returns, in order.
pub const RFM_COLUMNS: [&str; 5] = ["recency_days", "frequency", "monetary", "aov", "tenure_days"];

/// Per-customer RFM, AOV and tenure: the first columns of [`customer_features`].
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
pub fn rfm(tx: &Transactions, options: &FeatureOptions) -> Result<CustomerTable> {
    let all = customer_features(tx, options, Sources::default())?;
    let values = all.select(&RFM_COLUMNS)?;
    CustomerTable::new(
        all.ids().to_vec(),
        RFM_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        values,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TransactionsBuilder;
    use crate::error::Error;
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
        let t = rfm(&b.finish(), &FeatureOptions::default()).unwrap();
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
        let t = rfm(
            &b.finish(),
            &FeatureOptions {
                as_of: Some(3 * DAY),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(t.column("frequency").unwrap()[0], 2.0);
        assert_eq!(t.column("recency_days").unwrap()[0], 2.0);
    }

    #[test]
    fn a_customer_with_only_returns_is_kept() {
        let mut b = TransactionsBuilder::new(false);
        b.push("a", 0, -3.0, None);
        b.push("b", DAY, 2.0, None);
        let t = rfm(&b.finish(), &FeatureOptions::default()).unwrap();
        assert_eq!(t.values().row(0).to_vec(), vec![1.0, 0.0, -3.0, 0.0, 1.0]);
    }

    #[test]
    fn as_of_before_the_data_is_rejected() {
        let mut b = TransactionsBuilder::new(false);
        b.push("a", 5 * DAY, 1.0, None);
        let err = rfm(
            &b.finish(),
            &FeatureOptions {
                as_of: Some(0),
                ..Default::default()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("as_of=1970-01-01 00:00:00"), "{err}");
    }

    #[test]
    fn empty_transactions_are_an_error() {
        let err = rfm(&Transactions::default(), &FeatureOptions::default()).unwrap_err();
        assert!(matches!(err, Error::InsufficientData { .. }));
    }
}
