use super::*;
use crate::data::Transactions;
use crate::features::summary::dense::DENSE_BLOCK_SHIFT;
use crate::features::{calibration_holdout, rfm_summary};
use crate::synth::{SynthParams, generate};

/// A synthetic log (with returns) as columns, its keys spread by `stride`.
fn synthetic(stride: i64) -> (Transactions, Vec<i64>) {
    let tx = generate(&SynthParams::new(300, 11)).expect("generate").transactions;
    let keys = tx.customer_codes().iter().map(|&c| 7 + i64::from(c) * stride).collect();
    (tx, keys)
}

/// Columns of lines timed in seconds.
fn seconds<'a>(keys: &'a [i64], times: &'a [i64], amounts: &'a [f64]) -> SummaryColumns<'a> {
    SummaryColumns {
        keys,
        times,
        ticks_per_second: 1,
        amounts,
    }
}

fn columns<'a>(keys: &'a [i64], tx: &'a Transactions) -> SummaryColumns<'a> {
    SummaryColumns {
        keys,
        times: tx.timestamps(),
        ticks_per_second: 1,
        amounts: tx.amounts(),
    }
}

/// The summary with text ids in place of keys, for comparing with the table's.
fn with_ids(s: RfmSummary<i64>, tx: &Transactions, stride: i64) -> RfmSummary {
    let ids = s
        .ids
        .iter()
        .map(|k| tx.customer_ids()[((k - 7) / stride) as usize].clone());
    RfmSummary {
        ids: ids.collect(),
        frequency: s.frequency,
        recency: s.recency,
        t: s.t,
        monetary_value: s.monetary_value,
    }
}

#[test]
fn equals_the_table_summary_for_dense_and_sparse_keys_in_any_order() {
    for (stride, period) in [(1, Period::Day), (1 << 40, Period::Week)] {
        let (tx, keys) = synthetic(stride);
        assert!(tx.amounts().iter().any(|&a| a < 0.0), "the log has returns");
        let options = SummaryOptions {
            period,
            ..Default::default()
        };
        let expected = rfm_summary(&tx, &options).unwrap();
        let ours = rfm_summary_columns(&columns(&keys, &tx), &options).unwrap();
        assert_eq!(with_ids(ours, &tx, stride), expected);
        // Reversed lines: every customer out of time order, ties reversed too.
        let rev = |v: &[i64]| v.iter().rev().copied().collect::<Vec<_>>();
        let (keys_r, times_r) = (rev(&keys), rev(tx.timestamps()));
        let amounts_r: Vec<f64> = tx.amounts().iter().rev().copied().collect();
        let reversed = SummaryColumns {
            keys: &keys_r,
            times: &times_r,
            ticks_per_second: 1,
            amounts: &amounts_r,
        };
        let ours = rfm_summary_columns(&reversed, &options).unwrap();
        let mut by_id: Vec<_> = (0..ours.ids.len())
            .map(|i| (ours.ids[i], ours.frequency[i], ours.t[i]))
            .collect();
        by_id.sort_by_key(|r| r.0);
        let n = expected.ids.len();
        assert_eq!(by_id.len(), n);
        for (i, id) in expected.ids.iter().enumerate() {
            let key = 7 + tx.customer_ids().iter().position(|x| x == id).unwrap() as i64 * stride;
            let row = by_id.binary_search_by_key(&key, |r| r.0).unwrap();
            assert_eq!((by_id[row].1, by_id[row].2), (expected.frequency[i], expected.t[i]));
        }
    }
}

#[test]
fn the_dense_path_equals_the_general_path() {
    let (tx, _) = synthetic(1);
    let mut order: Vec<usize> = (0..tx.timestamps().len()).collect();
    order.sort_by_key(|&i| tx.timestamps()[i]);
    let codes = tx.customer_codes();
    let keys: Vec<i64> = order.iter().map(|&i| 3 + i64::from(codes[i])).collect();
    let secs: Vec<i64> = order.iter().map(|&i| tx.timestamps()[i]).collect();
    let nanos: Vec<i64> = secs.iter().map(|t| t * 1_000_000_000 + 123).collect();
    let amounts: Vec<f64> = order.iter().map(|&i| tx.amounts()[i]).collect();
    let (_, latest) = tx.time_span().unwrap();
    for (times, tps) in [(&secs, 1), (&nanos, 1_000_000_000)] {
        let cols = SummaryColumns {
            keys: &keys,
            times,
            ticks_per_second: tps,
            amounts: &amounts,
        };
        for (period, multiplier, end) in [
            (Period::Day, 1.0, None),
            (Period::Week, 1.0, None),
            (Period::Day, 7.0, Some(latest - 40 * 86_400)),
        ] {
            let options = SummaryOptions {
                period,
                multiplier,
                observation_end: end,
            };
            let fast = dense_summary(&cols, &options).expect("a log of dense keys");
            assert!(!fast.ids.is_empty());
            assert_eq!(fast, general_summary(&cols, &options).unwrap());
        }
    }
}

