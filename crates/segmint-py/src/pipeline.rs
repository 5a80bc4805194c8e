//! Features, the end-to-end segmentation and the synthetic data set.

use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segmint::data::IngestAudit;
use segmint::data::{Attributes, CustomerTable};
use segmint::features::{FeatureOptions, PredictiveModels, RfmSummary, Sources, rfm as core_rfm};
use segmint::pipeline::{AggregatedLog, CustomerData, Segmentation, SegmentationResult};
use segmint::pipeline::{AnswerScale, AttitudinalSegmentation, ClusterBasis};
use segmint::preprocess::{LogTransform, MissingValues};
use segmint::report::SegmentReport;
use segmint::select::SelectOptions;
use segmint::synth::{REGIONS, SynthParams, generate, generate_survey};
use segmint::validate::ValidateOptions;

use crate::data::{CodedColumn, LineColumns, table_to_py, transactions_from, transactions_to_py};
use crate::error::{cancellable, detached, from_json, raise, to_json, to_py};
use crate::features::{InteractionColumns, LaunchColumns, interactions_from, products_from};

/// RFM, AOV and tenure per customer.
#[pyfunction]
#[pyo3(signature = (customer_ids, customer_codes, timestamps, amounts, order_codes=None, as_of=None))]
pub fn rfm<'py>(
    py: Python<'py>,
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'py, i64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    order_codes: Option<PyReadonlyArray1<'py, i64>>,
    as_of: Option<i64>,
) -> PyResult<Bound<'py, PyDict>> {
    let tx = transactions_from(py, customer_ids, customer_codes, timestamps, amounts, order_codes)?;
    let table = detached(py, || {
        core_rfm(
            &tx,
            &FeatureOptions {
                as_of,
                ..Default::default()
            },
        )
    })?;
    table_to_py(py, &table)
}

/// A customers table from Python: ids, numeric columns and text columns.
pub(crate) type CustomersTable = (Vec<String>, Vec<(String, Vec<f64>)>, Vec<(String, Vec<String>)>);

pub(crate) fn attributes((ids, numeric, categorical): CustomersTable) -> Attributes {
    Attributes {
        ids,
        numeric,
        categorical,
    }
}

/// Runs the whole pipeline; returns features, labels, the model and the report JSON.
#[pyfunction]
#[pyo3(signature = (customer_ids, customer_codes, timestamps, amounts, order_codes=None, *, k=None, min_share=0.0, seed=0, n_init=None, as_of=None, title=None, audit_json=None, customers=None, channels=None, launches=None, interactions=None, quantities=None, products=None, categories=None, sales_channels=None, discount_flags=None, survey=None, survey_scale=None, basis=None, method="auto", recent_days=365))]
#[allow(clippy::too_many_arguments)]
pub fn segment<'py>(
    py: Python<'py>,
    customer_ids: Vec<String>,
    customer_codes: PyReadonlyArray1<'py, i64>,
    timestamps: PyReadonlyArray1<'py, i64>,
    amounts: PyReadonlyArray1<'py, f64>,
    order_codes: Option<PyReadonlyArray1<'py, i64>>,
    k: Option<usize>,
    min_share: f64,
    seed: u64,
    n_init: Option<usize>,
    as_of: Option<i64>,
    title: Option<String>,
    audit_json: Option<&str>,
    customers: Option<CustomersTable>,
    channels: Option<Vec<String>>,
    launches: Option<LaunchColumns>,
    interactions: Option<InteractionColumns>,
    quantities: Option<PyReadonlyArray1<'py, f64>>,
    products: Option<CodedColumn<'py>>,
    categories: Option<CodedColumn<'py>>,
    sales_channels: Option<CodedColumn<'py>>,
    discount_flags: Option<PyReadonlyArray1<'py, bool>>,
    survey: Option<CustomersTable>,
    survey_scale: Option<(f64, f64)>,
    basis: Option<Vec<String>>,
    method: &str,
    recent_days: u32,
) -> PyResult<Bound<'py, PyDict>> {
    let tx = transactions_from(py, customer_ids, customer_codes, timestamps, amounts, order_codes)?;
    let lines = LineColumns {
        quantities,
        products,
        categories,
        sales_channels,
        discount_flags,
    };
    let tx = lines.attach(py, tx)?;
    let launches = launches.map(products_from);
    let interactions = interactions.map(interactions_from);
    let customers = customers.map(attributes);
    let survey = survey.map(attributes);
    let audit: Option<IngestAudit> = audit_json
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| raise(py, "ParameterError", format!("invalid parameter audit_json: {e}")))?;
    let mut segmentation = segmentation_of(py, k, min_share, seed, basis, method)?;
    configure(py, &mut segmentation, n_init, as_of, title, channels, survey_scale)?;
    segmentation.features.recent_days = recent_days;
    let sources = Sources {
        customers: customers.as_ref(),
        products: launches.as_ref(),
        interactions: interactions.as_ref(),
    };
    let data = CustomerData {
        transactions: Some(&tx),
        audit: audit.as_ref(),
        sources,
        survey: survey.as_ref(),
        ..CustomerData::default()
    };
    fitted(py, segmentation, data)
}

