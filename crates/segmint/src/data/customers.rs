//! One row per customer, named numeric columns.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};

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

    /// Writes the table as CSV: `customer_id` then the columns; `NaN` is an empty field.
    pub fn write_csv(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        use std::io::Write;
        let path = path.as_ref();
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut csv = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
        let csv_err = |e: csv::Error| Error::Serialize {
            what: "feature table CSV",
            message: e.to_string(),
        };
        csv.write_field("customer_id").map_err(csv_err)?;
        csv.write_record(&self.columns).map_err(csv_err)?;
        let mut buffer = float_text::Buffer::default();
        for (id, row) in self.ids.iter().zip(self.values.rows()) {
            csv.write_field(id).map_err(csv_err)?;
            for &v in row {
                csv.write_field(buffer.format(v)).map_err(csv_err)?;
            }
            csv.write_record(None::<&[u8]>).map_err(csv_err)?;
        }
        let mut inner = csv.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
        inner.flush().map_err(|e| Error::io(path, e))
    }

    /// The named columns as a new matrix, in the order given.
    pub fn select(&self, names: &[&str]) -> Result<Array2<f64>> {
        let idx = names.iter().map(|n| self.column_index(n)).collect::<Result<Vec<_>>>()?;
        Ok(self.values.select(Axis(1), &idx))
    }
}

/// Shortest round-trip text of a float; `NaN` as an empty field.
mod float_text {
    #[derive(Default)]
    pub struct Buffer(String);

    impl Buffer {
        pub fn format(&mut self, v: f64) -> &str {
            use std::fmt::Write;
            self.0.clear();
            if v.is_finite() {
                let _ = write!(self.0, "{v}");
            }
            &self.0
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
    }

    #[test]
    fn shape_must_match_ids_and_columns() {
        let err = CustomerTable::new(vec!["a".into()], vec!["x".into()], array![[1.0, 2.0]]);
        assert!(matches!(err, Err(Error::ShapeMismatch { .. })));
    }
}
