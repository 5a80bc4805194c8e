//! Parquet in: the same transactions, audit and features as the CSV of the
//! same rows, column types taken from the file; bad files are clear errors.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Decimal128Builder, Int64Builder, ListBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use parquet::arrow::ArrowWriter;
use segmint::Error;
use segmint::data::{
    BadRowPolicy, DropReason, ReadOptions, TransactionColumns, io::write_transactions, read_transactions,
    read_transactions_parquet,
};
use segmint::features::{FeatureOptions, Sources, customer_features};
use segmint::synth::{SynthParams, generate};
use segmint_tests::{scratch_dir, shared_data};

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).expect("a batch");
    let mut writer = ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
    // Several row groups, so that rows are counted across them.
    for start in (0..batch.num_rows()).step_by(40_000) {
        let len = 40_000.min(batch.num_rows() - start);
        writer.write(&batch.slice(start, len)).unwrap();
        writer.flush().unwrap();
    }
    writer.close().unwrap();
}

/// Online Retail's rows as a Parquet file with the types an engine would
/// give them: integer customer ids (null where the CSV is empty), a
/// timestamp parsed by chrono, a dictionary-encoded invoice, numeric prices.
fn online_retail_parquet(csv_path: &Path, out: &Path) {
    let mut reader = csv::Reader::from_reader(flate2_reader(csv_path));
    let (mut invoice, mut quantity, mut price) = (StringDictionaryBuilder::<Int32Type>::new(), Vec::new(), Vec::new());
    let (mut customer, mut millis) = (Int64Builder::new(), Vec::new());
    for record in reader.records() {
        let r = record.unwrap();
        invoice.append_value(&r[0]);
        quantity.push(r[3].parse::<f64>().unwrap());
        let t = chrono::NaiveDateTime::parse_from_str(&r[4], "%Y-%m-%d %H:%M:%S").unwrap();
        millis.push(t.and_utc().timestamp_millis());
        price.push(r[5].parse::<f64>().unwrap());
        customer.append_option(r[6].parse::<i64>().ok());
    }
    write_parquet(
        out,
        vec![
            ("InvoiceNo", Arc::new(invoice.finish()) as ArrayRef),
            ("Quantity", Arc::new(Float64Array::from(quantity))),
            ("InvoiceDate", Arc::new(TimestampMillisecondArray::from(millis))),
            ("UnitPrice", Arc::new(Float64Array::from(price))),
            ("CustomerID", Arc::new(customer.finish())),
        ],
    );
}

fn flate2_reader(path: &Path) -> flate2::read::GzDecoder<File> {
    flate2::read::GzDecoder::new(File::open(path).unwrap())
}

#[test]
fn online_retail_as_parquet_gives_the_csv_transactions_audit_and_features() {
    let Some(csv_path) = shared_data("online_retail/online_retail.csv.gz") else {
        return;
    };
    let dir = scratch_dir("parquet_online_retail");
    let parquet = dir.join("online_retail.parquet");
    online_retail_parquet(&csv_path, &parquet);
    let columns = TransactionColumns::with_quantity_price("CustomerID", "InvoiceDate", "Quantity", "UnitPrice")
        .order("InvoiceNo");
    let options = ReadOptions::default();
    let (from_csv, csv_audit) = read_transactions(&csv_path, &columns, &options).unwrap();
    let (from_parquet, audit) = read_transactions(&parquet, &columns, &options).unwrap();
    assert_eq!(audit.rows_read, 541_909);
    assert_eq!(audit.dropped_for(DropReason::MissingCustomer), 135_080);
    assert!(audit.is_balanced());
    assert_eq!(
        (audit.rows_kept, audit.return_rows),
        (csv_audit.rows_kept, csv_audit.return_rows)
    );
    assert_eq!(from_parquet.customer_ids(), from_csv.customer_ids());
    assert_eq!(from_parquet.timestamps(), from_csv.timestamps());
    assert_eq!(from_parquet.amounts(), from_csv.amounts());
    assert_eq!(from_parquet.order_codes(), from_csv.order_codes());
    assert_eq!(from_parquet.quantities(), from_csv.quantities());
    let features = |tx| customer_features(tx, &FeatureOptions::default(), Sources::default()).unwrap();
    let (ours, theirs) = (features(&from_parquet), features(&from_csv));
    assert_eq!(ours.ids(), theirs.ids());
    // Bit for bit, NaN (an undefined gap of a one-order customer) included.
    let bits = |t: &segmint::data::CustomerTable| t.values().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&ours), bits(&theirs));
}

