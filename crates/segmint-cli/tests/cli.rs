//! The `segmint` binary as a user runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn segmint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segmint"))
        .args(args)
        .output()
        .expect("run segmint")
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_prints_the_table_names_the_segments_and_writes_four_files() {
    let out = scratch("demo");
    let run = segmint(&[
        "demo",
        "--out",
        out.to_str().unwrap(),
        "--customers",
        "2000",
        "--seed",
        "3",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("2000 customers in 4 segments"), "{stdout}");
    assert!(
        stdout.contains("segment customers   share  revenue recency_days"),
        "{stdout}"
    );
    assert!(stdout.contains("High-Value Loyalists"), "{stdout}");
    assert!(stdout.contains("Segment names"), "{stdout}");
    assert!(stdout.contains("\"High-Value Loyalists\": "), "{stdout}");
    for file in ["report.json", "report.md", "report.html", "segments.csv"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let segments = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    assert_eq!(segments.lines().count(), 2001);
}

#[test]
fn run_reads_a_csv_with_quantity_and_price() {
    let dir = scratch("run");
    let csv = dir.join("tx.csv");
    let mut rows = String::from("Invoice;Customer;When;Qty;Price\n");
    for c in 0..40 {
        for o in 0..(c % 5 + 1) {
            rows += &format!(
                "I{c}-{o};cust{c};2024-0{}-1{} 10:00:00;{};{}.5\n",
                o % 9 + 1,
                c % 10,
                o + 1,
                c % 7 + 1
            );
        }
    }
    rows += "X;;2024-01-01 10:00:00;1;1\n"; // no customer: dropped and counted
    std::fs::write(&csv, rows).unwrap();
    let out = dir.join("out");
    let run = segmint(&[
        "run",
        "--transactions",
        csv.to_str().unwrap(),
        "--customer-col",
        "Customer",
        "--date-col",
        "When",
        "--quantity-col",
        "Qty",
        "--price-col",
        "Price",
        "--order-col",
        "Invoice",
        "--delimiter",
        ";",
        "--k",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("dropped         1  missing customer id"), "{stdout}");
    assert!(stdout.contains("40 customers in 3 segments"), "{stdout}");
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(report.contains("\"rows_read\": 121"), "{report}");
}

#[test]
fn a_missing_column_fails_with_the_header_listed() {
    let dir = scratch("missing_column");
    let csv = dir.join("tx.csv");
    std::fs::write(&csv, "customer,date,amount\na,2024-01-01,1\n").unwrap();
    let run = segmint(&[
        "run",
        "--transactions",
        csv.to_str().unwrap(),
        "--customer-col",
        "cust",
        "--date-col",
        "date",
        "--amount-col",
        "amount",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("no column \"cust\" (parameter customer_col); the header has: customer, date, amount"),
        "{stderr}"
    );
}

#[test]
fn amount_or_quantity_and_price_is_required() {
    let run = segmint(&[
        "run",
        "--transactions",
        "x.csv",
        "--customer-col",
        "c",
        "--date-col",
        "d",
        "--out",
        "o",
    ]);
    assert!(!run.status.success());
    assert!(text(&run.stderr).contains("--amount-col"), "{}", text(&run.stderr));
}

#[test]
fn same_seed_same_files_on_one_two_and_eight_threads() {
    let run_with = |threads: &str| {
        let out = scratch(&format!("threads_{threads}"));
        let run = Command::new(env!("CARGO_BIN_EXE_segmint"))
            .args([
                "demo",
                "--customers",
                "30000",
                "--k",
                "4",
                "--seed",
                "9",
                "--out",
                out.to_str().unwrap(),
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("run segmint");
        assert!(run.status.success(), "{}", text(&run.stderr));
        (
            std::fs::read_to_string(out.join("segments.csv")).unwrap(),
            std::fs::read_to_string(out.join("report.json")).unwrap(),
        )
    };
    let one = run_with("1");
    assert_eq!(one, run_with("2"));
    assert_eq!(one, run_with("8"));
}

#[test]
fn features_writes_one_row_per_customer_and_accounts_for_every_row() {
    let dir = scratch("features");
    let input = dir.join("tx.csv");
    std::fs::write(
        &input,
        "cust;when;amount;promo\na;2024-01-01;10;yes\na;2024-01-05;-4;no\nb;2024-01-03;7;\n;2024-01-04;1;no\n",
    )
    .unwrap();
    let out = dir.join("features.csv");
    let run = segmint(&[
        "features",
        "--transactions",
        input.to_str().unwrap(),
        "--customer-col",
        "cust",
        "--date-col",
        "when",
        "--amount-col",
        "amount",
        "--discount-col",
        "promo",
        "--delimiter",
        ";",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("read 4 rows") && stdout.contains("kept 3 (1 returns), dropped 1"),
        "{stdout}"
    );
    assert!(stdout.contains("missing customer id"), "{stdout}");
    let table = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("customer_id,recency_days,frequency,monetary,"));
    assert!(lines[0].ends_with("discount_order_share,discount_revenue_share"));
    // a: net 6 from one order, bought on promotion.
    assert!(lines[1].starts_with("a,4,1,6,6,4,0,"), "{}", lines[1]);
    assert!(lines[1].ends_with(",1,1"), "{}", lines[1]);
}

#[test]
fn on_bad_row_fail_names_the_line_and_column() {
    let dir = scratch("bad-row");
    let input = dir.join("tx.csv");
    std::fs::write(&input, "c,d,a\nx,2024-01-01,1\ny,2024-01-02,one\n").unwrap();
    let run = segmint(&[
        "features",
        "--transactions",
        input.to_str().unwrap(),
        "--customer-col",
        "c",
        "--date-col",
        "d",
        "--amount-col",
        "a",
        "--on-bad-row",
        "fail",
        "--out",
        dir.join("f.csv").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("line 3, column \"a\"") && stderr.contains("\"one\""),
        "{stderr}"
    );
}

#[test]
fn synth_side_files_feed_run_and_the_customers_table_makes_segments_accessible() {
    let dir = scratch("synth-run");
    let tx = dir.join("tx.csv");
    let synth = segmint(&[
        "synth",
        "--out",
        tx.to_str().unwrap(),
        "--customers",
        "1500",
        "--seed",
        "4",
    ]);
    assert!(synth.status.success(), "{}", text(&synth.stderr));
    let side = |suffix: &str| dir.join(format!("tx_{suffix}.csv"));
    let customers = std::fs::read_to_string(side("customers")).unwrap();
    assert_eq!(customers.lines().count(), 1501);
    assert!(
        customers.starts_with("customer_id,age,email_opt_in,gender,region\n"),
        "{customers}"
    );
    let out = dir.join("out");
    let (products, interactions, customers) = (side("products"), side("interactions"), side("customers"));
    let run = segmint(&[
        "run",
        "--transactions",
        tx.to_str().unwrap(),
        "--customer-col",
        "customer_id",
        "--date-col",
        "date",
        "--amount-col",
        "amount",
        "--order-col",
        "order_id",
        "--product-col",
        "product_id",
        "--discount-col",
        "discounted",
        "--products",
        products.to_str().unwrap(),
        "--interactions",
        interactions.to_str().unwrap(),
        "--kind-col",
        "kind",
        "--customers",
        customers.to_str().unwrap(),
        "--k",
        "4",
        "--bootstrap",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(
        stdout.contains("customers: 1500 customers matched, 0 only in the customers"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let overall = report["scorecard"]["overall"].as_array().unwrap();
    let reach = overall.iter().find(|c| c["criterion"] == "accessible").unwrap();
    let share = reach["value"].as_f64().unwrap();
    // The generator opts customers in to e-mail with archetype-specific probabilities.
    assert!(share > 0.2 && share < 1.0, "{reach}");
    assert_ne!(reach["verdict"], "not_assessed");
    let composition = report["segments"][0]["composition"].as_array().unwrap();
    let attributes: Vec<&str> = composition.iter().map(|c| c["attribute"].as_str().unwrap()).collect();
    assert_eq!(attributes, ["age", "email_opt_in", "gender", "region"]);
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("- Who they are: age "), "{markdown}");
    let columns: Vec<&str> = report["segments"][0]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert!(
        columns.contains(&"engagement_score") && columns.contains(&"new_product_share"),
        "{columns:?}"
    );
}

#[test]
fn the_attitudinal_demo_finds_the_four_scales_and_names_the_true_attitudes() {
    let out = scratch("attitudinal");
    let run = segmint(&[
        "demo",
        "--path",
        "attitudinal",
        "--customers",
        "2000",
        "--k",
        "4",
        "--bootstrap",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("4 factors (minres, varimax)"), "{stdout}");
    for scale in ["price", "quality", "innovation", "practical"] {
        assert!(stdout.contains(&format!("  {scale:<12} α = 0.8")), "{scale}: {stdout}");
    }
    for attitude in [
        "Value Seekers",
        "Quality Enthusiasts",
        "Innovators",
        "Practical Pragmatists",
    ] {
        assert!(stdout.contains(attitude), "{attitude}: {stdout}");
    }
    assert!(stdout.contains("MASDA scorecard"), "{stdout}");
    // The study writes the same report files as the behavioural path.
    for file in ["report.json", "report.md", "report.html", "segments.csv"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(report.contains("\"Value Seekers\"") && report.contains("survey: KMO"));
}

#[test]
fn a_user_catalogue_names_the_segments_and_a_broken_one_is_a_clear_error() {
    let dir = scratch("catalogue");
    let mine = dir.join("mine.toml");
    std::fs::write(
        &mine,
        "name = \"mine\"\n[[archetype]]\nname = \"Whales\"\nexpect = { monetary = \"very_high\", frequency = \"very_high\" }\n",
    )
    .unwrap();
    let out = dir.join("out");
    let args = |catalogue: &str| {
        vec![
            "demo".to_string(),
            "--out".into(),
            out.to_str().unwrap().into(),
            "--customers".into(),
            "1000".into(),
            "--k".into(),
            "4".into(),
            "--bootstrap".into(),
            "0".into(),
            "--catalogue".into(),
            catalogue.into(),
        ]
    };
    let run = Command::new(env!("CARGO_BIN_EXE_segmint"))
        .args(args(mine.to_str().unwrap()))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains(": Whales (mine archetype"), "{stdout}");

    std::fs::write(
        &mine,
        "name = \"mine\"\n[[archetype]]\nname = \"Whales\"\nexpect = { monetary = \"huge\" }\n",
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_segmint"))
        .args(args(mine.to_str().unwrap()))
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("mine.toml line 4") && stderr.contains("unknown level \"huge\""),
        "{stderr}"
    );
}

/// A tab-separated customer table of three groups (age, income, region).
fn customer_table(dir: &std::path::Path) -> PathBuf {
    let mut rows = String::from("id\tage\tincome\tregion\n");
    for i in 0..90 {
        let g = i % 3;
        let age = 25 + 20 * g + i % 5;
        let income = 20 + 40 * g + (i * 7) % 9;
        let region = ["north", "south", "east"][g];
        rows += &format!("C{i:03}\t{age}\t{income}\t{region}\n");
    }
    let path = dir.join("customers.tsv");
    std::fs::write(&path, rows).unwrap();
    path
}

#[test]
fn run_segments_a_customer_table_without_transactions() {
    let dir = scratch("table");
    let table = customer_table(&dir);
    let out = dir.join("out");
    let run = segmint(&[
        "run",
        "--customers",
        table.to_str().unwrap(),
        "--id-col",
        "id",
        "--delimiter",
        "tab",
        "--basis",
        "age,income,region",
        "--k",
        "3",
        "--bootstrap",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stdout = text(&run.stdout);
    assert!(stdout.contains("90 customers in 3 segments (k-prototypes"), "{stdout}");
    let segments = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    assert_eq!(segments.lines().count(), 91);
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(report.contains("\"region\""), "the region's make-up is reported");
}

#[test]
fn run_refuses_a_survey_answer_outside_the_declared_scale() {
    let dir = scratch("survey-scale");
    let survey = dir.join("survey.csv");
    let mut text_of = String::from("respondent,q1,q2,q3,q4\n");
    for i in 0..40 {
        let q4 = if i == 23 { 9 } else { 1 + (i * 3) % 5 };
        text_of.push_str(&format!(
            "r{i},{},{},{},{q4}\n",
            1 + i % 5,
            1 + (i / 2) % 5,
            1 + (i * 7) % 5
        ));
    }
    std::fs::write(&survey, text_of).unwrap();
    let (survey, out) = (survey.to_str().unwrap(), dir.to_str().unwrap());
    let run_with = |scale: &str| {
        segmint(&[
            "run",
            "--survey",
            survey,
            "--id-col",
            "respondent",
            "--survey-scale",
            scale,
            "--k",
            "2",
            "--out",
            out,
        ])
    };
    let run = run_with("1-5");
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("survey respondent \"r23\", item \"q4\": unexpected value \"9\"")
            && stderr.contains("declared scale 1–5"),
        "{stderr}"
    );
    assert!(!dir.join("report.json").exists(), "no report for a refused survey");
    let run = run_with("one to five");
    assert!(!run.status.success());
    assert!(text(&run.stderr).contains("--survey-scale"), "{}", text(&run.stderr));
}

#[test]
fn run_names_a_basis_column_the_table_lacks() {
    let dir = scratch("table-bad");
    let table = customer_table(&dir);
    let run = segmint(&[
        "run",
        "--customers",
        table.to_str().unwrap(),
        "--id-col",
        "id",
        "--delimiter",
        "tab",
        "--basis",
        "age,spend",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("basis=spend") && stderr.contains("age, income, region"),
        "{stderr}"
    );
    let run = segmint(&["run", "--out", dir.join("out").to_str().unwrap()]);
    assert!(
        !run.status.success(),
        "no source at all is refused by the argument parser"
    );
}

/// `features` on a file, with extra arguments; the columns are `c,d,a`.
fn features_of(name: &str, body: &str, extra: &[&str]) -> (Output, PathBuf) {
    let dir = scratch(name);
    let csv = dir.join("tx.csv");
    std::fs::write(&csv, body).unwrap();
    let out = dir.join("features.csv");
    let mut args = vec![
        "features",
        "--transactions",
        csv.to_str().unwrap(),
        "--customer-col",
        "c",
        "--date-col",
        "d",
        "--amount-col",
        "a",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    (segmint(&args), out)
}

/// 121 rows of 12 customers; a quote opens on row 11 (line 12) and is never closed.
fn unclosed_quote_rows() -> String {
    let mut body = String::from("c,d,a\n");
    for i in 0..121 {
        let amount = if i == 10 {
            "\"2".to_string()
        } else {
            format!("{}", i + 1)
        };
        body += &format!("C{},2024-01-{:02},{amount}\n", i % 12, i % 28 + 1);
    }
    body
}

#[test]
fn an_unclosed_quote_is_counted_line_by_line_or_fails_naming_its_line() {
    let (run, _) = features_of("unclosed", &unclosed_quote_rows(), &[]);
    let stdout = text(&run.stdout);
    assert!(stdout.contains("read 121 rows"), "{stdout}");
    assert!(stdout.contains("kept 10"), "{stdout}");
    assert!(stdout.contains("111  inside a quote that is never closed"), "{stdout}");
    let (strict, _) = features_of("unclosed-strict", &unclosed_quote_rows(), &["--strict"]);
    assert!(!strict.status.success());
    let stderr = text(&strict.stderr);
    assert!(stderr.contains("tx.csv line 12: malformed CSV"), "{stderr}");
}

#[test]
fn strict_errors_name_the_line_an_editor_shows() {
    let body = "c,d,a\r\nx,2024-01-01,1\r\n\r\n\r\ny,2024-01-02,one\r\n";
    let (run, _) = features_of("crlf-lines", body, &["--strict"]);
    let stderr = text(&run.stderr);
    assert!(stderr.contains("tx.csv line 5, column \"a\""), "{stderr}");
}

#[test]
fn a_date_centuries_beyond_the_rest_is_named_on_stderr() {
    let mut body = String::from("c,d,a\n");
    for i in 0..20 {
        body += &format!("C{},2024-01-{:02},{}\n", i % 5, i + 1, i + 1);
    }
    body += "LATE,2999-01-01,5\n";
    let (run, _) = features_of("late-date", &body, &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("1 transaction lines are dated far beyond"), "{stderr}");
    assert!(stderr.contains("customer \"LATE\" on 2999-01-01"), "{stderr}");
    // --as-of ends the observation window: the later lines are left out, counted and named.
    let (run, out) = features_of("late-as-of", &body, &["--as-of", "2024-01-15"]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("6 rows are dated after the end of observation (--as-of)"),
        "{stderr}"
    );
    assert!(stderr.contains("line 17 dated 2024-01-16"), "{stderr}");
    assert!(!stderr.contains("far beyond"), "{stderr}");
    let features = std::fs::read_to_string(out).unwrap();
    assert!(!features.contains("LATE"), "{features}");
}

#[test]
fn duplicate_rows_are_reported_and_dropped_on_request() {
    let body = "c,d,a\nx,2024-01-01,1\nx,2024-01-01,1\ny,2024-01-02,2\nx,2024-01-01,1\n";
    let (run, _) = features_of("dupes", body, &[]);
    let stdout = text(&run.stdout);
    assert!(stdout.contains("kept 4"), "{stdout}");
    assert!(
        stdout.contains("2 rows repeat an earlier row exactly (kept"),
        "{stdout}"
    );
    let (run, _) = features_of("dupes-dropped", body, &["--drop-duplicates"]);
    let stdout = text(&run.stdout);
    assert!(stdout.contains("kept 2"), "{stdout}");
    assert!(stdout.contains("2  exact duplicate of an earlier line"), "{stdout}");
}

/// Twelve customers, some with ids a spreadsheet would run; `-7` is a number.
fn hostile_ids() -> String {
    // (A leading tab is trimmed on reading, so it is tested in the core.)
    let ids = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+cmd",
        "@SUM(1)",
        "-7",
        "-x-",
        "plain",
    ];
    let mut body = String::from("c,d,a\n");
    for (i, id) in ids.iter().cycle().take(36).enumerate() {
        let quoted = format!("\"{}\"", id.replace('"', "\"\""));
        body += &format!("{quoted},2024-0{}-1{},{}.5\n", i % 6 + 1, i % 9, i % 7 + 1);
    }
    body
}

#[test]
fn csv_outputs_neutralise_formulas_unless_asked_for_raw_text() {
    for command in ["features", "clv"] {
        let dir = scratch(&format!("formulas-{command}"));
        let csv = dir.join("tx.csv");
        std::fs::write(&csv, hostile_ids()).unwrap();
        let out = dir.join("out.csv");
        let args = |raw: bool| {
            let mut a = vec![command, "--transactions", csv.to_str().unwrap(), "--customer-col", "c"];
            a.extend(["--date-col", "d", "--amount-col", "a", "--out", out.to_str().unwrap()]);
            if raw {
                a.push("--raw-csv");
            }
            a
        };
        let run = segmint(&args(false));
        assert!(run.status.success(), "{command}: {}", text(&run.stderr));
        let written = std::fs::read_to_string(&out).unwrap();
        let first: Vec<&str> = written.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        for cell in [
            "\"'=HYPERLINK(\"\"http://x\"\"",
            "'+cmd",
            "'@SUM(1)",
            "-7",
            "'-x-",
            "plain",
        ] {
            assert!(first.contains(&cell), "{command}: {cell:?} not in {first:?}");
        }
        let run = segmint(&args(true));
        assert!(run.status.success(), "{command}: {}", text(&run.stderr));
        let raw = std::fs::read_to_string(&out).unwrap();
        assert!(
            raw.contains("\n+cmd,") && raw.contains("\n@SUM(1),"),
            "{command}: {raw}"
        );
    }
}

#[test]
fn run_neutralises_formulas_in_segments_csv() {
    let dir = scratch("formulas-run");
    let csv = dir.join("tx.csv");
    std::fs::write(&csv, hostile_ids()).unwrap();
    let out = dir.join("out");
    let run = segmint(&[
        "run",
        "--transactions",
        csv.to_str().unwrap(),
        "--customer-col",
        "c",
        "--date-col",
        "d",
        "--amount-col",
        "a",
        "--out",
        out.to_str().unwrap(),
        "--k",
        "2",
        "--bootstrap",
        "0",
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let segments = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    assert!(
        segments.contains("\n'+cmd,") && segments.contains("\n-7,"),
        "{segments}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn features_refuses_to_overwrite_its_own_input() {
    let dir = scratch("own-input");
    let csv = dir.join("tx.csv");
    let body = "c,d,a\nx,2024-01-01,1\ny,2024-01-02,2\n";
    std::fs::write(&csv, body).unwrap();
    let same = dir.join(".").join("tx.csv");
    let run = segmint(&[
        "features",
        "--transactions",
        csv.to_str().unwrap(),
        "--customer-col",
        "c",
        "--date-col",
        "d",
        "--amount-col",
        "a",
        "--out",
        same.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(stderr.contains("invalid parameter --out="), "{stderr}");
    assert!(stderr.contains("a file other than the input"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), body);
}

#[test]
fn overflowing_sums_name_the_customer_and_the_feature() {
    let body = "c,d,a\nok,2024-01-01,5\nbig,2024-01-02,1e308\nbig,2024-01-03,1e308\n";
    let (run, out) = features_of("overflow", body, &[]);
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("customer \"big\": monetary is inf"), "{stderr}");
    assert!(!out.exists());
    // `run` names them the same way, not by a row and column of its feature matrix.
    let mut body = String::from("c,d,a\n");
    for c in 0..30 {
        body += &format!("C{c},2024-01-{:02},{}\n", c % 28 + 1, c + 1);
    }
    body += "big,2024-01-02,1e308\nbig,2024-01-03,1e308\n";
    let (run, _) = run_of("overflow-run", &body, &["--k", "3"]);
    let stderr = text(&run.stderr);
    assert!(stderr.contains("customer \"big\": monetary is inf"), "{stderr}");
    assert!(!stderr.contains("row 9"), "{stderr}");
}

/// `run` on a file with extra arguments; the columns are `c,d,a`.
fn run_of(name: &str, body: &str, extra: &[&str]) -> (Output, PathBuf) {
    let dir = scratch(name);
    let csv = dir.join("tx.csv");
    std::fs::write(&csv, body).unwrap();
    let out = dir.join("out");
    let mut args = vec!["run", "--transactions", csv.to_str().unwrap(), "--customer-col", "c"];
    args.extend(["--date-col", "d", "--amount-col", "a", "--out", out.to_str().unwrap()]);
    args.extend(["--bootstrap", "0"]);
    args.extend_from_slice(extra);
    (segmint(&args), out)
}

#[test]
fn identical_customers_refuse_three_segments_in_the_users_words() {
    let mut body = String::from("c,d,a\n");
    for c in 0..20 {
        body += &format!("C{c},2024-01-01,10\nC{c},2024-02-01,10\n");
    }
    let (run, out) = run_of("identical", &body, &["--k", "3"]);
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("invalid parameter k=3: expected at most 1 segment(s)"),
        "{stderr}"
    );
    assert!(!out.join("report.json").exists());
    // Choosing k says the same, in terms of the smallest k it would try.
    let (run, _) = run_of("identical-auto", &body, &["--k", "auto"]);
    assert!(!run.status.success(), "{}", text(&run.stdout));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("invalid parameter k=2: expected at most 1 segment(s)"),
        "{stderr}"
    );
}

#[test]
fn refunds_only_are_never_high_value_loyalists() {
    // 200 customers with 1 to 6 refunds each over a year: the least negative
    // revenue ranks "very high" among them, but it is not value.
    let mut state = 7u64;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut body = String::from("c,d,a\n");
    for c in 0..200 {
        for _ in 0..=next(6) {
            let (month, day, amount) = (next(12) + 1, next(28) + 1, next(50_000) + 100);
            body += &format!("C{c},2024-{month:02}-{day:02},-{}.{:02}\n", amount / 100, amount % 100);
        }
    }
    for k in ["3", "4", "5"] {
        let (run, _) = run_of("refunds", &body, &["--k", k]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        let stdout = text(&run.stdout);
        assert!(stdout.contains("Segment names"), "{stdout}");
        assert!(!stdout.contains("High-Value Loyalists"), "k = {k}: {stdout}");
    }
}

#[test]
fn k_auto_on_few_customers_fails_without_naming_an_option_the_cli_lacks() {
    let body = "c,d,a\na,2024-01-01,1\nb,2024-01-02,2\nc,2024-01-03,3\nd,2024-01-04,4\ne,2024-01-05,5\n";
    let (run, _) = run_of("few-auto", body, &["--k", "auto"]);
    assert!(!run.status.success());
    let stderr = text(&run.stderr);
    assert!(!stderr.contains("k_max"), "{stderr}");
    assert!(
        stderr.contains("choosing the number of segments (k) automatically"),
        "{stderr}"
    );
    assert!(stderr.contains("below 5"), "{stderr}");
}

#[test]
fn score_places_the_training_customers_in_their_segments_and_migrate_accounts_for_each() {
    let dir = scratch("score");
    let tx = dir.join("tx.csv");
    let synth = segmint(&[
        "synth",
        "--out",
        tx.to_str().unwrap(),
        "--customers",
        "800",
        "--seed",
        "2",
    ]);
    assert!(synth.status.success(), "{}", text(&synth.stderr));
    let columns = [
        "--customer-col",
        "customer_id",
        "--date-col",
        "date",
        "--amount-col",
        "amount",
    ];
    let out = dir.join("out");
    let mut args = vec![
        "run",
        "--transactions",
        tx.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(columns);
    let run = segmint(&args);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let model = out.join("model.json");
    let scored = dir.join("scored");
    let score_args = |extra: &[&'static str]| {
        let mut args = vec![
            "score",
            "--model",
            model.to_str().unwrap(),
            "--transactions",
            tx.to_str().unwrap(),
            "--out",
            scored.to_str().unwrap(),
        ];
        args.extend(columns);
        args.extend(extra);
        segmint(&args)
    };
    let score = score_args(&[]);
    assert!(score.status.success(), "{}", text(&score.stderr));
    assert!(
        text(&score.stdout).contains("800 customers placed"),
        "{}",
        text(&score.stdout)
    );
    let trained = std::fs::read_to_string(out.join("segments.csv")).unwrap();
    let placed = std::fs::read_to_string(scored.join("segments.csv")).unwrap();
    let id_and_segment = |line: &str| line.splitn(3, ',').take(2).collect::<Vec<_>>().join(",");
    assert_eq!(
        placed.lines().next(),
        Some("customer_id,segment,name,distance,next_distance")
    );
    assert_eq!(
        placed.lines().skip(1).map(id_and_segment).collect::<Vec<_>>(),
        trained.lines().skip(1).map(String::from).collect::<Vec<_>>()
    );
    let drift = std::fs::read_to_string(scored.join("drift.md")).unwrap();
    assert!(drift.starts_with("## Drift since training: stable"), "{drift}");
    assert!(scored.join("drift.json").is_file());
    let early = score_args(&["--as-of", "2024-06-01"]);
    assert!(!early.status.success());
    assert!(
        text(&early.stderr).contains("invalid parameter as_of"),
        "{}",
        text(&early.stderr)
    );
}

#[test]
fn the_migration_demo_writes_the_segmentation_and_its_migration() {
    let out = scratch("migration-demo");
    let demo = segmint(&[
        "demo",
        "--path",
        "migration",
        "--out",
        out.to_str().unwrap(),
        "--customers",
        "2000",
    ]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    let stdout = text(&demo.stdout);
    assert!(stdout.contains("Segment migration from 2025-12-31"), "{stdout}");
    assert!(stdout.contains(" became "), "{stdout}");
    assert!(out.join("model.json").is_file());
    let page = std::fs::read_to_string(out.join("migration/report.html")).unwrap();
    assert!(page.contains("<svg") && page.contains("Transition matrix") && !page.contains("<script"));
    let transitions = std::fs::read_to_string(out.join("migration/transitions.csv")).unwrap();
    let new: usize = transitions
        .lines()
        .filter(|l| l.starts_with("new,"))
        .map(|l| l.split(',').nth(4).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(new, 200, "the second year's acquisitions (10% of 2,000) arrive as new");
}
