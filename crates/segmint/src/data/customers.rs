//! One row per customer, named numeric columns, and its CSV writer (blocks of
//! rows formatted in parallel, written in order, the file replaced whole).

use ndarray::{Array2, ArrayView1, ArrayView2, Axis, s};
use rayon::prelude::*;

use super::output::{FormulaCells, write_atomically};
use crate::error::{Error, Result};

/// A table with one row per customer and named numeric columns
/// (features, KPIs, numeric attributes).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerTable {
    ids: Vec<String>,
    columns: Vec<String>,
    values: Array2<f64>,
}

impl CustomerTable {
    /// A table from ids, column names and an `ids × columns` matrix.
    pub fn new(ids: Vec<String>, columns: Vec<String>, values: Array2<f64>) -> Result<Self> {
        if values.nrows() != ids.len() || values.ncols() != columns.len() {
            return Err(Error::ShapeMismatch {
                what: "customer table values".into(),
                expected: format!("{} rows x {} columns", ids.len(), columns.len()),
                found: format!("{} rows x {} columns", values.nrows(), values.ncols()),
            });
        }
        Ok(CustomerTable { ids, columns, values })
    }

    /// Customer ids, one per row.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// Column names.
    pub fn column_names(&self) -> &[String] {
        &self.columns
    }

    /// The whole matrix.
    pub fn values(&self) -> ArrayView2<'_, f64> {
        self.values.view()
    }

    /// Number of customers.
    pub fn n_customers(&self) -> usize {
        self.ids.len()
    }

    /// Position of a column.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| Error::invalid_parameter("column", name, format!("one of {}", self.columns.join(", "))))
    }

    /// One column by name.
    pub fn column(&self, name: &str) -> Result<ArrayView1<'_, f64>> {
        Ok(self.values.column(self.column_index(name)?))
    }

    /// A table from ids and named columns (each one value per id).
    pub fn from_columns(ids: Vec<String>, columns: Vec<(String, Vec<f64>)>) -> Result<Self> {
        let n = ids.len();
        CustomerTable::new(ids, Vec::new(), Array2::zeros((n, 0)))?.with_columns(columns)
    }

    /// The table with more columns appended (each one value per customer).
    pub fn with_columns(self, extra: Vec<(String, Vec<f64>)>) -> Result<Self> {
        let n = self.ids.len();
        if let Some((name, v)) = extra.iter().find(|(_, v)| v.len() != n) {
            return Err(Error::ShapeMismatch {
                what: format!("column {name} (one value per customer)"),
                expected: n.to_string(),
                found: v.len().to_string(),
            });
        }
        let mut columns = self.columns;
        let mut values = self.values;
        for (name, v) in extra {
            columns.push(name);
            values
                .push_column(ArrayView1::from(&v[..]))
                .expect("length checked above");
        }
        Ok(CustomerTable {
            ids: self.ids,
            columns,
            values,
        })
    }

    /// Fails on the first infinite value, naming the customer and the column:
    /// it comes from amounts whose sum overflows, and would be written as a blank.
    pub fn check_finite(&self) -> Result<()> {
        let Some(((row, column), &value)) = self.values.indexed_iter().find(|(_, v)| v.is_infinite()) else {
            return Ok(());
        };
        Err(Error::NonFiniteFeature {
            customer: self.ids[row].clone(),
            feature: self.columns[column].clone(),
            value,
        })
    }

    /// Writes the table as CSV: `customer_id` then the columns; `NaN` (a value
    /// that does not exist, such as the gap between orders of a one-order
    /// customer) is an empty field, an infinite value an error
    /// ([`CustomerTable::check_finite`]). Text cells that a spreadsheet would
    /// run as a formula get a leading `'`; the file is replaced whole or not at all.
    pub fn write_csv(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.write_csv_with(path, FormulaCells::default())
    }

    /// [`CustomerTable::write_csv`], text cells as `cells` says.
    ///
    /// Blocks of rows are formatted in parallel and written in order, a few
    /// blocks at a time, so the text never exists whole in memory.
    pub fn write_csv_with(&self, path: impl AsRef<std::path::Path>, cells: FormulaCells) -> Result<()> {
        use std::io::Write;
        self.check_finite()?;
        let path = path.as_ref();
        write_atomically(path, |out| {
            let header = std::iter::once("customer_id").chain(self.columns.iter().map(String::as_str));
            let header = header.map(|name| cells.cell(name).into_owned());
            out.write_all(&csv_block(|csv| csv.write_record(header))?)
                .map_err(|e| Error::io(path, e))?;
            let blocks: Vec<_> = (0..self.ids.len()).step_by(WRITE_BLOCK_ROWS).collect();
            for wave in blocks.chunks(rayon::current_num_threads() * 2) {
                let texts: Vec<Vec<u8>> = wave
                    .par_iter()
                    .map(|&start| self.csv_rows(start..(start + WRITE_BLOCK_ROWS).min(self.ids.len()), cells))
                    .collect::<Result<_>>()?;
                for text in texts {
                    out.write_all(&text).map_err(|e| Error::io(path, e))?;
                }
            }
            Ok(())
        })
    }

    /// The CSV text of a range of rows.
    ///
    /// Numbers never need quotes, and most ids do not: such blocks are written
    /// directly, the others through the csv writer (which quotes an id holding a
    /// comma, quote or line break, or a lone empty field).
    fn csv_rows(&self, rows: std::ops::Range<usize>, cells: FormulaCells) -> Result<Vec<u8>> {
        let ids = &self.ids[rows.clone()];
        let plain = |id: &String| {
            !id.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
                && matches!(cells.cell(id), std::borrow::Cow::Borrowed(_))
        };
        if !self.columns.is_empty() && ids.iter().all(plain) {
            let mut text = Vec::with_capacity(rows.len() * (self.columns.len() + 1) * 12);
            let mut number = float_text::Buffer::default();
            for (id, row) in ids.iter().zip(self.values.slice(s![rows.clone(), ..]).rows()) {
                text.extend_from_slice(id.as_bytes());
                for &v in row {
                    text.push(b',');
                    text.extend_from_slice(number.format(v).as_bytes());
                }
                text.push(b'\n');
            }
            return Ok(text);
        }
        csv_block(|csv| {
            let mut number = float_text::Buffer::default();
            for (id, row) in self.ids[rows.clone()]
                .iter()
                .zip(self.values.slice(s![rows.clone(), ..]).rows())
            {
                csv.write_field(cells.cell(id).as_bytes())?;
                for &v in row {
                    csv.write_field(number.format(v))?;
                }
                csv.write_record(None::<&[u8]>)?;
            }
            Ok(())
        })
    }

    /// The named columns as a new matrix, in the order given.
    pub fn select(&self, names: &[&str]) -> Result<Array2<f64>> {
        let idx = names.iter().map(|n| self.column_index(n)).collect::<Result<Vec<_>>>()?;
        Ok(self.values.select(Axis(1), &idx))
    }
}

