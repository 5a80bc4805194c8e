//! The `segmint` command: segment customers from a CSV file, or from the
//! built-in synthetic customer base.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use segmint::cluster::Method;
use segmint::data::{
    Attributes, BadRowPolicy, DateFormat, DateParser, IngestAudit, InteractionColumns, Interactions, JoinReport,
    ProductColumns, Products, ReadOptions, TransactionColumns, Transactions, read_attributes, read_interactions,
    read_products, read_transactions_reporting, write_attributes,
};
use segmint::data::{CustomerTable, FormulaCells, refuse_overwriting_input};
use segmint::features::{FeatureOptions, PredictiveOptions, Sources, customer_features, predictive_value};
use segmint::pipeline::{AnswerScale, AttitudinalSegmentation};
use segmint::pipeline::{CustomerData, Segmentation, SegmentationResult};
use segmint::preprocess::{LogTransform, MissingValues};
use segmint::profile::Catalogue;
use segmint::report::write_report_files_with;
use segmint::select::SelectOptions;
use segmint::synth::{Archetype, Attitude, SynthParams, archetype_counts, generate, generate_survey};
use segmint::validate::{Criterion, Scorecard, ValidateOptions, Verdict};

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
        /// Transaction file.
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
    /// Write the feature table (one row per customer) of a transaction CSV.
    Features {
        /// Transaction file.
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
    /// Bootstrap resamples for the MASDA scorecard's stability check (0: no scorecard).
    #[arg(long, default_value_t = 100)]
    bootstrap: usize,
    /// An archetype catalogue (TOML) to name segments by, instead of the
    /// built-in behavioural and attitudinal ones; repeat for several (the first names them).
    #[arg(long = "catalogue", value_name = "FILE")]
    catalogues: Vec<PathBuf>,
}

/// Which demo to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DemoPath {
    /// Customers segmented on what they buy.
    Behavioural,
    /// Customers segmented on what they think (survey → factors → segments).
    Attitudinal,
}

/// What the attitudinal path clusters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Basis {
    /// The standardised survey items.
    Items,
    /// The factor scores.
    Factors,
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
    fn segmentation(&self) -> Result<Segmentation> {
        let mut base = Segmentation::new().seed(self.seed);
        if !self.catalogues.is_empty() {
            let catalogues = self
                .catalogues
                .iter()
                .map(Catalogue::load)
                .collect::<segmint::Result<Vec<_>>>()?;
            base = base.catalogues(catalogues);
        }
        base.validate = (self.bootstrap > 0).then(|| {
            let mut options = ValidateOptions {
                replicates: self.bootstrap,
                ..ValidateOptions::default()
            };
            if self.min_share > 0.0 {
                options.thresholds.min_share = self.min_share;
            }
            options
        });
        Ok(match self.k {
            KArg::Fixed(k) => base.k(k),
            KArg::Auto => base.auto_k(SelectOptions {
                min_share: self.min_share,
                ..SelectOptions::default()
            }),
        })
    }
}

#[derive(Debug, Args)]
struct ColumnArgs {
    /// Customer id column of the transaction file (required with --transactions).
    #[arg(long)]
    customer_col: Option<String>,
    /// Date or timestamp column of the transaction file (required with --transactions).
    #[arg(long)]
    date_col: Option<String>,
    /// Line amount column (or give --quantity-col and --price-col).
    #[arg(long, conflicts_with_all = ["quantity_col", "price_col"])]
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
    /// Items-per-line column (with --amount-col; --quantity-col implies it).
    #[arg(long, conflicts_with = "quantity_col")]
    items_col: Option<String>,
    /// Product id column (for new-product adoption).
    #[arg(long)]
    product_col: Option<String>,
    /// Product category column (for category breadth).
    #[arg(long)]
    category_col: Option<String>,
    /// Sales-channel column (for channel breadth and main-channel share).
    #[arg(long)]
    channel_col: Option<String>,
    /// Discount column: a discount amount (> 0 means discounted) or a yes/no promo flag.
    #[arg(long)]
    discount_col: Option<String>,
    /// strftime layout of the date column, e.g. "%d/%m/%Y %H:%M" (default: ISO-like layouts).
    #[arg(long)]
    date_format: Option<String>,
    /// Field delimiter: a single character, "tab", or "whitespace" (runs of spaces, as in fixed-width files).
    #[arg(long, default_value = ",")]
    delimiter: String,
    /// The file has no header line: name columns by position, "1", "2", ...
    #[arg(long)]
    no_header: bool,
    /// What to do with an unreadable row: skip it and count it, or fail naming line, column and value.
    #[arg(long, value_enum, default_value_t = OnBadRow::Skip)]
    on_bad_row: OnBadRow,
    /// Same as --on-bad-row fail.
    #[arg(long)]
    strict: bool,
    /// End of the observation window (a date; default: the latest transaction).
    #[arg(long)]
    as_of: Option<String>,
    /// Drop rows that repeat an earlier row exactly (by default they are kept and counted).
    #[arg(long)]
    drop_duplicates: bool,
    /// Write CSV text cells as they are, for programs: by default a cell that
    /// starts with =, +, -, @, tab or CR (and is not a number) gets a leading '
    /// so that a spreadsheet does not run it as a formula.
    #[arg(long)]
    raw_csv: bool,
}

