//! The fitted segmentation as a file (`model.json`) and the scoring of a
//! later snapshot with it: the same features at a new end of observation,
//! the same basis preparation (imputation values, log transform, scaler,
//! levels), the same clustering, the same segment names.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use super::drift::{Drift, FAR_QUANTILE, FeatureBins, quantile};
use super::log::Log;
use super::{CustomerData, Segmentation, sources_of};
use crate::cluster::{ClusterModel, Segments};
use crate::data::output::write_csv;
use crate::data::{Attributes, FormulaCells, format_timestamp, write_text_atomically};
use crate::error::{Error, Result};
use crate::preprocess::{BasisPreparation, DroppedCustomer};

/// The version of `model.json`'s layout. A file of another version is refused.
pub const MODEL_SCHEMA_VERSION: u32 = 1;

/// Everything needed to place a customer in a segment later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentationModel {
    /// [`MODEL_SCHEMA_VERSION`] of the segmint that wrote it.
    pub schema_version: u32,
    /// The segmint version that wrote it.
    pub segmint_version: String,
    /// The settings of the fit (feature options, basis, method …).
    pub settings: Segmentation,
    /// How the basis columns became the clustered rows.
    pub preparation: BasisPreparation,
    /// The clustering, segments numbered largest first.
    pub segments: Segments,
    /// The name of each segment, in segment order.
    pub names: Vec<String>,
    /// The playbook of each segment, in segment order.
    pub playbooks: Vec<String>,
    /// The KPI segments are ranked by for upgrades and downgrades (`clv`,
    /// else `monetary`; `None` when the data had neither).
    pub value_kpi: Option<String>,
    /// Each segment's mean of [`value_kpi`](Self::value_kpi) at training (`None` without one).
    pub segment_values: Vec<Option<f64>>,
    /// What the model was trained on.
    pub training: TrainingData,
}

/// A fingerprint of the training data, to tell later snapshots from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingData {
    /// Customers segmented.
    pub customers: usize,
    /// Customers in each segment, in segment order.
    pub segment_sizes: Vec<usize>,
    /// First transaction (`YYYY-MM-DD HH:MM:SS`; empty without a log).
    pub period_start: String,
    /// End of observation (`YYYY-MM-DD HH:MM:SS`; empty without a log).
    pub period_end: String,
    /// The end of observation in seconds, when there was a log.
    pub as_of: Option<i64>,
    /// Mean of each numeric basis column over the customers segmented (`None`: no value).
    pub basis_means: Vec<(String, Option<f64>)>,
    /// The deciles of each numeric basis column, for the drift of later snapshots.
    pub basis_bins: Vec<FeatureBins>,
    /// The distance to their centre that 99% of the training customers stay within.
    #[serde(deserialize_with = "crate::report::f64_or_nan")]
    pub far_distance: f64,
}

impl TrainingData {
    /// The fingerprint of the customers segmented: `table` holds their
    /// basis columns, `distance` their distance to their segment's centre.
    pub(super) fn of(
        table: &Attributes,
        preparation: &BasisPreparation,
        distance: &[f64],
        segment_sizes: Vec<usize>,
        period: (&str, &str),
        as_of: Option<i64>,
    ) -> Self {
        let columns = numeric_basis(table, preparation, None);
        TrainingData {
            customers: table.ids.len(),
            segment_sizes,
            period_start: period.0.into(),
            period_end: period.1.into(),
            as_of,
            basis_means: columns
                .iter()
                .map(|(name, values)| (name.clone(), mean(values)))
                .collect(),
            basis_bins: columns
                .iter()
                .map(|(name, values)| FeatureBins::of(name, values))
                .collect(),
            far_distance: quantile(distance, FAR_QUANTILE),
        }
    }
}

/// The numeric basis columns of `table` (of its `rows`, or all), by name.
fn numeric_basis(
    table: &Attributes,
    preparation: &BasisPreparation,
    rows: Option<&[usize]>,
) -> Vec<(String, Vec<f64>)> {
    preparation
        .numeric
        .iter()
        .filter_map(|step| {
            let (_, values) = table.numeric.iter().find(|(name, _)| *name == step.name)?;
            let values = match rows {
                Some(rows) => rows.iter().map(|&r| values[r]).collect(),
                None => values.clone(),
            };
            Some((step.name.clone(), values))
        })
        .collect()
}

