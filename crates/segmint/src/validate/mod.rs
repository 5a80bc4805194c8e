//! The MASDA scorecard: is each segment **M**easurable, **A**ccessible,
//! **S**ubstantial, **D**ifferentiable and **A**ctionable?
//!
//! Every check gives a value, the threshold it was held to, a verdict (pass,
//! warn, fail, or not assessed when the data to judge it are missing) and a
//! one-line reason. Checks are made for the whole segmentation and for each
//! segment; a criterion's verdict is its worst assessed check. Thresholds are
//! data ([`Thresholds`], serde) with published defaults (docs/methodology.md).

mod checks;
mod thresholds;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{KruskalWallis, MethodResampling, PredictionStrength, Stability};

pub use thresholds::{Band, Thresholds};

/// The five MASDA criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// Size and characteristics can be measured.
    Measurable,
    /// The segment can be reached.
    Accessible,
    /// The segment is large or valuable enough to serve.
    Substantial,
    /// The segment differs from the others.
    Differentiable,
    /// The segment is stable and maps to its own strategy.
    Actionable,
}

impl Criterion {
    /// All five, in MASDA order.
    pub const ALL: [Criterion; 5] = [
        Criterion::Measurable,
        Criterion::Accessible,
        Criterion::Substantial,
        Criterion::Differentiable,
        Criterion::Actionable,
    ];

    /// The criterion's name, capitalised.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::Measurable => "Measurable",
            Criterion::Accessible => "Accessible",
            Criterion::Substantial => "Substantial",
            Criterion::Differentiable => "Differentiable",
            Criterion::Actionable => "Actionable",
        }
    }
}

/// The outcome of a check. Ordered from best to worst; `NotAssessed` is
/// never a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Meets the threshold.
    Pass,
    /// Between the pass and fail thresholds.
    Warn,
    /// Below the fail threshold.
    Fail,
    /// The data to judge it are missing.
    NotAssessed,
}

impl Verdict {
    /// Lower-case label (`pass`, `warn`, `fail`, `not assessed`).
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::NotAssessed => "not assessed",
        }
    }

    /// The worst assessed verdict; `NotAssessed` when none was assessed.
    pub fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts
            .into_iter()
            .filter(|v| *v != Verdict::NotAssessed)
            .max()
            .unwrap_or(Verdict::NotAssessed)
    }
}

/// One measured check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The MASDA criterion it serves.
    pub criterion: Criterion,
    /// What was measured (`share of customers`, `bootstrap stability` …).
    pub measure: String,
    /// The measured value, when there is one.
    pub value: Option<f64>,
    /// The threshold applied, in words (`pass ≥ 0.75, fail < 0.60`).
    pub threshold: String,
    /// The outcome.
    pub verdict: Verdict,
    /// Why, in one line.
    pub reason: String,
}

/// The checks of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentScorecard {
    /// Segment number.
    pub segment: usize,
    /// Every check, in MASDA order.
    pub checks: Vec<Check>,
    /// The closest other segment (centroid distance in standard deviations).
    pub nearest_segment: Option<usize>,
    /// Distance to that segment's centroid, in standard deviations of the features.
    pub separation: Option<f64>,
}

/// How one clustering feature differs across segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSeparation {
    /// Feature name.
    pub feature: String,
    /// Between-segment share of variance (NaN for a constant feature).
    pub eta_squared: f64,
    /// Cohen's band of η² (`large`, `medium`, `small`, `negligible`, `undefined`).
    pub band: String,
    /// The Kruskal–Wallis test (absent for a constant feature or one segment).
    pub kruskal_wallis: Option<KruskalWallis>,
}

/// The MASDA scorecard of a segmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Checks of the segmentation as a whole.
    pub overall: Vec<Check>,
    /// Checks of each segment.
    pub segments: Vec<SegmentScorecard>,
    /// Separation of every clustering feature.
    pub features: Vec<FeatureSeparation>,
    /// Bootstrap stability per segment (absent with one segment).
    pub stability: Option<Stability>,
    /// Prediction strength of k (absent with one segment or too few rows).
    pub prediction_strength: Option<PredictionStrength>,
    /// Rows used for the resampling checks and the silhouette (a seeded
    /// sample when the base is larger than `ValidateOptions::sample_rows`).
    pub rows_sampled: usize,
    /// The thresholds applied.
    pub thresholds: Thresholds,
}

impl Scorecard {
    /// The verdict of a criterion for the whole segmentation (its worst overall check).
    pub fn verdict(&self, criterion: Criterion) -> Verdict {
        Verdict::worst(
            self.overall
                .iter()
                .filter(|c| c.criterion == criterion)
                .map(|c| c.verdict),
        )
    }

    /// The verdict of a criterion for one segment (its worst check).
    pub fn segment_verdict(&self, segment: usize, criterion: Criterion) -> Verdict {
        self.segments
            .iter()
            .filter(|s| s.segment == segment)
            .flat_map(|s| &s.checks)
            .filter(|c| c.criterion == criterion)
            .map(|c| c.verdict)
            .fold(Verdict::NotAssessed, |a, b| Verdict::worst([a, b]))
    }
}

