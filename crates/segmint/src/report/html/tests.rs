use super::*;
use crate::data::{DropReason, RowIssue};
use crate::pipeline::Segmentation;
use crate::select::SelectOptions;
use crate::synth::{SynthParams, generate};
use crate::validate::ValidateOptions;

const HOSTILE: &str = "<script>alert(1)</script>";

/// A small, fully populated report: k chosen automatically, validated, audited.
fn report() -> SegmentReport {
    let base = generate(&SynthParams::new(1_500, 3)).unwrap();
    let mut segmentation = Segmentation::new().seed(3).as_of(base.as_of).auto_k(SelectOptions {
        k_max: 5,
        stability_replicates: 3,
        gap_references: 3,
        mixture_bic: false,
        ..SelectOptions::default()
    });
    segmentation.validate = Some(ValidateOptions {
        replicates: 5,
        splits: 5,
        ..ValidateOptions::default()
    });
    let mut audit = IngestAudit::new("transactions.csv");
    audit.rows_read = 10;
    audit.rows_kept = 9;
    audit.drop_row(
        DropReason::UnparsableDate,
        RowIssue {
            line: 4,
            column: "date".into(),
            value: "yesterday".into(),
        },
    );
    segmentation
        .fit_with_sources(&base.transactions, Some(&audit), base.sources())
        .unwrap()
        .report
}

/// No `src`, `href`, CSS `url()` or `@import` reaches out of the file,
/// and nothing is scripted.
fn assert_offline(html: &str) {
    for pattern in [
        "src=",
        "href=\"http",
        "href=\"//",
        "url(",
        "@import",
        "<script",
        "<link",
        "<iframe",
    ] {
        assert!(!html.contains(pattern), "found {pattern:?}");
    }
}

/// A report read from a file may hold any number: extreme centroids, an
/// overflowing gap and an absurd k still render (plotters loops forever
/// on an infinite axis).
#[test]
fn extreme_values_render() {
    let mut r = report();
    r.segments[0].centroid[0] = 1e308;
    r.segments[1].centroid[0] = -1e308;
    r.segments[1].share = 1e308;
    let selection = r.k_selection.as_mut().unwrap();
    selection.table[0].gap = Some(1e308);
    selection.table[0].silhouette = -1e308;
    selection.table[0].stability = Some(1e308);
    selection.table[0].gap_s = Some(1e308);
    selection.table[1].k = usize::MAX;
    assert!(r.to_html().unwrap().contains("<svg"));
}

#[test]
fn a_level_is_coloured_in_its_kpis_direction() {
    // The lapsed segment's many days since the last purchase are bad news: red, not green.
    let recency = crate::profile::higher_is_better("recency_days");
    assert_eq!(recency, Some(false));
    assert_eq!(level_class(Some(Level::VeryHigh), recency), "lvl-low");
    assert_eq!(level_class(Some(Level::Low), recency), "lvl-very_high");
    let aov = crate::profile::higher_is_better("aov");
    assert_eq!(level_class(Some(Level::VeryHigh), aov), "lvl-very_high");
    // A customer-table column reads neither way.
    assert_eq!(
        level_class(Some(Level::High), crate::profile::higher_is_better("Age")),
        "lvl-neutral-2"
    );
    assert_eq!(level_class(None, aov), "lvl-none");
}

#[test]
fn every_section_is_there_and_nothing_is_fetched() {
    let r = report();
    let html = r.to_html().unwrap();
    for id in [
        "segments",
        "sizes",
        "snake",
        "heatmap",
        "playbook",
        "scorecard",
        "k-selection",
        "audit",
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "no section {id}");
    }
    for text in [
        "Key driver",
        "Average order value",
        "Purchase frequency",
        "Customer lifetime value",
        "Engagement",
        "Recommended strategies",
        "KPI to watch",
        "Checks of the segmentation as a whole",
        "gap statistic",
        "Dropped rows",
        "yesterday",
    ] {
        assert!(html.contains(text), "no {text:?}");
    }
    for s in &r.segments {
        assert!(html.contains(&s.name.replace('&', "&#38;")), "no {}", s.name);
    }
    // Sizes, snake plot and the k-selection chart.
    assert_eq!(html.matches("<svg").count(), 3);
    assert_offline(&html);
}

#[test]
fn user_strings_are_escaped_everywhere() {
    let mut r = report();
    r.title = HOSTILE.into();
    r.data.source = format!("{HOSTILE}.csv");
    r.features.columns[0] = HOSTILE.into();
    r.features.notes.push(HOSTILE.into());
    for s in &mut r.segments {
        s.name = format!("{HOSTILE} {}", s.segment);
        s.kpis[0].name = HOSTILE.into();
        for m in &mut s.archetypes {
            m.strategies.iter_mut().for_each(|st| st.action = HOSTILE.into());
            m.insights.push(HOSTILE.into());
        }
    }
    let html = r.to_html().unwrap();
    assert!(!html.contains(HOSTILE));
    assert!(!html.contains("<script"));
    assert!(html.contains("&#60;script&#62;alert(1)") || html.contains("&lt;script&gt;alert(1)"));
    assert_offline(&html);
}

#[test]
fn a_report_without_segments_is_an_error() {
    let mut r = report();
    r.segments.clear();
    let err = r.to_html().unwrap_err().to_string();
    assert!(err.contains("report.segments"), "{err}");
}

#[test]
fn numbers_read_well() {
    assert_eq!(thousands(4265.3), "4,265");
    assert_eq!(thousands(-1234567.0), "-1,234,567");
    assert_eq!(number(18.62), "18.6");
    assert_eq!(number(0.456), "0.46");
    assert_eq!(percent(0.3598), "36.0%");
}

#[test]
fn the_heat_scale_is_symmetric_in_ratio() {
    assert_eq!(heat_style(Some(100.0)), "background:rgb(255,255,255);color:#111827");
    let above = heat_style(Some(200.0));
    let below = heat_style(Some(50.0));
    assert!(above.contains("color:#fff") && below.contains("color:#fff"));
}
