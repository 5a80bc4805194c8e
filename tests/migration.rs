//! Segmentations that live on, on the real logs of ../shared/data (skipped,
//! with a message, when that folder is absent): a model fitted at one date,
//! the same customers scored later, their movement measured.

use segmint::data::{DateFormat, DateParser, ReadOptions, TransactionColumns, Transactions, read_transactions};
use segmint::pipeline::{CustomerData, Migration, Place, Segmentation, SegmentationResult};
use segmint_tests::shared_data;

fn date(text: &str) -> i64 {
    DateParser::new(DateFormat::Auto).parse(text).unwrap()
}

/// The model of the log up to `end`, the scorecard left out (it is not what these tests are about).
fn fitted(tx: &Transactions, end: i64) -> SegmentationResult {
    let mut segmentation = Segmentation::new().seed(3).as_of(end);
    segmentation.validate = None;
    segmentation.fit(&tx.up_to(end), None).unwrap()
}

fn log(tx: &Transactions) -> CustomerData<'_> {
    CustomerData {
        transactions: Some(tx),
        ..CustomerData::default()
    }
}

/// Customers in the flows out of a segment, into one, and new.
fn accounted(m: &Migration) -> (usize, usize, usize) {
    let sum = |keep: &dyn Fn(&segmint::pipeline::Flow) -> bool| -> usize {
        m.flows.iter().filter(|f| keep(f)).map(|f| f.customers).sum()
    };
    let placed = |p: Place| matches!(p, Place::Segment(_));
    (
        sum(&|f| placed(f.from)),
        sum(&|f| placed(f.to)),
        sum(&|f| f.from == Place::New),
    )
}

fn revenue_after(tx: &Transactions, from: i64, to: i64) -> f64 {
    tx.timestamps()
        .iter()
        .zip(tx.amounts())
        .filter(|(t, _)| **t > from && **t <= to)
        .map(|(_, a)| a)
        .sum()
}

/// CDNOW's cohort (23,570 customers who first bought in 1997's first
/// quarter), segmented at week 39 as the papers split it, then followed to
/// the end of the log (1998-06-30).
#[test]
fn cdnow_split_at_week_39_accounts_for_every_customer_and_shows_the_lapse() {
    let Some(path) = shared_data("cdnow/CDNOW_master.txt") else {
        return;
    };
    let columns = TransactionColumns::new("customer_id", "date", "dollar_value");
    let options = ReadOptions {
        whitespace_separated: true,
        date_format: DateFormat::Custom("%Y%m%d".into()),
        ..Default::default()
    };
    let (tx, _) = read_transactions(&path, &columns, &options).unwrap();
    let week_39 = date("1997-09-30");
    let end = date("1998-06-30");
    let result = fitted(&tx, week_39);
    let model = &result.model;

    let scored = model.score(log(&tx.up_to(week_39)), Some(week_39)).unwrap();
    assert_eq!(scored.segments, result.labels, "the training snapshot keeps its labels");

    let m = model.migration(log(&tx), week_39, end, 4).unwrap();
    let (out, into, new) = accounted(&m);
    assert_eq!(
        (out, into, new),
        (23_570, 23_570, 0),
        "a closed cohort: nobody new, nobody lost"
    );
    let revenue: f64 = m.flows.iter().map(|f| f.revenue).sum();
    let expected = revenue_after(&tx, week_39, end);
    assert!((revenue - expected).abs() < 1e-6 * expected, "{revenue} vs {expected}");
    // Nine more months of silence for most of the cohort: customers leave
    // the active segments for the one of long inactivity, hardly any return.
    let biggest = m.movements()[0];
    let Place::Segment(into) = biggest.to else {
        panic!("a movement ends in a segment")
    };
    let into_name = &m.names[into];
    assert!(into_name.contains("At-Risk"), "{:?}", m.headlines(3));
    assert!(biggest.customers > 1_000, "{:?}", m.headlines(3));
}

/// Online Retail segmented at the end of 2011's first quarter and followed
/// quarter by quarter: new customers arrive each quarter, and every one of
/// them and every customer of the quarter before is in one flow.
#[test]
fn online_retail_by_quarter_counts_the_new_customers_of_each_quarter() {
    let Some(path) = shared_data("online_retail/online_retail.csv.gz") else {
        return;
    };
    let columns = TransactionColumns::with_quantity_price("CustomerID", "InvoiceDate", "Quantity", "UnitPrice")
        .order("InvoiceNo");
    let (tx, _) = read_transactions(&path, &columns, &ReadOptions::default()).unwrap();
    let quarters = ["2011-03-31 23:59:59", "2011-06-30 23:59:59", "2011-09-30 23:59:59"].map(date);
    let result = fitted(&tx, quarters[0]);
    for pair in quarters.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        let m = result.model.migration(log(&tx), from, to, 2).unwrap();
        let (out, into, new) = accounted(&m);
        let (then, now) = (tx.up_to(from).n_customers(), tx.up_to(to).n_customers());
        assert_eq!((out, into, new), (then, now, now - then), "{}", m.to);
        assert!(new > 0);
        let revenue: f64 = m.flows.iter().map(|f| f.revenue).sum();
        let expected = revenue_after(&tx, from, to);
        assert!(
            (revenue - expected).abs() < 1e-6 * expected.abs(),
            "{revenue} vs {expected}"
        );
        for row in &m.matrix {
            let total: f64 = row.iter().sum();
            assert!((total - 1.0).abs() < 1e-9 || total == 0.0, "{row:?}");
        }
    }
}
