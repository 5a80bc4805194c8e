//! The repeat-purchase summary against lifetimes 0.11.3 on the same input
//! (fixtures/lifetimes_oracle.json, made by fixtures/make_lifetimes_oracle.py),
//! and the CDNOW summary of the papers recomputed from the raw sample.

use std::path::Path;

use approx::assert_relative_eq;
use segmint::data::{DateFormat, ReadOptions, TransactionColumns, Transactions, read_transactions};
use segmint::features::{Period, RfmSummary, SummaryOptions, calibration_holdout, rfm_summary};
use serde_json::Value;

fn oracle() -> Value {
    let path = segmint_tests::repo_root().join("tests/fixtures/lifetimes_oracle.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn tiny() -> Transactions {
    let path = segmint_tests::repo_root().join("tests/fixtures/tiny_transactions.csv");
    let columns = TransactionColumns::new("customer_id", "date", "amount");
    read_transactions(path, &columns, &ReadOptions::default()).unwrap().0
}

fn date(text: &str) -> i64 {
    segmint::data::DateParser::new(DateFormat::Auto).parse(text).unwrap()
}

/// Every customer of the oracle's `rows`, every column, equal to 1e-9.
fn assert_rows_equal(ours: &RfmSummary, rows: &serde_json::Map<String, Value>, case: &str) {
    assert_eq!(ours.ids.len(), rows.len(), "{case}: number of customers");
    for (i, id) in ours.ids.iter().enumerate() {
        let theirs = &rows[id.as_str()];
        let mut columns = vec![
            ("frequency", ours.frequency[i]),
            ("recency", ours.recency[i]),
            ("T", ours.t[i]),
        ];
        if theirs.get("monetary_value").is_some() {
            columns.push(("monetary_value", ours.monetary_value[i]));
        }
        for (column, value) in columns {
            let expected = theirs[column].as_f64().unwrap();
            assert!(
                (value - expected).abs() <= 1e-9 * expected.abs().max(1.0),
                "{case}: customer {id} {column}: ours {value}, lifetimes {expected}"
            );
        }
    }
}

#[test]
fn summary_equals_lifetimes_on_every_case() {
    let tx = tiny();
    let fixture = oracle();
    for case in fixture["summary"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let call = case["call"].as_str().unwrap();
        let options = SummaryOptions {
            period: if name.starts_with('W') {
                Period::Week
            } else {
                Period::Day
            },
            observation_end: call
                .split("observation_period_end=\"")
                .nth(1)
                .map(|rest| date(&rest[..10])),
            ..Default::default()
        };
        let ours = rfm_summary(&tx, &options).unwrap();
        assert_rows_equal(&ours, case["rows"].as_object().unwrap(), name);
    }
}

#[test]
fn calibration_and_holdout_equal_lifetimes() {
    let tx = tiny();
    let fixture = oracle();
    let case = &fixture["calibration_holdout"];
    let options = SummaryOptions {
        observation_end: Some(date("2021-12-31")),
        ..Default::default()
    };
    let ours = calibration_holdout(&tx, date("2021-08-31"), &options).unwrap();
    let rows = case["rows"].as_object().unwrap();
    assert_eq!(ours.calibration.ids.len(), rows.len());
    for (i, id) in ours.calibration.ids.iter().enumerate() {
        let theirs = &rows[id.as_str()];
        let pairs = [
            ("frequency_cal", ours.calibration.frequency[i]),
            ("recency_cal", ours.calibration.recency[i]),
            ("T_cal", ours.calibration.t[i]),
            ("monetary_value_cal", ours.calibration.monetary_value[i]),
            ("frequency_holdout", ours.frequency_holdout[i]),
            ("monetary_value_holdout", ours.monetary_value_holdout[i]),
            ("duration_holdout", ours.duration_holdout),
        ];
        for (column, value) in pairs {
            assert_relative_eq!(
                value,
                theirs[column].as_f64().unwrap(),
                max_relative = 1e-9,
                epsilon = 1e-12
            );
        }
    }
}

/// The raw CDNOW sample, lines dated after `not_after` dropped (and counted).
fn cdnow_sample(path: &Path, not_after: Option<i64>) -> (Transactions, segmint::data::IngestAudit) {
    // master_id sample_id date number_of_cds dollar_value, whitespace-separated, no header.
    let columns = TransactionColumns::new("2", "3", "5");
    let options = ReadOptions {
        whitespace_separated: true,
        header: false,
        date_format: DateFormat::Custom("%Y%m%d".into()),
        not_after,
        ..Default::default()
    };
    read_transactions(path, &columns, &options).unwrap()
}

/// The papers' 39-week calibration summary (2,357 customers, fractional
/// weeks) recomputed from the raw CDNOW sample: days with a multiplier of 7.
#[test]
fn cdnow_summary_of_the_papers_is_recomputed_from_the_raw_sample() {
    let Some(path) = segmint_tests::shared_data("cdnow/CDNOW_sample.txt") else {
        return;
    };
    let (tx, audit) = cdnow_sample(&path, None);
    assert_eq!((audit.rows_read, audit.rows_kept), (6_919, 6_919));
    let options = SummaryOptions {
        period: Period::Day,
        multiplier: 7.0,
        observation_end: Some(date("1997-09-30")),
    };
    let ours = rfm_summary(&tx, &options).unwrap();
    let published =
        std::fs::read_to_string(segmint_tests::repo_root().join("tests/fixtures/cdnow_summary.csv")).unwrap();
    let rows: Vec<Vec<f64>> = published
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(ours.ids.len(), 2_357);
    assert_eq!(rows.len(), 2_357);
    let round2 = |v: f64| (v * 100.0).round() / 100.0;
    for row in &rows {
        let j = ours
            .ids
            .iter()
            .position(|id| id.parse::<f64>().unwrap() == row[0])
            .unwrap();
        assert_eq!(ours.frequency[j], row[1], "customer {}: x", row[0]);
        assert_eq!(round2(ours.recency[j]), row[2], "customer {}: t_x", row[0]);
        assert_eq!(round2(ours.t[j]), row[3], "customer {}: T", row[0]);
        assert!(
            (ours.monetary_value[j] - row[4]).abs() <= 0.0051,
            "customer {}: zbar",
            row[0]
        );
    }
    // Lifetimes' freq="W" summary of the lines up to 1997-09-30 (the oracle
    // filtered them first: the end's week runs to 1997-10-05), whole weeks.
    let (calibration, audit) = cdnow_sample(&path, Some(date("1997-09-30 23:59:59")));
    assert_eq!(audit.dropped_for(segmint::data::DropReason::FutureDate), 6_919 - 4_960);
    let weekly = rfm_summary(
        &calibration,
        &SummaryOptions {
            period: Period::Week,
            multiplier: 1.0,
            ..options
        },
    )
    .unwrap();
    let theirs = &oracle()["cdnow_sample_summary"];
    let ids: Vec<String> = theirs["customer_id"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(weekly.ids.len(), ids.len());
    for (k, id) in ids.iter().enumerate() {
        // The raw file zero-pads ids ("0001"); lifetimes read them as integers.
        let j = weekly
            .ids
            .iter()
            .position(|x| x.parse::<u64>().ok() == id.parse().ok())
            .unwrap();
        for (column, value) in [
            ("frequency", weekly.frequency[j]),
            ("recency", weekly.recency[j]),
            ("T", weekly.t[j]),
            ("monetary_value", weekly.monetary_value[j]),
        ] {
            let expected = theirs[column][k].as_f64().unwrap();
            assert!(
                (value - expected).abs() <= 1e-9 * expected.abs().max(1.0),
                "customer {id} {column}: ours {value}, lifetimes {expected}"
            );
        }
    }
}

/// The papers' estimates from the raw CDNOW sample, through our own summary
/// (exact spend, not the cents-rounded zbar of the published file).
#[test]
fn published_cdnow_estimates_from_the_raw_sample() {
    use segmint::features::clv::{BetaGeo, FitOptions, GammaGamma, RfmData, SpendData};
    let Some(path) = segmint_tests::shared_data("cdnow/CDNOW_sample.txt") else {
        return;
    };
    let (calibration, _) = cdnow_sample(&path, Some(date("1997-09-30 23:59:59")));
    let options = SummaryOptions {
        period: Period::Day,
        multiplier: 7.0,
        observation_end: Some(date("1997-09-30")),
    };
    let s = rfm_summary(&calibration, &options).unwrap();
    let bgf = BetaGeo::fit(&RfmData::new(&s.frequency, &s.recency, &s.t), &FitOptions::default()).unwrap();
    let p = bgf.params();
    let round = |v: f64, places: i32| (v * 10f64.powi(places)).round() / 10f64.powi(places);
    assert_eq!(
        [p.r, p.alpha, p.a, p.b].map(|v| round(v, 3)),
        [0.243, 4.414, 0.793, 2.426]
    );
    let repeat: Vec<usize> = (0..s.ids.len()).filter(|&i| s.frequency[i] > 0.0).collect();
    assert_eq!(repeat.len(), 946);
    let x: Vec<f64> = repeat.iter().map(|&i| s.frequency[i]).collect();
    let m: Vec<f64> = repeat.iter().map(|&i| s.monetary_value[i]).collect();
    let gg = GammaGamma::fit(&SpendData::new(&x, &m), &FitOptions::default())
        .unwrap()
        .params();
    assert_eq!([gg.p, gg.q, gg.v].map(|v| round(v, 2)), [6.25, 3.74, 15.44], "{gg:?}");
}

/// The papers' 39 + 39-week split of the CDNOW sample: a model fitted on the
/// calibration predicts the holdout purchases as lifetimes' does
/// (tests/fixtures/make_lifetimes_holdout_oracle.py): per customer, by
/// calibration frequency, in total, and in MAE and RMSE.
#[test]
fn holdout_evaluation_equals_lifetimes_on_cdnow() {
    use segmint::features::clv::{
        BetaGeo, BetaGeoParams, FitOptions, HoldoutEvaluation, ParetoNbd, ParetoNbdParams, RfmData, evaluate_holdout,
    };
    let Some(path) = segmint_tests::shared_data("cdnow/CDNOW_sample.txt") else {
        return;
    };
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(segmint_tests::repo_root().join("tests/fixtures/lifetimes_holdout_oracle.json"))
            .unwrap(),
    )
    .unwrap();
    let (tx, _) = cdnow_sample(&path, None);
    let options = SummaryOptions {
        period: Period::Day,
        multiplier: 7.0,
        observation_end: Some(date("1998-06-30")),
    };
    let split = calibration_holdout(&tx, date("1997-09-30"), &options).unwrap();
    let c = &split.calibration;
    assert_eq!(c.ids.len(), 2_357);
    assert_eq!(split.duration_holdout, fixture["duration_holdout"].as_f64().unwrap());
    let data = RfmData::new(&c.frequency, &c.recency, &c.t);
    let params = |model: &str, names: [&str; 4]| names.map(|n| fixture[model]["params"][n].as_f64().unwrap());
    let check = |ours: &HoldoutEvaluation, theirs: &Value, what: &str| {
        let num = |v: &Value| v.as_f64().unwrap();
        for key in ["total_actual", "total_predicted", "mae", "rmse"] {
            let (a, b) = (ours_field(ours, key), num(&theirs[key]));
            assert!((a - b).abs() <= 1e-9 * b.abs(), "{what} {key}: ours {a}, lifetimes {b}");
        }
        assert_eq!(ours.bins.len(), theirs["frequency_cal"].as_array().unwrap().len());
        for (k, bin) in ours.bins.iter().enumerate() {
            assert_eq!(bin.frequency, num(&theirs["frequency_cal"][k]));
            assert_eq!(bin.customers, num(&theirs["customers"][k]));
            assert_relative_eq!(bin.mean_actual, num(&theirs["mean_actual"][k]), max_relative = 1e-12);
            assert_relative_eq!(
                bin.mean_predicted,
                num(&theirs["mean_predicted"][k]),
                max_relative = 1e-9
            );
        }
    };
    let [r, alpha, a, b] = params("bgnbd", ["r", "alpha", "a", "b"]);
    let bgf = BetaGeo::new(BetaGeoParams { r, alpha, a, b }).unwrap();
    let ours = evaluate_holdout(&bgf, &data, &split.frequency_holdout, split.duration_holdout).unwrap();
    check(&ours, &fixture["bgnbd"], "BG/NBD");
    let [r, alpha, s, beta] = params("pareto", ["r", "alpha", "s", "beta"]);
    let pareto = ParetoNbd::new(ParetoNbdParams { r, alpha, s, beta }).unwrap();
    let ours = evaluate_holdout(&pareto, &data, &split.frequency_holdout, split.duration_holdout).unwrap();
    check(&ours, &fixture["pareto"], "Pareto/NBD");
    // Our own calibration fit lands on lifetimes' parameters.
    let fitted = BetaGeo::fit(&data, &FitOptions::default()).unwrap().params();
    for (ours, theirs) in [fitted.r, fitted.alpha, fitted.a, fitted.b]
        .iter()
        .zip(params("bgnbd", ["r", "alpha", "a", "b"]))
    {
        assert_relative_eq!(*ours, theirs, max_relative = 1e-4);
    }
}

fn ours_field(evaluation: &segmint::features::clv::HoldoutEvaluation, key: &str) -> f64 {
    match key {
        "total_actual" => evaluation.total_actual,
        "total_predicted" => evaluation.total_predicted,
        "mae" => evaluation.mae,
        _ => evaluation.rmse,
    }
}
