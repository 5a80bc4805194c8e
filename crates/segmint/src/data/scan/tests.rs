use super::records::{Got, next_record};
use super::*;

type Split = (Vec<String>, Vec<(u64, Vec<String>)>);

fn fields(record: &csv::ByteRecord) -> (u64, Vec<String>) {
    let line = record.position().map_or(0, csv::Position::line);
    (
        line,
        record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect(),
    )
}

/// The names and records (with their lines) as the scan splits them.
fn split(text: &str) -> Split {
    let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
    let (mut records, names) =
        Records::open(text.as_bytes(), path, &options, |r| csv_reader(r, path, &options)).unwrap();
    (names, drain(&mut records))
}

fn drain(records: &mut Records<'_>) -> Vec<(u64, Vec<String>)> {
    let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
    let (mut out, mut record) = (Vec::new(), csv::ByteRecord::new());
    while next_record(records, &mut record, path, &options).unwrap() == Got::Record {
        out.push(fields(&record));
    }
    out
}

/// The same with every record read by the csv crate, its lines corrected.
fn through_csv(text: &str) -> Split {
    let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
    let (csv, names, tap) = csv_reader(text.as_bytes(), path, &options).unwrap();
    let mut records = Records::Csv {
        csv,
        lines_before: 0,
        tap,
    };
    (names, drain(&mut records))
}

/// The csv crate's records alone (its own line numbers dropped).
fn csv_crate(text: &str) -> Vec<Vec<String>> {
    let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
    let (mut csv, _, _) = csv_reader(text.as_bytes(), path, &options).unwrap();
    let (mut out, mut record) = (Vec::new(), csv::ByteRecord::new());
    while csv.read_byte_record(&mut record).unwrap() {
        out.push(fields(&record).1);
    }
    out
}

/// Both paths give the csv crate's records, on the same physical lines.
fn assert_paths_agree(text: &str) {
    let (plain, csv) = (split(text), through_csv(text));
    assert_eq!(plain, csv, "{text:?}");
    let records: Vec<Vec<String>> = plain.1.into_iter().map(|(_, r)| r).collect();
    assert_eq!(records, csv_crate(text), "{text:?}");
}

fn lines(text: &str) -> Vec<u64> {
    split(text).1.iter().map(|(line, _)| *line).collect()
}

/// Whether the whole text was split without the csv crate.
fn stays_plain(text: &str) -> bool {
    let (options, path) = (ReadOptions::default(), Path::new("t.csv"));
    let (mut records, _) = Records::open(text.as_bytes(), path, &options, |r| csv_reader(r, path, &options)).unwrap();
    let mut record = csv::ByteRecord::new();
    while next_record(&mut records, &mut record, path, &options).unwrap() == Got::Record {}
    matches!(records, Records::Plain(_))
}

#[test]
fn plain_splitting_gives_the_csv_crates_records_on_physical_lines() {
    let texts = [
        "a,b\nx,1\n\ny,2\r\nz,3",
        "a,b\r\nx,1,\r\n\r\n,\n  ,2\n",
        "a,b\nx,1\n\"q,\nu\",2\nz,3\n",
        "\"a\",b\nx,1\n",
        "\u{feff}a,b\nx,1\n",
        "a,b\nx,1\ry,2\n",
        "a,b\n",
        "a,b",
        "\na,b\nx,1\n",
        // Blank lines: every later record's line counts them.
        "a,b\nx,1\n\ny,2\nz,3\n",
        "a,b\nx,1\n\n\n\ny,2\n\nz,3\n\n\n",
        // Blank lines, then a quote: the csv crate takes over and counts them.
        "a,b\nx,1\n\n\n\"q\",2\nz,3\n",
        "a,b\r\nx,1\r\n\r\n\"q\",2\r\n\r\nz,3\r\n",
        // Windows line ends, with blank lines, a lone `\r` and a `\r` inside a field.
        "a,b\r\nx,1\r\ny,2\r\n",
        "a,b\r\nx,1\r\n\r\n\r\ny,2\r\nz,3",
        "a,b\r\nx,1\r\ny,2\rz,3\r\n",
        "a,b\r\nx,1\r\ny\r,2\r\nz,3\r\n",
        "a,b\nx,1\r\n\ny,2\n\r\nz,3\n",
        "a,b\r\nx,1\r",
        "a,b\r\n\r\n",
        "\r\na,b\r\nx,1\r\n",
    ];
    for text in texts {
        assert_paths_agree(text);
    }
}

#[test]
fn blank_lines_and_windows_line_ends_stay_on_the_plain_path() {
    for text in [
        "a,b\nx,1\n\n\ny,2\n",
        "a,b\r\nx,1\r\n\r\ny,2\r\n",
        "a,b\r\nx,1\ny,2\r\nz,3",
    ] {
        assert!(stays_plain(text), "{text:?}");
        assert_paths_agree(text);
    }
    for text in ["a,b\nx,1\ry,2\n", "a,b\r\nx,\"1\"\r\n", "a,b\r\nx,1\r"] {
        assert!(!stays_plain(text), "{text:?}");
    }
}