/// Reliability of one survey scale (Cronbach's α).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleReliability {
    /// Scale name.
    pub name: String,
    /// Cronbach's α.
    pub alpha: f64,
    /// Items in the scale.
    pub n_items: usize,
}

/// What the scorecard is computed from. Only `x`, `feature_names` and
/// `labels` are required; a missing source makes its checks "not assessed".
#[derive(Debug, Clone, Copy)]
pub struct ValidationInput<'a> {
    /// The matrix that was clustered (finite), one row per customer.
    pub x: ArrayView2<'a, f64>,
    /// Its column names.
    pub feature_names: &'a [String],
    /// Segment of each row, numbered 0..k.
    pub labels: &'a [usize],
    /// The clustering features before preparation, NaN where missing (for
    /// completeness); `None`: `x` itself.
    pub raw: Option<ArrayView2<'a, f64>>,
    /// Net revenue per customer.
    pub revenue: Option<&'a [f64]>,
    /// Customer lifetime value per customer.
    pub value: Option<&'a [f64]>,
    /// Whether each customer can be reached on at least one opted-in channel.
    pub reachable: Option<&'a [bool]>,
    /// Survey scales and their reliability.
    pub scales: &'a [ScaleReliability],
    /// The strategy (archetype or playbook) each segment maps to, by segment.
    pub strategies: Option<&'a [String]>,
    /// The method that formed the segments, refitted by the stability and
    /// prediction-strength checks on `x` as its layout says (`None`: k-means
    /// with [`ValidateOptions::n_init`] runs).
    pub method: Option<&'a MethodResampling>,
}

impl<'a> ValidationInput<'a> {
    /// An input with only the clustered matrix and the labels.
    pub fn new(x: ArrayView2<'a, f64>, feature_names: &'a [String], labels: &'a [usize]) -> Self {
        ValidationInput {
            x,
            feature_names,
            labels,
            raw: None,
            revenue: None,
            value: None,
            reachable: None,
            scales: &[],
            strategies: None,
            method: None,
        }
    }
}

/// How hard to look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValidateOptions {
    /// The thresholds.
    pub thresholds: Thresholds,
    /// Bootstrap replicates for stability (fpc's default: 100).
    pub replicates: usize,
    /// Random halvings for prediction strength (fpc's default: 50).
    pub splits: usize,
    /// k-means runs per refit (fpc's default: 1).
    pub n_init: usize,
    /// Largest number of rows used by the silhouette and the resampling checks.
    pub sample_rows: usize,
    /// Seed of the sample, the resamples and the refits.
    pub seed: u64,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            thresholds: Thresholds::default(),
            replicates: 100,
            splits: 50,
            n_init: 1,
            sample_rows: 10_000,
            seed: 0,
        }
    }
}

/// Computes the MASDA scorecard.
pub fn validate(input: &ValidationInput<'_>, options: &ValidateOptions) -> Result<Scorecard> {
    let k = check_input(input)?;
    options.thresholds.check()?;
    if options.replicates == 0 || options.splits == 0 || options.sample_rows < 2 {
        return Err(Error::invalid_parameter(
            "replicates/splits/sample_rows",
            format!("{}/{}/{}", options.replicates, options.splits, options.sample_rows),
            "replicates ≥ 1, splits ≥ 1, sample_rows ≥ 2",
        ));
    }
    checks::scorecard(input, k, options)
}

fn check_input(input: &ValidationInput<'_>) -> Result<usize> {
    let n = input.x.nrows();
    crate::check::non_empty("X", input.x)?;
    crate::check::finite("X", input.x)?;
    let same_length = |what: &str, len: usize, expected: usize| {
        if len == expected {
            Ok(())
        } else {
            Err(Error::ShapeMismatch {
                what: what.into(),
                expected: expected.to_string(),
                found: len.to_string(),
            })
        }
    };
    same_length("labels (one per row of X)", input.labels.len(), n)?;
    same_length(
        "feature_names (one per column of X)",
        input.feature_names.len(),
        input.x.ncols(),
    )?;
    if let Some(raw) = input.raw {
        same_length("raw features (rows)", raw.nrows(), n)?;
        same_length("raw features (columns)", raw.ncols(), input.x.ncols())?;
    }
    for (what, len) in [
        ("revenue (one per customer)", input.revenue.map(<[f64]>::len)),
        ("value (one per customer)", input.value.map(<[f64]>::len)),
        ("reachable (one per customer)", input.reachable.map(<[bool]>::len)),
    ] {
        if let Some(len) = len {
            same_length(what, len, n)?;
        }
    }
    let k = input.labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0usize; k];
    input.labels.iter().for_each(|&l| sizes[l] += 1);
    if let Some(empty) = sizes.iter().position(|&s| s == 0) {
        return Err(Error::invalid_parameter(
            "labels",
            format!("no customer in segment {empty}"),
            format!("segments numbered 0..{k}, each with at least one customer"),
        ));
    }
    if let Some(strategies) = input.strategies {
        same_length("strategies (one per segment)", strategies.len(), k)?;
    }
    Ok(k)
}

#[cfg(test)]
mod tests;
