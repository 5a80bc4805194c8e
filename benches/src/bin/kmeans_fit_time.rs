//! Times the Rust k-means call alone on a matrix written by
//! `benches/compare/python_overhead.py`, for comparison with the same call
//! from Python.
//!
//! `kmeans_fit_time <file of little-endian f64> <n> <d> <k> <repeats> <lloyd20|full>`
//! prints one line of JSON: the median and every timing in milliseconds.

use std::time::Instant;

use ndarray::{Array2, s};
use segmint::cluster::{KMeans, KMeansInit, KMeansParams};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 7 {
        eprintln!("usage: kmeans_fit_time <f64 file> <n> <d> <k> <repeats> <lloyd20|full>");
        std::process::exit(2);
    }
    let number = |i: usize| -> usize { args[i].parse().expect("a whole number") };
    let (n, d, k, repeats) = (number(2), number(3), number(4), number(5));
    let bytes = std::fs::read(&args[1]).expect("readable data file");
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let x = Array2::from_shape_vec((n, d), values).expect("n × d values");
    let params = match args[6].as_str() {
        "lloyd20" => {
            let init = x.slice(s![..k * 10;10, ..]).to_owned();
            KMeans::params(k).init(KMeansInit::Centers(init)).max_iter(20).tol(0.0)
        }
        _ => KMeans::params(k).seed(0).n_init(1),
    };
    let mut times = timings(&params, &x, repeats);
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!("{{\"median_ms\": {median}, \"times_ms\": {times:?}}}");
}

fn timings(params: &KMeansParams, x: &Array2<f64>, repeats: usize) -> Vec<f64> {
    (0..repeats)
        .map(|_| {
            let start = Instant::now();
            let model = params.fit(x.view()).expect("fit");
            std::hint::black_box(model.inertia());
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}
