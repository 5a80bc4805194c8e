//! `Segmentation`: the stages run end to end, as the CLI and Python's
//! `Segmenter` use them, on any non-empty mix of a transaction log, a
//! customer table and a survey joined on the customer id.
//!
//! The **basis** (the columns that form the segments) is chosen by name,
//! with the group words `behaviour`, `survey` and `customers`; every other
//! column is a **descriptor** that profiles the segments.
//!
//! [`Segmentation::fit_data`] checks a survey against its declared
//! [`AnswerScale`], computes the behavioural features of a log (or takes
//! those of an [`AggregatedLog`], aggregated elsewhere) and measures a
//! survey ([`AttitudinalSegmentation::measure`]: its factor scores become
//! descriptor columns), joins the sources (`join.rs`), prepares the basis
//! (`BasisPreparation`), chooses k when asked (`select_k_for`) and clusters by
//! the chosen [`Method`], then profiles every numeric column as a KPI and
//! describes the categorical ones by composition (`describe.rs`), names the
//! segments (before the scorecard, which checks each has its own strategy),
//! takes reachability from the customer table's opt-ins, fills the MASDA
//! scorecard and assembles the [`SegmentReport`]. With a survey in the basis,
//! the survey attitudes' catalogue names first and the method makes
//! [`SURVEY_N_INIT`] runs unless told otherwise.

mod answer_scale;
mod attitudinal;
mod describe;
mod drift;
mod join;
mod log;
mod migration;
mod model;
mod population;

pub use answer_scale::AnswerScale;
pub use attitudinal::{AttitudinalResult, AttitudinalSegmentation, ClusterBasis, Scale, SurveyMeasurement};
pub use describe::MAX_DESCRIBED_LEVELS;
pub use drift::{Drift, DriftVerdict, FeatureBins, FeatureDrift};
pub use join::{BEHAVIOUR, SURVEY};
pub use log::AggregatedLog;
pub use migration::{Flow, Migration, Place};
pub use model::{MODEL_SCHEMA_VERSION, Scores, SegmentationModel, TrainingData};
pub use population::{PlacedPart, profile_whole_base};

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::CancelToken;
use crate::cluster::{KMeans, KPrototypes, Method, MethodSettings, MixedRows, Segments};
use crate::data::{Attributes, CustomerTable, IngestAudit, JoinReport, Transactions, format_timestamp};
use crate::error::{Error, Result};
use crate::features::{FeatureOptions, PredictiveOptions, Sources};
use crate::metrics::MethodResampling;
use crate::preprocess::{BasisOptions, BasisPreparation, LogTransform};
use crate::profile::{Catalogue, NamingOptions, name_segments, profile_segments, segment_composition};
use crate::report::{ClusteringSummary, DataSummary, SegmentReport};
use crate::select::{KSelection, SelectOptions, select_k_for};
use crate::validate::{ScaleReliability, Scorecard, ValidateOptions, ValidationInput, validate};
use describe::{described_table, feature_summary, profiled_table, snake_points, subset};
use join::{Joined, Origin, Source};
use log::Log;

/// The default number of segments: one per behavioural archetype.
pub const DEFAULT_K: usize = 4;

/// Clustering runs on a basis of survey answers (unless set): attitudes
/// overlap more than purchase behaviour, and one k-means++ start settles in
/// a poorer optimum often enough to merge two attitudes (the attitudinal
/// path's setting, and scikit-learn's default before 1.4).
pub const SURVEY_N_INIT: usize = 10;

/// The behavioural basis, the columns of the group word `behaviour`: how
/// recently, how often and for how much a customer bought in the trailing
/// window (`FeatureOptions::recent_days`), the usual basket, and how long
/// they have been a customer. Frequency and revenue are counted over the
/// recent window, not the whole history, so that a loyal customer who has
/// stopped buying leaves the loyal segment (see docs/methodology.md).
pub const BEHAVIOUR_BASIS: [&str; 4] = ["recency_days", "recent_frequency", "recent_aov", "tenure_days"];

/// Features whose long right tail is log-transformed before scaling.
pub const LOG_FEATURES: [&str; 6] = [
    "frequency",
    "monetary",
    "aov",
    "recent_frequency",
    "recent_monetary",
    "recent_aov",
];

