//! Fuzz targets over every file segmint loads: transaction logs, customer
//! tables, dates, archetype catalogues, reports and cluster models.
//!
//! Each target first replays its corpus (`tests/fuzz/corpus/<target>/`, files in
//! their own format), then runs seeded random inputs. The default run is short
//! and the same on every machine; `SEGMINT_FUZZ_CASES` and `SEGMINT_FUZZ_SEED`
//! make it longer or other (docs/architecture.md, Conventions). A failure is shrunk to a small
//! input and printed with the seed; the input then joins the corpus.
//!
//! Each target asserts more than the absence of a panic: every row of a file
//! read is accounted for, a date written is read back as the same instant, and
//! whatever loads can be used without a panic.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use segmint::cluster::{ClusterModel, Method, MethodSettings, MixedRows};
use segmint::data::io::read_transactions_from;
use segmint::data::{
    BadRowPolicy, DateFormat, DateParser, ReadOptions, TransactionColumns, format_timestamp, read_attributes,
};
use segmint::pipeline::Segmentation;
use segmint::profile::Catalogue;
use segmint::report::SegmentReport;
use segmint::synth::{SynthParams, generate};
use segmint_tests::repo_root;

/// Random inputs per target in the default run.
const CASES: u32 = 1_000;
/// Seed of the default run.
const SEED: u64 = 2026;

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `test` on `cases` random values of `strategy` (a share of
/// `SEGMINT_FUZZ_CASES` for the slower targets).
fn fuzz<S: Strategy>(target: &str, share: u32, strategy: S, test: impl Fn(&S::Value))
where
    S::Value: Debug,
{
    let cases = env_number("SEGMINT_FUZZ_CASES", CASES) / share;
    let seed = env_number("SEGMINT_FUZZ_SEED", SEED);
    let mut bytes = [0_u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    if let Err(failure) = runner.run(&strategy, |value| {
        test(&value);
        Ok(())
    }) {
        panic!("fuzz target {target} failed (SEGMINT_FUZZ_SEED={seed}): {failure}");
    }
}

/// The corpus files of a target, in name order.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let folder = repo_root().join("tests/fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("corpus {}: {e}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {} is empty", folder.display());
    files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

fn corpus_texts(target: &str) -> Vec<String> {
    corpus(target)
        .into_iter()
        .map(|(path, bytes)| String::from_utf8(bytes).unwrap_or_else(|_| panic!("{} is not UTF-8", path.display())))
        .collect()
}

fn policies() -> [ReadOptions; 3] {
    [
        ReadOptions::default(),
        ReadOptions {
            on_bad_row: BadRowPolicy::Fail,
            ..Default::default()
        },
        ReadOptions {
            drop_duplicate_lines: true,
            ..Default::default()
        },
    ]
}

fn check_transaction_log(bytes: &[u8]) {
    let columns = TransactionColumns::new("customer_id", "date", "amount");
    for options in policies() {
        let Ok((tx, audit)) = read_transactions_from(bytes, Path::new("log.csv"), &columns, &options) else {
            continue;
        };
        assert!(audit.is_balanced(), "rows read ≠ kept + dropped: {audit:?}");
        assert_eq!(audit.rows_kept, tx.len() as u64);
        assert!(tx.amounts().iter().all(|a| a.is_finite()));
    }
}

fn check_customer_table(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    for options in policies() {
        let Ok((table, audit)) = read_attributes(path, "id", &options) else {
            continue;
        };
        assert!(audit.is_balanced(), "rows read ≠ kept + dropped: {audit:?}");
        assert_eq!(audit.rows_kept, table.ids.len() as u64);
        let n = table.ids.len();
        assert!(table.numeric.iter().all(|(_, v)| v.len() == n));
        assert!(table.categorical.iter().all(|(_, v)| v.len() == n));
    }
}

fn scratch_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("segmint-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn transaction_logs() {
    for (_, bytes) in corpus("transaction_logs") {
        check_transaction_log(&bytes);
    }
    fuzz(
        "transaction_logs",
        1,
        prop::collection::vec(any::<u8>(), 0..400),
        |bytes| check_transaction_log(bytes),
    );
}

#[test]
fn customer_tables() {
    let file = scratch_file("customer_tables.csv");
    for (_, bytes) in corpus("customer_tables") {
        check_customer_table(&file, &bytes);
    }
    fuzz(
        "customer_tables",
        2,
        prop::collection::vec(any::<u8>(), 0..400),
        |bytes| check_customer_table(&file, bytes),
    );
}

/// Pieces that stress a CSV reader: quotes, every kind of line end, blank
/// lines, delimiters, bad bytes, far dates, overflowing and formula cells.
const TOKENS: &[&str] = &[
    "a",
    "b7",
    ",",
    ",",
    "\n",
    "\r\n",
    "\n\n",
    "\r",
    "\"",
    "\"\"",
    "2024-01-02",
    "2024-01-02 10:00:00",
    "2999-12-31",
    "20240102",
    "-3.5",
    "12",
    "1e308",
    "NaN",
    "inf",
    "x y",
    "\u{feff}",
    "é",
    "=SUM(1)",
    "\t",
    ";",
];

/// Files made of [`TOKENS`] under a valid header, through both readers: raw
/// random bytes seldom get past the header.
#[test]
fn tokenised_files() {
    let file = scratch_file("tokenised.csv");
    let pieces = prop::collection::vec(0..TOKENS.len(), 0..80);
    fuzz("tokenised_files", 4, (any::<bool>(), pieces), |(customers, pieces)| {
        let header = if *customers {
            "id,age,segment\n"
        } else {
            "customer_id,date,amount\n"
        };
        let text: String = std::iter::once(header)
            .chain(pieces.iter().map(|&p| TOKENS[p]))
            .collect();
        if *customers {
            check_customer_table(&file, text.as_bytes());
        } else {
            check_transaction_log(text.as_bytes());
        }
    });
}

fn check_date(field: &str, format: Option<&str>) {
    let mut parser = DateParser::new(format.map_or(DateFormat::Auto, |f| DateFormat::Custom(f.to_string())));
    let _ = parser.expected();
    if let Some(seconds) = parser.parse(field) {
        // What the tool writes back is a date it reads again as the same instant.
        let written = format_timestamp(seconds);
        assert_eq!(
            DateParser::new(DateFormat::Auto).parse(&written),
            Some(seconds),
            "{written}"
        );
    }
}

#[test]
fn dates() {
    for text in corpus_texts("dates") {
        for line in text.lines() {
            check_date(line, None);
        }
    }
    let field = prop_oneof![any::<String>(), "[0-9]{1,6}[-/ T:.0-9+Z]{0,20}"];
    let format = prop::option::of(prop_oneof![any::<String>(), "(%[YmdHMSjbBeyfzZ.]|[-/ :T]){0,8}"]);
    fuzz("dates", 1, (field, format), |(field, format)| {
        check_date(field, format.as_deref())
    });
}

/// One edit of a text: at a position (modulo the length, on a character
/// boundary), delete up to 15 characters and insert a string.
type TextEdit = (usize, usize, String);

fn edit_text(base: &str, edits: &[TextEdit]) -> String {
    let mut text = base.to_string();
    for (at, delete, insert) in edits {
        let mut at = at % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let end = text[at..]
            .char_indices()
            .nth(delete % 16)
            .map_or(text.len(), |(i, _)| at + i);
        text.replace_range(at..end, insert);
    }
    text
}

fn check_catalogue(text: &str) {
    if let Ok(catalogue) = Catalogue::from_toml(text, Path::new("catalogue.toml")) {
        assert!(!catalogue.archetypes.is_empty());
    }
}

#[test]
fn archetype_catalogues() {
    let bases = corpus_texts("archetype_catalogues");
    for base in &bases {
        check_catalogue(base);
    }
    // A few edits at a time: a text with many is refused at once and tests nothing further.
    let edits = prop::collection::vec((any::<usize>(), any::<usize>(), "[\\[\\]=\".,a-z0-9 \n]{0,8}"), 1..4);
    fuzz("archetype_catalogues", 1, (0..bases.len(), edits), |(base, edits)| {
        check_catalogue(&edit_text(&bases[*base], edits))
    });
}

/// One edit of a JSON document: the `at`-th node (in document order, modulo
/// their number) becomes a number, a string or null, gains a copy of its first
/// element, or loses its last element or member.
type JsonEdit = (usize, u8, f64);

fn edit_json(value: &mut serde_json::Value, edits: &[JsonEdit]) {
    for &(at, kind, number) in edits {
        let mut target = at % count_nodes(value);
        let node = nth_node(value, &mut target).expect("the index is below the node count");
        match kind % 5 {
            0 => *node = serde_json::Number::from_f64(number).map_or(serde_json::Value::Null, Into::into),
            1 => *node = serde_json::Value::String(number.to_string()),
            2 => *node = serde_json::Value::Null,
            3 => {
                if let serde_json::Value::Array(items) = node
                    && let Some(first) = items.first().cloned()
                {
                    items.push(first);
                }
            }
            _ => match node {
                serde_json::Value::Array(items) => {
                    items.pop();
                }
                serde_json::Value::Object(members) => {
                    let last = members.keys().next_back().cloned();
                    last.map(|k| members.remove(&k));
                }
                _ => {}
            },
        }
    }
}

fn count_nodes(value: &serde_json::Value) -> usize {
    1 + match value {
        serde_json::Value::Array(items) => items.iter().map(count_nodes).sum(),
        serde_json::Value::Object(members) => members.values().map(count_nodes).sum(),
        _ => 0,
    }
}

fn nth_node<'v>(value: &'v mut serde_json::Value, n: &mut usize) -> Option<&'v mut serde_json::Value> {
    if *n == 0 {
        return Some(value);
    }
    *n -= 1;
    match value {
        serde_json::Value::Array(items) => items.iter_mut().find_map(|v| nth_node(v, n)),
        serde_json::Value::Object(members) => members.values_mut().find_map(|v| nth_node(v, n)),
        _ => None,
    }
}

