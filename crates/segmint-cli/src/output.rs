//! What the commands print on the terminal and write to the output directory.

use std::path::PathBuf;

use anyhow::Result;
use segmint::data::{FormulaCells, IngestAudit};
use segmint::pipeline::SegmentationResult;
use segmint::report::write_report_files_with;
use segmint::synth::Attitude;
use segmint::validate::{Criterion, Scorecard, Verdict};

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

/// Column headers narrowed for the terminal table.
pub(crate) fn short(name: &str) -> &str {
    match name {
        "discount_order_share" => "promo_share",
        "new_product_share" => "new_products",
        "engagement_score" => "engagement",
        other => other,
    }
}

/// Writes the three files and prints the summary table.
pub(crate) fn finish(out: &PathBuf, result: &SegmentationResult, cells: FormulaCells) -> Result<()> {
    let files = write_report_files_with(out, &result.report, result.features.ids(), &result.labels, cells)?;
    print_summary(result);
    println!(
        "\nwrote {}, {}, {} and {}",
        files.json.display(),
        files.markdown.display(),
        files.html.display(),
        files.segments.display()
    );
    Ok(())
}

pub(crate) fn print_summary(result: &SegmentationResult) {
    let r = &result.report;
    if let Some(sel) = &r.k_selection {
        println!("\nChoosing k: {}", sel.reason);
        println!(
            "{:>4} {:>12} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9}",
            "k", "inertia", "silhouette", "CH", "DB", "gap", "stability", "smallest"
        );
        let or_dash = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
        for s in &sel.table {
            println!(
                "{:>4} {:>12.1} {:>10.3} {:>10.1} {:>8.3} {:>8} {:>9} {:>8.1}%{}",
                s.k,
                s.inertia,
                s.silhouette,
                s.calinski_harabasz,
                s.davies_bouldin,
                or_dash(s.gap),
                or_dash(s.stability),
                100.0 * s.smallest_share,
                if s.k == sel.recommended { "  <- chosen" } else { "" }
            );
        }
    }
    let c = &r.clustering;
    println!(
        "\n{} customers in {} segments ({}, seed {}, cost {:.1}, {} iterations{})\n",
        r.data.n_customers,
        c.n_clusters,
        c.algorithm,
        c.seed,
        c.inertia,
        c.n_iter,
        if c.converged { "" } else { ", not converged" }
    );
    // The clustered features and the behavioural KPIs a marketer looks at first; report.md has them all.
    let shown = |name: &str| {
        r.features.columns.iter().any(|c| c == name)
            || [
                "discount_order_share",
                "new_product_share",
                "engagement_score",
                "p_alive",
                "clv",
            ]
            .contains(&name)
    };
    let names: Vec<&str> = r.segments[0]
        .kpis
        .iter()
        .map(|k| k.name.as_str())
        .filter(|n| shown(n))
        .collect();
    print!("{:>7} {:>9} {:>7} {:>8}", "segment", "customers", "share", "revenue");
    for name in &names {
        print!(" {:>12}", short(name));
    }
    println!();
    for s in &r.segments {
        let revenue = s.revenue_share.map_or("-".into(), |v| format!("{:.1}%", 100.0 * v));
        print!(
            "{:>7} {:>9} {:>6.1}% {:>8}",
            s.segment,
            s.size,
            100.0 * s.share,
            revenue
        );
        for k in s.kpis.iter().filter(|k| shown(&k.name)) {
            match k.mean {
                Some(m) => print!(" {m:>12.1}"),
                None => print!(" {:>12}", "–"),
            }
        }
        println!();
    }
    print_names(r);
    if let Some(card) = &r.scorecard {
        print_scorecard(card);
    }
}

/// Each segment's name, how well its archetype fits and its key drivers; report.html has the playbook.
pub(crate) fn print_names(r: &segmint::report::SegmentReport) {
    println!("\nSegment names (report.html has each one's playbook)");
    for s in &r.segments {
        let fit = match s.archetype() {
            Some(m) => format!(
                "{} archetype, match {:.2}, {} confidence",
                m.catalogue,
                m.score.unwrap_or(0.0),
                m.confidence.map_or("low", |c| c.label())
            ),
            None => "no archetype fits: named after its key drivers".into(),
        };
        let drivers: Vec<&str> = s.key_drivers.iter().map(|d| d.phrase.as_str()).collect();
        println!(
            "  {}: {} ({fit}); key drivers: {}",
            s.segment,
            s.name,
            drivers.join(", ")
        );
    }
}

/// One line per segment with its five MASDA verdicts; report.md has every check and reason.
pub(crate) fn print_scorecard(card: &Scorecard) {
    println!("\nMASDA scorecard (the worst check of each criterion)");
    print!("{:>7}", "segment");
    for c in Criterion::ALL {
        print!(" {:>14}", c.name());
    }
    println!();
    let row = |label: String, verdict: &dyn Fn(Criterion) -> Verdict| {
        print!("{label:>7}");
        for c in Criterion::ALL {
            print!(" {:>14}", verdict(c).label());
        }
        println!();
    };
    row("all".into(), &|c| card.verdict(c));
    for s in &card.segments {
        row(s.segment.to_string(), &|c| card.segment_verdict(s.segment, c));
    }
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
