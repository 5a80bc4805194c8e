//! Where the time of `segmint features` goes: reading the transaction CSV,
//! computing the feature table, writing it. Prints the median of each step.
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
    for _ in 0..repeats {
        let started = Instant::now();
        let (tx, _) =
            read_transactions(Path::new(&args[1]), &columns, &ReadOptions::default()).expect("a readable log");
        let read = started.elapsed().as_secs_f64();
        let table = customer_features(&tx, &FeatureOptions::default(), Sources::default()).expect("features");
        let computed = started.elapsed().as_secs_f64();
        table.write_csv(&out).expect("a writable temporary file");
        let written = started.elapsed().as_secs_f64();
        for (step, seconds) in times.iter_mut().zip([read, computed - read, written - computed]) {
            step.push(seconds);
        }
    }
    let _ = std::fs::remove_file(&out);
    for (name, mut seconds) in ["read", "features", "write"].into_iter().zip(times) {
        seconds.sort_by(f64::total_cmp);
        println!("{name:<9} {:.3} s", seconds[seconds.len() / 2]);
    }
}