/// A synthetic log written as CSV by segmint and as Parquet with typed columns.
fn synthetic_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let tx = generate(&SynthParams::new(400, 5)).unwrap().transactions;
    let csv = dir.join("log.csv");
    write_transactions(&csv, &tx).unwrap();
    let ids = tx.customer_ids();
    let mut customer = StringDictionaryBuilder::<Int32Type>::new();
    for &c in tx.customer_codes() {
        customer.append_value(&ids[c as usize]);
    }
    let mut amount = Decimal128Builder::new().with_precision_and_scale(14, 2).unwrap();
    for &a in tx.amounts() {
        amount.append_value((a * 100.0).round() as i128);
    }
    let orders: Vec<String> = tx.order_codes().unwrap().iter().map(|o| format!("O{o}")).collect();
    let millis: Vec<i64> = tx.timestamps().iter().map(|t| t * 1_000).collect();
    let parquet = dir.join("log.parquet");
    write_parquet(
        &parquet,
        vec![
            // An unmapped column first: the reader must find the mapped ones by name.
            ("note", Arc::new(StringArray::from(vec!["x"; tx.len()])) as ArrayRef),
            ("customer_id", Arc::new(customer.finish_cloned()) as ArrayRef),
            ("order_id", Arc::new(StringArray::from(orders))),
            (
                "date",
                Arc::new(TimestampMillisecondArray::from(millis).with_timezone("UTC")),
            ),
            ("amount", Arc::new(amount.finish())),
        ],
    );
    (csv, parquet)
}

fn log_columns() -> TransactionColumns {
    TransactionColumns::new("customer_id", "date", "amount").order("order_id")
}

#[test]
fn typed_parquet_columns_and_a_directory_of_files_give_the_csv_table() {
    let dir = scratch_dir("parquet_synthetic");
    let (csv, parquet) = synthetic_pair(&dir);
    let options = ReadOptions::default();
    let (a, _) = read_transactions(&csv, &log_columns(), &options).unwrap();
    let (b, audit) = read_transactions_parquet(&parquet, &log_columns(), &options).unwrap();
    assert!(audit.is_balanced() && audit.rows_kept as usize == a.len());
    assert_eq!(
        (a.customer_ids(), a.timestamps(), a.amounts()),
        (b.customer_ids(), b.timestamps(), b.amounts())
    );
    // A directory (hive-style partitions and a writer's marker) reads as one log.
    let parts = dir.join("parts");
    std::fs::create_dir_all(parts.join("year=2024")).unwrap();
    std::fs::copy(&parquet, parts.join("year=2024/part-0.parquet")).unwrap();
    std::fs::write(parts.join("_SUCCESS"), "").unwrap();
    let (c, audit) = read_transactions(&parts, &log_columns(), &options).unwrap();
    assert_eq!(audit.rows_read as usize, a.len());
    assert_eq!(c.amounts(), a.amounts());
}