/// Rows per block of [`CustomerTable::write_csv`]: about a megabyte of text.
const WRITE_BLOCK_ROWS: usize = 4096;

/// Bytes written by `fill` through a CSV writer (which quotes ids holding a comma, quote or line break).
fn csv_block(fill: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>) -> Result<Vec<u8>> {
    let csv_err = |message: String| Error::Serialize {
        what: "feature table CSV",
        message,
    };
    let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    fill(&mut csv).map_err(|e| csv_err(e.to_string()))?;
    csv.into_inner().map_err(|e| csv_err(e.error().to_string()))
}

/// Shortest round-trip text of a float, as `Display` writes it; `NaN` as an empty field.
mod float_text {
    use std::fmt::Write;

    #[derive(Default)]
    pub struct Buffer {
        ryu: ryu::Buffer,
        text: String,
    }

    impl Buffer {
        /// ryu finds the shortest round-trip digits as `Display` does, several
        /// times faster (where two 17-digit texts read back the same, it may pick
        /// the other); its `1.0` and exponent forms are mapped back to `Display`'s.
        pub fn format(&mut self, v: f64) -> &str {
            if !v.is_finite() {
                return "";
            }
            let short = self.ryu.format_finite(v);
            if short.as_bytes().contains(&b'e') {
                self.text.clear();
                let _ = write!(self.text, "{v}");
                return &self.text;
            }
            short.strip_suffix(".0").unwrap_or(short)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn select_and_column_by_name() {
        let t = CustomerTable::new(
            vec!["a".into(), "b".into()],
            vec!["x".into(), "y".into()],
            array![[1.0, 2.0], [3.0, 4.0]],
        )
        .unwrap();
        assert_eq!(t.column("y").unwrap().to_vec(), vec![2.0, 4.0]);
        assert_eq!(t.select(&["y", "x"]).unwrap(), array![[2.0, 1.0], [4.0, 3.0]]);
        assert!(t.column("z").unwrap_err().to_string().contains("one of x, y"));
    }

    #[test]
    fn csv_has_ids_columns_and_empty_nan_fields() {
        let t = CustomerTable::new(
            vec!["a,1".into(), "b".into()],
            vec!["x".into(), "y".into()],
            array![[1.5, f64::NAN], [0.1, 2.0]],
        )
        .unwrap();
        let path = std::env::temp_dir().join(format!("segmint-table-{}.csv", std::process::id()));
        t.write_csv(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "customer_id,x,y\n\"a,1\",1.5,\nb,0.1,2\n");
        // Without an id to quote, the block is written directly: the same text.
        let t = CustomerTable::new(
            vec!["a 1".into(), "b".into()],
            vec!["x".into(), "y".into()],
            array![[1.5, f64::NAN], [1e-7, -2.0]],
        )
        .unwrap();
        t.write_csv(&path).unwrap();
        let direct = std::fs::read_to_string(&path).unwrap();
        let through_csv = csv_block(|csv| {
            csv.write_record(["customer_id", "x", "y"])?;
            csv.write_record(["a 1", "1.5", ""])?;
            csv.write_record(["b", "0.0000001", "-2"])
        })
        .unwrap();
        assert_eq!(direct.as_bytes(), through_csv);
    }

    #[test]
    fn floats_are_written_as_display_writes_them() {
        let mut buffer = float_text::Buffer::default();
        let mut fixed = vec![
            0.0,
            -0.0,
            1.0,
            -2.0,
            0.1,
            1e15,
            1e16,
            1.5e17,
            1e-5,
            1.2e-7,
            123456.789,
            f64::MAX,
        ];
        fixed.extend([f64::MIN_POSITIVE, 5e-324, 1.0 / 3.0, 2.0f64.powi(60), 86_400.0 / 7.0]);
        // Random bit patterns cover every exponent; scaled integers cover the usual feature values.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let bits: Vec<f64> = (0..100_000).map(|_| f64::from_bits(next())).collect();
        let money: Vec<f64> = (0..100_000).map(|_| (next() % 10_000_000) as f64 / 100.0).collect();
        for v in fixed.into_iter().chain(money) {
            assert_eq!(buffer.format(v), v.to_string(), "{v:e}");
        }
        // Any double: the same number of shortest digits, reading back as v (where two
        // texts of that length read back as v, ryu and Display may pick different ones).
        let digits = |s: &str| {
            s.trim_start_matches(['-', '0', '.'])
                .bytes()
                .filter(u8::is_ascii_digit)
                .count()
        };
        for v in bits.into_iter().filter(|v| v.is_finite()) {
            let (ours, display) = (buffer.format(v).to_owned(), v.to_string());
            assert_eq!(ours.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{v:e}");
            assert_eq!(digits(&ours), digits(&display), "{v:e}: {ours} against {display}");
        }
        assert_eq!(buffer.format(f64::NAN), "");
        assert_eq!(buffer.format(f64::INFINITY), "");
    }

    #[test]
    fn csv_of_many_blocks_keeps_every_row_in_order() {
        let n = 3 * WRITE_BLOCK_ROWS + 17;
        let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let values = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { i as f64 / 8.0 } else { -(i as f64) });
        let t = CustomerTable::new(ids, vec!["x".into(), "y".into()], values).unwrap();
        let path = std::env::temp_dir().join(format!("segmint-table-blocks-{}.csv", std::process::id()));
        t.write_csv(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: String = std::iter::once("customer_id,x,y\n".to_string())
            .chain((0..n).map(|i| format!("c{i},{},{}\n", i as f64 / 8.0, -(i as f64))))
            .collect();
        assert_eq!(text, expected);
    }

    #[test]
    fn shape_must_match_ids_and_columns() {
        let err = CustomerTable::new(vec!["a".into()], vec!["x".into()], array![[1.0, 2.0]]);
        assert!(matches!(err, Err(Error::ShapeMismatch { .. })));
    }
}
