//! The `segmint` command: segment customers from a CSV file, or from the
//! built-in synthetic customer base.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use segmint::data::{BadRowPolicy, DateFormat, DateParser, ReadOptions, TransactionColumns, read_transactions};
use segmint::pipeline::{Segmentation, SegmentationResult};
use segmint::report::write_report_files;
use segmint::select::SelectOptions;
use segmint::synth::{Archetype, SynthParams, archetype_counts, generate};

#[derive(Debug, Parser)]
#[command(
    name = "segmint",
    version,
    about = "Customer segmentation: raw transactions in, named, actionable segments out."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Segment a synthetic customer base with known archetypes.
    Demo {
        /// Output directory.
        #[arg(long, default_value = "segmint-demo")]
        out: PathBuf,
        /// Number of synthetic customers.
        #[arg(long, default_value_t = 20_000)]
        customers: usize,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Segment the customers of a transaction CSV (plain or .gz).
    Run {
        /// Transaction file.
        #[arg(long)]
        transactions: PathBuf,
        #[command(flatten)]
        columns: Box<ColumnArgs>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Write a synthetic transaction CSV (customer_id, order_id, date, amount).
    Synth {
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
        /// Number of customers.
        #[arg(long, default_value_t = 20_000)]
        customers: usize,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Debug, Args)]
struct ModelArgs {
    /// Number of segments, or "auto" to choose it from validity indices over k = 2..=8.
    #[arg(long, default_value = "auto", value_parser = parse_k)]
    k: KArg,
    /// With --k auto: the smallest acceptable segment share of customers (e.g. 0.05).
    #[arg(long, default_value_t = 0.0)]
    min_share: f64,
    /// Random seed (same seed, same segments).
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// `--k`: a number or "auto".
#[derive(Debug, Clone, Copy)]
enum KArg {
    Auto,
    Fixed(usize),
}

fn parse_k(text: &str) -> std::result::Result<KArg, String> {
    match text {
        "auto" => Ok(KArg::Auto),
        n => n
            .parse()
            .map(KArg::Fixed)
            .map_err(|_| format!("expected a number of segments or \"auto\", got {n:?}")),
    }
}

impl ModelArgs {
    /// The segmentation these arguments ask for.
    fn segmentation(&self) -> Segmentation {
        let base = Segmentation::new().seed(self.seed);
        match self.k {
            KArg::Fixed(k) => base.k(k),
            KArg::Auto => base.auto_k(SelectOptions {
                min_share: self.min_share,
                ..SelectOptions::default()
            }),
        }
    }
}

#[derive(Debug, Args)]
struct ColumnArgs {
    /// Customer id column.
    #[arg(long)]
    customer_col: String,
    /// Date or timestamp column.
    #[arg(long)]
    date_col: String,
    /// Line amount column (or give --quantity-col and --price-col).
    #[arg(long, required_unless_present = "quantity_col", conflicts_with_all = ["quantity_col", "price_col"])]
    amount_col: Option<String>,
    /// Quantity column; amount = quantity × unit price.
    #[arg(long, requires = "price_col")]
    quantity_col: Option<String>,
    /// Unit price column.
    #[arg(long, requires = "quantity_col")]
    price_col: Option<String>,
    /// Order (invoice) id column.
    #[arg(long)]
    order_col: Option<String>,
    /// strftime layout of the date column, e.g. "%d/%m/%Y %H:%M" (default: ISO-like layouts).
    #[arg(long)]
    date_format: Option<String>,
    /// Field delimiter: a single character, or "tab".
    #[arg(long, default_value = ",")]
    delimiter: String,
    /// Stop at the first unreadable row instead of dropping and counting it.
    #[arg(long)]
    strict: bool,
    /// End of the observation window (a date; default: the latest transaction).
    #[arg(long)]
    as_of: Option<String>,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Demo { out, customers, model } => demo(out, customers, &model),
        Command::Run {
            transactions,
            columns,
            out,
            model,
        } => run(transactions, &columns, out, &model),
        Command::Synth { out, customers, seed } => {
            let base = generate(&SynthParams::new(customers, seed))?;
            segmint::data::io::write_transactions(&out, &base.transactions)?;
            println!(
                "wrote {} transaction lines of {} customers to {}",
                base.transactions.len(),
                customers,
                out.display()
            );
            Ok(())
        }
    }
}

fn demo(out: PathBuf, customers: usize, model: &ModelArgs) -> Result<()> {
    let base = generate(&SynthParams::new(customers, model.seed))?;
    let result = model
        .segmentation()
        .as_of(base.as_of)
        .title(format!("segmint demo: {customers} synthetic customers"))
        .fit(&base.transactions, None)?;
    finish(&out, &result)?;
    println!("\nTrue archetypes in each segment (the generator's ground truth):");
    let counts = archetype_counts(&base.archetypes, &result.labels, result.report.clustering.n_clusters)?;
    for (segment, row) in counts.iter().enumerate() {
        let total: usize = row.iter().sum::<usize>().max(1);
        let (top, n) = row.iter().enumerate().max_by_key(|(_, n)| **n).unwrap_or((0, &0));
        println!(
            "  segment {segment}: {:.0}% {}",
            100.0 * *n as f64 / total as f64,
            Archetype::ALL[top].name()
        );
    }
    Ok(())
}

fn run(path: PathBuf, columns: &ColumnArgs, out: PathBuf, model: &ModelArgs) -> Result<()> {
    let mapping = match (&columns.amount_col, &columns.quantity_col, &columns.price_col) {
        (Some(a), _, _) => TransactionColumns::new(&columns.customer_col, &columns.date_col, a),
        (None, Some(q), Some(p)) => {
            TransactionColumns::with_quantity_price(&columns.customer_col, &columns.date_col, q, p)
        }
        _ => anyhow::bail!("give --amount-col, or both --quantity-col and --price-col"),
    };
    let mapping = match &columns.order_col {
        Some(o) => mapping.order(o),
        None => mapping,
    };
    let date_format = columns.date_format.clone().map_or(DateFormat::Auto, DateFormat::Custom);
    let options = ReadOptions {
        delimiter: delimiter(&columns.delimiter)?,
        on_bad_row: if columns.strict {
            BadRowPolicy::Fail
        } else {
            BadRowPolicy::Drop
        },
        date_format: date_format.clone(),
        ..Default::default()
    };
    let (tx, audit) = read_transactions(&path, &mapping, &options)?;
    println!(
        "read {} rows from {}: kept {} ({} returns), dropped {}",
        audit.rows_read,
        path.display(),
        audit.rows_kept,
        audit.return_rows,
        audit.rows_dropped()
    );
    for (reason, rows) in &audit.dropped {
        println!("  dropped {:>9}  {}", rows.count, reason.describe());
    }
    let mut segmentation = model
        .segmentation()
        .title(format!("Customer segmentation of {}", path.display()));
    if let Some(as_of) = &columns.as_of {
        let t = DateParser::new(date_format)
            .parse(as_of)
            .with_context(|| format!("--as-of {as_of:?} is not a date"))?;
        segmentation = segmentation.as_of(t);
    }
    let result = segmentation.fit(&tx, Some(&audit))?;
    finish(&out, &result)
}

fn delimiter(text: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        s => anyhow::bail!("--delimiter {s:?}: expected one ASCII character or \"tab\""),
    }
}

