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
            let Ok((_, audit)) = read_transactions_from(&text[..], Path::new("t.csv"), &cols_cda(), &options) else {
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
