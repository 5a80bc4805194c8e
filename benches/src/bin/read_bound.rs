//! The memory floor of one k-means pass: how fast `threads` threads can read
//! an n × d matrix (f64 and f32) and sum it, each thread summing its own
//! contiguous half with eight independent accumulators so that the additions
//! never wait on each other. Prints the median time and bandwidth.
//!
//! `read_bound <n> <d> [threads] [repeats]` (defaults: 2 threads, 11 repeats).

use std::hint::black_box;
use std::time::Instant;

use segmint_benches::gaussian_blobs;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(3..=5).contains(&args.len()) {
        eprintln!("usage: read_bound <n> <d> [threads] [repeats]");
        std::process::exit(2);
    }
    let number = |i: usize, default: usize| -> usize { args.get(i).map_or(default, |a| a.parse().expect("a number")) };
    let (n, d, threads, repeats) = (number(1, 0), number(2, 0), number(3, 2), number(4, 11));
    let x = gaussian_blobs(n, d, 1, 7);
    let x64 = x.as_slice().expect("standard layout");
    let x32: Vec<f32> = x64.iter().map(|&v| v as f32).collect();
    report("f64", x64, threads, repeats);
    report("f32", &x32, threads, repeats);
}

/// Times `repeats` parallel sums of `data` and prints the median.
fn report<T: Copy + Into<f64> + Sync>(name: &str, data: &[T], threads: usize, repeats: usize) {
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            black_box(parallel_sum(data, threads));
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let bytes = size_of_val(data) as f64;
    println!(
        "{name}: {:.1} MB read by {threads} threads in {:.2} ms (median of {repeats}, min {:.2} ms): {:.1} GB/s",
        bytes / 1e6,
        median * 1e3,
        times[0] * 1e3,
        bytes / median / 1e9
    );
}

/// Σ data, each thread over its own contiguous part.
fn parallel_sum<T: Copy + Into<f64> + Sync>(data: &[T], threads: usize) -> f64 {
    let part = data.len().div_ceil(threads.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = data
            .chunks(part)
            .map(|chunk| s.spawn(move || chunk_sum(chunk)))
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    })
}

/// Σ chunk with eight independent accumulators (vectorisable).
fn chunk_sum<T: Copy + Into<f64>>(chunk: &[T]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (body, tail) = chunk.as_chunks::<8>();
    for v in body {
        for l in 0..8 {
            acc[l] += v[l].into();
        }
    }
    acc.iter().sum::<f64>() + tail.iter().map(|&v| v.into()).sum::<f64>()
}
