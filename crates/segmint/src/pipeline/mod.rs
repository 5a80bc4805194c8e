//! `Segmentation`: the stages run end to end, as the CLI and Python's
//! `Segmenter` use them.

mod attitudinal;

pub use attitudinal::{AttitudinalResult, AttitudinalSegmentation, ClusterBasis, Scale};

use serde::{Deserialize, Serialize};

use crate::CancelToken;
use crate::cluster::{KMeans, KMeansParams};
use crate::data::{Attributes, CustomerTable, IngestAudit, JoinReport, Transactions, format_timestamp};
use crate::error::{Error, Result};
use crate::features::{FeatureOptions, PredictiveOptions, RFM_COLUMNS, Sources, customer_features, predictive_value};
use crate::metrics::{largest_first_order, segment_sizes};
use crate::preprocess::{StandardScaler, signed_log1p};
use crate::profile::{Catalogue, NamingOptions, name_segments, profile_segments, segment_composition};
use crate::report::{ClusteringSummary, DataSummary, FeatureSummary, SegmentReport};
use crate::select::{SelectOptions, select_k_with_models};
use crate::validate::{Scorecard, ValidateOptions, ValidationInput, validate};

/// The default number of segments: one per behavioural archetype.
pub const DEFAULT_K: usize = 4;

/// Features whose long right tail is log-transformed before scaling.
pub const LOG_FEATURES: [&str; 3] = ["frequency", "monetary", "aov"];

/// Settings of an end-to-end segmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segmentation {
    /// Number of segments.
    pub k: usize,
    /// Seed for k-means.
    pub seed: u64,
    /// k-means runs (`None`: scikit-learn's "auto").
    pub n_init: Option<usize>,
    /// Feature options (observation end).
    pub rfm: FeatureOptions,
    /// Report title.
    pub title: String,
    /// When set, k is chosen by [`select_k`] over this range and `k` is ignored.
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
    /// Cancels the fit between stages and k-means iterations (not serialised).
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
            rfm: FeatureOptions::default(),
            title: "Customer segmentation".into(),
            select: None,
            predictive: default_predictive(),
            validate: default_validate(),
            channels: None,
            naming: NamingOptions::default(),
            cancel: CancelToken::default(),
        }
    }
}

/// What a segmentation produces.
#[derive(Debug, Clone)]
pub struct SegmentationResult {
    /// The feature table, one row per customer.
    pub features: CustomerTable,
    /// The segment of each customer (rows of `features`); segment 0 is the largest.
    pub labels: Vec<usize>,
    /// The scaler fitted on the (log-transformed) features.
    pub scaler: StandardScaler,
    /// The k-means model in the standardised space, centres in segment order.
    pub model: KMeans,
    /// The report.
    pub report: SegmentReport,
}

impl Segmentation {
    /// Default settings (k = 4, seed 0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of segments.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }

    /// Sets the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of k-means runs.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = Some(n_init);
        self
    }

    /// Sets the end of the observation window (seconds since the epoch).
    pub fn as_of(mut self, as_of: i64) -> Self {
        self.rfm.as_of = Some(as_of);
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

    /// Runs features → preprocessing → k-means → profiles → report.
    ///
    /// `audit` is the ingest audit of the file the transactions came from, if any.
    pub fn fit(&self, tx: &Transactions, audit: Option<&IngestAudit>) -> Result<SegmentationResult> {
        self.fit_with_sources(tx, audit, Sources::default())
    }

    /// [`Self::fit`] with the optional sources (products, interactions) that
    /// add KPIs to the feature table and the profiles. Clustering uses
    /// [`RFM_COLUMNS`].
    pub fn fit_with_sources(
        &self,
        tx: &Transactions,
        audit: Option<&IngestAudit>,
        sources: Sources<'_>,
    ) -> Result<SegmentationResult> {
        let mut features = customer_features(tx, &self.rfm, sources)?;
        self.cancel.check()?;
        let mut notes = Vec::new();
        if let Some(options) = &self.predictive {
            let options = PredictiveOptions {
                as_of: self.rfm.as_of,
                ..options.clone()
            };
            // Data the models cannot fit is a note in the report, not a failed segmentation.
            match predictive_value(tx, &options) {
                Ok(value) => {
                    features = features.with_columns(value.columns)?;
                    notes.extend(value.notes);
                }
                Err(e) => notes.push(format!("predictive CLV and P(alive) not computed: {e}")),
            }
        }
        let mut x = features.select(&RFM_COLUMNS)?;
        for name in LOG_FEATURES {
            let c = RFM_COLUMNS
                .iter()
                .position(|c| *c == name)
                .expect("log features are RFM columns");
            x.column_mut(c).mapv_inplace(signed_log1p);
        }
        self.cancel.check()?;
        let scaler = StandardScaler::fit(x.view())?;
        let z = scaler.transform(x.view())?;
        let (k_selection, mut selected) = match &self.select {
            Some(options) => {
                let options = SelectOptions {
                    seed: self.seed,
                    cancel: self.cancel.clone(),
                    ..options.clone()
                };
                let (selection, models) = select_k_with_models(z.view(), &options)?;
                let chosen = models.into_iter().nth(selection.recommended - options.k_min);
                (Some(selection), chosen)
            }
            None => (None, None),
        };
        self.cancel.check()?;
        let k = k_selection.as_ref().map_or(self.k, |s| s.recommended);
        if features.n_customers() < k {
            return Err(Error::invalid_parameter(
                "k",
                k,
                format!("at most the number of customers ({})", features.n_customers()),
            ));
        }
        crate::select::check_distinct_profiles(z.view(), k)?;
        let mut params = KMeansParams::new(k).seed(self.seed).cancel(self.cancel.clone());
        if let Some(n) = self.n_init {
            params = params.n_init(n);
            selected = None;
        } else if let Some(options) = &self.select {
            params = params.n_init(options.n_init);
        }
        // With k chosen automatically, the selection's fit of that k is the
        // model (same seed and runs), so it is not fitted twice.
        let fitted = match selected {
            Some(model) => model,
            None => params.fit(z.view())?,
        };
        self.cancel.check()?;
        let model = largest_first(&fitted)?;
        let labels = model.labels().to_vec();
        let mut segments = profile_segments(&features, &labels, k)?;
        for (segment, centre) in segments.iter_mut().zip(model.centers().rows()) {
            segment.centroid = centre.to_vec();
        }
        // Named before validation: the scorecard checks that each segment has its own strategy.
        name_segments(&mut segments, &self.naming)?;
        let strategies: Vec<String> = segments.iter().map(|s| s.playbook_name().into()).collect();
        let reachable = match sources.customers {
            Some(customers) => {
                let composition = segment_composition(customers, features.ids(), &labels, k);
                for (segment, make_up) in segments.iter_mut().zip(composition) {
                    segment.composition = make_up;
                }
                self.reachability(customers, tx, &features, &mut notes)?
            }
            None => None,
        };
        self.cancel.check()?;
        let scorecard = self
            .validate
            .as_ref()
            .map(|options| {
                let context = ScorecardContext {
                    reachable: reachable.as_deref(),
                    strategies: &strategies,
                };
                self.scorecard(&features, z.view(), &labels, context, options)
            })
            .transpose()?;
        let (start, latest) = tx.time_span().unwrap_or_default();
        let end = self.rfm.as_of.unwrap_or(latest);
        let report = SegmentReport {
            schema_version: crate::report::REPORT_SCHEMA_VERSION,
            title: self.title.clone(),
            segmint_version: crate::VERSION.into(),
            data: DataSummary {
                source: audit.map_or_else(|| "in-memory transactions".into(), |a| a.source.clone()),
                n_transactions: tx.len(),
                n_customers: features.n_customers(),
                period_start: format_timestamp(start),
                period_end: format_timestamp(end),
                audit: audit.cloned(),
            },
            features: FeatureSummary {
                columns: RFM_COLUMNS.iter().map(|c| (*c).into()).collect(),
                log_transformed: LOG_FEATURES.iter().map(|c| (*c).into()).collect(),
                standardised: true,
                notes,
            },
            clustering: ClusteringSummary {
                algorithm: "k-means (k-means++ init, Lloyd)".into(),
                n_clusters: k,
                seed: self.seed,
                n_init: params.effective_n_init(),
                inertia: model.inertia(),
                n_iter: model.n_iter(),
                converged: model.converged(),
            },
            segments,
            k_selection,
            scorecard,
        };
        Ok(SegmentationResult {
            features,
            labels,
            scaler,
            model,
            report,
        })
    }
}

/// What the scorecard knows beyond the features: who can be reached and
/// which strategy each segment maps to.
#[derive(Debug, Clone, Copy)]
struct ScorecardContext<'a> {
    reachable: Option<&'a [bool]>,
    strategies: &'a [String],
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
        let names: Vec<String> = RFM_COLUMNS.iter().map(|c| (*c).into()).collect();
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
            ..ValidationInput::new(z, &names, labels)
        };
        let options = ValidateOptions {
            seed: self.seed,
            ..options.clone()
        };
        validate(&input, &options)
    }
}

impl Segmentation {
    /// Whether each customer of the feature table can be reached on an
    /// opted-in channel of the customers table; `None` (with a note) when the
    /// table has no opt-in column. The join is noted either way.
    fn reachability(
        &self,
        customers: &Attributes,
        tx: &Transactions,
        features: &CustomerTable,
        notes: &mut Vec<String>,
    ) -> Result<Option<Vec<bool>>> {
        let join = JoinReport::new("customers", customers.ids.iter().map(String::as_str), tx);
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
        customers.reachable(features.ids(), &channels).map(Some)
    }
}

/// Renumbers clusters by decreasing size (ties: lower old label first), so
/// that reports read the same way for every seed that finds the same segments.
fn largest_first(model: &KMeans) -> Result<KMeans> {
    let labels = model.labels().to_vec();
    model.reordered(&largest_first_order(&segment_sizes(&labels, model.n_clusters())))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let z = r.scaler.transform(transformed(&r.features).view()).unwrap();
        assert_eq!(r.model.predict(z.view()).unwrap().to_vec(), r.labels);
    }

    fn transformed(features: &CustomerTable) -> ndarray::Array2<f64> {
        let mut x = features.select(&RFM_COLUMNS).unwrap();
        for name in LOG_FEATURES {
            let c = RFM_COLUMNS.iter().position(|c| *c == name).unwrap();
            x.column_mut(c).mapv_inplace(signed_log1p);
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