/// A feature table from Python: ids, column names and the `ids × columns` values.
pub(crate) type FeatureTable<'py> = (Vec<String>, Vec<String>, PyReadonlyArray2<'py, f64>);

/// A daily repeat-purchase summary from Python: ids and the `ids × 4`
/// columns frequency, recency, T and monetary value.
pub(crate) type DailySummary<'py> = (Vec<String>, PyReadonlyArray2<'py, f64>);

/// Runs the whole pipeline on a log aggregated elsewhere (`segmint.dask`):
/// its feature table, daily summary, first and latest transaction and line
/// count. Returns what [`segment`] returns.
#[pyfunction]
#[pyo3(signature = (features, daily_summary, span, n_transactions, *, predictive_models=None, k=None, min_share=0.0, seed=0, n_init=None, as_of=None, title=None, customers=None, channels=None, survey=None, survey_scale=None, basis=None, method="auto", recent_days=365))]
#[allow(clippy::too_many_arguments)]
pub fn segment_aggregated<'py>(
    py: Python<'py>,
    features: FeatureTable<'py>,
    daily_summary: DailySummary<'py>,
    span: (i64, i64),
    n_transactions: usize,
    predictive_models: Option<&str>,
    k: Option<usize>,
    min_share: f64,
    seed: u64,
    n_init: Option<usize>,
    as_of: Option<i64>,
    title: Option<String>,
    customers: Option<CustomersTable>,
    channels: Option<Vec<String>>,
    survey: Option<CustomersTable>,
    survey_scale: Option<(f64, f64)>,
    basis: Option<Vec<String>>,
    method: &str,
    recent_days: u32,
) -> PyResult<Bound<'py, PyDict>> {
    let aggregation = Aggregation::of(py, features, daily_summary, span, n_transactions, predictive_models)?;
    let (customers, survey) = (customers.map(attributes), survey.map(attributes));
    let mut segmentation = segmentation_of(py, k, min_share, seed, basis, method)?;
    configure(py, &mut segmentation, n_init, as_of, title, channels, survey_scale)?;
    segmentation.features.recent_days = recent_days;
    let data = CustomerData {
        aggregated: Some(aggregation.log()),
        ..tables(customers.as_ref(), survey.as_ref())
    };
    fitted(py, segmentation, data)
}

/// A log aggregated elsewhere, as the core takes it: the feature table, the
/// daily summary, the span, the line count and any predictive models.
pub(crate) struct Aggregation {
    features: CustomerTable,
    daily_summary: RfmSummary,
    span: (i64, i64),
    n_transactions: usize,
    predictive: Option<PredictiveModels>,
}