/// `--on-bad-row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OnBadRow {
    /// Drop the row and count it with its reason.
    Skip,
    /// Stop with an error.
    Fail,
}

impl ColumnArgs {
    fn mapping(&self) -> Result<TransactionColumns> {
        let (Some(customer), Some(date)) = (&self.customer_col, &self.date_col) else {
            anyhow::bail!("the transaction file needs --customer-col and --date-col");
        };
        let mapping = match (&self.amount_col, &self.quantity_col, &self.price_col) {
            (Some(a), _, _) => TransactionColumns::new(customer, date, a),
            (None, Some(q), Some(p)) => TransactionColumns::with_quantity_price(customer, date, q, p),
            _ => anyhow::bail!("give --amount-col, or both --quantity-col and --price-col"),
        };
        Ok(TransactionColumns {
            order: self.order_col.clone(),
            quantity: self.items_col.clone().or(mapping.quantity.clone()),
            product: self.product_col.clone(),
            category: self.category_col.clone(),
            channel: self.channel_col.clone(),
            discount: self.discount_col.clone(),
            ..mapping
        })
    }

    fn cells(&self) -> FormulaCells {
        if self.raw_csv {
            FormulaCells::Keep
        } else {
            FormulaCells::Neutralise
        }
    }

    fn date_format(&self) -> DateFormat {
        self.date_format.clone().map_or(DateFormat::Auto, DateFormat::Custom)
    }

    fn read_options(&self) -> Result<ReadOptions> {
        let whitespace = self.delimiter == "whitespace";
        Ok(ReadOptions {
            delimiter: if whitespace { b',' } else { delimiter(&self.delimiter)? },
            whitespace_separated: whitespace,
            header: !self.no_header,
            on_bad_row: if self.strict || self.on_bad_row == OnBadRow::Fail {
                BadRowPolicy::Fail
            } else {
                BadRowPolicy::Drop
            },
            date_format: self.date_format(),
            // Lines after the end of observation are dropped and counted, so that --as-of can end it.
            not_after: self.as_of()?,
            drop_duplicate_lines: self.drop_duplicates,
        })
    }

    fn as_of(&self) -> Result<Option<i64>> {
        self.as_of
            .as_ref()
            .map(|text| {
                DateParser::new(self.date_format())
                    .parse(text)
                    .with_context(|| format!("--as-of {text:?} is not a date"))
            })
            .transpose()
    }