/// The mean of the finite values (`None` for none).
fn mean(values: &[f64]) -> Option<f64> {
    let (sum, n) = values
        .iter()
        .filter(|v| v.is_finite())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// A snapshot placed in the segments of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Ids of the customers placed, in the order of the joined snapshot.
    pub ids: Vec<String>,
    /// The segment of each customer.
    pub segments: Vec<usize>,
    /// Euclidean distance from each customer to its segment's centre, in the clustered space.
    pub distance: Vec<f64>,
    /// Distance to the nearest other centre (∞ with one segment).
    pub next_distance: Vec<f64>,
    /// A Gaussian mixture's probability that each customer belongs to its
    /// segment (`None` for the other methods).
    pub probability: Option<Vec<f64>>,
    /// Customers of the snapshot not placed, with the basis column they lack
    /// (when the model drops rows with a missing value).
    pub unplaced: Vec<DroppedCustomer>,
    /// How far the snapshot has moved from the training data.
    pub drift: Drift,
}

impl Scores {
    /// Writes `segments.csv` ([`write_csv`](Self::write_csv)), `drift.json`
    /// and `drift.md` into `dir`, creating it; returns their paths.
    pub fn write_files(&self, dir: impl AsRef<Path>, names: &[String], cells: FormulaCells) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let files = vec![dir.join("segments.csv"), dir.join("drift.json"), dir.join("drift.md")];
        self.write_csv(&files[0], names, cells)?;
        let json = serde_json::to_string_pretty(&self.drift).map_err(|e| Error::Serialize {
            what: "drift report",
            message: e.to_string(),
        })?;
        for (path, text) in [(&files[1], json), (&files[2], self.drift.to_markdown(names))] {
            write_text_atomically(path, &text)?;
        }
        Ok(files)
    }

    /// Writes `segments.csv`: customer id, segment, its name (from `names`),
    /// distance to the segment's centre and to the next one, and a Gaussian
    /// mixture's membership probability.
    pub fn write_csv(&self, path: impl AsRef<Path>, names: &[String], cells: FormulaCells) -> Result<()> {
        let mut header = vec!["customer_id", "segment", "name", "distance", "next_distance"];
        if self.probability.is_some() {
            header.push("probability");
        }
        let rows = self.ids.iter().enumerate().map(|(i, id)| {
            let segment = self.segments[i];
            let mut record = vec![
                id.clone(),
                segment.to_string(),
                names.get(segment).cloned().unwrap_or_default(),
                self.distance[i].to_string(),
                self.next_distance[i].to_string(),
            ];
            if let Some(p) = &self.probability {
                record.push(p[i].to_string());
            }
            record
        });
        write_csv(path.as_ref(), &header, rows, cells)
    }
}

impl SegmentationModel {
    /// The model of a fit: `settings` as fitted, with the end of observation used.
    pub(super) fn new(
        settings: &Segmentation,
        preparation: BasisPreparation,
        segments: Segments,
        profiles: &[crate::profile::SegmentProfile],
        training: TrainingData,
    ) -> Self {
        let mut settings = settings.clone();
        settings.features.as_of = training.as_of;
        let mean_of =
            |p: &crate::profile::SegmentProfile, kpi: &str| p.kpis.iter().find(|k| k.name == kpi).and_then(|k| k.mean);
        let value_kpi = ["clv", "monetary"]
            .into_iter()
            .find(|kpi| profiles.iter().all(|p| mean_of(p, kpi).is_some()));
        SegmentationModel {
            schema_version: MODEL_SCHEMA_VERSION,
            segmint_version: crate::VERSION.into(),
            settings,
            preparation,
            segments,
            names: profiles.iter().map(|p| p.name.clone()).collect(),
            playbooks: profiles.iter().map(|p| p.playbook_name().into()).collect(),
            segment_values: profiles
                .iter()
                .map(|p| value_kpi.and_then(|kpi| mean_of(p, kpi)))
                .collect(),
            value_kpi: value_kpi.map(String::from),
            training,
        }
    }

