//! The command line's arguments: clap types and their conversion to the core's settings.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use segmint::cluster::Method;
use segmint::data::{
    Attributes, BadRowPolicy, DateFormat, DateParser, FormulaCells, IngestAudit, InteractionColumns, Interactions,
    JoinReport, ProductColumns, Products, ReadOptions, TransactionColumns, Transactions, read_attributes,
    read_interactions, read_products, read_transactions_reporting,
};
use segmint::features::Sources;
use segmint::pipeline::{AnswerScale, Segmentation};
use segmint::preprocess::{LogTransform, MissingValues};
use segmint::profile::Catalogue;
use segmint::select::SelectOptions;
use segmint::validate::ValidateOptions;

use crate::output::print_audit;

#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    /// Number of segments, or "auto" to choose it from validity indices over k = 2..=8.
    #[arg(long, default_value = "auto", value_parser = parse_k)]
    pub(crate) k: KArg,
    /// With --k auto: the smallest acceptable segment share of customers (e.g. 0.05).
    #[arg(long, default_value_t = 0.0)]
    pub(crate) min_share: f64,
    /// Random seed (same seed, same segments).
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Bootstrap resamples for the MASDA scorecard's stability check (0: no scorecard).
    #[arg(long, default_value_t = 100)]
    pub(crate) bootstrap: usize,
    /// An archetype catalogue (TOML) to name segments by, instead of the
    /// built-in behavioural and attitudinal ones; repeat for several (the first names them).
    #[arg(long = "catalogue", value_name = "FILE")]
    pub(crate) catalogues: Vec<PathBuf>,
}

/// Which demo to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DemoPath {
    /// Customers segmented on what they buy.
    Behavioural,
    /// Customers segmented on what they think (survey → factors → segments).
    Attitudinal,
    /// Two years segmented, then a third in which customers move between
    /// segments: the migration report beside the segmentation.
    Migration,
}

/// What the attitudinal path clusters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Basis {
    /// The standardised survey items.
    Items,
    /// The factor scores.
    Factors,
}

/// `--k`: a number or "auto".
#[derive(Debug, Clone, Copy)]
pub(crate) enum KArg {
    Auto,
    Fixed(usize),
}

