//! One function per command: read, run the core, print and write.

use std::path::{Path, PathBuf};

use anyhow::Result;
use segmint::data::{
    CustomerTable, FormulaCells, refuse_overwriting_input, write_attributes, write_interactions, write_products,
};
use segmint::features::{FeatureOptions, PredictiveOptions, customer_features, predictive_value};
use segmint::pipeline::{AttitudinalSegmentation, CustomerData, SegmentationModel};
use segmint::synth::{Archetype, Movement, SynthParams, archetype_counts, generate, generate_survey};

use crate::args::{Basis, BasisArgs, ColumnArgs, ModelArgs, SourceArgs};
use crate::output::{finish, print_measurement, print_migration, print_true_attitudes, scoring_summary};

pub(crate) fn features(path: &Path, columns: &ColumnArgs, sources: &SourceArgs, out: &Path) -> Result<()> {
    refuse_overwriting_input("--out", out, &[path])?;
    let (tx, _) = columns.read(path)?;
    let loaded = sources.load(Some(&tx), columns)?;
    let options = FeatureOptions {
        as_of: columns.as_of()?,
        margin: sources.margin,
        new_product_days: sources.new_product_days,
        recent_days: sources.recent_days,
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

pub(crate) fn clv(path: &Path, columns: &ColumnArgs, months: u32, discount_rate: f64, out: &Path) -> Result<()> {
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

pub(crate) fn demo(out: PathBuf, customers: usize, model: &ModelArgs) -> Result<()> {
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

/// How the demo's customers move in the third year (rows: loyalists, new,
/// budget-conscious, at-risk; columns the same): an illustration, not a
/// published figure (tests/movement.rs draws its data with the same one).
const DEMO_MOVEMENT: [[f64; 4]; 4] = [
    [0.70, 0.0, 0.10, 0.20],
    [0.30, 0.0, 0.45, 0.25],
    [0.10, 0.0, 0.80, 0.10],
    [0.05, 0.0, 0.20, 0.75],
];

/// The synthetic base segmented at the end of its two years, then followed
/// through a third in which customers move by [`DEMO_MOVEMENT`]: the
/// segmentation's files in `out`, the migration's in `out/migration`.
pub(crate) fn demo_migration(out: PathBuf, customers: usize, model: &ModelArgs) -> Result<()> {
    let mut params = SynthParams::new(customers, model.seed);
    params.movement = Some(Movement::yearly(DEMO_MOVEMENT));
    let base = generate(&params)?;
    let first_end = base.first_period.as_ref().map_or(base.as_of, |first| first.end);
    let result = model
        .segmentation()?
        .as_of(first_end)
        .title(format!("segmint demo: {customers} synthetic customers after two years"))
        .fit(&base.transactions.up_to(first_end), None)?;
    finish(&out, &result, FormulaCells::default())?;
    let data = CustomerData {
        transactions: Some(&base.transactions),
        ..CustomerData::default()
    };
    let migration = result.model.migration(data, first_end, base.as_of, 4)?;
    let files = migration.write_files(out.join("migration"), FormulaCells::default())?;
    println!();
    print_migration(&migration, &files);
    Ok(())
}

/// The attitudinal study on the synthetic base: its survey measured
/// (adequacy, factors, scales), segments formed on the items or the factor
/// scores, profiled on the same customers' behaviour and demographics, named
/// after the attitudes, and the report files written; then the ground truth.
pub(crate) fn demo_attitudinal(out: PathBuf, customers: usize, basis: Basis, model: &ModelArgs) -> Result<()> {
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
        ..CustomerData::default()
    })?;
    finish(&out, &result, FormulaCells::default())?;
    print_true_attitudes(&survey, &result);
    Ok(())
}

pub(crate) fn run(
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
    segmentation.features.margin = sources.margin;
    segmentation.features.new_product_days = sources.new_product_days;
    segmentation.features.recent_days = sources.recent_days;
    segmentation.channels = sources.channels();
    segmentation.survey_scale = sources.survey_scale;
    basis.apply(&mut segmentation)?;
    let result = segmentation.fit_data(CustomerData {
        transactions: read.as_ref().map(|(tx, _)| tx),
        audit: read.as_ref().map(|(_, audit)| audit),
        sources: loaded.as_sources(),
        survey: loaded.survey.as_ref(),
        ..CustomerData::default()
    })?;
    finish(&out, &result, columns.cells())
}

/// Places the customers of a snapshot in the segments of a saved model.
pub(crate) fn score(
    model_path: &Path,
    path: Option<&Path>,
    columns: &ColumnArgs,
    sources: &SourceArgs,
    out: &Path,
) -> Result<()> {
    let model = SegmentationModel::load(model_path)?;
    let read = path.map(|p| columns.read(p)).transpose()?;
    let loaded = sources.load(read.as_ref().map(|(tx, _)| tx), columns)?;
    let scores = model.score(
        CustomerData {
            transactions: read.as_ref().map(|(tx, _)| tx),
            audit: read.as_ref().map(|(_, audit)| audit),
            sources: loaded.as_sources(),
            survey: loaded.survey.as_ref(),
            ..CustomerData::default()
        },
        columns.as_of()?,
    )?;
    let files = scores.write_files(out, &model.names, columns.cells())?;
    print!("{}", scoring_summary(&model, &scores));
    let written: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    println!("\nwrote {}", written.join(", "));
    Ok(())
}

/// Measures the movement of the customers of a log between two dates.
pub(crate) fn migrate(
    model_path: &Path,
    path: &Path,
    columns: &ColumnArgs,
    sources: &SourceArgs,
    [from, to]: [&str; 2],
    periods: usize,
    out: &Path,
) -> Result<()> {
    let model = SegmentationModel::load(model_path)?;
    let (from, to) = (columns.date("from", from)?, columns.date("to", to)?);
    let (tx, audit) = columns.read(path)?;
    let loaded = sources.load(Some(&tx), columns)?;
    let data = CustomerData {
        transactions: Some(&tx),
        audit: Some(&audit),
        sources: loaded.as_sources(),
        survey: loaded.survey.as_ref(),
        ..CustomerData::default()
    };
    let migration = model.migration(data, from, to, periods)?;
    let files = migration.write_files(out, columns.cells())?;
    print_migration(&migration, &files);
    Ok(())
}

/// Writes `<stem>_products.csv`, `<stem>_interactions.csv` and `<stem>_customers.csv` beside the transactions.
pub(crate) fn write_synthetic_sources(out: &Path, base: &segmint::synth::CustomerBase) -> Result<[PathBuf; 3]> {
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("synthetic");
    let sibling = |suffix: &str| out.with_file_name(format!("{stem}_{suffix}.csv"));
    let (products_path, interactions_path) = (sibling("products"), sibling("interactions"));
    write_products(&products_path, &base.products)?;
    write_interactions(&interactions_path, &base.interactions)?;
    let customers_path = sibling("customers");
    write_attributes(&customers_path, "customer_id", &base.customers)?;
    Ok([products_path, interactions_path, customers_path])
}
