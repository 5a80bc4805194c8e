//! Preparing a segmentation basis of numeric and categorical columns:
//! missing values, the log transform of skewed columns, standardisation and
//! level codes. The fitted [`BasisPreparation`] is serialisable, so later
//! customers are prepared exactly as the segmented ones were
//! ([`BasisPreparation::transform`]).
//!
//! A missing value takes the column's median or most frequent level, or
//! leaves its customer out, naming the column it lacks ([`MissingValues`]).
//! A column that cannot form segments is refused: all missing, constant, like
//! an identifier, or categorical with too many levels. The result,
//! [`PreparedBasis`], holds the z-scores, the level codes, the rows kept, the
//! customers dropped and the cells imputed per column.
//!
//! The rules, with their sources, are in docs/methodology.md ("Preparing
//! the basis").

use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

use super::{StandardScaler, signed_log1p};
use crate::cluster::MixedRows;
use crate::data::Attributes;
use crate::error::{Error, Result};

/// A numeric column whose skewness is above this is log-transformed
/// (Bulmer 1979: beyond ±1 a distribution is highly skewed).
pub const SKEWNESS_THRESHOLD: f64 = 1.0;

/// A column with a distinct value on every row of at least this many rows
/// (for numbers: whole numbers in a range under twice the row count) looks
/// like an identifier and is refused from the basis.
const ID_LIKE_MIN_ROWS: usize = 20;

/// What happens to a customer with a missing basis value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingValues {
    /// Numeric columns take their median, categorical ones their most frequent level.
    #[default]
    Impute,
    /// The customer is left out of the segmentation (and counted).
    DropRows,
}

/// Which numeric columns are log-transformed (`sign(x)·ln(1+|x|)`) before scaling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogTransform {
    /// Columns without negative values whose skewness exceeds [`SKEWNESS_THRESHOLD`].
    #[default]
    Skewed,
    /// These columns (the behavioural basis names its money and count features).
    Columns(Vec<String>),
    /// None.
    Off,
}

/// How a basis is prepared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasisOptions {
    /// Missing values.
    pub missing: MissingValues,
    /// The log transform.
    pub log: LogTransform,
    /// Most levels a categorical basis column may have.
    pub max_levels: usize,
    /// Columns exempt from the constant and identifier checks: features
    /// segmint computed itself, which are meaningful whatever their values.
    #[serde(default)]
    pub trusted: Vec<String>,
}

impl Default for BasisOptions {
    fn default() -> Self {
        BasisOptions {
            missing: MissingValues::Impute,
            log: LogTransform::Skewed,
            max_levels: 50,
            trusted: Vec::new(),
        }
    }
}

/// The preparation of one numeric column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStep {
    /// Column name.
    pub name: String,
    /// The value a missing cell takes (the median of the fitted rows).
    pub fill: f64,
    /// Whether the column is log-transformed.
    pub log: bool,
}

/// The preparation of one categorical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalStep {
    /// Column name.
    pub name: String,
    /// Its levels, sorted; a level's code is its position.
    pub levels: Vec<String>,
    /// The level a missing cell takes (the most frequent).
    pub fill: String,
}

/// A fitted basis preparation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasisPreparation {
    /// Numeric columns, in basis order.
    pub numeric: Vec<NumericStep>,
    /// Categorical columns, in basis order.
    pub categorical: Vec<CategoricalStep>,
    /// Standardisation of the (imputed, log-transformed) numeric columns.
    pub scaler: StandardScaler,
    /// What happens to missing values.
    pub missing: MissingValues,
}

/// A customer left out for a missing basis value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedCustomer {
    /// The customer.
    pub id: String,
    /// The first basis column it lacks.
    pub column: String,
}

/// The basis of the kept customers, ready to cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedBasis {
    /// Standardised numeric columns, kept rows × numeric columns.
    pub numeric: Array2<f64>,
    /// Level codes, kept rows × categorical columns.
    pub categorical: Array2<u32>,
    /// Levels of each categorical column.
    pub n_levels: Vec<u32>,
    /// The table rows kept, in order.
    pub rows: Vec<usize>,
    /// Customers left out, with the column they lack.
    pub dropped: Vec<DroppedCustomer>,
    /// Cells filled, per column (columns with none left out).
    pub imputed: Vec<(String, usize)>,
}

