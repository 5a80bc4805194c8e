//! Criterion benchmarks of the feature table and the repeat-purchase summary
//! on synthetic transactions already in memory (ids: customers; about 28
//! lines per customer, so 36,000 customers are about 10^6 lines).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use segmint::features::{
    FeatureOptions, SummaryColumns, SummaryOptions, customer_features, rfm_summary, rfm_summary_columns,
};
use segmint::synth::{SynthParams, generate};

fn features(c: &mut Criterion) {
    let mut group = c.benchmark_group("features");
    group.sample_size(10);
    for n in [36_000, 360_000] {
        let base = generate(&SynthParams::new(n, 42)).expect("generate");
        eprintln!("{n} customers: {} transaction lines", base.transactions.len());
        let options = FeatureOptions {
            as_of: Some(base.as_of),
            ..Default::default()
        };
        group.bench_with_input(BenchmarkId::new("customer_features", n), &base, |b, base| {
            b.iter(|| customer_features(&base.transactions, &options, base.sources()).expect("features"))
        });
        group.bench_with_input(BenchmarkId::new("rfm_summary", n), &base, |b, base| {
            b.iter(|| rfm_summary(&base.transactions, &SummaryOptions::default()).expect("summary"))
        });
        // The same summary from integer keys, as segmint.features.rfm_summary passes a DataFrame's columns.
        let tx = &base.transactions;
        let keys: Vec<i64> = tx.customer_codes().iter().map(|&c| i64::from(c)).collect();
        let columns = SummaryColumns {
            keys: &keys,
            times: tx.timestamps(),
            ticks_per_second: 1,
            amounts: tx.amounts(),
        };
        group.bench_with_input(BenchmarkId::new("rfm_summary_columns", n), &columns, |b, columns| {
            b.iter(|| rfm_summary_columns(columns, &SummaryOptions::default()).expect("summary"))
        });
        // The same lines in time order, as a log usually is: the parallel time-ordered path.
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by_key(|&i| tx.timestamps()[i]);
        let sorted_keys: Vec<i64> = order.iter().map(|&i| keys[i]).collect();
        let sorted_times: Vec<i64> = order.iter().map(|&i| tx.timestamps()[i]).collect();
        let sorted_amounts: Vec<f64> = order.iter().map(|&i| tx.amounts()[i]).collect();
        let sorted = SummaryColumns {
            keys: &sorted_keys,
            times: &sorted_times,
            ticks_per_second: 1,
            amounts: &sorted_amounts,
        };
        group.bench_with_input(
            BenchmarkId::new("rfm_summary_columns_time_ordered", n),
            &sorted,
            |b, columns| b.iter(|| rfm_summary_columns(columns, &SummaryOptions::default()).expect("summary")),
        );
    }
    group.finish();
}

criterion_group!(benches, features);
criterion_main!(benches);
