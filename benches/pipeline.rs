//! Criterion benchmarks of the synthetic generator, the end-to-end pipeline
//! and the validation of a segmentation (bootstrap stability, scorecard).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use segmint::cluster::KMeans;
use segmint::metrics::{bootstrap_stability, kmeans_refit};
use segmint::pipeline::Segmentation;
use segmint::synth::{SynthParams, generate};
use segmint::validate::{ValidateOptions, ValidationInput, validate};
use segmint_benches::gaussian_blobs;

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

/// B = 100 bootstrap refits of k-means (k = 4) on 10,000 customers × 5
/// features, and the whole MASDA scorecard of the same segmentation.
fn validation(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    group.sample_size(10);
    let n = 10_000;
    let x = gaussian_blobs(n, 5, 4, 7);
    let labels = KMeans::params(4).seed(1).fit(x.view()).expect("fit").labels().to_vec();
    group.bench_with_input(BenchmarkId::new("bootstrap_b100", n), &x, |b, x| {
        b.iter(|| bootstrap_stability(x.view(), &labels, 100, 1, kmeans_refit(4, 1)).expect("stability"))
    });
    let names: Vec<String> = (0..5).map(|j| format!("x{j}")).collect();
    group.bench_with_input(BenchmarkId::new("scorecard", n), &x, |b, x| {
        b.iter(|| {
            let input = ValidationInput::new(x.view(), &names, &labels);
            validate(&input, &ValidateOptions::default()).expect("scorecard")
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline, validation);
criterion_main!(benches);