fn json_edits() -> impl Strategy<Value = Vec<JsonEdit>> {
    let number = prop_oneof![
        Just(0.0),
        Just(-1.0),
        Just(1e308),
        Just(f64::MAX),
        -5.0..5.0,
        any::<f64>()
    ];
    prop::collection::vec((any::<usize>(), any::<u8>(), number), 1..4)
}

fn json_bases(target: &str, made: impl IntoIterator<Item = serde_json::Value>) -> Vec<serde_json::Value> {
    let mut bases: Vec<serde_json::Value> = corpus_texts(target)
        .iter()
        .map(|text| serde_json::from_str(text).expect("a corpus document is JSON"))
        .collect();
    bases.extend(made);
    bases
}

fn check_report(json: &serde_json::Value) {
    if let Ok(report) = SegmentReport::from_json(&json.to_string()) {
        // A report that loads renders, or says why it cannot.
        let _ = report.to_html();
        let _ = report.to_markdown();
    }
}

#[test]
fn reports() {
    let synthetic = generate(&SynthParams::new(400, 5)).unwrap();
    let fitted = Segmentation::new()
        .k(3)
        .seed(1)
        .as_of(synthetic.as_of)
        .fit(&synthetic.transactions, None)
        .unwrap();
    let bases = json_bases("reports", [serde_json::to_value(&fitted.report).unwrap()]);
    bases.iter().for_each(check_report);
    fuzz("reports", 10, (0..bases.len(), json_edits()), |(base, edits)| {
        let mut json = bases[*base].clone();
        edit_json(&mut json, edits);
        check_report(&json);
    });
}