    /// Reads the transactions (a progress bar on stderr when it is a terminal)
    /// and prints what happened to every row.
    fn read(&self, path: &Path) -> Result<(Transactions, IngestAudit)> {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let bar = indicatif::ProgressBar::new(size).with_style(
            indicatif::ProgressStyle::with_template("reading {bar:40} {bytes}/{total_bytes} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let (mapping, options) = (self.mapping()?, self.read_options()?);
        let read = read_transactions_reporting(path, &mapping, &options, &|bytes| bar.set_position(bytes));
        bar.finish_and_clear();
        let (tx, mut audit) = read?;
        audit.late_dates = segmint::data::late_dates(&tx, self.as_of()?);
        print_audit(&audit);
        Ok((tx, audit))
    }
}

/// The optional sources of `segmint features`.
#[derive(Debug, Args)]
struct SourceArgs {
    /// Products file (product id and launch date) for new-product adoption.
    #[arg(long)]
    products: Option<PathBuf>,
    /// Product id column of the products file.
    #[arg(long, default_value = "product_id")]
    products_id_col: String,
    /// Launch date column of the products file.
    #[arg(long, default_value = "launch_date")]
    launch_col: String,
    /// Interactions file (service contacts, e-mail, visits) for engagement.
    #[arg(long)]
    interactions: Option<PathBuf>,
    /// Customer id column of the interactions file.
    #[arg(long, default_value = "customer_id")]
    interactions_customer_col: String,
    /// Date column of the interactions file.
    #[arg(long, default_value = "date")]
    interactions_date_col: String,
    /// Kind column of the interactions file ("service", "email_open", ...), if any.
    #[arg(long)]
    kind_col: Option<String>,
    /// Satisfaction column of the interactions file, if any.
    #[arg(long)]
    satisfaction_col: Option<String>,
    /// Days after launch within which a purchase counts as early adoption.
    #[arg(long, default_value_t = 90)]
    new_product_days: u32,
    /// Gross margin for the historical CLV (1 = revenue).
    #[arg(long, default_value_t = 1.0)]
    margin: f64,
    /// Customers file (demographics, contact opt-ins), one row per customer.
    #[arg(long)]
    customers: Option<PathBuf>,
    /// Customer id column of the customers file and the survey.
    #[arg(long = "id-col", visible_alias = "customers-id-col", default_value = "customer_id")]
    id_col: String,
    /// Survey file (one row per respondent; every numeric column an item).
    #[arg(long)]
    survey: Option<PathBuf>,
    /// The survey's answer scale, lowest and highest answer (1-5, 0-10, -3..3):
    /// an answer outside it is an error naming the respondent and the item.
    #[arg(long, requires = "survey")]
    survey_scale: Option<AnswerScale>,
    /// Opt-in columns of the customers file that make a customer reachable,
    /// comma-separated (default: every column named like "*opt_in*" or "*consent*").
    #[arg(long)]
    channels: Option<String>,
}

fn print_audit(audit: &IngestAudit) {
    println!(
        "read {} rows from {}: kept {} ({} returns), dropped {}",
        audit.rows_read,
        audit.source,
        audit.rows_kept,
        audit.return_rows,
        audit.rows_dropped()
    );
    for (reason, rows) in &audit.dropped {
        println!("  dropped {:>9}  {}", rows.count, reason.describe());
    }
    if audit.duplicate_rows > 0 && audit.dropped_for(segmint::data::DropReason::DuplicateLine) == 0 {
        println!(
            "  {} rows repeat an earlier row exactly (kept; --drop-duplicates drops them)",
            audit.duplicate_rows
        );
    }
    if let Some(rows) = audit.dropped.get(&segmint::data::DropReason::FutureDate) {
        let first = &rows.examples[0];
        eprintln!(
            "warning: {} rows are dated after the end of observation (--as-of) and were left out, \
             e.g. line {} dated {}",
            rows.count, first.line, first.value
        );
    }
    if let Some(late) = &audit.late_dates {
        eprintln!("warning: {}", late.describe());
    }
}

/// The optional side files, read.
struct LoadedSources {
    products: Option<Products>,
    interactions: Option<Interactions>,
    customers: Option<Attributes>,
    survey: Option<Attributes>,
}

impl LoadedSources {
    fn as_sources(&self) -> Sources<'_> {
        Sources {
            products: self.products.as_ref(),
            interactions: self.interactions.as_ref(),
            customers: self.customers.as_ref(),
        }
    }
}

impl SourceArgs {
    /// Reads the side files named on the command line, printing each audit
    /// and join. The product and interaction files are comma-separated with a
    /// header, whatever the transaction file's layout; the customer table and
    /// the survey take `--delimiter` (a whitespace layout reads them as CSV).
    fn load(&self, tx: Option<&Transactions>, columns: &ColumnArgs) -> Result<LoadedSources> {
        let options = ReadOptions {
            on_bad_row: columns.read_options()?.on_bad_row,
            ..ReadOptions::default()
        };
        let tables = ReadOptions {
            delimiter: match columns.delimiter.as_str() {
                "whitespace" => b',',
                text => delimiter(text)?,
            },
            ..options.clone()
        };
        let print_join = |join: JoinReport| {
            println!(
                "{}: {} customers matched, {} only in the {} (ignored), {} customers without a row",
                join.source, join.matched, join.only_in_source, join.source, join.missing_from_source
            )
        };
        let products = match &self.products {
            Some(p) => {
                let mapping = ProductColumns {
                    product: self.products_id_col.clone(),
                    launch: self.launch_col.clone(),
                    price_tier: None,
                };
                let (products, audit) = read_products(p, &mapping, &options)?;
                print_audit(&audit);
                Some(products)
            }
            None => None,
        };
        let interactions = match &self.interactions {
            Some(p) => {
                let mapping = InteractionColumns {
                    customer: self.interactions_customer_col.clone(),
                    date: self.interactions_date_col.clone(),
                    kind: self.kind_col.clone(),
                    satisfaction: self.satisfaction_col.clone(),
                };
                let (interactions, audit) = read_interactions(p, &mapping, &options)?;
                print_audit(&audit);
                if let Some(tx) = tx {
                    print_join(JoinReport::new(
                        "interactions",
                        interactions.customer_ids.iter().map(String::as_str),
                        tx,
                    ));
                }
                Some(interactions)
            }
            None => None,
        };
        let customers = match &self.customers {
            Some(p) => {
                let (customers, audit) = read_attributes(p, &self.id_col, &tables)?;
                print_audit(&audit);
                if let Some(tx) = tx {
                    print_join(JoinReport::new(
                        "customers",
                        customers.ids.iter().map(String::as_str),
                        tx,
                    ));
                }
                Some(customers)
            }
            None => None,
        };
        let survey = match &self.survey {
            Some(p) => {
                let (survey, audit) = read_attributes(p, &self.id_col, &tables)?;
                print_audit(&audit);
                Some(survey)
            }
            None => None,
        };
        Ok(LoadedSources {
            products,
            interactions,
            customers,
            survey,
        })
    }