/// Settings of an end-to-end segmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segmentation {
    /// Number of segments.
    pub k: usize,
    /// Seed of the clustering, the choice of k and the scorecard.
    pub seed: u64,
    /// Clustering runs (`None`: the method's default, as scikit-learn's "auto").
    pub n_init: Option<usize>,
    /// How the feature table is computed (end of observation, margin, windows).
    pub features: FeatureOptions,
    /// Report title.
    pub title: String,
    /// When set, k is chosen over this range and `k` is ignored.
    #[serde(default)]
    pub select: Option<SelectOptions>,
    /// When set, BG/NBD and Gamma-Gamma add `p_alive`, `expected_purchases_<h>m`
    /// and `clv` to the feature table (and so to the profiles).
    #[serde(default = "default_predictive")]
    pub predictive: Option<PredictiveOptions>,
    /// When set, the report carries the MASDA scorecard (bootstrap stability,
    /// prediction strength, effect sizes …).
    #[serde(default = "default_validate")]
    pub validate: Option<ValidateOptions>,
    /// Opt-in columns of the customers table that make a customer reachable
    /// (`None`: every column whose name says opt-in or consent).
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Archetype catalogues the segments are matched to and named after.
    #[serde(default)]
    pub naming: NamingOptions,
    /// The basis: column names and the group words `behaviour` (the RFM
    /// features of the transactions), `survey` (its items) and `customers`
    /// (every column of the customer table). Empty: the survey when there is
    /// one, else the behaviour when there is a log, else the customer table.
    #[serde(default)]
    pub basis: Vec<String>,
    /// The clustering method.
    #[serde(default)]
    pub method: Method,
    /// How the basis is prepared (missing values, log transform, level limit).
    #[serde(default)]
    pub preparation: BasisOptions,
    /// The survey's answer scale: an answer outside it is an error (`None`: not checked).
    #[serde(default)]
    pub survey_scale: Option<AnswerScale>,
    /// Cancels the fit between stages and clustering iterations (not serialised).
    #[serde(skip)]
    pub cancel: CancelToken,
}

fn default_validate() -> Option<ValidateOptions> {
    Some(ValidateOptions::default())
}

fn default_predictive() -> Option<PredictiveOptions> {
    Some(PredictiveOptions::default())
}

impl Default for Segmentation {
    fn default() -> Self {
        Segmentation {
            k: DEFAULT_K,
            seed: 0,
            n_init: None,
            features: FeatureOptions::default(),
            title: "Customer segmentation".into(),
            select: None,
            predictive: default_predictive(),
            validate: default_validate(),
            channels: None,
            naming: NamingOptions::default(),
            basis: Vec::new(),
            method: Method::Auto,
            preparation: BasisOptions::default(),
            survey_scale: None,
            cancel: CancelToken::default(),
        }
    }
}

/// The customer data a segmentation reads, joined on the customer id: any
/// non-empty combination of a transaction log (its lines or their
/// aggregation), a customer table and a survey.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerData<'a> {
    /// The transaction log.
    pub transactions: Option<&'a Transactions>,
    /// A transaction log aggregated elsewhere, in place of `transactions`.
    pub aggregated: Option<AggregatedLog<'a>>,
    /// The ingest audit of the file the transactions came from.
    pub audit: Option<&'a IngestAudit>,
    /// Side files: products and interactions (features of the log), and the
    /// customer table (one row per customer).
    pub sources: Sources<'a>,
    /// Survey answers, one row per respondent.
    pub survey: Option<&'a Attributes>,
}

/// What a segmentation produces.
#[derive(Debug, Clone)]
pub struct SegmentationResult {
    /// The numeric columns profiled (behavioural features, numeric basis
    /// columns, survey items …), one row per segmented customer.
    pub features: CustomerTable,
    /// The segment of each customer (rows of `features`); segment 0 is the largest.
    pub labels: Vec<usize>,
    /// The fitted segmentation: basis preparation, clustering and names,
    /// ready to score later snapshots and to save as `model.json`.
    pub model: SegmentationModel,
    /// The report.
    pub report: SegmentReport,
}

impl Segmentation {
    /// Default settings (k = 4, seed 0).
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Sets the number of segments.
        k: usize;

        /// Declares the survey's answer scale: an answer outside it is an error.
        survey_scale: Some(AnswerScale);

        /// Sets the seed.
        seed: u64;