impl PreparedBasis {
    /// The rows as the clusterers take them.
    pub fn rows(&self) -> MixedRows<'_> {
        MixedRows {
            numeric: self.numeric.view(),
            categorical: self.categorical.view(),
            n_levels: &self.n_levels,
        }
    }
}

/// A basis column found in the table.
enum Column<'a> {
    Numeric(&'a str, &'a [f64]),
    Categorical(&'a str, &'a [String]),
}

impl BasisPreparation {
    /// Fits the preparation of the `basis` columns of `table` and prepares them.
    pub fn fit(table: &Attributes, basis: &[String], options: &BasisOptions) -> Result<(Self, PreparedBasis)> {
        let columns = find_columns(table, basis)?;
        if columns.len() < 2 {
            return Err(Error::invalid_parameter(
                "basis",
                basis.join(","),
                "at least two columns to segment on",
            ));
        }
        for column in columns
            .iter()
            .filter(|c| !options.trusted.iter().any(|t| t == c.name()))
        {
            refuse_unusable(column, options)?;
        }
        let rows = kept_rows(table, &columns, options.missing);
        let observed =
            |values: &[f64]| -> Vec<f64> { rows.iter().map(|&r| values[r]).filter(|v| !v.is_nan()).collect() };
        let mut numeric = Vec::new();
        let mut categorical = Vec::new();
        for column in &columns {
            match *column {
                Column::Numeric(name, values) => {
                    let seen = observed(values);
                    numeric.push(NumericStep {
                        name: name.into(),
                        fill: median(&seen),
                        log: takes_log(name, &seen, &options.log),
                    });
                }
                Column::Categorical(name, values) => {
                    categorical.push(categorical_step(name, rows.iter().map(|&r| values[r].trim())));
                }
            }
        }
        let raw = raw_numeric(table, &numeric, &rows)?;
        let preparation = BasisPreparation {
            scaler: StandardScaler::fit(raw.view())?,
            numeric,
            categorical,
            missing: options.missing,
        };
        let prepared = preparation.prepare(table, rows)?;
        Ok((preparation, prepared))
    }

    /// Prepares the basis columns of a table with the fitted values.
    pub fn transform(&self, table: &Attributes) -> Result<PreparedBasis> {
        let names: Vec<String> = self.column_names();
        let columns = find_columns(table, &names)?;
        let rows = kept_rows(table, &columns, self.missing);
        self.prepare(table, rows)
    }

    /// Basis column names: numeric, then categorical.
    pub fn column_names(&self) -> Vec<String> {
        let numeric = self.numeric.iter().map(|c| c.name.clone());
        numeric.chain(self.categorical.iter().map(|c| c.name.clone())).collect()
    }

    /// The clustered columns in words: numeric names, then one
    /// `column=level` per categorical level (the one-hot layout).
    pub fn encoded_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.numeric.iter().map(|c| c.name.clone()).collect();
        for column in &self.categorical {
            names.extend(column.levels.iter().map(|l| format!("{}={l}", column.name)));
        }
        names
    }

    fn prepare(&self, table: &Attributes, rows: Vec<usize>) -> Result<PreparedBasis> {
        let raw = raw_numeric(table, &self.numeric, &rows)?;
        let numeric = self.scaler.transform(raw.view())?;
        let mut codes = Array2::zeros((rows.len(), self.categorical.len()));
        for (j, step) in self.categorical.iter().enumerate() {
            let values = categorical_values(table, &step.name)?;
            for (i, &r) in rows.iter().enumerate() {
                codes[[i, j]] = step.code(&table.ids[r], values[r].trim())?;
            }
        }
        let imputed = self.imputed_counts(table, &rows)?;
        let dropped = self.dropped(table, &rows)?;
        Ok(PreparedBasis {
            numeric,
            categorical: codes,
            n_levels: self.categorical.iter().map(|c| c.levels.len() as u32).collect(),
            rows,
            dropped,
            imputed,
        })
    }

    fn imputed_counts(&self, table: &Attributes, rows: &[usize]) -> Result<Vec<(String, usize)>> {
        let mut counts = Vec::new();
        for step in &self.numeric {
            let values = numeric_values(table, &step.name)?;
            counts.push((step.name.clone(), rows.iter().filter(|&&r| values[r].is_nan()).count()));
        }
        for step in &self.categorical {
            let values = categorical_values(table, &step.name)?;
            counts.push((
                step.name.clone(),
                rows.iter().filter(|&&r| values[r].trim().is_empty()).count(),
            ));
        }
        counts.retain(|(_, n)| *n > 0);
        Ok(counts)
    }

    fn dropped(&self, table: &Attributes, kept: &[usize]) -> Result<Vec<DroppedCustomer>> {
        let names = self.column_names();
        let columns = find_columns(table, &names)?;
        let mut next = kept.iter().peekable();
        let mut out = Vec::new();
        for (r, id) in table.ids.iter().enumerate() {
            if next.peek() == Some(&&r) {
                next.next();
                continue;
            }
            let column = columns.iter().find(|c| c.is_missing(r)).map_or("", |c| c.name());
            out.push(DroppedCustomer {
                id: id.clone(),
                column: column.into(),
            });
        }
        Ok(out)
    }
}

