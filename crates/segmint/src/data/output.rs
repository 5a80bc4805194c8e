//! Writing files that are whole or absent, with text cells a spreadsheet will
//! not run.
//!
//! Every file is written under a temporary name in its own directory and
//! renamed into place once complete: a rename within a directory replaces the
//! old file in one step, so a kill mid-write leaves the old file (or none),
//! never a truncated one.
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and some
//! with a tab or carriage return first) as a formula, so a customer id such as
//! `=HYPERLINK(...)` would be a link, or worse, in the file a user opens. Such
//! text cells get a leading `'`, OWASP's advice for CSV injection; numbers are
//! left alone.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What to do with a text cell that a spreadsheet would read as a formula.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FormulaCells {
    /// Prefix it with `'` (for people who open the file in a spreadsheet).
    #[default]
    Neutralise,
    /// Write it as it is (for programs that read the file).
    Keep,
}

/// The first characters that make a spreadsheet read a cell as a formula (OWASP).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

impl FormulaCells {
    /// `text` as it should be written: with a leading `'` when it would run as
    /// a formula and is not a number (`-3.5` stays a number).
    pub fn cell<'a>(self, text: &'a str) -> Cow<'a, str> {
        if self == FormulaCells::Neutralise && needs_quote(text) {
            Cow::Owned(format!("'{text}"))
        } else {
            Cow::Borrowed(text)
        }
    }
}

fn needs_quote(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS) && text.parse::<f64>().is_err()
}

/// A file written in full under a temporary name beside `path`; [`Staged::commit`]
/// renames it into place. Dropped uncommitted, the temporary file is removed.
#[derive(Debug)]
pub struct Staged {
    temporary: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Staged {
    /// Writes the file through `fill` under a temporary name, flushed to disk.
    pub fn write(path: impl AsRef<Path>, fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<Staged> {
        let path = path.as_ref().to_path_buf();
        let name = path
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let temporary = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        let file = File::create(&temporary).map_err(|e| Error::io(&temporary, e))?;
        let staged = Staged {
            temporary,
            path,
            committed: false,
        };
        let mut out = BufWriter::with_capacity(1 << 20, file);
        fill(&mut out)?;
        let file = out.into_inner().map_err(|e| Error::io(&staged.path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&staged.path, e))?;
        Ok(staged)
    }

    /// Renames the file into place, replacing any older one.
    pub fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.temporary, &self.path).map_err(|e| Error::io(&self.path, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Writes `path` whole or not at all (see [`Staged`]).
pub fn write_atomically(path: impl AsRef<Path>, fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    Staged::write(path, fill)?.commit()
}

/// Writes `text` at `path` whole or not at all: a model, a report page.
pub fn write_text_atomically(path: impl AsRef<Path>, text: &str) -> Result<()> {
    let path = path.as_ref();
    write_atomically(path, |file| {
        file.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))
    })
}

/// Writes `header` and `rows` as CSV at `path`, whole or not at all, each
/// text cell made safe for a spreadsheet unless `cells` says otherwise.
pub(crate) fn write_csv(
    path: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
    cells: FormulaCells,
) -> Result<()> {
    let fail = |e: csv::Error| Error::io(path, std::io::Error::other(e));
    write_atomically(path, |file| {
        let mut writer = csv::Writer::from_writer(file);
        writer
            .write_record(header.iter().map(|h| cells.cell(h).into_owned()))
            .map_err(fail)?;
        for record in rows {
            writer
                .write_record(record.iter().map(|c| cells.cell(c).into_owned()))
                .map_err(fail)?;
        }
        writer.flush().map_err(|e| Error::io(path, e))
    })
}

/// Fails when the output `out` is one of the `inputs` (the same file, by any
/// name): writing it would destroy the data it is computed from.
pub fn refuse_overwriting_input(parameter: &'static str, out: &Path, inputs: &[&Path]) -> Result<()> {
    let Ok(target) = out.canonicalize() else {
        return Ok(()); // Not there yet, so it is no input.
    };
    for input in inputs {
        if input.canonicalize().is_ok_and(|i| i == target) {
            return Err(Error::invalid_parameter(
                parameter,
                out.display(),
                format!(
                    "a file other than the input {} (it would be overwritten)",
                    input.display()
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn formula_starts_get_a_quote_and_numbers_do_not() {
        let cells = FormulaCells::Neutralise;
        for (text, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+cmd", "'+cmd"),
            ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
            ("@SUM(1)", "'@SUM(1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("-3.5", "-3.5"),
            ("+12", "+12"),
            ("C123", "C123"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(cells.cell(text), written, "{text:?}");
            assert_eq!(FormulaCells::Keep.cell(text), text);
        }
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = std::env::temp_dir().join(format!("segmint-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.csv");
        std::fs::write(&path, "old\n").unwrap();
        let failed = write_atomically(&path, |out| {
            out.write_all(b"half").map_err(|e| Error::io("x", e))?;
            Err(Error::Cancelled)
        });
        assert!(matches!(failed, Err(Error::Cancelled)));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "the temporary file is removed"
        );
        write_atomically(&path, |out| out.write_all(b"new\n").map_err(|e| Error::io("x", e))).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_input_is_not_an_output() {
        let dir = std::env::temp_dir().join(format!("segmint-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let input = dir.join("tx.csv");
        std::fs::write(&input, "c,d,a\n").unwrap();
        let by_other_name = dir.join(".").join("tx.csv");
        let err = refuse_overwriting_input("out", &by_other_name, &[&input])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid parameter out="), "{err}");
        assert!(err.contains("a file other than the input"), "{err}");
        assert!(refuse_overwriting_input("out", &dir.join("features.csv"), &[&input]).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