        /// Sets the number of clustering runs.
        n_init: Some(usize);
    }

    /// Sets the end of the observation window (seconds since the epoch).
    pub fn as_of(mut self, as_of: i64) -> Self {
        self.features.as_of = Some(as_of);
        self
    }

    /// Chooses k automatically (validity indices over a range of k).
    pub fn auto_k(mut self, options: SelectOptions) -> Self {
        self.select = Some(options);
        self
    }

    /// Matches segments to these archetype catalogues (the first names them)
    /// instead of the built-in behavioural and attitudinal ones.
    pub fn catalogues(mut self, catalogues: Vec<Catalogue>) -> Self {
        self.naming.catalogues = catalogues;
        self
    }

    /// Sets the report title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the basis: column names and group words.
    pub fn basis<S: Into<String>>(mut self, terms: impl IntoIterator<Item = S>) -> Self {
        self.basis = terms.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the clustering method.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Runs features → preprocessing → k-means → profiles → report.
    ///
    /// `audit` is the ingest audit of the file the transactions came from, if any.
    pub fn fit(&self, tx: &Transactions, audit: Option<&IngestAudit>) -> Result<SegmentationResult> {
        self.fit_with_sources(tx, audit, Sources::default())
    }

    /// [`Self::fit`] with the optional sources (products, interactions,
    /// customers) that add KPIs and descriptors to the profiles.
    pub fn fit_with_sources(
        &self,
        tx: &Transactions,
        audit: Option<&IngestAudit>,
        sources: Sources<'_>,
    ) -> Result<SegmentationResult> {
        self.fit_data(CustomerData {
            transactions: Some(tx),
            audit,
            sources,
            ..CustomerData::default()
        })
    }

    /// Segments any mix of customer data: joins the sources, prepares the
    /// basis, clusters it, profiles every column and reports.
    pub fn fit_data(&self, data: CustomerData<'_>) -> Result<SegmentationResult> {
        if let (Some(scale), Some(survey)) = (self.survey_scale, data.survey) {
            scale.check(survey)?;
        }
        let log = Log::of(&data)?;
        let mut notes = Vec::new();
        let behaviour = log
            .map(|log| self.behaviour(log, data.sources, &mut notes))
            .transpose()?;
        self.cancel.check()?;
        let survey = data.survey.map(|s| measured_survey(s, self.seed, &mut notes));
        let (survey_table, measurement) = match &survey {
            Some((table, measured)) => (Some(table), measured.as_ref()),
            None => (None, None),
        };
        let sources = sources_of(behaviour.as_ref(), &data, survey_table);
        let joined = join::join(&sources, &self.basis)?;
        let (preparation, prepared) =
            BasisPreparation::fit(&joined.table, &joined.basis, &self.basis_options(&joined))?;
        let kept = subset(&joined.table, &prepared.rows);
        self.cancel.check()?;
        let method = self.method.resolve(prepared.categorical.ncols() > 0);
        let runs = self.runs_for(&joined);
        let (k_selection, segments) = runs.cluster(prepared.rows(), method)?;
        let labels = segments.labels();
        let k = segments.n_segments();
        self.cancel.check()?;
        let features = profiled_table(&kept)?;
        let mut profiles = profile_segments(&features, &labels, k)?;
        let encoded = prepared.rows().encoded();
        for (segment, centre) in profiles.iter_mut().zip(snake_points(&segments, encoded.view()).rows()) {
            segment.centroid = centre.to_vec();
        }
        let described = described_table(&kept, &joined, log.is_some(), &mut notes);
        if !described.numeric.is_empty() || !described.categorical.is_empty() {
            let composition = segment_composition(&described, &kept.ids, &labels, k);
            for (segment, make_up) in profiles.iter_mut().zip(composition) {
                segment.composition = make_up;
            }
        }
        // Named before validation: the scorecard checks that each segment has its own strategy.
        name_segments(&mut profiles, &self.naming_for(&joined))?;
        let strategies: Vec<String> = profiles.iter().map(|s| s.playbook_name().into()).collect();
        let reachable = match data.sources.customers {
            Some(customers) => self.reachability(customers, log, &kept.ids, &mut notes)?,
            None => None,
        };
        self.cancel.check()?;
        let scorecard = self
            .validate
            .as_ref()
            .map(|options| {
                // k-means is the scorecard's own refit; any other method is refitted as itself.
                let resampling = (method != Method::KMeans).then(|| MethodResampling {
                    method,
                    k,
                    n_init: options.n_init,
                    n_numeric: prepared.numeric.ncols(),
                    n_levels: prepared.n_levels.clone(),
                    cancel: self.cancel.clone(),
                });
                let context = ScorecardContext {
                    reachable: reachable.as_deref(),
                    strategies: &strategies,
                    names: &preparation.encoded_names(),
                    scales: &measurement.map(SurveyMeasurement::reliabilities).unwrap_or_default(),
                    method: resampling.as_ref(),
                };
                self.scorecard(&features, encoded.view(), &labels, context, options)
            })
            .transpose()?;
        let report = SegmentReport {
            schema_version: crate::report::REPORT_SCHEMA_VERSION,
            title: self.title.clone(),
            segmint_version: crate::VERSION.into(),
            data: self.data_summary(&data, log, &joined, kept.ids.len()),
            features: feature_summary(&preparation, &prepared, notes),
            clustering: ClusteringSummary {
                algorithm: segments.model.description().into(),
                n_clusters: k,
                seed: self.seed,
                n_init: runs.n_init_used(method, k),
                inertia: segments.model.cost(),
                n_iter: segments.model.n_iter(),
                converged: segments.model.converged(),
            },
            segments: profiles,
            k_selection,
            scorecard,
        };
        let (distance, _) = model::distances(&encoded, &segments.centres(), &labels);
        let training = TrainingData::of(
            &kept,
            &preparation,
            &distance,
            report.segments.iter().map(|s| s.size).collect(),
            (&report.data.period_start, &report.data.period_end),
            log.and_then(|log| self.features.as_of.or(log.span().map(|(_, latest)| latest))),
        );
        let model = SegmentationModel::new(self, preparation, segments, &report.segments, training);
        Ok(SegmentationResult {
            features,
            labels,
            model,
            report,
        })
    }

    /// The preparation options for this basis: the behavioural features
    /// follow their own definition (the money and count features are
    /// logged), survey answers are never logged (a skewed item is an
    /// attitude most respondents share, not a long tail of money), the other
    /// columns follow the user's rule.
    fn basis_options(&self, joined: &Joined) -> BasisOptions {
        let origin = |name: &str| joined.origin.get(name).copied();
        let trusted: Vec<String> = joined
            .basis
            .iter()
            .filter(|c| origin(c) == Some(Origin::Behaviour))
            .cloned()
            .collect();
        let skewed = |name: &str| {
            let values = joined.table.numeric.iter().find(|(n, _)| n == name);
            values.is_some_and(|(_, v)| crate::preprocess::is_skewed(v))
        };
        let log = match &self.preparation.log {
            LogTransform::Skewed => {
                let logged = joined.basis.iter().filter(|c| match origin(c) {
                    Some(Origin::Behaviour) => LOG_FEATURES.contains(&c.as_str()),
                    Some(Origin::Survey) => false,
                    _ => skewed(c),
                });
                LogTransform::Columns(logged.cloned().collect())
            }
            other => other.clone(),
        };
        BasisOptions {
            log,
            trusted,
            ..self.preparation.clone()
        }
    }

    /// The catalogues the segments are named by: with a survey in the basis
    /// and the built-in catalogues, the attitudes its scales measure come first.
    fn naming_for(&self, joined: &Joined) -> NamingOptions {
        let survey_in_basis = joined
            .basis
            .iter()
            .any(|b| joined.origin.get(b) == Some(&Origin::Survey));
        if survey_in_basis && self.naming == NamingOptions::default() {
            let mut naming = self.naming.clone();
            naming.catalogues.insert(0, Catalogue::survey_attitudes());
            naming
        } else {
            self.naming.clone()
        }
    }

    /// These settings, with [`SURVEY_N_INIT`] runs when the basis holds
    /// survey answers and no number of runs was asked for.
    fn runs_for(&self, joined: &Joined) -> Cow<'_, Segmentation> {
        let survey_in_basis = joined
            .basis
            .iter()
            .any(|b| joined.origin.get(b) == Some(&Origin::Survey));
        match self.n_init {
            None if survey_in_basis => Cow::Owned(Segmentation {
                n_init: Some(SURVEY_N_INIT),
                ..self.clone()
            }),
            _ => Cow::Borrowed(self),
        }
    }

    /// Chooses k (when asked) and fits the method.
    fn cluster(&self, rows: MixedRows<'_>, method: Method) -> Result<(Option<KSelection>, Segments)> {
        let settings = MethodSettings {
            seed: self.seed,
            n_init: self.n_init,
            cancel: self.cancel.clone(),
        };
        let (k_selection, selected) = match &self.select {
            Some(options) => {
                let options = SelectOptions {
                    seed: self.seed,
                    cancel: self.cancel.clone(),
                    ..options.clone()
                };
                let (selection, models) = select_k_for(rows, method, &options)?;
                let chosen = models.into_iter().nth(selection.recommended - options.k_min).flatten();
                // With k chosen automatically, the selection's fit of that k is
                // the model (same seed and runs), unless other runs were asked for.
                (Some(selection), chosen.filter(|_| self.n_init.is_none()))
            }
            None => (None, None),
        };
        let k = k_selection.as_ref().map_or(self.k, |s| s.recommended);
        if rows.n_rows() < k {
            return Err(Error::invalid_parameter(
                "k",
                k,
                format!("at most the number of customers ({})", rows.n_rows()),
            ));
        }
        let settings = match (&self.select, self.n_init) {
            (Some(options), None) => MethodSettings {
                n_init: Some(options.n_init),
                ..settings
            },
            _ => settings,
        };
        crate::select::check_distinct_profiles(rows.encoded().view(), k)?;
        let model = match selected {
            Some(model) => model,
            None => method.clusterer(k, &settings).fit_rows(rows)?,
        };
        Ok((k_selection, Segments::largest_first(model)))
    }

    /// The runs the method made, as reported.
    fn n_init_used(&self, method: Method, k: usize) -> usize {
        let n_init = self.n_init.or(self.select.as_ref().map(|o| o.n_init));
        match method {
            Method::Auto | Method::KMeans => {
                let params = KMeans::params(k);
                match n_init {
                    Some(n) => params.n_init(n).effective_n_init(),
                    None => params.effective_n_init(),
                }
            }
            Method::KPrototypes => {
                let params = KPrototypes::params(k);
                match n_init {
                    Some(n) => params.n_init(n).effective_n_init(),
                    None => params.effective_n_init(),
                }
            }
            _ => n_init.unwrap_or(1),
        }
    }

    fn data_summary(
        &self,
        data: &CustomerData<'_>,
        log: Option<Log<'_>>,
        joined: &Joined,
        n_customers: usize,
    ) -> DataSummary {
        let (start, end) = match log {
            Some(log) => {
                let (start, latest) = log.span().unwrap_or_default();
                (
                    format_timestamp(start),
                    format_timestamp(self.features.as_of.unwrap_or(latest)),
                )
            }
            None => (String::new(), String::new()),
        };
        let described: Vec<&str> = joined.joins.iter().map(|j| j.source.as_str()).collect();
        DataSummary {
            source: data.audit.map_or_else(|| described.join(" + "), |a| a.source.clone()),
            n_transactions: log.map_or(0, |log| log.n_transactions()),
            n_customers,
            period_start: start,
            period_end: end,
            audit: data.audit.cloned(),
            joins: joined.joins.clone(),
        }
    }
}

