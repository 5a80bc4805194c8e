//! The whole pipeline, through files, as the CLI runs it.

use segmint::data::{ReadOptions, TransactionColumns, io::write_transactions, read_transactions};
use segmint::pipeline::Segmentation;
use segmint::report::{SegmentReport, write_report_files};
use segmint::synth::{Archetype, SynthParams, archetype_counts, generate};
use segmint_tests::scratch_dir;

#[test]
fn csv_round_trip_gives_the_same_segments_as_memory() {
    let dir = scratch_dir("csv_round_trip");
    let base = generate(&SynthParams::new(3_000, 11)).unwrap();
    let csv = dir.join("transactions.csv");
    write_transactions(&csv, &base.transactions).unwrap();

    let columns = TransactionColumns::new("customer_id", "date", "amount").order("order_id");
    let (tx, audit) = read_transactions(&csv, &columns, &ReadOptions::default()).unwrap();
    assert_eq!(audit.rows_read as usize, base.transactions.len());
    assert_eq!(audit.rows_kept, audit.rows_read);
    assert_eq!(tx.customer_ids(), base.transactions.customer_ids());

    let seg = Segmentation::new().seed(3).as_of(base.as_of);
    let from_file = seg.fit(&tx, Some(&audit)).unwrap();
    let from_memory = seg.fit(&base.transactions, None).unwrap();
    assert_eq!(from_file.labels, from_memory.labels);

    let files = write_report_files(
        dir.join("out"),
        &from_file.report,
        from_file.features.ids(),
        &from_file.labels,
    )
    .unwrap();
    let back = SegmentReport::from_json(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    assert_eq!(back, from_file.report);
    let markdown = std::fs::read_to_string(&files.markdown).unwrap();
    assert!(markdown.contains("| segment | customers | share | revenue share |"));
    assert!(markdown.contains("## Segment profiles and playbook"));
    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.contains("<section id=\"scorecard\">") && html.contains("No row was dropped."));
    let segments = std::fs::read_to_string(&files.segments).unwrap();
    assert_eq!(segments.lines().count(), 3_001);
    assert!(segments.starts_with("customer_id,segment\nC000001,"));
}

#[test]
fn demo_segments_recover_the_archetypes() {
    let base = generate(&SynthParams::new(10_000, 42)).unwrap();
    let r = Segmentation::new()
        .seed(42)
        .as_of(base.as_of)
        .fit(&base.transactions, None)
        .unwrap();
    let counts = archetype_counts(&base.archetypes, &r.labels, 4).unwrap();
    // Each archetype's customers mostly land in one segment, a different one per archetype.
    let mut homes: Vec<usize> = (0..4).map(|a| (0..4).max_by_key(|&s| counts[s][a]).unwrap()).collect();
    let recovered: usize = (0..4).map(|a| counts[homes[a]][a]).sum();
    homes.sort_unstable();
    homes.dedup();
    assert_eq!(homes.len(), 4, "{counts:?}");
    assert!(recovered as f64 > 0.9 * 10_000.0, "{counts:?}");
    let loyal = Archetype::HighValueLoyalist as usize;
    let loyal_segment = (0..4).max_by_key(|&s| counts[s][loyal]).unwrap();
    let revenue = r.report.segments[loyal_segment].revenue_share.unwrap();
    assert!(revenue > 0.5, "loyalists' segment holds {revenue} of revenue");
}

#[test]
fn same_seed_same_segments_on_any_thread_count() {
    let base = generate(&SynthParams::new(20_000, 8)).unwrap();
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let again = generate(&SynthParams::new(20_000, 8)).unwrap();
            assert_eq!(again.transactions, base.transactions);
            Segmentation::new()
                .seed(5)
                .n_init(3)
                .fit(&again.transactions, None)
                .unwrap()
        })
    };
    let one = run(1);
    for threads in [2, 8] {
        let many = run(threads);
        assert_eq!(one.labels, many.labels);
        assert_eq!(one.report, many.report);
    }
}

#[test]
fn segments_are_named_after_the_archetypes_they_recover() {
    let n = 20_000;
    let base = generate(&SynthParams::new(n, 42)).unwrap();
    let segmentation = Segmentation {
        validate: None,
        ..Segmentation::new().k(4).seed(42).as_of(base.as_of)
    };
    let r = segmentation
        .fit_with_sources(&base.transactions, None, base.sources())
        .unwrap();
    let counts = archetype_counts(&base.archetypes, &r.labels, 4).unwrap();
    for archetype in Archetype::ALL {
        let a = archetype as usize;
        let named = r
            .report
            .segments
            .iter()
            .position(|s| s.name == archetype.name())
            .unwrap_or_else(|| panic!("no segment named {:?}", archetype.name()));
        let total: usize = counts.iter().map(|row| row[a]).sum();
        let recovered = counts[named][a] as f64 / total as f64;
        eprintln!(
            "{}: {:.4} of {total} in the segment named after it",
            archetype.name(),
            recovered
        );
        assert!(recovered >= 0.9, "{}: {recovered:.3} ({counts:?})", archetype.name());
        let matched = r.report.segments[named].archetype().unwrap();
        assert!(matched.score.unwrap() >= 0.9 && !matched.strategies.is_empty());
    }
}

/// Beside a log, a customer table's numeric column is a KPI with its mean,
/// index, level and effect size, and still says who the customers are.
#[test]
fn customer_table_numbers_beside_a_log_are_kpis_too() {
    let base = generate(&SynthParams::new(1_500, 4)).unwrap();
    let r = Segmentation::new()
        .seed(4)
        .as_of(base.as_of)
        .fit_with_sources(&base.transactions, None, base.sources())
        .unwrap();
    for segment in &r.report.segments {
        let age = segment.kpi("age").expect("age is a KPI");
        assert!(age.mean.is_some() && age.index.is_some() && age.level.is_some() && age.cohen_d.is_some());
        assert!(segment.composition.iter().any(|c| c.attribute == "age"));
    }
}
