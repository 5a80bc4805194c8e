//! The report as plain text for a terminal: the choice of k, one line per
//! segment with its first KPIs, the names with their key drivers, and the
//! scorecard's verdicts. The Markdown and the dashboard hold everything; this
//! is the summary a command prints.

use std::fmt::{self, Write};

use super::SegmentReport;
use crate::validate::{Criterion, Scorecard, Verdict};

/// KPIs shown beside the clustered features: the ones a marketer looks at first.
const HEADLINE_KPIS: [&str; 5] = [
    "discount_order_share",
    "new_product_share",
    "engagement_score",
    "p_alive",
    "clv",
];

/// The summary of `report` as text lines.
pub fn render_text(report: &SegmentReport) -> String {
    let mut out = String::new();
    write_summary(&mut out, report).expect("writing to a String cannot fail");
    out
}

fn write_summary(out: &mut String, r: &SegmentReport) -> fmt::Result {
    write_k_selection(out, r)?;
    let c = &r.clustering;
    writeln!(
        out,
        "\n{} customers in {} segments ({}, seed {}, cost {:.1}, {} iterations{})\n",
        r.data.n_customers,
        c.n_clusters,
        c.algorithm,
        c.seed,
        c.inertia,
        c.n_iter,
        if c.converged { "" } else { ", not converged" }
    )?;
    write_segments(out, r)?;
    write_names(out, r)?;
    if let Some(card) = &r.scorecard {
        write_scorecard(out, card)?;
    }
    Ok(())
}

fn write_k_selection(out: &mut String, r: &SegmentReport) -> fmt::Result {
    let Some(sel) = &r.k_selection else {
        return Ok(());
    };
    writeln!(out, "\nChoosing k: {}", sel.reason)?;
    writeln!(
        out,
        "{:>4} {:>12} {:>10} {:>10} {:>8} {:>8} {:>9} {:>9}",
        "k", "inertia", "silhouette", "CH", "DB", "gap", "stability", "smallest"
    )?;
    let or_dash = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
    for s in &sel.table {
        writeln!(
            out,
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
        )?;
    }
    Ok(())
}

/// Size, share and revenue of each segment, then the clustered features and the headline KPIs.
fn write_segments(out: &mut String, r: &SegmentReport) -> fmt::Result {
    let shown = |name: &str| r.features.columns.iter().any(|c| c == name) || HEADLINE_KPIS.contains(&name);
    let Some(first) = r.segments.first() else {
        return Ok(());
    };
    write!(
        out,
        "{:>7} {:>9} {:>7} {:>8}",
        "segment", "customers", "share", "revenue"
    )?;
    for kpi in first.kpis.iter().filter(|k| shown(&k.name)) {
        write!(out, " {:>12}", short(&kpi.name))?;
    }
    writeln!(out)?;
    for s in &r.segments {
        let revenue = s.revenue_share.map_or("-".into(), |v| format!("{:.1}%", 100.0 * v));
        write!(
            out,
            "{:>7} {:>9} {:>6.1}% {:>8}",
            s.segment,
            s.size,
            100.0 * s.share,
            revenue
        )?;
        for kpi in s.kpis.iter().filter(|k| shown(&k.name)) {
            match kpi.mean {
                Some(m) => write!(out, " {m:>12.1}")?,
                None => write!(out, " {:>12}", "–")?,
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Column headers narrowed for a terminal.
fn short(name: &str) -> &str {
    match name {
        "discount_order_share" => "promo_share",
        "new_product_share" => "new_products",
        "engagement_score" => "engagement",
        other => other,
    }
}

/// Each segment's name, how well its archetype fits and its key drivers.
fn write_names(out: &mut String, r: &SegmentReport) -> fmt::Result {
    writeln!(out, "\nSegment names (report.html has each one's playbook)")?;
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
        writeln!(
            out,
            "  {}: {} ({fit}); key drivers: {}",
            s.segment,
            s.name,
            drivers.join(", ")
        )?;
    }
    Ok(())
}

/// One line per segment with its five MASDA verdicts (the worst check of each criterion).
fn write_scorecard(out: &mut String, card: &Scorecard) -> fmt::Result {
    writeln!(out, "\nMASDA scorecard (the worst check of each criterion)")?;
    write!(out, "{:>7}", "segment")?;
    for c in Criterion::ALL {
        write!(out, " {:>14}", c.name())?;
    }
    writeln!(out)?;
    write_verdicts(out, "all", |c| card.verdict(c))?;
    for s in &card.segments {
        write_verdicts(out, &s.segment.to_string(), |c| card.segment_verdict(s.segment, c))?;
    }
    Ok(())
}

fn write_verdicts(out: &mut String, label: &str, verdict: impl Fn(Criterion) -> Verdict) -> fmt::Result {
    write!(out, "{label:>7}")?;
    for c in Criterion::ALL {
        write!(out, " {:>14}", verdict(c).label())?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Segmentation;
    use crate::synth::{SynthParams, generate};

    #[test]
    fn the_summary_names_every_segment_and_the_method_used() {
        let base = generate(&SynthParams::new(400, 5)).expect("generate");
        let result = Segmentation::new()
            .k(4)
            .as_of(base.as_of)
            .fit(&base.transactions, None)
            .expect("fit");
        let text = render_text(&result.report);
        assert!(text.contains("400 customers in 4 segments"), "{text}");
        assert!(text.contains(&result.report.clustering.algorithm), "{text}");
        for s in &result.report.segments {
            assert!(text.contains(&format!("  {}: {} (", s.segment, s.name)), "{text}");
        }
        assert!(text.contains("MASDA scorecard"), "{text}");
    }
}
