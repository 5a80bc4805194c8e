//! The `segmint` command: segment customers from a CSV file, or from the
//! built-in synthetic customer base.
//!
//! Commands: `demo` (the synthetic base, behavioural or attitudinal), `run`
//! (any non-empty mix of `--transactions`, `--customers` and `--survey`, joined
//! on `--id-col`; `--basis`, `--method`, `--missing`, `--no-log`; the side files
//! `--products` and `--interactions`), `features`, `clv` and `synth` (the
//! transactions, and `_products`, `_interactions` and `_customers` files beside
//! them). This file holds the clap commands and their dispatch; `args.rs` the
//! arguments and their conversion to the core's settings, `commands.rs` one
//! function per command, `output.rs` what is printed and written.

mod args;
mod commands;
mod output;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use segmint::synth::{SynthParams, generate};

use args::{Basis, BasisArgs, ColumnArgs, DemoPath, ModelArgs, SourceArgs};
use commands::{clv, demo, demo_attitudinal, demo_migration, features, migrate, run, score, write_synthetic_sources};

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
        /// Behavioural (transactions) or attitudinal (a psychographic survey) segmentation.
        #[arg(long, value_enum, default_value_t = DemoPath::Behavioural)]
        path: DemoPath,
        /// With --path attitudinal: cluster on the survey items or on the factor scores.
        #[arg(long, value_enum, default_value_t = Basis::Items)]
        basis: Basis,
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Segment customers from a transaction log, a customer table, a survey,
    /// or any mix of them joined on the customer id (CSV/TSV, plain or .gz).
    Run {
        /// Transaction file: CSV (plain or .gz), a .parquet file or a directory of Parquet files.
        #[arg(long, required_unless_present_any = ["customers", "survey"])]
        transactions: Option<PathBuf>,
        #[command(flatten)]
        columns: Box<ColumnArgs>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        sources: Box<SourceArgs>,
        #[command(flatten)]
        basis: BasisArgs,
    },
    /// Place the customers of a later snapshot in the segments of a saved
    /// model (the model.json of `run`): DIR/segments.csv, and the drift since
    /// training in DIR/drift.json and drift.md.
    Score {
        /// The model.json written by `run`.
        #[arg(long)]
        model: PathBuf,
        /// Transaction file (the same columns as at training).
        #[arg(long, required_unless_present = "customers")]
        transactions: Option<PathBuf>,
        #[command(flatten)]
        columns: Box<ColumnArgs>,
        #[command(flatten)]
        sources: Box<SourceArgs>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Score the same customers at two dates with a saved model and measure
    /// their movement between segments: DIR/transitions.csv, matrix.csv,
    /// projection.csv, migration.md and the dashboard report.html.
    Migrate {
        /// The model.json written by `run`.
        #[arg(long)]
        model: PathBuf,
        /// Transaction file covering both dates.
        #[arg(long)]
        transactions: PathBuf,
        #[command(flatten)]
        columns: Box<ColumnArgs>,
        #[command(flatten)]
        sources: Box<SourceArgs>,
        /// The first date (at or after the model's training date).
        #[arg(long)]
        from: String,
        /// The second date.
        #[arg(long)]
        to: String,
        /// Periods of the same length projected ahead by the transition matrix.
        #[arg(long, default_value_t = 4)]
        periods: usize,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the feature table (one row per customer) of a transaction file.
    Features {
        /// Transaction file: CSV (plain or .gz), a .parquet file or a directory of Parquet files.
        #[arg(long)]
        transactions: PathBuf,
        #[command(flatten)]
        columns: Box<ColumnArgs>,
        #[command(flatten)]
        sources: Box<SourceArgs>,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Fit BG/NBD and Gamma-Gamma and write P(alive), expected purchases and CLV per customer.
    Clv {
        /// Transaction file.
        #[arg(long)]
        transactions: PathBuf,
        #[command(flatten)]
        columns: Box<ColumnArgs>,
        /// CLV horizon in months.
        #[arg(long, default_value_t = 12)]
        months: u32,
        /// Monthly discount rate.
        #[arg(long, default_value_t = 0.01)]
        discount_rate: f64,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
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

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Demo {
            out,
            customers,
            path: DemoPath::Behavioural,
            model,
            ..
        } => demo(out, customers, &model),
        Command::Demo {
            out,
            customers,
            path: DemoPath::Migration,
            model,
            ..
        } => demo_migration(out, customers, &model),
        Command::Demo {
            out,
            customers,
            model,
            basis,
            ..
        } => demo_attitudinal(out, customers, basis, &model),
        Command::Run {
            transactions,
            columns,
            out,
            model,
            sources,
            basis,
        } => run(transactions.as_deref(), &columns, &sources, &basis, out, &model),
        Command::Score {
            model,
            transactions,
            columns,
            sources,
            out,
        } => score(&model, transactions.as_deref(), &columns, &sources, &out),
        Command::Migrate {
            model,
            transactions,
            columns,
            sources,
            from,
            to,
            periods,
            out,
        } => migrate(&model, &transactions, &columns, &sources, [&from, &to], periods, &out),
        Command::Features {
            transactions,
            columns,
            sources,
            out,
        } => features(&transactions, &columns, &sources, &out),
        Command::Clv {
            transactions,
            columns,
            months,
            discount_rate,
            out,
        } => clv(&transactions, &columns, months, discount_rate, &out),
        Command::Synth { out, customers, seed } => {
            let base = generate(&SynthParams::new(customers, seed))?;
            segmint::data::io::write_transactions(&out, &base.transactions)?;
            let [products, interactions, customers_file] = write_synthetic_sources(&out, &base)?;
            println!(
                "wrote {} products to {}, {} interactions to {} and {} customers to {}",
                base.products.ids.len(),
                products.display(),
                base.interactions.len(),
                interactions.display(),
                base.customers.ids.len(),
                customers_file.display()
            );
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