    /// `--channels` as a list (`None`: the opt-in columns found by name).
    fn channels(&self) -> Option<Vec<String>> {
        self.channels.as_ref().map(|list| {
            list.split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        })
    }
}

fn features(path: &Path, columns: &ColumnArgs, sources: &SourceArgs, out: &Path) -> Result<()> {
    refuse_overwriting_input("--out", out, &[path])?;
    let (tx, _) = columns.read(path)?;
    let loaded = sources.load(Some(&tx), columns)?;
    let options = FeatureOptions {
        as_of: columns.as_of()?,
        margin: sources.margin,
        new_product_days: sources.new_product_days,
        ..FeatureOptions::default()
    };
    let sources = loaded.as_sources();
    let table = customer_features(&tx, &options, sources)?;
    table.write_csv_with(out, columns.cells())?;
    println!(
        "wrote {} customers x {} features to {}",
        table.n_customers(),
        table.column_names().len(),
        out.display()
    );
    Ok(())
}

fn clv(path: &Path, columns: &ColumnArgs, months: u32, discount_rate: f64, out: &Path) -> Result<()> {
    refuse_overwriting_input("--out", out, &[path])?;
    let (tx, _) = columns.read(path)?;
    let options = PredictiveOptions {
        as_of: columns.as_of()?,
        months,
        discount_rate,
        ..PredictiveOptions::default()
    };
    let value = predictive_value(&tx, &options)?;
    let p = value.purchases;
    println!(
        "BG/NBD (days): r = {:.4}, alpha = {:.4}, a = {:.4}, b = {:.4}",
        p.r, p.alpha, p.a, p.b
    );
    if let Some(fit) = &value.purchases_fit {
        println!(
            "  log-likelihood {:.2}, {} iterations, {}",
            fit.log_likelihood, fit.iterations, fit.message
        );
    }
    if let (Some(g), Some(fit)) = (&value.spend, &value.spend_fit) {
        println!(
            "Gamma-Gamma: p = {:.4}, q = {:.4}, v = {:.4}\n  log-likelihood {:.2}, {}",
            g.p, g.q, g.v, fit.log_likelihood, fit.message
        );
    }
    for note in &value.notes {
        println!("note: {note}");
    }
    let table = CustomerTable::from_columns(tx.customer_ids().to_vec(), value.columns)?;
    table.write_csv_with(out, columns.cells())?;
    println!("wrote {} customers to {}", table.n_customers(), out.display());
    Ok(())
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

fn demo(out: PathBuf, customers: usize, model: &ModelArgs) -> Result<()> {
    let base = generate(&SynthParams::new(customers, model.seed))?;
    let result = model
        .segmentation()?
        .as_of(base.as_of)
        .title(format!("segmint demo: {customers} synthetic customers"))
        .fit_with_sources(&base.transactions, None, base.sources())?;
    finish(&out, &result, FormulaCells::default())?;
    println!("\nTrue archetypes in each named segment (the generator's ground truth):");
    let counts = archetype_counts(&base.archetypes, &result.labels, result.report.clustering.n_clusters)?;
    for (segment, row) in counts.iter().enumerate() {
        let total: usize = row.iter().sum::<usize>().max(1);
        let (top, n) = row.iter().enumerate().max_by_key(|(_, n)| **n).unwrap_or((0, &0));
        println!(
            "  segment {segment} \"{}\": {:.0}% {}",
            result.report.segments[segment].name,
            100.0 * *n as f64 / total as f64,
            Archetype::ALL[top].name()
        );
    }
    Ok(())
}

/// The attitudinal study on the synthetic base: its survey measured
/// (adequacy, factors, scales), segments formed on the items or the factor
/// scores, profiled on the same customers' behaviour and demographics, named
/// after the attitudes, and the report files written; then the ground truth.
fn demo_attitudinal(out: PathBuf, customers: usize, basis: Basis, model: &ModelArgs) -> Result<()> {
    let base = generate(&SynthParams::new(customers, model.seed))?;
    let survey = generate_survey(base.transactions.customer_ids(), model.seed);
    let items = survey.to_attributes();
    let measured = AttitudinalSegmentation {
        seed: model.seed,
        ..AttitudinalSegmentation::default()
    }
    .measure(&items)?;
    print_measurement(&measured);
    let mut segmentation = model
        .segmentation()?
        .as_of(base.as_of)
        .title(format!("segmint attitudinal demo: {customers} synthetic respondents"));
    segmentation.basis = match basis {
        Basis::Items => vec![segmint::pipeline::SURVEY.into()],
        Basis::Factors => (0..measured.factors.n_factors())
            .map(|f| measured.factor_name(f))
            .collect(),
    };
    let result = segmentation.fit_data(CustomerData {
        transactions: Some(&base.transactions),
        audit: None,
        sources: base.sources(),
        survey: Some(&items),
    })?;
    finish(&out, &result, FormulaCells::default())?;
    print_true_attitudes(&survey, &result);
    Ok(())
}

fn print_measurement(m: &segmint::pipeline::SurveyMeasurement) {
    println!(
        "{} respondents, {} items: KMO {:.3} ({}), Bartlett χ² {:.0} (df {}, p {:.1e})",
        m.scores.nrows(),
        m.items.len(),
        m.kmo.overall,
        m.kmo.band.name(),
        m.bartlett.statistic,
        m.bartlett.df,
        m.bartlett.p_value
    );
    println!("{} factors (minres, varimax); scales:", m.factors.n_factors());
    for scale in &m.scales {
        println!(
            "  {:<12} α = {:.3}  {}",
            scale.name,
            scale.alpha,
            scale.items.join(", ")
        );
    }
}

/// The generator's true attitude of each named segment.
fn print_true_attitudes(survey: &segmint::synth::Survey, result: &SegmentationResult) {
    let attitude_of: std::collections::HashMap<&str, Attitude> = survey
        .ids
        .iter()
        .map(String::as_str)
        .zip(survey.attitudes.iter().copied())
        .collect();
    println!("\nTrue attitudes in each named segment (the generator's ground truth):");
    for profile in &result.report.segments {
        let members: Vec<Attitude> = result
            .features
            .ids()
            .iter()
            .zip(&result.labels)
            .filter(|(_, l)| **l == profile.segment)
            .filter_map(|(id, _)| attitude_of.get(id.as_str()).copied())
            .collect();
        let (top, count) = Attitude::ALL
            .iter()
            .map(|a| (a, members.iter().filter(|m| *m == a).count()))
            .max_by_key(|(_, c)| *c)
            .expect("four attitudes");
        println!(
            "  segment {} \"{}\": {:.0}% {}",
            profile.segment,
            profile.name,
            100.0 * count as f64 / members.len().max(1) as f64,
            top.name()
        );
    }
}

fn run(
    path: Option<&Path>,
    columns: &ColumnArgs,
    sources: &SourceArgs,
    basis: &BasisArgs,
    out: PathBuf,
    model: &ModelArgs,
) -> Result<()> {
    let read = path.map(|p| columns.read(p)).transpose()?;
    let loaded = sources.load(read.as_ref().map(|(tx, _)| tx), columns)?;
    let files: Vec<String> = [path, sources.customers.as_deref(), sources.survey.as_deref()]
        .into_iter()
        .flatten()
        .map(|p| p.display().to_string())
        .collect();
    let mut segmentation = model
        .segmentation()?
        .title(format!("Customer segmentation of {}", files.join(" + ")));
    if let Some(as_of) = columns.as_of()? {
        segmentation = segmentation.as_of(as_of);
    }
    segmentation.rfm.margin = sources.margin;
    segmentation.rfm.new_product_days = sources.new_product_days;
    segmentation.channels = sources.channels();
    segmentation.survey_scale = sources.survey_scale;
    basis.apply(&mut segmentation)?;
    let result = segmentation.fit_data(CustomerData {
        transactions: read.as_ref().map(|(tx, _)| tx),
        audit: read.as_ref().map(|(_, audit)| audit),
        sources: loaded.as_sources(),
        survey: loaded.survey.as_ref(),
    })?;
    finish(&out, &result, columns.cells())
}

/// What the segments are formed on and how.
#[derive(Debug, Args)]
struct BasisArgs {
    /// The segmentation basis, comma-separated: column names and the group
    /// words "behaviour" (RFM features of the transactions), "survey" (its
    /// items) and "customers" (every customer-table column). Every other
    /// column describes the segments. Default: the survey, else the
    /// behaviour, else the customer table.
    #[arg(long, value_delimiter = ',')]
    basis: Vec<String>,
    /// Clustering method: auto (k-means, or k-prototypes for a basis with
    /// categorical columns), kmeans, minibatch, kprototypes, gmm or ward.
    #[arg(long, default_value = "auto")]
    method: String,
    /// A customer with a missing basis value: impute (median / most frequent level) or drop (counted).
    #[arg(long, value_enum, default_value_t = Missing::Impute)]
    missing: Missing,
    /// Do not log-transform skewed money-like basis columns.
    #[arg(long)]
    no_log: bool,
}

/// `--missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Missing {
    /// Fill with the median (numbers) or the most frequent level.
    Impute,
    /// Leave the customer out, counted in the report.
    Drop,
}

impl BasisArgs {
    fn apply(&self, segmentation: &mut Segmentation) -> Result<()> {
        segmentation.basis = self
            .basis
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        segmentation.method = self.method.parse::<Method>()?;
        segmentation.preparation.missing = match self.missing {
            Missing::Impute => MissingValues::Impute,
            Missing::Drop => MissingValues::DropRows,
        };
        if self.no_log {
            segmentation.preparation.log = LogTransform::Off;
        }
        Ok(())
    }
}

/// Column headers narrowed for the terminal table.
fn short(name: &str) -> &str {
    match name {
        "discount_order_share" => "promo_share",
        "new_product_share" => "new_products",
        "engagement_score" => "engagement",
        other => other,
    }
}

/// Writes `<stem>_products.csv`, `<stem>_interactions.csv` and `<stem>_customers.csv` beside the transactions.
fn write_synthetic_sources(out: &Path, base: &segmint::synth::CustomerBase) -> Result<[PathBuf; 3]> {
    use std::io::Write;
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("synthetic");
    let sibling = |suffix: &str| out.with_file_name(format!("{stem}_{suffix}.csv"));
    let (products_path, interactions_path) = (sibling("products"), sibling("interactions"));
    let mut products = std::io::BufWriter::new(std::fs::File::create(&products_path)?);
    writeln!(products, "product_id,launch_date")?;
    for (id, &launch) in base.products.ids.iter().zip(&base.products.launch) {
        writeln!(products, "{id},{}", segmint::data::format_timestamp(launch))?;
    }
    products.flush()?;
    let i = &base.interactions;
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&interactions_path)?);
    writeln!(file, "customer_id,date,kind,satisfaction")?;
    for row in 0..i.len() {
        let score = i.satisfaction[row];
        write!(
            file,
            "{},{},{},",
            i.customer_ids[i.customer[row] as usize],
            segmint::data::format_timestamp(i.timestamp[row]),
            i.kinds[i.kind[row] as usize]
        )?;
        if score.is_finite() {
            write!(file, "{score}")?;
        }
        writeln!(file)?;
    }
    file.flush()?;
    let customers_path = sibling("customers");
    write_attributes(&customers_path, "customer_id", &base.customers)?;
    Ok([products_path, interactions_path, customers_path])
}