impl CategoricalStep {
    fn code(&self, id: &str, value: &str) -> Result<u32> {
        let value = if value.is_empty() { self.fill.as_str() } else { value };
        self.levels
            .binary_search_by(|l| l.as_str().cmp(value))
            .map(|c| c as u32)
            .map_err(|_| Error::InvalidValue {
                what: format!("customer {id}, column \"{}\"", self.name),
                value: value.into(),
                expected: format!(
                    "one of the levels seen when the segments were fitted ({})",
                    self.levels.join(", ")
                ),
            })
    }
}

impl Column<'_> {
    fn name(&self) -> &str {
        match self {
            Column::Numeric(name, _) | Column::Categorical(name, _) => name,
        }
    }

    fn is_missing(&self, row: usize) -> bool {
        match self {
            Column::Numeric(_, v) => v[row].is_nan(),
            Column::Categorical(_, v) => v[row].trim().is_empty(),
        }
    }
}

/// The basis columns of `table`, in basis order; an unknown name lists the table's columns.
fn find_columns<'a>(table: &'a Attributes, basis: &[String]) -> Result<Vec<Column<'a>>> {
    basis
        .iter()
        .map(|name| {
            if let Some((n, v)) = table.numeric.iter().find(|(n, _)| n == name) {
                return Ok(Column::Numeric(n, v));
            }
            if let Some((n, v)) = table.categorical.iter().find(|(n, _)| n == name) {
                return Ok(Column::Categorical(n, v));
            }
            Err(Error::invalid_parameter(
                "basis",
                name,
                format!("a column of the customer data ({})", table.column_names().join(", ")),
            ))
        })
        .collect()
}

/// Refuses a column that cannot form segments: all missing, constant,
/// an identifier, or a categorical column with too many levels.
fn refuse_unusable(column: &Column<'_>, options: &BasisOptions) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::invalid_parameter(
            "basis",
            column.name(),
            format!("a column that can tell customers apart, but {why}"),
        ))
    };
    match *column {
        Column::Numeric(name, values) => {
            let seen: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            if let Some(bad) = seen.iter().position(|v| !v.is_finite()) {
                return refuse(format!("\"{name}\" holds an infinite value ({})", seen[bad]));
            }
            if seen.is_empty() {
                return refuse("every value is missing".into());
            }
            if seen.iter().all(|&v| v == seen[0]) {
                return refuse(format!("every value is {}", seen[0]));
            }
            let mut sorted = seen.clone();
            sorted.sort_by(f64::total_cmp);
            let all_distinct = sorted.windows(2).all(|w| w[0] != w[1]);
            let dense = sorted[sorted.len() - 1] - sorted[0] < 2.0 * sorted.len() as f64;
            if seen.len() >= ID_LIKE_MIN_ROWS && all_distinct && dense && seen.iter().all(|v| v.fract() == 0.0) {
                return refuse("it holds a different whole number on every row, like an identifier".into());
            }
        }
        Column::Categorical(_, values) => {
            let mut levels: Vec<&str> = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()).collect();
            let n = levels.len();
            levels.sort_unstable();
            levels.dedup();
            if levels.is_empty() {
                return refuse("every value is missing".into());
            }
            if levels.len() == 1 {
                return refuse(format!("every value is \"{}\"", levels[0]));
            }
            if n >= ID_LIKE_MIN_ROWS && levels.len() == n {
                return refuse("it holds a different value on every row, like an identifier".into());
            }
            if levels.len() > options.max_levels {
                return refuse(format!(
                    "it has {} levels, more than the limit of {} for a categorical basis column",
                    levels.len(),
                    options.max_levels
                ));
            }
        }
    }
    Ok(())
}

