//! Criterion benchmarks of k-means (`cluster/kmeans`, `cluster/kmeans_f32`,
//! `cluster/kmeans_lloyd20`, `cluster/minibatch`; ids `{n}x{d}x{k}`).
//!
//! The inertia of each configuration is printed before timing, so that a
//! change that is faster but clusters differently shows up in the log.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use segmint::cluster::{Element, KMeans, KMeansInit, KMeansParams, MiniBatchKMeans};
use segmint_benches::gaussian_blobs;

const SIZES: [(usize, usize, usize); 2] = [(100_000, 16, 8), (1_000_000, 16, 8)];

/// Times `params` on `x`, after printing the inertia it reaches.
fn bench_fit<F: Element>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    id: &str,
    params: &KMeansParams,
    x: &Array2<F>,
) {
    let model = params.fit(x.view()).expect("fit");
    eprintln!(
        "{name}/{id}: inertia {:.6e}, {} iterations",
        model.inertia(),
        model.n_iter()
    );
    group.bench_with_input(BenchmarkId::from_parameter(id), x, |b, x| {
        b.iter(|| params.fit(x.view()).expect("fit"))
    });
}

/// Full fit (k-means++, n_init = 1), f64 and f32.
fn full_fit(c: &mut Criterion) {
    for (name, f32_data) in [("cluster/kmeans", false), ("cluster/kmeans_f32", true)] {
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        for (n, d, k) in SIZES {
            let x = gaussian_blobs(n, d, k, 42);
            let params = KMeans::params(k).seed(0).n_init(1);
            let id = format!("{n}x{d}x{k}");
            if f32_data {
                bench_fit(&mut group, name, &id, &params, &x.mapv(|v| v as f32));
            } else {
                bench_fit(&mut group, name, &id, &params, &x);
            }
        }
        group.finish();
    }
}

/// Twenty Lloyd iterations from fixed centres (tol = 0): the per-iteration kernel.
fn lloyd_iterations(c: &mut Criterion) {
    let mut group = c.benchmark_group("cluster/kmeans_lloyd20");
    group.sample_size(10);
    for (n, d, k) in SIZES {
        let x = gaussian_blobs(n, d, k, 42);
        let init = x.slice(ndarray::s![..k * 10;10, ..]).to_owned();
        let params = KMeans::params(k).init(KMeansInit::Centers(init)).max_iter(20).tol(0.0);
        bench_fit(
            &mut group,
            "cluster/kmeans_lloyd20",
            &format!("{n}x{d}x{k}"),
            &params,
            &x,
        );
    }
    group.finish();
}

/// Mini-batch k-means with the default batch of 1024.
fn minibatch(c: &mut Criterion) {
    let mut group = c.benchmark_group("cluster/minibatch");
    group.sample_size(10);
    for (n, d, k) in SIZES {
        let x = gaussian_blobs(n, d, k, 42);
        let params = MiniBatchKMeans::params(k).seed(0);
        let model = params.fit(x.view()).expect("fit");
        eprintln!(
            "cluster/minibatch/{n}x{d}x{k}: inertia {:.6e}, {} steps",
            model.inertia(),
            model.n_steps()
        );
        group.bench_with_input(BenchmarkId::from_parameter(format!("{n}x{d}x{k}")), &x, |b, x| {
            b.iter(|| params.fit(x.view()).expect("fit"))
        });
    }
    group.finish();
}

criterion_group!(benches, full_fit, lloyd_iterations, minibatch);
criterion_main!(benches);
