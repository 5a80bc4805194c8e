//! The self-contained HTML dashboard: one file, inline CSS and SVG, no
//! scripts and no network requests. The template (askama) escapes every
//! value it prints; the charts come from plotters, which escapes its text.

use askama::Template;

use super::{SegmentReport, charts};
use crate::data::IngestAudit;
use crate::error::{Error, Result};
use crate::profile::{ArchetypeMatch, KpiSummary, Level, SegmentProfile, kpi_words};
use crate::validate::{Check, Criterion, Scorecard, Verdict};

pub(super) fn render(report: &SegmentReport) -> Result<String> {
    Dashboard::new(report)?.render().map_err(|e| Error::Serialize {
        what: "HTML dashboard",
        message: e.to_string(),
    })
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    title: String,
    version: String,
    facts: Vec<(String, String)>,
    cards: Vec<Card>,
    sizes_svg: String,
    sizes_legend: Vec<(String, String)>,
    snake_svg: String,
    snake_features: String,
    heat: Heatmap,
    playbooks: Vec<Playbook>,
    scorecard: Option<ScorecardView>,
    k_selection: Option<KSelectionView>,
    audit: AuditView,
    method: Vec<(String, String)>,
    notes: Vec<String>,
}

struct Card {
    number: usize,
    name: String,
    colour: String,
    match_line: String,
    attitude: Option<String>,
    size: String,
    shares: Vec<(String, String)>,
    metrics: Vec<Metric>,
    driver: String,
    other_drivers: Vec<String>,
    /// Demographic make-up, one line per attribute (empty without a customers table).
    who: Vec<String>,
}

struct Metric {
    label: String,
    value: String,
    detail: String,
    level: String,
    level_class: String,
}

struct Heatmap {
    segments: Vec<(String, String)>,
    rows: Vec<HeatRow>,
}

struct HeatRow {
    label: String,
    column: String,
    cells: Vec<HeatCell>,
}

struct HeatCell {
    index: String,
    mean: String,
    style: String,
}

struct Playbook {
    name: String,
    colour: String,
    matches: Vec<MatchView>,
    drivers: Vec<String>,
}

struct MatchView {
    catalogue: String,
    archetype: Option<String>,
    verdict: String,
    summary: String,
    characteristics: Vec<String>,
    insights: Vec<String>,
    strategies: Vec<(String, String)>,
    kpi_to_watch: String,
    evidence: Vec<(String, String, String, String)>,
}

struct ScorecardView {
    criteria: Vec<&'static str>,
    rows: Vec<(String, Vec<(String, String)>)>,
    overall: Vec<CheckView>,
    segments: Vec<(String, String, Vec<CheckView>)>,
    rows_sampled: String,
}

struct CheckView {
    criterion: &'static str,
    measure: String,
    value: String,
    threshold: String,
    verdict: String,
    class: String,
    reason: String,
}

struct KSelectionView {
    svg: String,
    reason: String,
    header: Vec<&'static str>,
    rows: Vec<(bool, Vec<String>)>,
}

struct AuditView {
    source: String,
    summary: Vec<(String, String)>,
    dropped: Vec<(String, String, String)>,
    in_memory: bool,
}

impl Dashboard {
    fn new(r: &SegmentReport) -> Result<Self> {
        if r.segments.is_empty() {
            return Err(Error::invalid_parameter(
                "report.segments",
                "[]",
                "a report with at least one segment",
            ));
        }
        let d = &r.data;
        let c = &r.clustering;
        let mut facts = vec![
            ("customers".into(), thousands(d.n_customers as f64)),
            ("segments".into(), c.n_clusters.to_string()),
        ];
        if d.n_transactions > 0 {
            facts.insert(1, ("transaction lines".into(), thousands(d.n_transactions as f64)));
            facts.push((
                "period".into(),
                format!("{} – {}", day(&d.period_start), day(&d.period_end)),
            ));
        }
        let basis_numeric = r.features.basis.as_ref().map_or(Vec::new(), |b| b.numeric.clone());
        if let Some(sel) = &r.k_selection
            && let Some(row) = sel.table.iter().find(|s| s.k == sel.recommended)
        {
            facts.push(("silhouette".into(), format!("{:.2}", row.silhouette)));
        }
        let snake_features = r.features.columns.join(", ");
        Ok(Dashboard {
            title: r.title.clone(),
            version: r.segmint_version.clone(),
            facts,
            cards: r
                .segments
                .iter()
                .enumerate()
                .map(|(i, s)| card(i, s, &basis_numeric))
                .collect(),
            sizes_svg: charts::segment_sizes(r)?,
            sizes_legend: ["customers", "revenue", "customer lifetime value"]
                .iter()
                .zip(charts::BAR_ALPHA)
                .map(|(label, alpha)| (label.to_string(), format!("background:#4b5563;opacity:{alpha}")))
                .collect(),
            snake_svg: charts::snake_plot(r)?,
            snake_features,
            heat: heatmap(r),
            playbooks: r.segments.iter().enumerate().map(|(i, s)| playbook(i, s)).collect(),
            scorecard: r.scorecard.as_ref().map(|card| scorecard(card, &r.segments)),
            k_selection: k_selection(r)?,
            audit: audit(d.audit.as_ref(), &d.source),
            method: method(r),
            notes: r.features.notes.clone(),
        })
    }
}