#[test]
fn a_quote_after_many_chunks_hands_over_with_the_right_lines() {
    for line_end in ["\n", "\r\n"] {
        let mut text = format!("id,value{line_end}");
        for i in 0..300_000 {
            text.push_str(&format!("c{i},{i}{line_end}"));
            if i % 1000 == 7 {
                text.push_str(line_end);
            }
            if i == 250_000 {
                text.push_str(&format!("{line_end}\"quoted\nline\",1{line_end}"));
            }
        }
        assert!(text.len() > 2 * super::super::split::CHUNK_BYTES);
        assert_paths_agree(&text);
    }
}

#[test]
fn records_carry_the_line_an_editor_shows() {
    // Blank lines and Windows line ends, on the plain path and after a quote hands over to the csv crate.
    assert_eq!(lines("a,b\nx,1\n\ny,2\n\n\nz,3\n"), [2, 4, 7]);
    assert_eq!(lines("a,b\r\nx,1\r\ny,2\r\n\r\nz,3\r\n"), [2, 3, 5]);
    assert_eq!(lines("a,b\r\nx,1\r\n\r\n\"q\",2\r\n\r\nz,3\r\n"), [2, 4, 6]);
    assert_eq!(lines("a,b\nx,1\n\"multi\nline\",2\n\nz,3\n"), [2, 3, 6]);
    assert_eq!(lines("\"a\",b\r\n\r\nx,1\r\ny,2\r\n"), [3, 4]);
}

/// Reads `text` with the transaction columns `c,d,a`.
fn scan_text(text: &str, options: &ReadOptions) -> Result<IngestAudit> {
    let wanted = [
        Wanted {
            parameter: "customer_col",
            column: Some("c"),
        },
        Wanted {
            parameter: "amount_col",
            column: Some("a"),
        },
    ];
    scan_reader(
        text.as_bytes(),
        Path::new("t.csv"),
        &wanted,
        options,
        take_amount,
        |()| Ok(()),
    )
}

fn take_amount<'f>(
    record: &csv::ByteRecord,
    fields: &'f [Option<Field>],
    _: &mut DateParser,
    (): &mut (),
) -> std::result::Result<(), RowError<'f>> {
    let Some(amount) = &fields[1] else {
        unreachable!("two mapped columns")
    };
    number(&record[amount.index]).map(drop).map_err(|e| (e, amount))
}

/// 121 rows; a quote opens on row 11 (line 12) and is never closed.
fn unclosed_quote_file() -> String {
    let mut text = String::from("c,d,a\n");
    for i in 0..121 {
        let amount = if i == 10 { "\"2".to_string() } else { i.to_string() };
        text.push_str(&format!("C{i},2024-01-02,{amount}\n"));
        if i == 60 {
            text.push('\n');
        }
    }
    text
}

#[test]
fn an_unclosed_quote_counts_every_line_it_swallows() {
    let audit = scan_text(&unclosed_quote_file(), &ReadOptions::default()).unwrap();
    assert_eq!((audit.rows_read, audit.rows_kept), (121, 10));
    assert_eq!(audit.dropped_for(DropReason::UnclosedQuote), 111);
    assert!(audit.is_balanced());
    let example = &audit.dropped[&DropReason::UnclosedQuote].examples[0];
    assert_eq!((example.line, example.column.as_str()), (12, "a"));
    assert_eq!(example.value, "C10,2024-01-02,\"2");
}

#[test]
fn an_unclosed_quote_is_an_error_in_strict_mode_naming_where_it_opened() {
    let strict = ReadOptions {
        on_bad_row: BadRowPolicy::Fail,
        ..ReadOptions::default()
    };
    let err = scan_text(&unclosed_quote_file(), &strict).unwrap_err().to_string();
    assert!(
        err.starts_with("t.csv line 12: malformed CSV: the quote opened in column \"a\""),
        "{err}"
    );
    assert!(err.contains("never closed"), "{err}");
    // On the last line, with nothing after it, too.
    let err = scan_text("c,d,a\nx,1,2\ny,1,\"3\n", &strict).unwrap_err().to_string();
    assert!(err.starts_with("t.csv line 3:"), "{err}");
}

#[test]
fn closed_quotes_across_lines_are_ordinary_records() {
    let text = "c,d,a\nx,\"two\nlines\",1\ny,1,\"2\"";
    let audit = scan_text(text, &ReadOptions::default()).unwrap();
    assert_eq!((audit.rows_read, audit.rows_kept), (2, 2));
}

#[test]
fn exact_duplicate_rows_are_counted_and_dropped_on_request() {
    let text = "c,d,a\nx,1,2\nx,1,2\ny,1,2\nx,1,2\nx,12,\n";
    let audit = scan_text(text, &ReadOptions::default()).unwrap();
    assert_eq!((audit.rows_read, audit.rows_kept, audit.duplicate_rows), (5, 4, 2));
    let dropping = ReadOptions {
        drop_duplicate_lines: true,
        ..ReadOptions::default()
    };
    let audit = scan_text(text, &dropping).unwrap();
    assert_eq!((audit.rows_kept, audit.dropped_for(DropReason::DuplicateLine)), (2, 2));
    assert!(audit.is_balanced());
    let lines: Vec<u64> = audit.dropped[&DropReason::DuplicateLine]
        .examples
        .iter()
        .map(|e| e.line)
        .collect();
    assert_eq!(lines, [3, 5]);
}