    /// The model as JSON (floats written so that they read back exactly).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialize {
            what: "segmentation model",
            message: e.to_string(),
        })
    }

    /// Writes the model as JSON to `path`, whole or not at all.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let text = self.to_json()?;
        write_text_atomically(path, &text)
    }

    /// The model saved at `path` by [`save`](Self::save).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::read(&text, &path.display().to_string())
    }

    /// A model read from the JSON of [`to_json`](Self::to_json); a file of
    /// another schema version is an error naming both versions.
    pub fn from_json(text: &str) -> Result<Self> {
        Self::read(text, "<model json>")
    }

    fn read(text: &str, source: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<u32>,
        }
        let parse_error = |e: serde_json::Error| Error::Parse {
            path: source.into(),
            line: e.line() as u64,
            column: format!("character {}", e.column()),
            value: String::new(),
            expected: format!("a segmint model.json ({e})"),
        };
        let version = serde_json::from_str::<Version>(text).map_err(parse_error)?;
        if version.schema_version != Some(MODEL_SCHEMA_VERSION) {
            return Err(Error::invalid_parameter(
                "model",
                format!(
                    "{source} ({})",
                    version
                        .schema_version
                        .map_or("no schema_version".into(), |v| format!("schema version {v}"))
                ),
                format!(
                    "a model of schema version {MODEL_SCHEMA_VERSION}, the version this segmint ({}) reads; \
                     refit the segmentation",
                    crate::VERSION
                ),
            ));
        }
        let model: Self = serde_json::from_str(text).map_err(parse_error)?;
        model.check(source)?;
        Ok(model)
    }

    /// Every per-segment list has one entry per segment, and each cluster its own segment.
    fn check(&self, source: &str) -> Result<()> {
        let k = self.segments.n_segments();
        let lengths = [
            ("names", self.names.len()),
            ("playbooks", self.playbooks.len()),
            ("segment_values", self.segment_values.len()),
            ("training.segment_sizes", self.training.segment_sizes.len()),
        ];
        for (field, len) in lengths {
            if len != k {
                return Err(Error::ShapeMismatch {
                    what: format!("{field} of {source} (one per segment)"),
                    expected: k.to_string(),
                    found: len.to_string(),
                });
            }
        }
        self.segments.check()
    }

    /// Places the customers of `data` in the segments, with the features
    /// computed at `as_of` (seconds; `None`: the latest transaction of the
    /// snapshot). Scoring the training data at the training date gives the
    /// training labels.
    pub fn score(&self, data: CustomerData<'_>, as_of: Option<i64>) -> Result<Scores> {
        match self.place(data, as_of)? {
            Placement::Placed(placed) => Ok(placed.scores),
            Placement::NonePlaced(dropped) => Err(Error::InsufficientData {
                what: format!(
                    "no customer of the snapshot could be placed: all {} lack a basis value (first: customer {} without {})",
                    dropped.len(),
                    dropped.first().map_or("", |d| d.id.as_str()),
                    dropped.first().map_or("", |d| d.column.as_str()),
                ),
            }),
        }
    }

    /// [`score`](Self::score), with the joined snapshot the scores were read
    /// from, or the customers left out when none could be placed.
    pub(super) fn place(&self, data: CustomerData<'_>, as_of: Option<i64>) -> Result<Placement> {
        if data.survey.is_some() {
            return Err(Error::invalid_parameter(
                "survey",
                "a survey",
                "transactions or a customer table: scoring survey answers needs the survey's factor model \
                 saved with the segmentation, which model.json does not hold yet",
            ));
        }
        let log = Log::of(&data)?;
        let end = as_of.or_else(|| log.and_then(|log| log.span()).map(|(_, latest)| latest));
        if let (Some(training), Some(now)) = (self.training.as_of, end)
            && now < training
        {
            return Err(Error::invalid_parameter(
                "as_of",
                format_timestamp(now),
                format!(
                    "a date at or after the end of the training period ({})",
                    self.training.period_end
                ),
            ));
        }
        let mut settings = self.settings.clone();
        settings.features.as_of = as_of;
        let mut notes = Vec::new();
        let behaviour = log
            .map(|log| settings.behaviour(log, data.sources, &mut notes))
            .transpose()?;
        let sources = sources_of(behaviour.as_ref(), &data, None);
        let joined = super::join::join(&sources, &settings.basis)?;
        let prepared = self.preparation.transform(&joined.table)?;
        if prepared.rows.is_empty() {
            return Ok(Placement::NonePlaced(prepared.dropped));
        }
        let segments = self.segments.predict(prepared.rows())?;
        let encoded = prepared.rows().encoded();
        let centres = self.segments.centres();
        let (distance, next_distance) = distances(&encoded, &centres, &segments);
        let probability = match &self.segments.model {
            ClusterModel::GaussianMixture { model, .. } => Some(
                model
                    .predict_proba(encoded.view())?
                    .rows()
                    .into_iter()
                    .map(|p| p.iter().copied().fold(0.0, f64::max))
                    .collect(),
            ),
            _ => None,
        };
        let columns: Vec<Vec<f64>> = numeric_basis(&joined.table, &self.preparation, Some(&prepared.rows))
            .into_iter()
            .map(|(_, values)| values)
            .collect();
        let mut sizes_now = vec![0; self.names.len()];
        for &s in &segments {
            sizes_now[s] += 1;
        }
        let drift = Drift::measure(
            &self.training.basis_bins,
            &columns,
            &distance,
            self.training.far_distance,
            self.training.segment_sizes.clone(),
            sizes_now,
        );
        let scores = Scores {
            ids: prepared.rows.iter().map(|&r| joined.table.ids[r].clone()).collect(),
            segments,
            distance,
            next_distance,
            probability,
            unplaced: prepared.dropped,
            drift,
        };
        Ok(Placement::Placed(Box::new(Placed {
            scores,
            table: joined.table,
            rows: prepared.rows,
        })))
    }
}

