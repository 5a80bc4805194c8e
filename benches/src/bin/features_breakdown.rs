//! Where the time and memory of `segmint features` go: reading the
//! transaction CSV, computing the feature table, writing it. Prints the
//! median time of each step and, on Linux, the peak resident memory of the
//! process at the end of each step of the first run.
//!
//! `features_breakdown <log.csv> <customer col> <date col> <amount col> [repeats]`
//! (default 3 repeats); the feature table goes to a temporary file.

use std::path::Path;
use std::time::Instant;

use segmint::data::{ReadOptions, TransactionColumns, read_transactions};
use segmint::features::{FeatureOptions, Sources, customer_features};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(5..=6).contains(&args.len()) {
        eprintln!("usage: features_breakdown <log.csv> <customer col> <date col> <amount col> [repeats]");
        std::process::exit(2);
    }
    let repeats: usize = args.get(5).map_or(3, |r| r.parse().expect("a number of repeats"));
    let columns = TransactionColumns::new(&args[2], &args[3], &args[4]);
    let out = std::env::temp_dir().join(format!("features-breakdown-{}.csv", std::process::id()));
    let mut times = vec![Vec::new(); 3];
    let mut peaks = Vec::new();
    for _ in 0..repeats {
        let started = Instant::now();
        let (tx, _) =
            read_transactions(Path::new(&args[1]), &columns, &ReadOptions::default()).expect("a readable log");
        let read = started.elapsed().as_secs_f64();
        peaks.push(peak_rss());
        let table = customer_features(&tx, &FeatureOptions::default(), Sources::default()).expect("features");
        let computed = started.elapsed().as_secs_f64();
        peaks.push(peak_rss());
        table.write_csv(&out).expect("a writable temporary file");
        let written = started.elapsed().as_secs_f64();
        peaks.push(peak_rss());
        for (step, seconds) in times.iter_mut().zip([read, computed - read, written - computed]) {
            step.push(seconds);
        }
    }
    let _ = std::fs::remove_file(&out);
    for (name, mut seconds) in ["read", "features", "write"].into_iter().zip(times) {
        seconds.sort_by(f64::total_cmp);
        println!("{name:<9} {:.3} s", seconds[seconds.len() / 2]);
    }
    for (name, peak) in ["read", "features", "write"].into_iter().zip(peaks) {
        if let Some(kib) = peak {
            println!("peak resident memory after {name}: {} MB", kib / 1000);
        }
    }
}

/// The process's peak resident memory in KiB (`VmHWM`), where /proc tells it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