/// The sources present, behaviour first; `survey` is the survey with its
/// factor scores beside the items.
fn sources_of<'a>(
    behaviour: Option<&CustomerTable>,
    data: &CustomerData<'a>,
    survey: Option<&'a Attributes>,
) -> Vec<Source<'a>> {
    let mut sources: Vec<Source<'a>> = behaviour.map(join::behaviour_source).into_iter().collect();
    sources.extend(data.sources.customers.map(Source::customers));
    if let (Some(measured), Some(items)) = (survey, data.survey) {
        sources.push(Source::survey(measured, items));
    }
    sources
}

/// The survey with its factor scores as descriptor columns (named after
/// their scales), and what it measures; a survey the factor analysis cannot
/// read is segmented on its items alone, with a note.
fn measured_survey(survey: &Attributes, seed: u64, notes: &mut Vec<String>) -> (Attributes, Option<SurveyMeasurement>) {
    let settings = AttitudinalSegmentation {
        seed,
        ..AttitudinalSegmentation::default()
    };
    match settings.measure(survey) {
        Ok(measured) => {
            notes.push(measured.describe());
            let mut table = survey.clone();
            for f in 0..measured.scores.ncols() {
                let mut name = measured.factor_name(f);
                if table.column_names().contains(&name.as_str()) {
                    name = format!("factor_{name}");
                }
                table.numeric.push((name, measured.scores.column(f).to_vec()));
            }
            // The items group stays the items: the factor scores describe.
            (table, Some(measured))
        }
        Err(e) => {
            notes.push(format!("survey scales not measured: {e}"));
            (survey.clone(), None)
        }
    }
}

