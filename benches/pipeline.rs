//! Criterion benchmarks of the synthetic generator and the end-to-end pipeline.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use segmint::pipeline::Segmentation;
use segmint::synth::{SynthParams, generate};

fn pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    group.sample_size(10);
    for n in [10_000, 100_000] {
        group.bench_with_input(BenchmarkId::new("synth", n), &n, |b, &n| {
            b.iter(|| generate(&SynthParams::new(n, 42)).expect("generate"))
        });
        let base = generate(&SynthParams::new(n, 42)).expect("generate");
        let segmentation = Segmentation::new().seed(42).as_of(base.as_of);
        group.bench_with_input(BenchmarkId::new("segment", n), &base, |b, base| {
            b.iter(|| segmentation.fit(&base.transactions, None).expect("fit"))
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
