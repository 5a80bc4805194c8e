//! Markdown rendering of a [`SegmentReport`].

use std::fmt::Write;

use super::SegmentReport;
use crate::validate::{Check, Criterion, Scorecard};

pub(super) fn render(r: &SegmentReport) -> String {
    let mut md = String::new();
    // Writing to a String cannot fail.
    let _ = write_all(&mut md, r);
    md
}

fn write_all(md: &mut String, r: &SegmentReport) -> std::fmt::Result {
    writeln!(md, "# {}\n", escape(&r.title))?;
    let d = &r.data;
    writeln!(md, "## Data\n")?;
    writeln!(md, "- Source: {}", escape(&d.source))?;
    writeln!(
        md,
        "- {} customers, {} transaction lines, {} to {}",
        d.n_customers, d.n_transactions, d.period_start, d.period_end
    )?;
    if let Some(a) = &d.audit {
        writeln!(
            md,
            "- Rows read {}, kept {} ({} returns), dropped {}",
            a.rows_read,
            a.rows_kept,
            a.return_rows,
            a.rows_dropped()
        )?;
        if !a.dropped.is_empty() {
            writeln!(md, "\n| dropped because | rows | first example |\n|---|---:|---|")?;
            for (reason, rows) in &a.dropped {
                let example = rows.examples.first().map_or(String::new(), |e| {
                    format!("line {}, {}: {:?}", e.line, escape(&e.column), escape(&e.value))
                });
                writeln!(md, "| {} | {} | {} |", reason.describe(), rows.count, example)?;
            }
        }
    }
    let f = &r.features;
    writeln!(md, "\n## Features\n")?;
    writeln!(md, "- Clustered on: {}", f.columns.join(", "))?;
    if !f.log_transformed.is_empty() {
        writeln!(
            md,
            "- Log-transformed (sign·ln(1+|x|)): {}",
            f.log_transformed.join(", ")
        )?;
    }
    writeln!(
        md,
        "- Standardised to z-scores: {}",
        if f.standardised { "yes" } else { "no" }
    )?;
    for note in &f.notes {
        writeln!(md, "- Note: {}", escape(note))?;
    }

    if let Some(sel) = &r.k_selection {
        writeln!(md, "\n## Choosing k\n")?;
        writeln!(md, "{}\n", escape(&sel.reason))?;
        writeln!(
            md,
            "| k | inertia | silhouette | Calinski–Harabasz | Davies–Bouldin | gap ± s | stability | mixture BIC | smallest segment | considered |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        )?;
        let or_dash = |v: Option<f64>, decimals: usize| v.map_or("–".into(), |v| format!("{v:.decimals$}"));
        for s in &sel.table {
            let gap = match (s.gap, s.gap_s) {
                (Some(g), Some(e)) => format!("{g:.3} ± {e:.3}"),
                _ => "–".into(),
            };
            writeln!(
                md,
                "| {}{} | {:.1} | {:.3} | {:.1} | {:.3} | {} | {} | {} | {:.1}% | {} |",
                s.k,
                if s.k == sel.recommended { " ◀" } else { "" },
                s.inertia,
                s.silhouette,
                s.calinski_harabasz,
                s.davies_bouldin,
                gap,
                or_dash(s.stability, 3),
                or_dash(s.bic, 1),
                100.0 * s.smallest_share,
                if s.admissible { "yes" } else { "no" }
            )?;
        }
        if let Some(k) = sel.gap_choice {
            writeln!(md, "\nGap statistic (1-SE rule, Tibshirani et al. 2001): k = {k}.")?;
        }
    }
    let c = &r.clustering;
    writeln!(md, "\n## Segments\n")?;
    writeln!(
        md,
        "{} with k = {} (seed {}, {} run{}): inertia {:.4}, {} iterations, {}.\n",
        c.algorithm,
        c.n_clusters,
        c.seed,
        c.n_init,
        if c.n_init == 1 { "" } else { "s" },
        c.inertia,
        c.n_iter,
        if c.converged { "converged" } else { "did not converge" }
    )?;
    let kpi_names: Vec<&str> = r
        .segments
        .first()
        .map(|s| s.kpis.iter().map(|k| k.name.as_str()).collect())
        .unwrap_or_default();
    // The header stays as it was (readers match it); the name joins the segment number.
    write!(md, "| segment | customers | share | revenue share |")?;
    for name in &kpi_names {
        write!(md, " {} (index) |", escape(name))?;
    }
    write!(md, "\n|---|---:|---:|---:|")?;
    for _ in &kpi_names {
        write!(md, "---:|")?;
    }
    writeln!(md)?;
    for s in &r.segments {
        let revenue = s.revenue_share.map_or("–".into(), |v| format!("{:.1}%", v * 100.0));
        write!(
            md,
            "| {}: {} | {} | {:.1}% | {} |",
            s.segment,
            escape(&s.name),
            s.size,
            s.share * 100.0,
            revenue
        )?;
        for k in &s.kpis {
            let index = k.index.map_or("–".into(), |i| format!("{i:.0}"));
            let mean = k.mean.map_or("–".into(), |m| format!("{m:.2}"));
            write!(md, " {mean} ({index}) |")?;
        }
        writeln!(md)?;
    }
    writeln!(
        md,
        "\nIndex = segment mean / overall mean × 100; above 120 or below 80 is usually read as a real difference."
    )?;
    write_profiles(md, r)?;
    if let Some(card) = &r.scorecard {
        write_scorecard(md, card)?;
    }
    writeln!(md, "\n_segmint {}_", r.segmint_version)
}

/// The KPIs whose levels each segment's profile lists.
const HEADLINE_KPIS: [&str; 8] = [
    "aov",
    "frequency",
    "clv",
    "engagement_score",
    "recency_days",
    "tenure_days",
    "discount_order_share",
    "new_product_share",
];

/// Per segment: its name and archetypes, key drivers, headline KPI levels and playbook.
fn write_profiles(md: &mut String, r: &SegmentReport) -> std::fmt::Result {
    writeln!(md, "\n## Segment profiles and playbook\n")?;
    writeln!(
        md,
        "Levels are base quartile bands of the segment median (a range when the middle half of the segment spans bands); key drivers are the KPIs with the largest Cohen's d against the rest of the base (docs/methodology.md)."
    )?;
    for s in &r.segments {
        writeln!(md, "\n### Segment {}: {}\n", s.segment, escape(&s.name))?;
        let mut shares = format!("{} customers ({:.1}%)", s.size, 100.0 * s.share);
        if let Some(v) = s.revenue_share {
            let _ = write!(shares, ", {:.1}% of revenue", 100.0 * v);
        }
        if let Some(v) = s.clv_share {
            let _ = write!(shares, ", {:.1}% of CLV", 100.0 * v);
        }
        writeln!(md, "{shares}.\n")?;
        for m in &s.archetypes {
            match (&m.archetype, m.score, m.confidence) {
                (Some(a), Some(score), Some(c)) => writeln!(
                    md,
                    "- {} archetype: **{}** (match {score:.2}, margin {:+.2}, {} confidence)",
                    escape(&m.catalogue),
                    escape(a),
                    m.margin.unwrap_or(0.0),
                    c.label()
                )?,
                _ => writeln!(
                    md,
                    "- {} archetype: none fits{}",
                    escape(&m.catalogue),
                    m.score.map_or(String::new(), |v| format!(" (best assigned {v:.2})"))
                )?,
            }
        }
        if !s.composition.is_empty() {
            let parts: Vec<String> = s.composition.iter().map(|c| escape(&c.describe())).collect();
            writeln!(md, "- Who they are: {}", parts.join("; "))?;
            let marks: Vec<String> = s
                .composition
                .iter()
                .filter_map(|c| c.marking())
                .map(|m| escape(&m))
                .collect();
            if !marks.is_empty() {
                writeln!(md, "- Marked by: {}", marks.join("; "))?;
            }
        }
        if !s.key_drivers.is_empty() {
            let drivers: Vec<String> = s.key_drivers.iter().map(|d| escape(&d.description)).collect();
            writeln!(md, "- Key drivers: {}", drivers.join("; "))?;
        }
        let levels: Vec<String> = HEADLINE_KPIS
            .iter()
            .filter_map(|name| s.kpi(name))
            .filter_map(|k| {
                let level = k.level_label()?;
                let median = k.median.map_or("–".into(), |m| format!("{m:.2}"));
                Some(format!("{} {level} (median {median})", escape(&k.name)))
            })
            .collect();
        if !levels.is_empty() {
            writeln!(md, "- Levels: {}", levels.join(", "))?;
        }
        for m in s.archetypes.iter().filter(|m| m.archetype.is_some()) {
            if !m.strategies.is_empty() {
                writeln!(
                    md,
                    "\n{} playbook ({}):\n",
                    escape(&m.catalogue),
                    escape(m.archetype.as_deref().unwrap_or(""))
                )?;
                for insight in &m.insights {
                    writeln!(md, "- Insight: {}", escape(insight))?;
                }
                for st in &m.strategies {
                    writeln!(md, "- **{}**: {}", escape(&st.name), escape(&st.action))?;
                }
                if !m.kpi_to_watch.is_empty() {
                    writeln!(md, "- KPI to watch: {}", escape(&m.kpi_to_watch))?;
                }
            }
        }
    }
    Ok(())
}

fn write_scorecard(md: &mut String, card: &Scorecard) -> std::fmt::Result {
    writeln!(md, "\n## MASDA scorecard\n")?;
    write!(md, "| segment |")?;
    for c in Criterion::ALL {
        write!(md, " {} |", c.name())?;
    }
    writeln!(md, "\n|---:|---|---|---|---|---|")?;
    write!(md, "| all |")?;
    for c in Criterion::ALL {
        write!(md, " {} |", card.verdict(c).label())?;
    }
    writeln!(md)?;
    for s in &card.segments {
        write!(md, "| {} |", s.segment)?;
        for c in Criterion::ALL {
            write!(md, " {} |", card.segment_verdict(s.segment, c).label())?;
        }
        writeln!(md)?;
    }
    writeln!(md, "\n### The segmentation as a whole\n")?;
    write_checks(md, &card.overall)?;
    for s in &card.segments {
        writeln!(md, "\n### Segment {}\n", s.segment)?;
        if let (Some(nearest), Some(separation)) = (s.nearest_segment, s.separation) {
            writeln!(
                md,
                "Nearest segment: {nearest}, {separation:.2} sd between centroids.\n"
            )?;
        }
        write_checks(md, &s.checks)?;
    }
    writeln!(
        md,
        "\nSilhouette and resampling checks on {} customers; thresholds and their sources: docs/methodology.md.",
        card.rows_sampled
    )
}

fn write_checks(md: &mut String, checks: &[Check]) -> std::fmt::Result {
    writeln!(
        md,
        "| criterion | measure | value | threshold | verdict | reason |\n|---|---|---:|---|---|---|"
    )?;
    for c in checks {
        let value = c.value.map_or("–".into(), |v| {
            if v.fract() == 0.0 && v.abs() > 1.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.3}")
            }
        });
        writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            c.criterion.name(),
            escape(&c.measure),
            value,
            escape(&c.threshold),
            c.verdict.label(),
            escape(&c.reason)
        )?;
    }
    Ok(())
}

/// Escapes characters that would break a Markdown table or inject markup.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#') {
            out.push('\\');
        }
        if ch == '\n' || ch == '\r' {
            out.push(' ');
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn table_breaking_characters_are_escaped() {
        assert_eq!(escape("a|b\nc_d"), "a\\|b c\\_d");
    }
}