/// What the scorecard knows beyond the features: who can be reached, which
/// strategy each segment maps to, and the names of the clustered columns.
#[derive(Debug, Clone, Copy)]
struct ScorecardContext<'a> {
    reachable: Option<&'a [bool]>,
    strategies: &'a [String],
    names: &'a [String],
    scales: &'a [ScaleReliability],
    method: Option<&'a MethodResampling>,
}

impl Segmentation {
    /// The MASDA scorecard of the clustered matrix `z`, with revenue and
    /// (when computed) CLV from the feature table.
    fn scorecard(
        &self,
        features: &CustomerTable,
        z: ndarray::ArrayView2<'_, f64>,
        labels: &[usize],
        context: ScorecardContext<'_>,
        options: &ValidateOptions,
    ) -> Result<Scorecard> {
        let column = |name: &str| {
            features
                .column_index(name)
                .ok()
                .map(|c| features.values().column(c).to_vec())
        };
        let (revenue, value) = (column("monetary"), column("clv"));
        let input = ValidationInput {
            revenue: revenue.as_deref(),
            value: value.as_deref(),
            reachable: context.reachable,
            strategies: Some(context.strategies),
            scales: context.scales,
            method: context.method,
            ..ValidationInput::new(z, context.names, labels)
        };
        let options = ValidateOptions {
            seed: self.seed,
            ..options.clone()
        };
        validate(&input, &options)
    }
}