#[test]
fn nulls_are_counted_drops_with_their_row_and_an_error_in_strict_mode() {
    let dir = scratch_dir("parquet_nulls");
    let path = dir.join("nulls.parquet");
    write_parquet(
        &path,
        vec![
            (
                "customer_id",
                Arc::new(StringArray::from(vec![Some("a"), None, Some("b"), Some("c")])) as ArrayRef,
            ),
            (
                "date",
                Arc::new(TimestampMillisecondArray::from(vec![
                    Some(0),
                    Some(1_000),
                    None,
                    Some(86_400_000),
                ])),
            ),
            (
                "amount",
                Arc::new(Int64Array::from(vec![Some(5), Some(6), Some(7), None])),
            ),
        ],
    );
    let columns = TransactionColumns::new("customer_id", "date", "amount");
    let (tx, audit) = read_transactions(&path, &columns, &ReadOptions::default()).unwrap();
    assert_eq!((audit.rows_read, audit.rows_kept, tx.len()), (4, 1, 1));
    for (reason, row) in [
        (DropReason::MissingCustomer, 2),
        (DropReason::MissingDate, 3),
        (DropReason::MissingAmount, 4),
    ] {
        assert_eq!(audit.dropped[&reason].examples[0].line, row, "{reason:?}");
    }
    let strict = ReadOptions {
        on_bad_row: BadRowPolicy::Fail,
        ..ReadOptions::default()
    };
    let err = read_transactions(&path, &columns, &strict).unwrap_err();
    assert!(
        matches!(&err, Error::Parse { line: 2, column, .. } if column == "customer_id"),
        "{err}"
    );
}

#[test]
fn wrong_types_nested_columns_corrupt_files_and_mixed_time_zones_are_clear_errors() {
    let dir = scratch_dir("parquet_bad");
    let columns = TransactionColumns::new("customer_id", "date", "amount");
    let ids = || Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef;
    let dates = |zone: &str| Arc::new(TimestampMillisecondArray::from(vec![0, 1_000]).with_timezone(zone)) as ArrayRef;
    // A nested amount column.
    let mut nested = ListBuilder::new(Int64Builder::new());
    nested.append_value([Some(1)]);
    nested.append_value([Some(2)]);
    let path = dir.join("nested.parquet");
    write_parquet(
        &path,
        vec![
            ("customer_id", ids()),
            ("date", dates("UTC")),
            ("amount", Arc::new(nested.finish())),
        ],
    );
    let err = read_transactions(&path, &columns, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::ColumnType { column, parameter: "amount_col", .. } if column == "amount"),
        "{err}"
    );
    assert!(err.to_string().contains("expected numbers"), "{err}");
    // Dates as integers: ambiguous, refused.
    let path = dir.join("int_dates.parquet");
    let amounts = || Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef;
    write_parquet(
        &path,
        vec![
            ("customer_id", ids()),
            ("date", Arc::new(Int64Array::from(vec![1, 2]))),
            ("amount", amounts()),
        ],
    );
    let err = read_transactions(&path, &columns, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::ColumnType {
                parameter: "date_col",
                ..
            }
        ),
        "{err}"
    );
    // A missing column names what the file has.
    let err = read_transactions(
        &path,
        &TransactionColumns::new("id", "date", "amount"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("customer_id, date, amount"), "{err}");
    // A corrupt footer.
    let good = dir.join("good.parquet");
    write_parquet(
        &good,
        vec![("customer_id", ids()), ("date", dates("UTC")), ("amount", amounts())],
    );
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let err = read_transactions(&cut, &columns, &ReadOptions::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { path, format: "Parquet", .. } if path == &cut),
        "{err}"
    );
    // Two files of one directory in different time zones.
    let zones = dir.join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    std::fs::copy(&good, zones.join("a.parquet")).unwrap();
    write_parquet(
        &zones.join("b.parquet"),
        vec![
            ("customer_id", ids()),
            ("date", dates("Europe/Paris")),
            ("amount", amounts()),
        ],
    );
    let err = read_transactions(&zones, &columns, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains("time zone"), "{err}");
    assert!(
        matches!(&err, Error::ColumnType { path, .. } if path.ends_with("b.parquet")),
        "{err}"
    );
}
