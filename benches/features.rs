//! Criterion benchmarks of the feature table and the repeat-purchase summary
//! on synthetic transactions already in memory (ids: customers; about 28
//! lines per customer, so 36,000 customers are about 10^6 lines).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use segmint::features::{FeatureOptions, SummaryOptions, customer_features, rfm_summary};
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
    }
    group.finish();
}

criterion_group!(benches, features);
criterion_main!(benches);