/// Rows kept: all, or (dropping) those without a missing basis value.
fn kept_rows(table: &Attributes, columns: &[Column<'_>], missing: MissingValues) -> Vec<usize> {
    (0..table.ids.len())
        .filter(|&r| missing == MissingValues::Impute || !columns.iter().any(|c| c.is_missing(r)))
        .collect()
}

/// The numeric basis columns of the kept rows, imputed and log-transformed.
fn raw_numeric(table: &Attributes, steps: &[NumericStep], rows: &[usize]) -> Result<Array2<f64>> {
    let mut raw = Array2::zeros((rows.len(), steps.len()));
    for (j, step) in steps.iter().enumerate() {
        let values = numeric_values(table, &step.name)?;
        for (i, &r) in rows.iter().enumerate() {
            let v = if values[r].is_nan() { step.fill } else { values[r] };
            raw[[i, j]] = if step.log { signed_log1p(v) } else { v };
        }
    }
    Ok(raw)
}

fn numeric_values<'a>(table: &'a Attributes, name: &str) -> Result<&'a [f64]> {
    match find_columns(table, &[name.to_owned()])?.pop() {
        Some(Column::Numeric(_, v)) => Ok(v),
        _ => Err(Error::invalid_parameter("basis", name, "a numeric column")),
    }
}

fn categorical_values<'a>(table: &'a Attributes, name: &str) -> Result<&'a [String]> {
    match find_columns(table, &[name.to_owned()])?.pop() {
        Some(Column::Categorical(_, v)) => Ok(v),
        _ => Err(Error::invalid_parameter("basis", name, "a categorical column")),
    }
}

/// Levels sorted, and the most frequent one (ties: the first in sort order).
fn categorical_step<'a>(name: &str, values: impl Iterator<Item = &'a str>) -> CategoricalStep {
    let mut counts = std::collections::BTreeMap::new();
    for v in values.filter(|v| !v.is_empty()) {
        *counts.entry(v.to_owned()).or_insert(0usize) += 1;
    }
    let fill = counts
        .iter()
        .fold(
            ("", 0),
            |best, (level, &n)| if n > best.1 { (level.as_str(), n) } else { best },
        )
        .0
        .to_owned();
    CategoricalStep {
        name: name.into(),
        levels: counts.into_keys().collect(),
        fill,
    }
}

/// Whether a numeric column is log-transformed under `rule`.
fn takes_log(name: &str, values: &[f64], rule: &LogTransform) -> bool {
    match rule {
        LogTransform::Off => false,
        LogTransform::Columns(names) => names.iter().any(|n| n == name),
        LogTransform::Skewed => is_skewed(values),
    }
}

/// Whether a column (NaN = missing) has no negative value and a skewness
/// above [`SKEWNESS_THRESHOLD`]: the rule by which money-like columns are logged.
pub fn is_skewed(values: &[f64]) -> bool {
    let seen: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    !seen.is_empty() && seen.iter().all(|&v| v >= 0.0) && skewness(ArrayView1::from(&seen)) > SKEWNESS_THRESHOLD
}

/// The Fisher–Pearson coefficient of skewness g₁ (scipy.stats.skew's default).
fn skewness(values: ArrayView1<'_, f64>) -> f64 {
    let n = values.len() as f64;
    let mean = values.sum() / n;
    let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m3 = values.iter().map(|v| (v - mean).powi(3)).sum::<f64>() / n;
    if m2 > 0.0 { m3 / m2.powf(1.5) } else { 0.0 }
}