impl Aggregation {
    pub(crate) fn of(
        py: Python<'_>,
        (ids, columns, values): FeatureTable<'_>,
        daily_summary: DailySummary<'_>,
        span: (i64, i64),
        n_transactions: usize,
        predictive_models: Option<&str>,
    ) -> PyResult<Self> {
        Ok(Aggregation {
            features: CustomerTable::new(ids, columns, values.as_array().to_owned()).map_err(|e| to_py(py, e))?,
            daily_summary: summary_from(py, daily_summary)?,
            span,
            n_transactions,
            predictive: predictive_models
                .map(|text| from_json(py, text, "predictive models"))
                .transpose()?,
        })
    }

    pub(crate) fn log(&self) -> AggregatedLog<'_> {
        AggregatedLog {
            features: &self.features,
            daily_summary: &self.daily_summary,
            span: self.span,
            n_transactions: self.n_transactions,
            predictive: self.predictive.as_ref(),
        }
    }
}

/// A customer table and a survey, without a log.
pub(crate) fn tables<'a>(customers: Option<&'a Attributes>, survey: Option<&'a Attributes>) -> CustomerData<'a> {
    CustomerData {
        sources: Sources {
            customers,
            ..Sources::default()
        },
        survey,
        ..CustomerData::default()
    }
}

pub(crate) fn summary_from(py: Python<'_>, (ids, columns): DailySummary<'_>) -> PyResult<RfmSummary> {
    let columns = columns.as_array();
    if columns.nrows() != ids.len() || columns.ncols() != 4 {
        return Err(to_py(
            py,
            segmint::Error::ShapeMismatch {
                what: "daily summary".into(),
                expected: format!(
                    "{} rows (one per id) x 4 columns (frequency, recency, T, monetary_value)",
                    ids.len()
                ),
                found: format!("{} x {}", columns.nrows(), columns.ncols()),
            },
        ));
    }
    let column = |j: usize| columns.column(j).to_vec();
    Ok(RfmSummary {
        ids,
        frequency: column(0),
        recency: column(1),
        t: column(2),
        monetary_value: column(3),
    })
}

/// Fits with the cancel token of the Python thread and converts the result.
fn fitted<'py>(
    py: Python<'py>,
    mut segmentation: Segmentation,
    data: CustomerData<'_>,
) -> PyResult<Bound<'py, PyDict>> {
    let result = cancellable(py, |token| {
        segmentation.cancel = token;
        segmentation.fit_data(data)
    })?;
    result_to_py(py, &result)
}

/// Segments customer tables without a transaction log: a customer table,
/// a survey, or both joined on the id; the basis and the method as the
/// core takes them. Returns what [`segment`] returns.
#[pyfunction]
#[pyo3(signature = (customers=None, survey=None, *, basis=None, method="auto", k=None, min_share=0.0, seed=0, n_init=None, title=None, missing="impute", log=true, channels=None, survey_scale=None))]
#[allow(clippy::too_many_arguments)]
pub fn segment_table<'py>(
    py: Python<'py>,
    customers: Option<CustomersTable>,
    survey: Option<CustomersTable>,
    basis: Option<Vec<String>>,
    method: &str,
    k: Option<usize>,
    min_share: f64,
    seed: u64,
    n_init: Option<usize>,
    title: Option<String>,
    missing: &str,
    log: bool,
    channels: Option<Vec<String>>,
    survey_scale: Option<(f64, f64)>,
) -> PyResult<Bound<'py, PyDict>> {
    let (customers, survey) = (customers.map(attributes), survey.map(attributes));
    let mut segmentation = segmentation_of(py, k, min_share, seed, basis, method)?;
    configure(py, &mut segmentation, n_init, None, title, channels, survey_scale)?;
    segmentation.preparation.missing = match missing {
        "impute" => MissingValues::Impute,
        "drop" => MissingValues::DropRows,
        other => {
            return Err(raise(
                py,
                "ParameterError",
                format!("invalid parameter missing={other:?}: expected \"impute\" or \"drop\""),
            ));
        }
    };
    if !log {
        segmentation.preparation.log = LogTransform::Off;
    }
    fitted(py, segmentation, tables(customers.as_ref(), survey.as_ref()))
}