/// The KPIs on every card: (column, label, unit, fallback column).
const CARD_KPIS: [(&str, &str, &str); 5] = [
    ("aov", "Average order value", ""),
    ("frequency", "Purchase frequency", " orders"),
    ("clv", "Customer lifetime value", ""),
    ("engagement_score", "Engagement", " / 100"),
    ("recency_days", "Last purchase", " days ago"),
];

fn card(i: usize, s: &SegmentProfile, basis: &[String]) -> Card {
    let known: Vec<(&KpiSummary, &str, &str)> = CARD_KPIS
        .iter()
        .filter_map(|&(column, label, unit)| match s.kpi(column) {
            Some(k) => Some((k, label, unit)),
            None if column == "clv" => Some((s.kpi("clv_historical")?, "Historical value", unit)),
            None => None,
        })
        .collect();
    // A table without behavioural KPIs shows its numeric basis columns instead.
    let shown = if known.is_empty() {
        basis
            .iter()
            .filter_map(|b| s.kpi(b))
            .take(CARD_KPIS.len())
            .map(|k| (k, k.name.as_str(), ""))
            .collect()
    } else {
        known
    };
    let metrics = shown
        .into_iter()
        .map(|(k, label, unit)| {
            let direction = match k.higher_is_better {
                Some(false) => " · lower is better",
                _ => "",
            };
            Metric {
                label: label.into(),
                value: k.mean.map_or("–".into(), |m| format!("{}{unit}", number(m))),
                detail: format!(
                    "median {} · index {}{direction}",
                    k.median.map_or("–".into(), number),
                    k.index.map_or("–".into(), |v| format!("{v:.0}"))
                ),
                level: k.level_label().unwrap_or_else(|| "–".into()),
                level_class: level_class(k.level, k.higher_is_better),
            }
        })
        .collect();
    let mut drivers = s.key_drivers.iter().map(|d| {
        let level = d.level.map_or(String::new(), |l| format!(" · {}", l.label()));
        format!("{} (d = {:+.1}{level})", capitalised(&d.phrase), d.cohen_d)
    });
    let driver = drivers
        .next()
        .unwrap_or_else(|| "no KPI stands out (all |d| < 0.5)".into());
    let mut shares = vec![("customers".to_string(), percent(s.share))];
    if let Some(v) = s.revenue_share {
        shares.push(("revenue".into(), percent(v)));
    }
    if let Some(v) = s.clv_share {
        shares.push(("CLV".into(), percent(v)));
    }
    Card {
        number: s.segment,
        name: s.name.clone(),
        colour: charts::css_colour(i),
        match_line: match s.archetypes.first() {
            Some(m) => match_line(m, true),
            None => "not matched to archetypes".into(),
        },
        attitude: s.archetypes.iter().skip(1).find_map(|m| {
            m.archetype
                .as_ref()
                .map(|a| format!("{} match: {a}", capitalised(&m.catalogue)))
        }),
        size: format!("{} customers", thousands(s.size as f64)),
        shares,
        metrics,
        driver,
        other_drivers: drivers.collect(),
        who: s
            .composition
            .iter()
            .map(|c| match c.marking() {
                Some(marks) => format!("{} · marked by {marks}", c.describe()),
                None => c.describe(),
            })
            .collect(),
    }
}

/// How a match reads; `names_segment` for the catalogue the name comes from.
fn match_line(m: &ArchetypeMatch, names_segment: bool) -> String {
    let fallback = if names_segment {
        ": named after its key drivers"
    } else {
        ""
    };
    match (&m.archetype, m.score, m.confidence) {
        (Some(_), Some(score), Some(confidence)) => format!(
            "{} archetype · match {:.2} · {} confidence",
            capitalised(&m.catalogue),
            score,
            confidence.label()
        ),
        (_, Some(score), _) => format!(
            "no {} archetype fits (best assigned {:.2}){fallback}",
            m.catalogue, score
        ),
        _ => format!("no {} archetype fits{fallback}", m.catalogue),
    }
}