fn delimiter(text: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        s => anyhow::bail!("--delimiter {s:?}: expected one ASCII character or \"tab\""),
    }
}

/// Writes the three files and prints the summary table.
fn finish(out: &PathBuf, result: &SegmentationResult, cells: FormulaCells) -> Result<()> {
    let files = write_report_files_with(out, &result.report, result.features.ids(), &result.labels, cells)?;
    print_summary(result);
    println!(
        "\nwrote {}, {}, {} and {}",
        files.json.display(),
        files.markdown.display(),
        files.html.display(),
        files.segments.display()
    );
    Ok(())
}

fn print_summary(result: &SegmentationResult) {
    let r = &result.report;
    if let Some(sel) = &r.k_selection {
        println!("\nChoosing k: {}", sel.reason);
        println!(
            "{:>4} {:>12} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9}",
            "k", "inertia", "silhouette", "CH", "DB", "gap", "stability", "smallest"
        );
        let or_dash = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
        for s in &sel.table {
            println!(
                "{:>4} {:>12.1} {:>10.3} {:>10.1} {:>8.3} {:>8} {:>9} {:>8.1}%{}",
                s.k,
                s.inertia,
                s.silhouette,
                s.calinski_harabasz,
                s.davies_bouldin,
                or_dash(s.gap),
                or_dash(s.stability),
                100.0 * s.smallest_share,
                if s.k == sel.recommended { "  <- chosen" } else { "" }
            );
        }
    }
    let c = &r.clustering;
    println!(
        "\n{} customers in {} segments ({}, seed {}, cost {:.1}, {} iterations{})\n",
        r.data.n_customers,
        c.n_clusters,
        c.algorithm,
        c.seed,
        c.inertia,
        c.n_iter,
        if c.converged { "" } else { ", not converged" }
    );
    // The clustered features and the behavioural KPIs a marketer looks at first; report.md has them all.
    let shown = |name: &str| {
        r.features.columns.iter().any(|c| c == name)
            || [
                "discount_order_share",
                "new_product_share",
                "engagement_score",
                "p_alive",
                "clv",
            ]
            .contains(&name)
    };
    let names: Vec<&str> = r.segments[0]
        .kpis
        .iter()
        .map(|k| k.name.as_str())
        .filter(|n| shown(n))
        .collect();
    print!("{:>7} {:>9} {:>7} {:>8}", "segment", "customers", "share", "revenue");
    for name in &names {
        print!(" {:>12}", short(name));
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
        for k in s.kpis.iter().filter(|k| shown(&k.name)) {
            match k.mean {
                Some(m) => print!(" {m:>12.1}"),
                None => print!(" {:>12}", "–"),
            }
        }
        println!();
    }
    print_names(r);
    if let Some(card) = &r.scorecard {
        print_scorecard(card);
    }
}