/// The settings every entry point shares: k (`None`: chosen over 2..=8
/// with the smallest segment's share), the seed, the basis and the method.
fn segmentation_of(
    py: Python<'_>,
    k: Option<usize>,
    min_share: f64,
    seed: u64,
    basis: Option<Vec<String>>,
    method: &str,
) -> PyResult<Segmentation> {
    let segmentation = match k {
        Some(k) => Segmentation::new().k(k),
        None => Segmentation::new().auto_k(SelectOptions {
            min_share,
            ..SelectOptions::default()
        }),
    };
    let mut segmentation = segmentation.seed(seed).basis(basis.unwrap_or_default());
    segmentation.method = method.parse().map_err(|e: segmint::Error| to_py(py, e))?;
    Ok(segmentation)
}

/// The settings the entry points pass on as they are.
fn configure(
    py: Python<'_>,
    segmentation: &mut Segmentation,
    n_init: Option<usize>,
    as_of: Option<i64>,
    title: Option<String>,
    channels: Option<Vec<String>>,
    survey_scale: Option<(f64, f64)>,
) -> PyResult<()> {
    segmentation.survey_scale = answer_scale(py, survey_scale)?;
    segmentation.n_init = n_init;
    segmentation.features.as_of = as_of;
    segmentation.channels = channels;
    if let Some(title) = title {
        segmentation.title = title;
    }
    Ok(())
}

/// A survey's answer scale from its lowest and highest answer.
fn answer_scale(py: Python<'_>, scale: Option<(f64, f64)>) -> PyResult<Option<AnswerScale>> {
    scale
        .map(|(min, max)| AnswerScale::new(min, max))
        .transpose()
        .map_err(|e| to_py(py, e))
}

/// The features, labels, centres, report and Markdown of a segmentation.
fn result_to_py<'py>(py: Python<'py>, result: &SegmentationResult) -> PyResult<Bound<'py, PyDict>> {
    let report = detached(py, || result.report.to_json())?;
    let out = PyDict::new(py);
    out.set_item("features", table_to_py(py, &result.features)?)?;
    let labels: Vec<i64> = result.labels.iter().map(|&l| l as i64).collect();
    out.set_item("labels", labels.into_pyarray(py))?;
    out.set_item("centers", result.model.segments.centres().into_pyarray(py))?;
    out.set_item("report_json", report)?;
    out.set_item("markdown", result.report.to_markdown())?;
    out.set_item("model_json", detached(py, || result.model.to_json())?)?;
    Ok(out)
}

/// The self-contained HTML dashboard of a report given as JSON.
#[pyfunction]
pub fn report_html(py: Python<'_>, report_json: &str) -> PyResult<String> {
    detached(py, || SegmentReport::from_json(report_json)?.to_html())
}

