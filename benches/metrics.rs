//! Criterion benchmarks of the validity indices (`metrics/indices`, ids
//! `{index}/{n}x{d}x{k}`) on seeded Gaussian blobs labelled by their blob.
//!
//! Each index's value is printed before timing, so that a faster but wrong
//! change shows up in the log.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::ArrayView2;
use segmint::Result;
use segmint::metrics::{calinski_harabasz, davies_bouldin, silhouette_score};
use segmint_benches::{blob_labels, gaussian_blobs};

const SIZES: [(usize, usize, usize); 2] = [(100_000, 16, 8), (1_000_000, 16, 8)];

type Index = fn(ArrayView2<'_, f64>, &[usize]) -> Result<f64>;

fn silhouette_of_10k(x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<f64> {
    silhouette_score(x, labels, Some(10_000), 0)
}

fn indices(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics/indices");
    group.sample_size(20);
    let cases: [(&str, Index); 3] = [
        ("calinski_harabasz", calinski_harabasz),
        ("davies_bouldin", davies_bouldin),
        ("silhouette_10k", silhouette_of_10k),
    ];
    for (n, d, k) in SIZES {
        let x = gaussian_blobs(n, d, k, 42);
        let labels = blob_labels(n, k);
        for (name, index) in cases {
            let id = format!("{name}/{n}x{d}x{k}");
            eprintln!(
                "metrics/indices/{id}: {:.12e}",
                index(x.view(), &labels).expect("index")
            );
            group.bench_with_input(BenchmarkId::from_parameter(id), &x, |b, x| {
                b.iter(|| index(x.view(), &labels).expect("index"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, indices);
criterion_main!(benches);