/// The median (mean of the middle two for an even count); NaN when empty.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Attributes {
        let n = 30;
        Attributes {
            ids: (0..n).map(|i| format!("c{i}")).collect(),
            numeric: vec![
                (
                    "income".into(),
                    (0..n)
                        .map(|i| if i == 3 { f64::NAN } else { (i % 7) as f64 * 1000.0 })
                        .collect(),
                ),
                (
                    "spend".into(),
                    (0..n).map(|i| if i < 27 { 1.0 } else { 500.0 }).collect(),
                ),
                ("flat".into(), vec![2.0; n]),
                ("code".into(), (0..n).map(|i| i as f64).collect()),
            ],
            categorical: vec![
                (
                    "status".into(),
                    (0..n)
                        .map(|i| match i % 3 {
                            0 => "single",
                            1 => "married",
                            _ if i == 5 => "",
                            _ => "married",
                        })
                        .map(String::from)
                        .collect(),
                ),
                ("email".into(), (0..n).map(|i| format!("c{i}@x")).collect()),
            ],
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn imputes_the_median_and_the_mode_and_counts_the_cells() {
        let (prep, basis) =
            BasisPreparation::fit(&table(), &names(&["income", "status"]), &BasisOptions::default()).unwrap();
        // income without row 3: 29 values of (i % 7)·1000; its median by hand is 3000.
        assert_eq!(prep.numeric[0].fill, 3000.0);
        assert_eq!(prep.categorical[0].fill, "married");
        assert_eq!(prep.categorical[0].levels, names(&["married", "single"]));
        assert_eq!(basis.rows.len(), 30);
        assert_eq!(basis.imputed, vec![("income".into(), 1), ("status".into(), 1)]);
        assert_eq!(basis.categorical[[5, 0]], 0);
        assert!(basis.dropped.is_empty());
    }

    #[test]
    fn dropping_rows_names_each_customer_and_the_column_it_lacks() {
        let options = BasisOptions {
            missing: MissingValues::DropRows,
            ..BasisOptions::default()
        };
        let (_, basis) = BasisPreparation::fit(&table(), &names(&["income", "status"]), &options).unwrap();
        assert_eq!(basis.rows.len(), 28);
        assert_eq!(
            basis.dropped,
            vec![
                DroppedCustomer {
                    id: "c3".into(),
                    column: "income".into()
                },
                DroppedCustomer {
                    id: "c5".into(),
                    column: "status".into()
                },
            ]
        );
    }

    #[test]
    fn a_skewed_non_negative_column_is_logged_and_a_symmetric_one_is_not() {
        let (prep, _) =
            BasisPreparation::fit(&table(), &names(&["income", "spend"]), &BasisOptions::default()).unwrap();
        // spend: 27 ones and 3 × 500, skewness ≈ 2.7; income (i % 7): ≈ 0.
        assert!(!prep.numeric[0].log);
        assert!(prep.numeric[1].log);
        let off = BasisOptions {
            log: LogTransform::Off,
            ..BasisOptions::default()
        };
        let (prep, _) = BasisPreparation::fit(&table(), &names(&["income", "spend"]), &off).unwrap();
        assert!(!prep.numeric[1].log);
    }

    #[test]
    fn unusable_columns_are_refused_by_name() {
        let fit = |cols: &[&str]| {
            BasisPreparation::fit(&table(), &names(cols), &BasisOptions::default())
                .unwrap_err()
                .to_string()
        };
        let e = fit(&["income", "flat"]);
        assert!(e.contains("basis=flat") && e.contains("every value is 2"), "{e}");
        let e = fit(&["income", "code"]);
        assert!(e.contains("basis=code") && e.contains("identifier"), "{e}");
        let e = fit(&["income", "email"]);
        assert!(e.contains("basis=email") && e.contains("identifier"), "{e}");
        let e = fit(&["income", "age"]);
        assert!(e.contains("basis=age") && e.contains("income, spend"), "{e}");
        let e = fit(&["income"]);
        assert!(e.contains("at least two columns"), "{e}");
        let few = BasisOptions {
            max_levels: 1,
            ..BasisOptions::default()
        };
        let e = BasisPreparation::fit(&table(), &names(&["income", "status"]), &few)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 levels, more than the limit of 1"), "{e}");
    }

    #[test]
    fn transform_reproduces_the_fitted_basis_and_names_an_unseen_level() {
        let t = table();
        let cols = names(&["income", "spend", "status"]);
        let (prep, basis) = BasisPreparation::fit(&t, &cols, &BasisOptions::default()).unwrap();
        assert_eq!(prep.transform(&t).unwrap(), basis);
        let mut later = t.clone();
        later.categorical[0].1[0] = "widowed".into();
        let e = prep.transform(&later).unwrap_err().to_string();
        assert!(e.contains("customer c0") && e.contains("widowed"), "{e}");
    }
}