/// Each segment's name, how well its archetype fits and its key drivers; report.html has the playbook.
fn print_names(r: &segmint::report::SegmentReport) {
    println!("\nSegment names (report.html has each one's playbook)");
    for s in &r.segments {
        let fit = match s.archetype() {
            Some(m) => format!(
                "{} archetype, match {:.2}, {} confidence",
                m.catalogue,
                m.score.unwrap_or(0.0),
                m.confidence.map_or("low", |c| c.label())
            ),
            None => "no archetype fits: named after its key drivers".into(),
        };
        let drivers: Vec<&str> = s.key_drivers.iter().map(|d| d.phrase.as_str()).collect();
        println!(
            "  {}: {} ({fit}); key drivers: {}",
            s.segment,
            s.name,
            drivers.join(", ")
        );
    }
}

/// One line per segment with its five MASDA verdicts; report.md has every check and reason.
fn print_scorecard(card: &Scorecard) {
    println!("\nMASDA scorecard (the worst check of each criterion)");
    print!("{:>7}", "segment");
    for c in Criterion::ALL {
        print!(" {:>14}", c.name());
    }
    println!();
    let row = |label: String, verdict: &dyn Fn(Criterion) -> Verdict| {
        print!("{label:>7}");
        for c in Criterion::ALL {
            print!(" {:>14}", verdict(c).label());
        }
        println!();
    };
    row("all".into(), &|c| card.verdict(c));
    for s in &card.segments {
        row(s.segment.to_string(), &|c| card.segment_verdict(s.segment, c));
    }
}
