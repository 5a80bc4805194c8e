//! Runs a fixed number of Lloyd iterations on one seeded blob, for counting
//! instructions and cycles per row and iteration under `perf stat`: the
//! difference between two runs with different `iters`, divided by the extra
//! iterations and by `n`, is the cost of one iteration alone.
//!
//! `kmeans_iterations <n> <d> <k> <iters> <f64|f32> [repeats] [tol]` prints
//! the iterations run, the inertia and the median wall time in milliseconds
//! (tol = 0 by default; a positive tol also times the variance passes).

use std::time::Instant;

use ndarray::{Array2, s};
use segmint::cluster::{Element, KMeans, KMeansInit, KMeansParams};
use segmint_benches::gaussian_blobs;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(6..=8).contains(&args.len()) {
        eprintln!("usage: kmeans_iterations <n> <d> <k> <iters> <f64|f32> [repeats] [tol]");
        std::process::exit(2);
    }
    let number = |i: usize| -> usize { args[i].parse().expect("a whole number") };
    let (n, d, k, iters) = (number(1), number(2), number(3), number(4));
    let repeats = if args.len() >= 7 { number(6) } else { 1 };
    let tol: f64 = args.get(7).map_or(0.0, |t| t.parse().expect("a number"));
    // One blob: the clusters overlap, so the labels keep changing and every
    // requested iteration runs.
    let x = gaussian_blobs(n, d, 1, 7);
    let init = x.slice(s![..k, ..]).to_owned();
    let params = KMeans::params(k)
        .init(KMeansInit::Centers(init))
        .max_iter(iters)
        .tol(tol);
    match args[5].as_str() {
        "f32" => run(&params, &x.mapv(|v| v as f32), repeats),
        _ => run(&params, &x, repeats),
    }
}

fn run<F: Element>(params: &KMeansParams, x: &Array2<F>, repeats: usize) {
    let mut times = Vec::with_capacity(repeats);
    let mut model = None;
    for _ in 0..repeats {
        let start = Instant::now();
        model = Some(params.fit(x.view()).expect("fit"));
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let model = model.expect("at least one repeat");
    println!(
        "iterations {} inertia {:.9e} median {:.2} ms",
        model.n_iter(),
        model.inertia(),
        times[times.len() / 2]
    );
}