/// The synthetic customer base: transactions, demographics and true archetypes.
#[pyfunction]
#[pyo3(signature = (n_customers, seed=0))]
pub fn make_customers(py: Python<'_>, n_customers: usize, seed: u64) -> PyResult<Bound<'_, PyDict>> {
    let base = detached(py, || generate(&SynthParams::new(n_customers, seed)))?;
    let out = PyDict::new(py);
    out.set_item("transactions", transactions_to_py(py, &base.transactions)?)?;
    let d = &base.demographics;
    let archetypes: Vec<&str> = base.archetypes.iter().map(|a| a.name()).collect();
    out.set_item("archetype", archetypes)?;
    out.set_item(
        "age",
        d.age.iter().map(|&a| i64::from(a)).collect::<Vec<_>>().into_pyarray(py),
    )?;
    out.set_item("gender", d.gender.iter().map(|g| g.name()).collect::<Vec<_>>())?;
    out.set_item(
        "region",
        d.region.iter().map(|&r| REGIONS[r as usize]).collect::<Vec<_>>(),
    )?;
    out.set_item("email_opt_in", d.email_opt_in.clone().into_pyarray(py))?;
    out.set_item("as_of", base.as_of)?;
    Ok(out)
}

/// The synthetic psychographic survey of `ids` (answers 1–5, items, true attitudes).
#[pyfunction]
#[pyo3(signature = (ids, seed=0))]
pub fn make_survey(py: Python<'_>, ids: Vec<String>, seed: u64) -> PyResult<Bound<'_, PyDict>> {
    let survey = detached(py, || Ok(generate_survey(&ids, seed)))?;
    let out = PyDict::new(py);
    out.set_item("items", survey.items.clone())?;
    out.set_item("answers", survey.answers.into_pyarray(py))?;
    out.set_item(
        "attitude",
        survey.attitudes.iter().map(|a| a.name()).collect::<Vec<_>>(),
    )?;
    Ok(out)
}

/// The attitudinal path on a survey matrix (respondents × items, NaN = no answer).
#[pyfunction]
#[pyo3(signature = (ids, items, answers, *, k=None, basis="items", n_factors=None, seed=0, bootstrap=100, scale=None))]
#[allow(clippy::too_many_arguments)]
pub fn segment_survey<'py>(
    py: Python<'py>,
    ids: Vec<String>,
    items: Vec<String>,
    answers: PyReadonlyArray2<'py, f64>,
    k: Option<usize>,
    basis: &str,
    n_factors: Option<usize>,
    seed: u64,
    bootstrap: usize,
    scale: Option<(f64, f64)>,
) -> PyResult<Bound<'py, PyDict>> {
    let answers = answers.as_array();
    if answers.dim() != (ids.len(), items.len()) {
        return Err(raise(
            py,
            "ParameterError",
            format!(
                "invalid parameter answers: shape {:?}; expected ({}, {}) (one row per id, one column per item)",
                answers.dim(),
                ids.len(),
                items.len()
            ),
        ));
    }
    let basis = match basis {
        "items" => ClusterBasis::RawItems,
        "factors" => ClusterBasis::FactorScores,
        other => {
            return Err(raise(
                py,
                "ParameterError",
                format!("invalid parameter basis={other:?}: expected \"items\" or \"factors\""),
            ));
        }
    };
    let survey = Attributes {
        ids,
        numeric: items
            .iter()
            .cloned()
            .zip(answers.columns().into_iter().map(|c| c.to_vec()))
            .collect(),
        categorical: Vec::new(),
    };
    let settings = AttitudinalSegmentation {
        k: k.unwrap_or(4),
        select: k.is_none().then(SelectOptions::default),
        basis,
        n_factors,
        seed,
        validate: (bootstrap > 0).then(|| ValidateOptions {
            replicates: bootstrap,
            ..ValidateOptions::default()
        }),
        scale: answer_scale(py, scale)?,
        ..AttitudinalSegmentation::default()
    };
    let r = detached(py, || settings.fit(&survey))?;
    let out = PyDict::new(py);
    out.set_item(
        "labels",
        r.labels.iter().map(|&l| l as i64).collect::<Vec<_>>().into_pyarray(py),
    )?;
    out.set_item("scores", r.measurement.scores.into_pyarray(py))?;
    out.set_item("loadings", r.measurement.factors.loadings().clone().into_pyarray(py))?;
    out.set_item("segment_factor_means", r.segment_factor_means.into_pyarray(py))?;
    out.set_item("scales_json", to_json(py, &r.measurement.scales)?)?;
    out.set_item("kmo", r.measurement.kmo.overall)?;
    out.set_item("bartlett_p", r.measurement.bartlett.p_value)?;
    out.set_item("answers_imputed", r.measurement.answers_imputed)?;
    out.set_item(
        "k_selection_json",
        r.k_selection.as_ref().map(|s| to_json(py, s)).transpose()?,
    )?;
    out.set_item(
        "scorecard_json",
        r.scorecard.as_ref().map(|s| to_json(py, s)).transpose()?,
    )?;
    Ok(out)
}
