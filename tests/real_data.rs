//! Ingest and features on the real public data sets in ../shared/data
//! (skipped, with a message, when that folder is absent).

use segmint::data::{DropReason, ReadOptions, TransactionColumns, read_transactions};
use segmint::features::{FeatureOptions, rfm};
use segmint::pipeline::Segmentation;
use segmint_tests::shared_data;

/// UCI Online Retail (541,909 lines). The expected counts are the data set's
/// documented checks (shared/data/README.md): 135,080 rows without
/// CustomerID and 4,372 distinct customers.
#[test]
fn online_retail_every_row_accounted_for() {
    let Some(path) = shared_data("online_retail/online_retail.csv.gz") else {
        return;
    };
    let columns = TransactionColumns::with_quantity_price("CustomerID", "InvoiceDate", "Quantity", "UnitPrice")
        .order("InvoiceNo");
    let (tx, audit) = read_transactions(&path, &columns, &ReadOptions::default()).unwrap();
    assert_eq!(audit.rows_read, 541_909);
    assert_eq!(audit.dropped_for(DropReason::MissingCustomer), 135_080);
    assert_eq!(audit.rows_kept, 541_909 - 135_080);
    assert!(audit.is_balanced());
    assert_eq!(tx.n_customers(), 4_372);
    assert!(audit.return_rows > 0);

    let features = rfm(&tx, &FeatureOptions::default()).unwrap();
    assert_eq!(features.n_customers(), 4_372);
    let frequency = features.column("frequency").unwrap();
    // Customers who only ever cancelled have no orders but are kept.
    assert!(frequency.iter().any(|&f| f == 0.0));
    assert!(frequency.iter().all(|&f| f >= 0.0));

    let result = Segmentation::new().seed(1).fit(&tx, Some(&audit)).unwrap();
    assert_eq!(result.labels.len(), 4_372);
    assert_eq!(result.report.data.audit.as_ref().unwrap().rows_read, 541_909);
}