impl Segmentation {
    /// Whether each segmented customer can be reached on an opted-in channel
    /// of the customers table; `None` (with a note) when the table has no
    /// opt-in column. The join is noted either way.
    fn reachability(
        &self,
        customers: &Attributes,
        log: Option<Log<'_>>,
        ids: &[String],
        notes: &mut Vec<String>,
    ) -> Result<Option<Vec<bool>>> {
        // Against the log's customers when there is a log: those the basis left out count too.
        let base = log.map_or(ids, |log| log.customer_ids());
        let join = JoinReport::between(
            "customers",
            customers.ids.iter().map(String::as_str),
            base.iter().map(String::as_str),
        );
        notes.push(format!(
            "customers table: {} customers matched, {} only in the table (ignored), {} without a row (counted as unreachable)",
            join.matched, join.only_in_source, join.missing_from_source
        ));
        let channels: Vec<&str> = match &self.channels {
            Some(named) => named.iter().map(String::as_str).collect(),
            None => customers.opt_in_columns(),
        };
        if channels.is_empty() {
            notes.push("customers table has no opt-in column: Accessible not assessed".into());
            return Ok(None);
        }
        notes.push(format!("reachable: opted in on any of {}", channels.join(", ")));
        customers.reachable(ids, &channels).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preprocess::signed_log1p;
    use crate::synth::{SynthParams, generate};

    #[test]
    fn segments_are_numbered_largest_first_and_cover_everyone() {
        let base = generate(&SynthParams::new(2000, 5)).unwrap();
        let r = Segmentation::new()
            .seed(1)
            .as_of(base.as_of)
            .fit(&base.transactions, None)
            .unwrap();
        let sizes: Vec<usize> = r.report.segments.iter().map(|s| s.size).collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 2000);
        assert_eq!(r.labels.len(), 2000);
        let z = r
            .model
            .preparation
            .scaler
            .transform(transformed(&r.features).view())
            .unwrap();
        assert_eq!(
            r.model.segments.predict(MixedRows::numeric(z.view())).unwrap(),
            r.labels
        );
    }

    fn transformed(features: &CustomerTable) -> ndarray::Array2<f64> {
        let mut x = features.select(&BEHAVIOUR_BASIS).unwrap();
        for (c, name) in BEHAVIOUR_BASIS.iter().enumerate() {
            if LOG_FEATURES.contains(name) {
                x.column_mut(c).mapv_inplace(signed_log1p);
            }
        }
        x
    }

    #[test]
    fn k_above_the_number_of_customers_is_an_error() {
        let base = generate(&SynthParams::new(100, 5)).unwrap();
        let err = Segmentation::new().k(101).fit(&base.transactions, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid parameter k=101: expected at most the number of customers (100)"
        );
    }
}
