//! The segmentation report: one serde document, [`SegmentReport`] (its schema
//! in docs/report-schema.md, versioned by [`REPORT_SCHEMA_VERSION`]), rendered
//! as JSON, Markdown (`markdown.rs`), a terminal summary (`text.rs`) and the
//! HTML dashboard (`html.rs` over `templates/dashboard.html`, charts in
//! `charts.rs`), and the files the CLI writes (`write.rs`).

mod charts;
mod html;
pub(crate) mod markdown;
mod text;
mod write;

use serde::{Deserialize, Serialize};

use crate::data::{IngestAudit, JoinReport};
use crate::error::{Error, Result};
use crate::preprocess::MissingValues;
use crate::profile::SegmentProfile;
use crate::select::KSelection;
use crate::validate::Scorecard;

pub(crate) use charts::css_colour;
pub(crate) use html::thousands;
pub use text::render_text;
pub use write::{ReportFiles, write_report_files, write_report_files_with, write_segments_csv};

/// The version of the report's JSON layout (docs/report-schema.md). It goes
/// up when a field changes meaning or disappears; added fields keep it.
pub const REPORT_SCHEMA_VERSION: u32 = 2;

/// Reads a number that JSON may hold as `null`: serde_json writes NaN (an
/// index of a k that could not be fitted, Ward's inertia) as `null`, and a
/// report must read back what it wrote.
pub(crate) fn f64_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Option::<f64>::deserialize(d).map(|v| v.unwrap_or(f64::NAN))
}

/// Reports written before the version was recorded.
fn schema_version_1() -> u32 {
    1
}

/// Everything known about one segmentation, ready to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentReport {
    /// Layout version of this document ([`REPORT_SCHEMA_VERSION`] when written by this segmint).
    #[serde(default = "schema_version_1")]
    pub schema_version: u32,
    /// Report title.
    pub title: String,
    /// Version of segmint that produced it.
    pub segmint_version: String,
    /// What went in.
    pub data: DataSummary,
    /// Which features were clustered and how they were prepared.
    pub features: FeatureSummary,
    /// The clustering run.
    pub clustering: ClusteringSummary,
    /// One profile per segment, largest first.
    pub segments: Vec<SegmentProfile>,
    /// How k was chosen, when it was chosen automatically.
    #[serde(default)]
    pub k_selection: Option<KSelection>,
    /// The MASDA scorecard, when the segmentation was validated.
    #[serde(default)]
    pub scorecard: Option<Scorecard>,
}

/// The input data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSummary {
    /// Where the data came from.
    pub source: String,
    /// Transaction lines used.
    pub n_transactions: usize,
    /// Customers segmented.
    pub n_customers: usize,
    /// First transaction (`YYYY-MM-DD HH:MM:SS`).
    pub period_start: String,
    /// End of the observation window.
    pub period_end: String,
    /// How the input rows were read, when they came from a file.
    pub audit: Option<IngestAudit>,
    /// How each source's customer ids matched the customers segmented.
    #[serde(default)]
    pub joins: Vec<JoinReport>,
}

/// The features clustered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSummary {
    /// Feature columns, in clustering order.
    pub columns: Vec<String>,
    /// Columns passed through `sign(x)·ln(1+|x|)` before scaling.
    pub log_transformed: Vec<String>,
    /// Whether columns were standardised (z-scores) before clustering.
    pub standardised: bool,
    /// What could not be computed and why (e.g. predictive CLV without repeat buyers).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The basis columns and how their missing values were handled.
    #[serde(default)]
    pub basis: Option<BasisSummary>,
}

/// The basis: its columns by kind and what happened to missing values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasisSummary {
    /// Numeric basis columns.
    pub numeric: Vec<String>,
    /// Categorical basis columns (one-hot in `columns`, codes for k-prototypes).
    pub categorical: Vec<String>,
    /// Imputed, or rows dropped.
    pub missing: MissingValues,
    /// Cells imputed per column.
    pub imputed: Vec<(String, usize)>,
    /// Customers left out for a missing basis value.
    pub dropped_customers: usize,
}

/// The clustering run and its diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusteringSummary {
    /// Algorithm name.
    pub algorithm: String,
    /// Number of segments.
    pub n_clusters: usize,
    /// Seed.
    pub seed: u64,
    /// Independent runs made.
    pub n_init: usize,
    /// The method's objective (k-means: within-segment sum of squares in the
    /// standardised space); NaN (`null`) for Ward.
    #[serde(deserialize_with = "f64_or_nan")]
    pub inertia: f64,
    /// Iterations of the kept run.
    pub n_iter: usize,
    /// Whether the kept run converged.
    pub converged: bool,
}

impl SegmentReport {
    /// Pretty-printed JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialize {
            what: "segment report",
            message: e.to_string(),
        })
    }

    /// Reads a report back from JSON.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Parse {
            path: "<report json>".into(),
            line: e.line() as u64,
            column: format!("character {}", e.column()),
            value: String::new(),
            expected: format!("a segmint report ({e})"),
        })
    }

    /// A Markdown document for people.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }

    /// A self-contained HTML dashboard (inline CSS and SVG, no scripts, no
    /// network requests); every string from the data is escaped.
    pub fn to_html(&self) -> Result<String> {
        html::render(self)
    }
}
