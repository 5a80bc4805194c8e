//! What the commands print on the terminal and write to the output directory.

use std::path::PathBuf;

use anyhow::Result;
use segmint::data::{FormulaCells, IngestAudit};
use segmint::pipeline::{DriftVerdict, Migration, Scores, SegmentationModel, SegmentationResult};
use segmint::report::{render_text, write_report_files_with};
use segmint::synth::Attitude;

pub(crate) fn print_audit(audit: &IngestAudit) {
    println!(
        "read {} rows from {}: kept {} ({} returns), dropped {}",
        audit.rows_read,
        audit.source,
        audit.rows_kept,
        audit.return_rows,
        audit.rows_dropped()
    );
    for (reason, rows) in &audit.dropped {
        println!("  dropped {:>9}  {}", rows.count, reason.describe());
    }
    if audit.duplicate_rows > 0 && audit.dropped_for(segmint::data::DropReason::DuplicateLine) == 0 {
        println!(
            "  {} rows repeat an earlier row exactly (kept; --drop-duplicates drops them)",
            audit.duplicate_rows
        );
    }
    if let Some(rows) = audit.dropped.get(&segmint::data::DropReason::FutureDate) {
        let first = &rows.examples[0];
        eprintln!(
            "warning: {} rows are dated after the end of observation (--as-of) and were left out, \
             e.g. line {} dated {}",
            rows.count, first.line, first.value
        );
    }
    if let Some(late) = &audit.late_dates {
        eprintln!("warning: {}", late.describe());
    }
}

/// Writes the three files and prints the summary table.
pub(crate) fn finish(out: &PathBuf, result: &SegmentationResult, cells: FormulaCells) -> Result<()> {
    let files = write_report_files_with(out, &result.report, result.features.ids(), &result.labels, cells)?;
    let model = out.join("model.json");
    result.model.save(&model)?;
    print!("{}", render_text(&result.report));
    println!(
        "\nwrote {}, {}, {}, {} and {}",
        files.json.display(),
        files.markdown.display(),
        files.html.display(),
        files.segments.display(),
        model.display()
    );
    Ok(())
}

/// The biggest movements of a migration and the files written.
pub(crate) fn print_migration(migration: &Migration, files: &[PathBuf]) {
    println!("Segment migration from {} to {}", migration.from, migration.to);
    for line in migration.headlines(5) {
        println!("  {line}");
    }
    let written: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    println!("\nwrote {}", written.join(", "));
}

/// Customers scored, left out, and each segment's size at training and now.
pub(crate) fn scoring_summary(model: &SegmentationModel, scores: &Scores) -> String {
    let mut text = format!(
        "{} customers placed in the {} segments of a model trained on {} customers to {}",
        scores.ids.len(),
        model.names.len(),
        model.training.customers,
        model.training.period_end
    );
    if !scores.unplaced.is_empty() {
        let first = &scores.unplaced[0];
        text += &format!(
            "; {} not placed (a missing basis value), e.g. customer {} without {}",
            scores.unplaced.len(),
            first.id,
            first.column
        );
    }
    text += &format!(
        "\n{:>7} {:<32} {:>12} {:>12}\n",
        "segment", "name", "at training", "now"
    );
    let now = &scores.drift.sizes_now;
    for (s, name) in model.names.iter().enumerate() {
        let then = model.training.segment_sizes.get(s).copied().unwrap_or(0);
        let share = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
        text += &format!(
            "{s:>7} {name:<32} {:>11.1}% {:>11.1}%\n",
            share(then, model.training.customers),
            share(now[s], scores.ids.len())
        );
    }
    text += &format!("drift since training: {}", scores.drift.verdict.label());
    let moved: Vec<String> = scores
        .drift
        .features
        .iter()
        .filter(|f| f.verdict != DriftVerdict::Stable)
        .map(|f| format!("{} (PSI {:.2})", f.name, f.psi))
        .collect();
    if !moved.is_empty() {
        text += &format!("; moved: {}", moved.join(", "));
    }
    text += &format!(
        "; {:.1}% of the customers far from every segment\n",
        100.0 * scores.drift.far_share
    );
    text
}

pub(crate) fn print_measurement(m: &segmint::pipeline::SurveyMeasurement) {
    println!(
        "{} respondents, {} items: KMO {:.3} ({}), Bartlett χ² {:.0} (df {}, p {:.1e})",
        m.scores.nrows(),
        m.items.len(),
        m.kmo.overall,
        m.kmo.band.name(),
        m.bartlett.statistic,
        m.bartlett.df,
        m.bartlett.p_value
    );
    println!("{} factors (minres, varimax); scales:", m.factors.n_factors());
    for scale in &m.scales {
        println!(
            "  {:<12} α = {:.3}  {}",
            scale.name,
            scale.alpha,
            scale.items.join(", ")
        );
    }
}

/// The generator's true attitude of each named segment.
pub(crate) fn print_true_attitudes(survey: &segmint::synth::Survey, result: &SegmentationResult) {
    let attitude_of: std::collections::HashMap<&str, Attitude> = survey
        .ids
        .iter()
        .map(String::as_str)
        .zip(survey.attitudes.iter().copied())
        .collect();
    println!("\nTrue attitudes in each named segment (the generator's ground truth):");
    for profile in &result.report.segments {
        let members: Vec<Attitude> = result
            .features
            .ids()
            .iter()
            .zip(&result.labels)
            .filter(|(_, l)| **l == profile.segment)
            .filter_map(|(id, _)| attitude_of.get(id.as_str()).copied())
            .collect();
        let (top, count) = Attitude::ALL
            .iter()
            .map(|a| (a, members.iter().filter(|m| *m == a).count()))
            .max_by_key(|(_, c)| *c)
            .expect("four attitudes");
        println!(
            "  segment {} \"{}\": {:.0}% {}",
            profile.segment,
            profile.name,
            100.0 * count as f64 / members.len().max(1) as f64,
            top.name()
        );
    }
}