/// Writes the three files and prints the summary table.
fn finish(out: &PathBuf, result: &SegmentationResult) -> Result<()> {
    let files = write_report_files(out, &result.report, result.features.ids(), &result.labels)?;
    print_summary(result);
    println!(
        "\nwrote {}, {} and {}",
        files.json.display(),
        files.markdown.display(),
        files.segments.display()
    );
    Ok(())
}

fn print_summary(result: &SegmentationResult) {
    let r = &result.report;
    if let Some(sel) = &r.k_selection {
        println!("\nChoosing k: {}", sel.reason);
        println!(
            "{:>4} {:>12} {:>10} {:>10} {:>8} {:>9}",
            "k", "inertia", "silhouette", "CH", "DB", "smallest"
        );
        for s in &sel.table {
            println!(
                "{:>4} {:>12.1} {:>10.3} {:>10.1} {:>8.3} {:>8.1}%{}",
                s.k,
                s.inertia,
                s.silhouette,
                s.calinski_harabasz,
                s.davies_bouldin,
                100.0 * s.smallest_share,
                if s.k == sel.recommended { "  <- chosen" } else { "" }
            );
        }
    }
    let c = &r.clustering;
    println!(
        "\n{} customers in {} segments (k-means, seed {}, inertia {:.1}, {} iterations{})\n",
        r.data.n_customers,
        c.n_clusters,
        c.seed,
        c.inertia,
        c.n_iter,
        if c.converged { "" } else { ", not converged" }
    );
    let names: Vec<&str> = r.segments[0].kpis.iter().map(|k| k.name.as_str()).collect();
    print!("{:>7} {:>9} {:>7} {:>8}", "segment", "customers", "share", "revenue");
    for name in &names {
        print!(" {name:>12}");
    }
    println!();
    for s in &r.segments {
        let revenue = s.revenue_share.map_or("-".into(), |v| format!("{:.1}%", 100.0 * v));
        print!(
            "{:>7} {:>9} {:>6.1}% {:>8}",
            s.segment,
            s.size,
            100.0 * s.share,
            revenue
        );
        for k in &s.kpis {
            print!(" {:>12.1}", k.mean);
        }
        println!();
    }
}