#[test]
fn a_shuffled_log_gives_the_summary_of_the_log_in_time_order() {
    let (tx, _) = synthetic(1);
    let n = tx.timestamps().len();
    let mut by_time: Vec<usize> = (0..n).collect();
    by_time.sort_by_key(|&i| tx.timestamps()[i]);
    // A fixed shuffle (a multiplicative step coprime with n), then the lines in time order.
    let step = (1..).map(|s| 7_919 * s + 1).find(|s| gcd(*s, n) == 1).unwrap();
    let shuffled: Vec<usize> = (0..n).map(|i| i * step % n).collect();
    let codes = tx.customer_codes();
    let log = |order: &[usize]| {
        let keys: Vec<i64> = order.iter().map(|&i| 3 + i64::from(codes[i])).collect();
        let times: Vec<i64> = order.iter().map(|&i| tx.timestamps()[i]).collect();
        let amounts: Vec<f64> = order.iter().map(|&i| tx.amounts()[i]).collect();
        (keys, times, amounts)
    };
    let by_key = |s: RfmSummary<i64>| {
        let mut rows: Vec<_> = (0..s.ids.len())
            .map(|i| (s.ids[i], [s.frequency[i], s.recency[i], s.t[i], s.monetary_value[i]]))
            .collect();
        rows.sort_by_key(|r| r.0);
        rows
    };
    let (keys, times, amounts) = log(&by_time);
    let ordered = dense_summary(&seconds(&keys, &times, &amounts), &SummaryOptions::default()).unwrap();
    let (keys, times, amounts) = log(&shuffled);
    for period in [Period::Day, Period::Week] {
        let options = SummaryOptions {
            period,
            ..Default::default()
        };
        let cols = seconds(&keys, &times, &amounts);
        let dense = dense_summary(&cols, &options).expect("dense keys in any order");
        // The same rows on both paths, customers in order of first appearance.
        assert_eq!(dense, general_summary(&cols, &options).unwrap());
        if period == Period::Day {
            // A period's amounts are summed in line order: the last bits may differ.
            for ((k1, a), (k2, b)) in by_key(dense).into_iter().zip(by_key(ordered.clone())) {
                assert_eq!(k1, k2);
                assert_eq!(a[..3], b[..3]);
                assert!(
                    (a[3] - b[3]).abs() <= 1e-12 * b[3].abs(),
                    "customer {k1}: {} vs {}",
                    a[3],
                    b[3]
                );
            }
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[test]
fn a_nat_anywhere_leaves_the_dense_path_and_disorder_between_chunks_does_not() {
    // 100,000 lines: chunks of 32,768 lines on any thread count.
    let n = 100_000;
    let keys: Vec<i64> = (0..n as i64).map(|i| (i * 7_919) % 20_000).collect();
    let times: Vec<i64> = (0..n as i64).map(|i| 1_600_000_000 + i * 600).collect();
    let amounts = vec![1.5; n];
    let options = SummaryOptions::default();
    assert!(dense_summary(&seconds(&keys, &times, &amounts), &options).is_some());
    for row in [0, n / 2, n - 1] {
        let mut with_nat = times.clone();
        with_nat[row] = i64::MIN;
        let cols = seconds(&keys, &with_nat, &amounts);
        assert!(dense_summary(&cols, &options).is_none(), "NaT at row {row}");
        let err = rfm_summary_columns(&cols, &options).unwrap_err();
        assert!(matches!(err, Error::MissingValue { row: r, .. } if r == row), "{err}");
    }
    // Each chunk in time order, the second one earlier than the first: the
    // dense path still, equal to the general one.
    let mut shifted = times.clone();
    for t in &mut shifted[1 << 15..1 << 16] {
        *t -= 10_000_000;
    }
    let cols = seconds(&keys, &shifted, &amounts);
    assert_eq!(
        dense_summary(&cols, &options).unwrap(),
        general_summary(&cols, &options).unwrap()
    );
}

#[test]
fn many_blocks_of_customers_give_the_table_summary() {
    // 3 blocks of customers on the dense path (5 on the general one); each customer's
    // lines spread over the log, a bad line late in block 0.
    let n = 2 * (1 << DENSE_BLOCK_SHIFT) + 500;
    let rows: Vec<(u32, i64, f64)> = (0..6 * n)
        .map(|i| ((i * 7919 % n) as u32, (i as i64 / 3) * 3_600, (i % 13) as f64 - 1.0))
        .collect();
    let ids = (0..n).map(|c| c.to_string()).collect();
    let (codes, times, amounts): (Vec<u32>, Vec<i64>, Vec<f64>) =
        rows.iter()
            .fold(Default::default(), |(mut c, mut t, mut a), &(x, y, z)| {
                c.push(x);
                t.push(y);
                a.push(z);
                (c, t, a)
            });
    let tx = Transactions::from_codes(ids, codes.clone(), times.clone(), amounts.clone(), None).unwrap();
    let keys: Vec<i64> = codes.iter().map(|&c| 7 + i64::from(c)).collect();
    let options = SummaryOptions::default();
    let ours = rfm_summary_columns(&columns(&keys, &tx), &options).unwrap();
    // The table orders customers by code, the columns by first appearance.
    let rows = |s: RfmSummary| {
        let mut rows: Vec<_> = (0..s.ids.len())
            .map(|i| {
                (
                    s.ids[i].clone(),
                    [s.frequency[i], s.recency[i], s.t[i], s.monetary_value[i]],
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    assert_eq!(rows(with_ids(ours, &tx, 1)), rows(rfm_summary(&tx, &options).unwrap()));
    // The dense path across blocks, customers in order of first appearance.
    let fast = dense_summary(&columns(&keys, &tx), &options).expect("a log of dense keys");
    assert_eq!(fast, general_summary(&columns(&keys, &tx), &options).unwrap());
    // Reversed, with one customer holding a third of the lines (so that the
    // general path sorts that customer's lines in parallel): both paths agree.
    let mut heavy_keys: Vec<i64> = keys.iter().rev().copied().collect();
    for k in heavy_keys.iter_mut().step_by(3) {
        *k = 7;
    }
    let rev_times: Vec<i64> = times.iter().rev().copied().collect();
    let rev_amounts: Vec<f64> = amounts.iter().rev().copied().collect();
    let cols = seconds(&heavy_keys, &rev_times, &rev_amounts);
    assert_eq!(
        dense_summary(&cols, &options).unwrap(),
        general_summary(&cols, &options).unwrap()
    );
    let mut bad = amounts;
    let (late, early) = (6 * n - 5, 4 * n);
    bad[late] = f64::NAN;
    bad[early] = f64::INFINITY;
    let cols = SummaryColumns {
        amounts: &bad,
        ..columns(&keys, &tx)
    };
    let err = rfm_summary_columns(&cols, &options).unwrap_err();
    assert!(
        matches!(err, Error::NonFiniteEntry { row, .. } if row == early),
        "{err}"
    );
}

#[test]
fn the_dense_path_leaves_out_customers_without_a_purchase() {
    // 100,000 lines in time order (several chunks), the end half-way:
    // customer 3 only returns, customers 5 and 7 first appear after the end.
    let n = 100_000;
    let mut keys: Vec<i64> = (0..n as i64).map(|i| 100 + (i * 7_919) % 20_000).collect();
    let mut amounts: Vec<f64> = (0..n).map(|i| (i % 11) as f64 + 0.5).collect();
    for i in (0..n).step_by(97) {
        (keys[i], amounts[i]) = (3, -2.0);
    }
    (keys[n - 20], keys[n - 10]) = (5, 7);
    let times: Vec<i64> = (0..n as i64).map(|i| 1_600_000_000 + i * 600).collect();
    let cols = seconds(&keys, &times, &amounts);
    let options = SummaryOptions {
        observation_end: Some(times[n / 2]),
        ..Default::default()
    };
    let fast = dense_summary(&cols, &options).expect("a log of dense keys");
    for left_out in [3, 5, 7] {
        assert!(!fast.ids.contains(&left_out), "customer {left_out}");
    }
    assert_eq!(fast, general_summary(&cols, &options).unwrap());
}

#[test]
fn a_period_whose_spend_overflows_is_summed_as_the_branching_form_sums_it() {
    // Customer 1 overflows its first period (left out of monetary_value),
    // customer 2 a repeat period (monetary_value is +inf, never NaN).
    const DAY: i64 = 86_400;
    let keys = [1, 1, 2, 1, 2, 2, 2];
    let times = [0, 10, 20, DAY, DAY, DAY + 5, 2 * DAY];
    let amounts = [1e308, 1e308, 1.0, 5.0, 1e308, 1e308, 3.0];
    let cols = seconds(&keys, &times, &amounts);
    let options = SummaryOptions::default();
    let fast = dense_summary(&cols, &options).expect("a log of dense keys");
    assert_eq!(fast.ids, [1, 2]);
    assert_eq!(fast.frequency, [1.0, 2.0]);
    assert_eq!(fast.monetary_value, [5.0, f64::INFINITY]);
    assert_eq!(fast, general_summary(&cols, &options).unwrap());
}

#[test]
fn the_dense_path_is_the_same_on_any_thread_count_and_at_the_edges() {
    // 200,000 lines: many chunks and blocks; some amounts are -0.0 (a purchase of nothing).
    let n = 200_000;
    let keys: Vec<i64> = (0..n as i64).map(|i| -5_000 + (i * 7_919) % 30_000).collect();
    let times: Vec<i64> = (0..n as i64).map(|i| 1_600_000_000 + i * 300).collect();
    let amounts: Vec<f64> = (0..n)
        .map(|i| if i % 7 == 0 { -0.0 } else { (i % 13) as f64 })
        .collect();
    let cols = seconds(&keys, &times, &amounts);
    let options = SummaryOptions::default();
    let on = |threads: usize, options: &SummaryOptions| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| dense_summary(&cols, options).expect("a log of dense keys"))
    };
    let one = on(1, &options);
    assert_eq!(one, general_summary(&cols, &options).unwrap());
    for threads in [2, 8] {
        assert_eq!(on(threads, &options), one, "{threads} threads");
    }
    // Lines in reverse, one customer holding half of them: sorted on any thread count alike.
    let heavy: Vec<i64> = keys
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &k)| if i % 2 == 0 { -5_000 } else { k })
        .collect();
    let back: Vec<i64> = times.iter().rev().copied().collect();
    let reversed = seconds(&heavy, &back, &amounts);
    let on_reversed = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| dense_summary(&reversed, &options).expect("a log of dense keys"))
    };
    let one = on_reversed(1);
    assert_eq!(one, general_summary(&reversed, &options).unwrap());
    assert_eq!(on_reversed(2), one);
    assert_eq!(on_reversed(8), one);
    // An end before every line: nobody has a purchase.
    let early = SummaryOptions {
        observation_end: Some(times[0] - 2 * 86_400),
        ..Default::default()
    };
    assert!(on(2, &early).ids.is_empty());
    assert_eq!(on(2, &early), general_summary(&cols, &early).unwrap());
}

#[test]
fn nanoseconds_and_a_given_end_give_the_seconds_summary() {
    let (tx, keys) = synthetic(1);
    let (_, latest) = tx.time_span().unwrap();
    let options = SummaryOptions {
        observation_end: Some(latest - 40 * 86_400),
        multiplier: 7.0,
        ..Default::default()
    };
    let nanos: Vec<i64> = tx.timestamps().iter().map(|t| t * 1_000_000_000).collect();
    let cols = SummaryColumns {
        times: &nanos,
        ticks_per_second: 1_000_000_000,
        ..columns(&keys, &tx)
    };
    let ours = rfm_summary_columns(&cols, &options).unwrap();
    assert_eq!(with_ids(ours, &tx, 1), rfm_summary(&tx, &options).unwrap());
}

#[test]
fn calibration_and_holdout_equal_the_table_split() {
    let (tx, keys) = synthetic(1);
    let (first, latest) = tx.time_span().unwrap();
    let calibration_end = first + (latest - first) / 2;
    let options = SummaryOptions {
        observation_end: Some(latest),
        ..Default::default()
    };
    let expected = calibration_holdout(&tx, calibration_end, &options).unwrap();
    let ours = calibration_holdout_columns(&columns(&keys, &tx), calibration_end, &options).unwrap();
    assert_eq!(ours.frequency_holdout, expected.frequency_holdout);
    assert_eq!(ours.monetary_value_holdout, expected.monetary_value_holdout);
    assert_eq!(ours.duration_holdout, expected.duration_holdout);
    assert_eq!(with_ids(ours.calibration, &tx, 1), expected.calibration);
}

#[test]
fn missing_times_bad_amounts_and_resolutions_are_errors() {
    let keys = [1, 2, 2];
    let (times, amounts) = ([10, i64::MIN, 30], [1.0, 2.0, f64::NAN]);
    let cols = SummaryColumns {
        keys: &keys,
        times: &times,
        ticks_per_second: 1,
        amounts: &amounts,
    };
    let options = SummaryOptions::default();
    let err = rfm_summary_columns(&cols, &options).unwrap_err();
    assert!(
        matches!(
            err,
            Error::MissingValue {
                what: "times",
                row: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "column times has no value at row 1: expected a time (found NaT)"
    );
    let cols = SummaryColumns {
        times: &[10, 20, 30],
        ..cols
    };
    let err = rfm_summary_columns(&cols, &options).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFiniteEntry {
                what: "amounts",
                row: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "column amounts holds NaN at row 2: expected a finite number"
    );
    let cols = SummaryColumns {
        ticks_per_second: 60,
        ..cols
    };
    assert!(matches!(
        rfm_summary_columns(&cols, &options),
        Err(Error::InvalidParameter {
            name: "ticks_per_second",
            ..
        })
    ));
    let short = SummaryColumns { keys: &[1, 2], ..cols };
    assert!(matches!(
        rfm_summary_columns(&short, &options),
        Err(Error::ShapeMismatch { .. })
    ));
}
