//! Writing the report files of one segmentation to a directory.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::SegmentReport;
use crate::error::{Error, Result};

/// The files written by [`write_report_files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// `report.json`.
    pub json: PathBuf,
    /// `report.md`.
    pub markdown: PathBuf,
    /// `report.html`, the dashboard.
    pub html: PathBuf,
    /// `segments.csv` (customer id, segment).
    pub segments: PathBuf,
}

/// Writes `report.json`, `report.md`, `report.html` and `segments.csv` into `dir`, creating it.
pub fn write_report_files(
    dir: impl AsRef<Path>,
    report: &SegmentReport,
    customer_ids: &[String],
    labels: &[usize],
) -> Result<ReportFiles> {
    let dir = dir.as_ref();
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let files = ReportFiles {
        json: dir.join("report.json"),
        markdown: dir.join("report.md"),
        html: dir.join("report.html"),
        segments: dir.join("segments.csv"),
    };
    fs::write(&files.json, report.to_json()?).map_err(|e| Error::io(&files.json, e))?;
    fs::write(&files.markdown, report.to_markdown()).map_err(|e| Error::io(&files.markdown, e))?;
    fs::write(&files.html, report.to_html()?).map_err(|e| Error::io(&files.html, e))?;
    write_segments_csv(&files.segments, customer_ids, labels)?;
    Ok(files)
}

/// Writes `customer_id,segment` rows, quoting ids where CSV needs it.
pub fn write_segments_csv(path: impl AsRef<Path>, customer_ids: &[String], labels: &[usize]) -> Result<()> {
    let path = path.as_ref();
    if customer_ids.len() != labels.len() {
        return Err(Error::ShapeMismatch {
            what: "labels (one per customer id)".into(),
            expected: customer_ids.len().to_string(),
            found: labels.len().to_string(),
        });
    }
    let file = fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut csv = csv::Writer::from_writer(BufWriter::new(file));
    let csv_err = |e: csv::Error| Error::Serialize {
        what: "segments.csv",
        message: e.to_string(),
    };
    csv.write_record(["customer_id", "segment"]).map_err(csv_err)?;
    for (id, label) in customer_ids.iter().zip(labels) {
        csv.write_record([id.as_str(), &label.to_string()]).map_err(csv_err)?;
    }
    let mut inner = csv.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    inner.flush().map_err(|e| Error::io(path, e))
}
