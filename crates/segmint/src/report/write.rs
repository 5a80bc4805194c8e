//! Writing the report files of one segmentation to a directory.
//!
//! Each file is written whole under a temporary name first; then they are
//! renamed into place with `report.json` last, so that a complete
//! `report.json` means the whole set is there and of one run.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::SegmentReport;
use crate::data::{FormulaCells, Staged};
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
    write_report_files_with(dir, report, customer_ids, labels, FormulaCells::default())
}

/// [`write_report_files`], the text cells of `segments.csv` as `cells` says.
pub fn write_report_files_with(
    dir: impl AsRef<Path>,
    report: &SegmentReport,
    customer_ids: &[String],
    labels: &[usize],
    cells: FormulaCells,
) -> Result<ReportFiles> {
    let dir = dir.as_ref();
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let files = ReportFiles {
        json: dir.join("report.json"),
        markdown: dir.join("report.md"),
        html: dir.join("report.html"),
        segments: dir.join("segments.csv"),
    };
    // All staged before any is renamed: a failure leaves the older set as it was.
    let staged = [
        stage_segments_csv(&files.segments, customer_ids, labels, cells)?,
        stage_text(&files.html, &report.to_html()?)?,
        stage_text(&files.markdown, &report.to_markdown())?,
        stage_text(&files.json, &report.to_json()?)?,
    ];
    for file in staged {
        file.commit()?;
    }
    Ok(files)
}

fn stage_text(path: &Path, text: &str) -> Result<Staged> {
    Staged::write(path, |out| {
        out.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
    })
}

/// Writes `customer_id,segment` rows, quoting ids where CSV needs it and
/// neutralising ids a spreadsheet would run as formulas.
pub fn write_segments_csv(path: impl AsRef<Path>, customer_ids: &[String], labels: &[usize]) -> Result<()> {
    stage_segments_csv(path.as_ref(), customer_ids, labels, FormulaCells::default())?.commit()
}

fn stage_segments_csv(path: &Path, customer_ids: &[String], labels: &[usize], cells: FormulaCells) -> Result<Staged> {
    if customer_ids.len() != labels.len() {
        return Err(Error::ShapeMismatch {
            what: "labels (one per customer id)".into(),
            expected: customer_ids.len().to_string(),
            found: labels.len().to_string(),
        });
    }
    Staged::write(path, |out| {
        let mut csv = csv::Writer::from_writer(out);
        let csv_err = |e: csv::Error| Error::Serialize {
            what: "segments.csv",
            message: e.to_string(),
        };
        csv.write_record(["customer_id", "segment"]).map_err(csv_err)?;
        for (id, label) in customer_ids.iter().zip(labels) {
            csv.write_record([&*cells.cell(id), &label.to_string()])
                .map_err(csv_err)?;
        }
        csv.flush().map_err(|e| Error::io(path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Segmentation;
    use crate::synth::{SynthParams, generate};

    #[test]
    fn a_failed_write_leaves_the_older_set_whole() {
        let base = generate(&SynthParams::new(400, 2)).unwrap();
        let mut segmentation = Segmentation::new().k(3).seed(2).as_of(base.as_of);
        segmentation.validate = None;
        let result = segmentation.fit(&base.transactions, None).unwrap();
        let dir = std::env::temp_dir().join(format!("segmint-report-set-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let ids = result.features.ids();
        let files = write_report_files(&dir, &result.report, ids, &result.labels).unwrap();
        let before: Vec<String> = [&files.json, &files.markdown, &files.html, &files.segments]
            .iter()
            .map(|p| fs::read_to_string(p).unwrap())
            .collect();
        // One label short: segments.csv cannot be written, so nothing is replaced.
        let short = &result.labels[1..];
        assert!(write_report_files(&dir, &result.report, ids, short).is_err());
        let after: Vec<String> = [&files.json, &files.markdown, &files.html, &files.segments]
            .iter()
            .map(|p| fs::read_to_string(p).unwrap())
            .collect();
        assert_eq!(before, after);
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
        let _ = fs::remove_dir_all(&dir);
    }
}