fn check_model(json: serde_json::Value, width: usize) {
    let Ok(model) = serde_json::from_value::<ClusterModel>(json) else {
        return;
    };
    // A model read from a file places rows of any width without a panic: an error when they do not fit.
    let numeric = Array2::from_shape_fn((4, width % 4), |(i, j)| (i * 5 + j) as f64);
    let categorical = Array2::from_elem((4, width / 4 % 2), 1_u32);
    let n_levels = vec![3; categorical.ncols()];
    let rows = MixedRows {
        numeric: numeric.view(),
        categorical: categorical.view(),
        n_levels: &n_levels,
    };
    if let Ok(labels) = model.predict(rows) {
        assert!(labels.iter().all(|&l| l < model.n_clusters()));
    }
}

#[test]
fn cluster_models() {
    // Two numeric columns and one categorical column with three levels.
    let numeric = Array2::from_shape_fn((60, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64 + (i % 3) as f64 * 10.0);
    let categorical = Array2::from_shape_fn((60, 1), |(i, _)| (i % 3) as u32);
    let rows = MixedRows {
        numeric: numeric.view(),
        categorical: categorical.view(),
        n_levels: &[3],
    };
    let methods = [
        Method::KMeans,
        Method::MiniBatchKMeans,
        Method::KPrototypes,
        Method::Gmm,
        Method::Ward,
    ];
    let fitted = methods.iter().map(|m| {
        let model = m.clusterer(3, &MethodSettings::default()).fit_rows(rows).unwrap();
        serde_json::to_value(&model).unwrap()
    });
    let bases = json_bases("cluster_models", fitted);
    for base in &bases {
        for width in 0..8 {
            check_model(base.clone(), width);
        }
    }
    fuzz(
        "cluster_models",
        1,
        (0..bases.len(), json_edits(), 0..8_usize),
        |(base, edits, width)| {
            let mut json = bases[*base].clone();
            edit_json(&mut json, edits);
            check_model(json, *width);
        },
    );
}