/// What placing a snapshot gave.
pub(super) enum Placement {
    /// At least one customer placed.
    Placed(Box<Placed>),
    /// No customer placed: each one left out, with the basis column it lacks.
    NonePlaced(Vec<DroppedCustomer>),
}

/// Scores and the snapshot they were read from.
pub(super) struct Placed {
    pub scores: Scores,
    /// The snapshot's sources joined on the customer id.
    pub table: Attributes,
    /// The rows of `table` placed, in the order of the scores.
    pub rows: Vec<usize>,
}

/// Each row's distance to its own centre and to the nearest other one.
pub(super) fn distances(rows: &Array2<f64>, centres: &Array2<f64>, labels: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let width = centres.ncols().min(rows.ncols());
    let distance = |row: ArrayView1<'_, f64>, c: usize| -> f64 {
        let centre = centres.row(c);
        (0..width).map(|j| (row[j] - centre[j]).powi(2)).sum::<f64>().sqrt()
    };
    rows.rows()
        .into_iter()
        .zip(labels)
        .map(|(row, &own)| {
            let next = (0..centres.nrows())
                .filter(|&c| c != own)
                .map(|c| distance(row, c))
                .fold(f64::INFINITY, f64::min);
            (distance(row, own), next)
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Transactions;
    use crate::pipeline::DriftVerdict;
    use crate::synth::{SynthParams, generate};

    fn trained() -> (Transactions, i64, super::super::SegmentationResult) {
        let base = generate(&SynthParams::new(600, 9)).unwrap();
        let result = Segmentation::new()
            .seed(4)
            .as_of(base.as_of)
            .fit(&base.transactions, None)
            .unwrap();
        (base.transactions, base.as_of, result)
    }

    fn log(tx: &Transactions) -> CustomerData<'_> {
        CustomerData {
            transactions: Some(tx),
            ..CustomerData::default()
        }
    }

    #[test]
    fn scoring_the_training_snapshot_gives_the_training_labels_after_a_round_trip() {
        let (tx, as_of, result) = trained();
        let json = result.model.to_json().unwrap();
        let model = SegmentationModel::from_json(&json).unwrap();
        assert_eq!(model.to_json().unwrap(), json);
        let scores = model.score(log(&tx), Some(as_of)).unwrap();
        assert_eq!(scores.ids, result.features.ids());
        assert_eq!(scores.segments, result.labels);
        assert!(scores.unplaced.is_empty());
        for (own, next) in scores.distance.iter().zip(&scores.next_distance) {
            assert!(own.is_finite() && own <= next, "{own} > {next}");
        }
        assert_eq!(model.training.customers, result.labels.len());
        // The training snapshot has not drifted from itself.
        assert_eq!(scores.drift.verdict, DriftVerdict::Stable);
        assert!(scores.drift.features.iter().all(|f| f.psi.abs() < 1e-12));
        assert!(
            scores.drift.far_share <= 1.0 - FAR_QUANTILE + 1e-12,
            "{}",
            scores.drift.far_share
        );
        assert_eq!(scores.drift.sizes_now, scores.drift.sizes_then);
        assert_eq!(model.names.len(), result.report.segments.len());
    }

    #[test]
    fn a_customer_table_model_without_a_value_kpi_reads_back_and_scores_its_customers() {
        let base = generate(&SynthParams::new(400, 6)).unwrap();
        let table = CustomerData {
            sources: crate::features::Sources {
                customers: Some(&base.customers),
                ..Default::default()
            },
            ..CustomerData::default()
        };
        let mut settings = Segmentation::new().seed(5);
        settings.validate = None;
        let result = settings.fit_data(table).unwrap();
        assert!(result.model.value_kpi.is_none());
        let model = SegmentationModel::from_json(&result.model.to_json().unwrap()).unwrap();
        assert!(model.segment_values.iter().all(Option::is_none));
        assert_eq!(model.score(table, None).unwrap().segments, result.labels);
    }

    #[test]
    fn a_model_whose_lists_do_not_match_its_segments_is_refused() {
        let (_, _, result) = trained();
        let mut broken = result.model.clone();
        broken.names.pop();
        let err = SegmentationModel::from_json(&broken.to_json().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("names") && err.contains('4') && err.contains('3'), "{err}");
        let mut shuffled = result.model.clone();
        shuffled.segments.segment_of = vec![0, 0, 1, 2];
        let err = SegmentationModel::from_json(&shuffled.to_json().unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("segment_of"), "{err}");
    }

    #[test]
    fn a_gaussian_mixture_gives_each_customer_its_membership_probability() {
        let base = generate(&SynthParams::new(500, 4)).unwrap();
        let mut settings = Segmentation::new().seed(2).as_of(base.as_of);
        settings.method = crate::cluster::Method::Gmm;
        settings.validate = None;
        let result = settings.fit(&base.transactions, None).unwrap();
        let scores = result.model.score(log(&base.transactions), Some(base.as_of)).unwrap();
        assert_eq!(scores.segments, result.labels);
        let k = result.model.names.len() as f64;
        let probability = scores.probability.expect("a mixture's probabilities");
        assert!(probability.iter().all(|&p| p >= 1.0 / k - 1e-12 && p <= 1.0 + 1e-12));
        let (_, _, kmeans) = trained();
        assert!(
            kmeans
                .model
                .score(log(&base.transactions), Some(base.as_of))
                .unwrap()
                .probability
                .is_none()
        );
    }

    #[test]
    fn a_model_of_another_schema_version_or_a_date_before_training_is_refused() {
        let (tx, as_of, result) = trained();
        let json = result.model.to_json().unwrap().replacen(
            &format!("\"schema_version\": {MODEL_SCHEMA_VERSION}"),
            "\"schema_version\": 99",
            1,
        );
        let err = SegmentationModel::from_json(&json).unwrap_err().to_string();
        assert!(
            err.contains("schema version 99") && err.contains(&format!("schema version {MODEL_SCHEMA_VERSION}")),
            "{err}"
        );
        let err = SegmentationModel::from_json("{\"schema_version\": 1, \"nonsense\": true}").unwrap_err();
        assert!(err.to_string().contains("model.json"), "{err}");
        let err = result
            .model
            .score(log(&tx), Some(as_of - 86_400))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("as_of") && err.contains(&result.model.training.period_end),
            "{err}"
        );
    }
}