fn heatmap(r: &SegmentReport) -> Heatmap {
    let segments = r
        .segments
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), charts::css_colour(i)))
        .collect();
    let rows = r
        .segments
        .first()
        .map(|first| {
            (0..first.kpis.len())
                .map(|c| HeatRow {
                    label: kpi_words(&first.kpis[c].name).label,
                    column: first.kpis[c].name.clone(),
                    cells: r
                        .segments
                        .iter()
                        .map(|s| {
                            let k = s.kpis.get(c);
                            let index = k.and_then(|k| k.index);
                            HeatCell {
                                index: index.map_or("–".into(), |v| format!("{v:.0}")),
                                mean: k.and_then(|k| k.mean).map_or("–".into(), number),
                                style: heat_style(index),
                            }
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    Heatmap { segments, rows }
}

/// Blue below the base, orange above, stronger the further from 100 (a log
/// scale: 50 and 200 are equally far); white between 80 and 120 fades in.
fn heat_style(index: Option<f64>) -> String {
    let Some(index) = index.filter(|v| v.is_finite()) else {
        return "background:#f3f4f6".into();
    };
    let strength = ((index.max(1.0) / 100.0).ln().abs() / 2f64.ln()).min(1.0);
    let (r, g, b) = if index >= 100.0 { (234, 120, 40) } else { (52, 116, 186) };
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * strength * 0.85).round() as u8;
    let text = if strength > 0.65 { "#fff" } else { "#111827" };
    format!("background:rgb({},{},{});color:{text}", mix(r), mix(g), mix(b))
}

fn playbook(i: usize, s: &SegmentProfile) -> Playbook {
    Playbook {
        name: s.name.clone(),
        colour: charts::css_colour(i),
        matches: s
            .archetypes
            .iter()
            .enumerate()
            .map(|(i, m)| MatchView {
                catalogue: capitalised(&m.catalogue),
                archetype: m.archetype.clone(),
                verdict: match_line(m, i == 0),
                summary: m.summary.clone(),
                characteristics: m.characteristics.clone(),
                insights: m.insights.clone(),
                strategies: m
                    .strategies
                    .iter()
                    .map(|s| (s.name.clone(), s.action.clone()))
                    .collect(),
                kpi_to_watch: m.kpi_to_watch.clone(),
                evidence: m
                    .evidence
                    .iter()
                    .map(|e| {
                        (
                            kpi_words(&e.kpi).label,
                            e.expected.label(),
                            e.found.label().to_string(),
                            format!("{:.2}", e.closeness),
                        )
                    })
                    .collect(),
            })
            .collect(),
        drivers: s.key_drivers.iter().map(|d| d.description.clone()).collect(),
    }
}

fn scorecard(card: &Scorecard, segments: &[SegmentProfile]) -> ScorecardView {
    let name = |n: usize| {
        segments
            .iter()
            .find(|s| s.segment == n)
            .map_or_else(|| format!("Segment {n}"), |s| s.name.clone())
    };
    let cells = |verdict: &dyn Fn(Criterion) -> Verdict| {
        Criterion::ALL
            .iter()
            .map(|&c| {
                let v = verdict(c);
                (v.label().to_string(), verdict_class(v))
            })
            .collect()
    };
    let mut rows = vec![("All segments".to_string(), cells(&|c| card.verdict(c)))];
    rows.extend(
        card.segments
            .iter()
            .map(|s| (name(s.segment), cells(&|c| card.segment_verdict(s.segment, c)))),
    );
    ScorecardView {
        criteria: Criterion::ALL.iter().map(|c| c.name()).collect(),
        rows,
        overall: card.overall.iter().map(check_view).collect(),
        segments: card
            .segments
            .iter()
            .map(|s| {
                let nearest = match (s.nearest_segment, s.separation) {
                    (Some(n), Some(d)) => format!("nearest: {} ({d:.2} sd between centroids)", name(n)),
                    _ => String::new(),
                };
                (name(s.segment), nearest, s.checks.iter().map(check_view).collect())
            })
            .collect(),
        rows_sampled: thousands(card.rows_sampled as f64),
    }
}

fn check_view(c: &Check) -> CheckView {
    CheckView {
        criterion: c.criterion.name(),
        measure: c.measure.clone(),
        value: c.value.map_or("–".into(), |v| {
            if v.fract() == 0.0 && v.abs() > 1.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.3}")
            }
        }),
        threshold: c.threshold.clone(),
        verdict: c.verdict.label().into(),
        class: verdict_class(c.verdict),
        reason: c.reason.clone(),
    }
}

fn verdict_class(v: Verdict) -> String {
    match v {
        Verdict::Pass => "pass",
        Verdict::Warn => "warn",
        Verdict::Fail => "fail",
        Verdict::NotAssessed => "na",
    }
    .into()
}

fn k_selection(r: &SegmentReport) -> Result<Option<KSelectionView>> {
    let (Some(sel), Some(svg)) = (&r.k_selection, charts::k_selection(r)?) else {
        return Ok(None);
    };
    let dash = |v: Option<f64>, d: usize| v.map_or("–".into(), |v| format!("{v:.d$}"));
    Ok(Some(KSelectionView {
        svg,
        reason: sel.reason.clone(),
        header: vec![
            "k",
            "inertia",
            "silhouette",
            "Calinski–Harabasz",
            "Davies–Bouldin",
            "gap ± s",
            "stability",
            "mixture BIC",
            "smallest segment",
        ],
        rows: sel
            .table
            .iter()
            .map(|s| {
                let gap = match (s.gap, s.gap_s) {
                    (Some(g), Some(e)) => format!("{g:.3} ± {e:.3}"),
                    _ => "–".into(),
                };
                (
                    s.k == sel.recommended,
                    vec![
                        s.k.to_string(),
                        thousands(s.inertia),
                        format!("{:.3}", s.silhouette),
                        thousands(s.calinski_harabasz),
                        format!("{:.3}", s.davies_bouldin),
                        gap,
                        dash(s.stability, 3),
                        s.bic.map_or("–".into(), thousands),
                        percent(s.smallest_share),
                    ],
                )
            })
            .collect(),
    }))
}

fn audit(audit: Option<&IngestAudit>, source: &str) -> AuditView {
    match audit {
        Some(a) => AuditView {
            source: a.source.clone(),
            summary: vec![
                ("rows read".into(), thousands(a.rows_read as f64)),
                ("rows kept".into(), thousands(a.rows_kept as f64)),
                ("returns among them".into(), thousands(a.return_rows as f64)),
                ("rows dropped".into(), thousands(a.rows_dropped() as f64)),
            ],
            dropped: a
                .dropped
                .iter()
                .map(|(reason, rows)| {
                    let example = rows.examples.first().map_or(String::new(), |e| {
                        format!("line {}, column {}: {:?}", e.line, e.column, e.value)
                    });
                    (reason.describe().to_string(), thousands(rows.count as f64), example)
                })
                .collect(),
            in_memory: false,
        },
        None => AuditView {
            source: source.into(),
            summary: Vec::new(),
            dropped: Vec::new(),
            in_memory: true,
        },
    }
}

fn method(r: &SegmentReport) -> Vec<(String, String)> {
    let c = &r.clustering;
    let mut rows = vec![
        ("clustered features".to_string(), r.features.columns.join(", ")),
        ("log-transformed".into(), r.features.log_transformed.join(", ")),
        (
            "algorithm".into(),
            format!(
                "{}, k = {}, seed {}, {} run(s), inertia {}, {} iterations{}",
                c.algorithm,
                c.n_clusters,
                c.seed,
                c.n_init,
                thousands(c.inertia),
                c.n_iter,
                if c.converged { "" } else { " (not converged)" }
            ),
        ),
    ];
    rows.push((
        "levels".into(),
        "base quartile bands of the segment median: Low < Q1 ≤ Moderate < median ≤ High < Q3 ≤ Very High; a range when the segment's middle half spans bands".into(),
    ));
    rows.push((
        "index".into(),
        "segment mean / base mean × 100; above 120 or below 80 is usually read as a real difference".into(),
    ));
    rows
}

/// The badge colour of a level: green for the best quarter of the base down
/// to red for the worst, read in the KPI's direction (a long time since the
/// last purchase is red); blue shades for a KPI that is neither good nor bad high.
fn level_class(level: Option<Level>, higher_is_better: Option<bool>) -> String {
    match (level, higher_is_better) {
        (None, _) => "lvl-none".into(),
        (Some(l), None) => format!("lvl-neutral-{}", l.rank()),
        (Some(l), Some(true)) => format!("lvl-{}", l.key()),
        (Some(l), Some(false)) => format!("lvl-{}", Level::ALL[3 - l.rank()].key()),
    }
}

fn capitalised(text: &str) -> String {
    crate::profile::capitalised(text)
}

/// `4,265` above 1,000; one decimal above 10; two below.
fn number(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v.abs() >= 1000.0 {
        thousands(v)
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub(crate) fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

fn percent(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

/// `2024-01-01` from `2024-01-01 00:00:00`.
fn day(timestamp: &str) -> &str {
    timestamp.split(' ').next().unwrap_or(timestamp)
}

#[cfg(test)]
mod tests;
