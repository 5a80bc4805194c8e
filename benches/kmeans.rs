//! Criterion benchmarks of the k-means fit (`cluster/kmeans`, ids `{n}x{d}x{k}`).
//!
//! The inertia of each configuration is printed before timing, so that a
//! change that is faster but clusters differently shows up in the log.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use segmint::cluster::KMeans;
use segmint_benches::gaussian_blobs;

fn kmeans(c: &mut Criterion) {
    let mut group = c.benchmark_group("cluster/kmeans");
    group.sample_size(10);
    for &(n, d, k) in &[(100_000, 16, 8), (1_000_000, 16, 8)] {
        let x = gaussian_blobs(n, d, k, 42);
        let params = KMeans::params(k).seed(0).n_init(1);
        let model = params.fit(x.view()).expect("fit");
        eprintln!(
            "cluster/kmeans/{n}x{d}x{k}: inertia {:.6e}, {} iterations",
            model.inertia(),
            model.n_iter()
        );
        group.bench_with_input(BenchmarkId::from_parameter(format!("{n}x{d}x{k}")), &x, |b, x| {
            b.iter(|| params.fit(x.view()).expect("fit"))
        });
    }
    group.finish();
}

criterion_group!(benches, kmeans);
criterion_main!(benches);