pub(crate) fn parse_k(text: &str) -> std::result::Result<KArg, String> {
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
    pub(crate) fn segmentation(&self) -> Result<Segmentation> {
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
pub(crate) struct ColumnArgs {
    /// Customer id column of the transaction file (required with --transactions).
    #[arg(long)]
    pub(crate) customer_col: Option<String>,
    /// Date or timestamp column of the transaction file (required with --transactions).
    #[arg(long)]
    pub(crate) date_col: Option<String>,
    /// Line amount column (or give --quantity-col and --price-col).
    #[arg(long, conflicts_with_all = ["quantity_col", "price_col"])]
    pub(crate) amount_col: Option<String>,
    /// Quantity column; amount = quantity × unit price.
    #[arg(long, requires = "price_col")]
    pub(crate) quantity_col: Option<String>,
    /// Unit price column.
    #[arg(long, requires = "quantity_col")]
    pub(crate) price_col: Option<String>,
    /// Order (invoice) id column.
    #[arg(long)]
    pub(crate) order_col: Option<String>,
    /// Items-per-line column (with --amount-col; --quantity-col implies it).
    #[arg(long, conflicts_with = "quantity_col")]
    pub(crate) items_col: Option<String>,
    /// Product id column (for new-product adoption).
    #[arg(long)]
    pub(crate) product_col: Option<String>,
    /// Product category column (for category breadth).
    #[arg(long)]
    pub(crate) category_col: Option<String>,
    /// Sales-channel column (for channel breadth and main-channel share).
    #[arg(long)]
    pub(crate) channel_col: Option<String>,
    /// Discount column: a discount amount (> 0 means discounted) or a yes/no promo flag.
    #[arg(long)]
    pub(crate) discount_col: Option<String>,
    /// strftime layout of the date column, e.g. "%d/%m/%Y %H:%M" (default: ISO-like layouts).
    #[arg(long)]
    pub(crate) date_format: Option<String>,
    /// Field delimiter: a single character, "tab", or "whitespace" (runs of spaces, as in fixed-width files).
    #[arg(long, default_value = ",")]
    pub(crate) delimiter: String,
    /// The file has no header line: name columns by position, "1", "2", ...
    #[arg(long)]
    pub(crate) no_header: bool,
    /// What to do with an unreadable row: drop it and count it, or fail naming line, column and value.
    #[arg(long, value_name = "drop|fail", default_value = "drop")]
    pub(crate) on_bad_row: BadRowPolicy,
    /// Same as --on-bad-row fail.
    #[arg(long, hide = true)]
    pub(crate) strict: bool,
    /// End of the observation window (a date; default: the latest transaction).
    #[arg(long)]
    pub(crate) as_of: Option<String>,
    /// Drop rows that repeat an earlier row exactly (by default they are kept and counted).
    #[arg(long)]
    pub(crate) drop_duplicates: bool,
    /// Write CSV text cells as they are, for programs: by default a cell that
    /// starts with =, +, -, @, tab or CR (and is not a number) gets a leading '
    /// so that a spreadsheet does not run it as a formula.
    #[arg(long)]
    pub(crate) raw_csv: bool,
}

impl ColumnArgs {
    pub(crate) fn mapping(&self) -> Result<TransactionColumns> {
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

    pub(crate) fn cells(&self) -> FormulaCells {
        if self.raw_csv {
            FormulaCells::Keep
        } else {
            FormulaCells::Neutralise
        }
    }

    pub(crate) fn date_format(&self) -> DateFormat {
        self.date_format.clone().map_or(DateFormat::Auto, DateFormat::Custom)
    }

    pub(crate) fn read_options(&self) -> Result<ReadOptions> {
        let whitespace = self.delimiter == "whitespace";
        Ok(ReadOptions {
            delimiter: if whitespace { b',' } else { delimiter(&self.delimiter)? },
            whitespace_separated: whitespace,
            header: !self.no_header,
            on_bad_row: if self.strict {
                BadRowPolicy::Fail
            } else {
                self.on_bad_row
            },
            date_format: self.date_format(),
            // Lines after the end of observation are dropped and counted, so that --as-of can end it.
            not_after: self.as_of()?,
            drop_duplicate_lines: self.drop_duplicates,
        })
    }

    pub(crate) fn as_of(&self) -> Result<Option<i64>> {
        self.as_of.as_ref().map(|text| self.date("as-of", text)).transpose()
    }

    /// The date given to `--flag`, read as the transaction dates are or in ISO form (2024-06-30).
    pub(crate) fn date(&self, flag: &str, text: &str) -> Result<i64> {
        DateParser::new(self.date_format())
            .parse(text)
            .or_else(|| DateParser::new(DateFormat::Auto).parse(text))
            .with_context(|| format!("--{flag} {text:?} is not a date"))
    }

    /// Reads the transactions (a progress bar on stderr when it is a terminal)
    /// and prints what happened to every row.
    pub(crate) fn read(&self, path: &Path) -> Result<(Transactions, IngestAudit)> {
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
pub(crate) struct SourceArgs {
    /// Products file (product id and launch date) for new-product adoption.
    #[arg(long)]
    pub(crate) products: Option<PathBuf>,
    /// Product id column of the products file.
    #[arg(long, default_value_t = ProductColumns::default().product)]
    pub(crate) products_id_col: String,
    /// Launch date column of the products file.
    #[arg(long, default_value_t = ProductColumns::default().launch)]
    pub(crate) launch_col: String,
    /// Interactions file (service contacts, e-mail, visits) for engagement.
    #[arg(long)]
    pub(crate) interactions: Option<PathBuf>,
    /// Customer id column of the interactions file.
    #[arg(long, default_value_t = InteractionColumns::default().customer)]
    pub(crate) interactions_customer_col: String,
    /// Date column of the interactions file.
    #[arg(long, default_value_t = InteractionColumns::default().date)]
    pub(crate) interactions_date_col: String,
    /// Kind column of the interactions file ("service", "email_open", ...), if any.
    #[arg(long)]
    pub(crate) kind_col: Option<String>,
    /// Satisfaction column of the interactions file, if any.
    #[arg(long)]
    pub(crate) satisfaction_col: Option<String>,
    /// Days after launch within which a purchase counts as early adoption.
    #[arg(long, default_value_t = 90)]
    pub(crate) new_product_days: u32,
    /// Days before the end of observation over which recent_frequency,
    /// recent_monetary and recent_aov (the behavioural basis) are counted.
    #[arg(long, default_value_t = segmint::features::DEFAULT_RECENT_DAYS)]
    pub(crate) recent_days: u32,
    /// Gross margin for the historical CLV (1 = revenue).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) margin: f64,
    /// Customers file (demographics, contact opt-ins), one row per customer.
    #[arg(long)]
    pub(crate) customers: Option<PathBuf>,
    /// Customer id column of the customers file and the survey.
    #[arg(long = "id-col", visible_alias = "customers-id-col", default_value = "customer_id")]
    pub(crate) id_col: String,
    /// Survey file (one row per respondent; every numeric column an item).
    #[arg(long)]
    pub(crate) survey: Option<PathBuf>,
    /// The survey's answer scale, lowest and highest answer (1-5, 0-10, -3..3):
    /// an answer outside it is an error naming the respondent and the item.
    #[arg(long, requires = "survey")]
    pub(crate) survey_scale: Option<AnswerScale>,
    /// Opt-in columns of the customers file that make a customer reachable,
    /// comma-separated (default: every column named like "*opt_in*" or "*consent*").
    #[arg(long)]
    pub(crate) channels: Option<String>,
}

/// The optional side files, read.
pub(crate) struct LoadedSources {
    pub(crate) products: Option<Products>,
    pub(crate) interactions: Option<Interactions>,
    pub(crate) customers: Option<Attributes>,
    pub(crate) survey: Option<Attributes>,
}

impl LoadedSources {
    pub(crate) fn as_sources(&self) -> Sources<'_> {
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
    pub(crate) fn load(&self, tx: Option<&Transactions>, columns: &ColumnArgs) -> Result<LoadedSources> {
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
    pub(crate) fn channels(&self) -> Option<Vec<String>> {
        self.channels.as_ref().map(|list| {
            list.split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect()
        })
    }
}

/// What the segments are formed on and how.
#[derive(Debug, Args)]
pub(crate) struct BasisArgs {
    /// The segmentation basis, comma-separated: column names and the group
    /// words "behaviour" (RFM features of the transactions), "survey" (its
    /// items) and "customers" (every customer-table column). Every other
    /// column describes the segments. Default: the survey, else the
    /// behaviour, else the customer table.
    #[arg(long, value_delimiter = ',')]
    pub(crate) basis: Vec<String>,
    /// Clustering method: auto (k-means, or k-prototypes for a basis with
    /// categorical columns), kmeans, minibatch, kprototypes, gmm or ward.
    #[arg(long, default_value = "auto")]
    pub(crate) method: String,
    /// A customer with a missing basis value: impute (median / most frequent level) or drop (counted).
    #[arg(long, value_enum, default_value_t = Missing::Impute)]
    pub(crate) missing: Missing,
    /// Do not log-transform skewed money-like basis columns.
    #[arg(long)]
    pub(crate) no_log: bool,
}

/// `--missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Missing {
    /// Fill with the median (numbers) or the most frequent level.
    Impute,
    /// Leave the customer out, counted in the report.
    Drop,
}

impl BasisArgs {
    pub(crate) fn apply(&self, segmentation: &mut Segmentation) -> Result<()> {
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

pub(crate) fn delimiter(text: &str) -> Result<u8> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        s => anyhow::bail!("--delimiter {s:?}: expected one ASCII character or \"tab\""),
    }
}
