//! Times the Rust BG/NBD or Pareto/NBD fit alone on a summary CSV, for
//! comparison with the same fit from Python and for profiling (`perf record`).
//!
//! `clv_fit_time <csv> <frequency col> <recency col> <T col> <bgnbd|pareto> <repeats>`
//! prints one line: the parameters, the fit's iterations, the median and
//! every timing in milliseconds.

use std::time::Instant;

use segmint::features::clv::{BetaGeo, FitOptions, ParetoNbd, RfmData};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 7 {
        eprintln!("usage: clv_fit_time <csv> <frequency col> <recency col> <T col> <bgnbd|pareto> <repeats>");
        std::process::exit(2);
    }
    let text = std::fs::read_to_string(&args[1]).expect("readable CSV");
    let columns = read_columns(&text, &[&args[2], &args[3], &args[4]]);
    let repeats: usize = args[6].parse().expect("a whole number of repeats");
    let data = RfmData::new(&columns[0], &columns[1], &columns[2]);
    let options = FitOptions::default();
    let mut times = Vec::with_capacity(repeats);
    let mut summary = String::new();
    for _ in 0..repeats {
        let start = Instant::now();
        summary = match args[5].as_str() {
            "bgnbd" => {
                let model = BetaGeo::fit(&data, &options).expect("BG/NBD fit");
                let report = model.fit_report().expect("a fitted model has a report");
                format!(
                    "{:?}, {} starts, {} iterations",
                    model.params(),
                    report.n_starts,
                    report.iterations
                )
            }
            _ => {
                let model = ParetoNbd::fit(&data, &options).expect("Pareto/NBD fit");
                let report = model.fit_report().expect("a fitted model has a report");
                format!(
                    "{:?}, {} starts, {} iterations",
                    model.params(),
                    report.n_starts,
                    report.iterations
                )
            }
        };
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    println!("{summary}; median {median:.2} ms; times {times:.2?} ms");
}

/// The named columns of a plain CSV (a header, then numbers; no quoting).
fn read_columns(text: &str, names: &[&String]) -> Vec<Vec<f64>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header line").split(',').collect();
    let at: Vec<usize> = names
        .iter()
        .map(|name| header.iter().position(|h| h == name).expect("a column of that name"))
        .collect();
    let mut columns = vec![Vec::new(); names.len()];
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        for (column, &i) in columns.iter_mut().zip(&at) {
            column.push(fields[i].parse().expect("a number"));
        }
    }
    columns
}
