//! One error type for the whole crate.
//!
//! Every variant carries the facts a user needs to fix the input: which
//! parameter, file, line or column, the offending value and what was expected.

use std::path::PathBuf;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in segmint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its valid range.
    #[error("invalid parameter {name}={value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name, as the user spells it (`n_clusters`, `tol` …).
        name: &'static str,
        /// The value given, rendered as text.
        value: String,
        /// What would have been accepted.
        expected: String,
    },

    /// Two inputs disagree in shape or length.
    #[error("shape mismatch for {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// Which input or dimension.
        what: String,
        /// The expected size.
        expected: String,
        /// The size found.
        found: String,
    },

    /// A matrix holds NaN or infinity.
    #[error("{what} contains a non-finite value ({value}) at row {row}, column {column}")]
    NonFinite {
        /// Which matrix (`X`, `centers` …).
        what: &'static str,
        /// Row index (0-based).
        row: usize,
        /// Column index (0-based).
        column: usize,
        /// The value found.
        value: f64,
    },

    /// A column holds a missing value (NumPy's `NaT` for times) where one is required.
    #[error("column {what} has no value at row {row}: expected {expected}")]
    MissingValue {
        /// Which column (`times` …).
        what: &'static str,
        /// Row index (0-based).
        row: usize,
        /// What the row should hold (`a time (not NaT)` …).
        expected: &'static str,
    },

    /// A one-dimensional column holds NaN or infinity.
    #[error("column {what} holds {value} at row {row}: expected a finite number")]
    NonFiniteEntry {
        /// Which column (`amounts` …).
        what: &'static str,
        /// Row index (0-based).
        row: usize,
        /// The value found.
        value: f64,
    },

    /// A per-customer value is infinite: the customer's amounts add up (or
    /// multiply) beyond the largest number a 64-bit float holds.
    #[error(
        "customer {customer:?}: {feature} is {value}, beyond the largest number a 64-bit float holds (about \
         1.8e308); expected amounts whose sums stay finite: check this customer's amount (quantity, price) values"
    )]
    NonFiniteFeature {
        /// The customer id.
        customer: String,
        /// The feature or KPI (`monetary` …).
        feature: String,
        /// The value computed (±inf).
        value: f64,
    },

    /// There is too little data for the requested operation.
    #[error("not enough data: {what}")]
    InsufficientData {
        /// What was short, with the numbers.
        what: String,
    },

    /// A column has no variance, so its correlations are undefined.
    #[error("column {column} of {what} is constant (zero variance): its correlations are undefined; drop it")]
    ConstantColumn {
        /// Which matrix (`X` …).
        what: &'static str,
        /// Column index (0-based).
        column: usize,
    },

    /// A decomposition failed or a matrix is too close to singular to use.
    #[error("numerical failure: {what}")]
    NumericalFailure {
        /// What failed, with the numbers.
        what: String,
    },

    /// A file has no header or no rows at all.
    #[error("{path}: the file is empty (expected a header line and data rows)")]
    EmptyInput {
        /// The file.
        path: PathBuf,
    },

    /// A column named in the mapping is not in the header.
    #[error("{path}: no column {column:?} (parameter {parameter}); the header has: {available}")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The mapping parameter that named the column (`customer_col` …).
        parameter: &'static str,
        /// The column name looked for.
        column: String,
        /// The columns present, comma-separated.
        available: String,
    },

    /// A field could not be parsed (strict mode, or when no row survives).
    #[error("{path} line {line}, column {column:?}: cannot parse {value:?} as {expected}")]
    Parse {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// The column name.
        column: String,
        /// The raw field.
        value: String,
        /// What the field should have been.
        expected: String,
    },

    /// A column of an Arrow table or Parquet file has a type that cannot fill its role.
    #[error("{path}: column {column:?} ({parameter}) holds {found}; expected {expected}")]
    ColumnType {
        /// The file (or a description of the table).
        path: PathBuf,
        /// The column name.
        column: String,
        /// The mapping parameter that named the column (`amount_col` …).
        parameter: &'static str,
        /// The column's type.
        found: String,
        /// The types it could hold.
        expected: &'static str,
    },

    /// A binary file (Parquet, Arrow) cannot be decoded: a corrupt footer, a truncated page …
    #[error("{path}: not a readable {format} file: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The format expected.
        format: &'static str,
        /// The decoder's explanation.
        message: String,
    },

    /// The CSV itself is malformed (bad quoting, invalid UTF-8 …).
    #[error("{path} line {line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number where the reader stopped.
        line: u64,
        /// The reader's explanation.
        message: String,
    },

    /// An operating-system I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// An input holds more rows than the 32-bit codes of the columnar store can index.
    #[error("{path}: more than {limit} {what}; lines and ids are coded in 32 bits, so split the input")]
    TooLarge {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What overflowed (`transaction lines` …).
        what: &'static str,
        /// The largest count that fits.
        limit: u64,
    },

    /// The caller cancelled the work (e.g. Ctrl-C) through a [`crate::CancelToken`].
    #[error("cancelled")]
    Cancelled,

    /// Serialising a result failed.
    #[error("cannot serialise {what}: {message}")]
    Serialize {
        /// What was being written.
        what: &'static str,
        /// The serialiser's explanation.
        message: String,
    },

    /// A value in the data that the fitted model cannot take (e.g. a level
    /// not seen when the segments were fitted).
    #[error("{what}: unexpected value {value:?}: expected {expected}")]
    InvalidValue {
        /// Where: the customer and the column.
        what: String,
        /// The value found.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
}

/// What kind of failure an [`Error`] is, for the faces that map errors onto
/// their own types (Python's exception classes, exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A parameter outside its valid range.
    InvalidParameter,
    /// A named column absent from the header.
    MissingColumn,
    /// A file or directory that does not exist.
    FileNotFound,
    /// A file or directory that may not be read or written.
    PermissionDenied,
    /// Any other operating-system I/O failure.
    Io,
    /// A file that cannot be read as what it should hold.
    Parse,
    /// A decomposition that failed or a matrix too close to singular.
    Numerical,
    /// An input beyond the 32-bit codes of the columnar store.
    TooLarge,
    /// Work cancelled by the caller.
    Cancelled,
    /// A failure of segmint itself.
    Internal,
    /// Data that cannot be used: shape, missing or non-finite values, too little of it.
    Data,
}

impl Error {
    /// The kind of failure (every variant chooses one).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidParameter { .. } => ErrorKind::InvalidParameter,
            Error::MissingColumn { .. } => ErrorKind::MissingColumn,
            Error::Io { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => ErrorKind::FileNotFound,
                std::io::ErrorKind::PermissionDenied => ErrorKind::PermissionDenied,
                _ => ErrorKind::Io,
            },
            Error::Parse { .. }
            | Error::Csv { .. }
            | Error::EmptyInput { .. }
            | Error::ColumnType { .. }
            | Error::Malformed { .. } => ErrorKind::Parse,
            Error::NumericalFailure { .. } => ErrorKind::Numerical,
            Error::TooLarge { .. } => ErrorKind::TooLarge,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Serialize { .. } => ErrorKind::Internal,
            Error::ShapeMismatch { .. }
            | Error::NonFinite { .. }
            | Error::MissingValue { .. }
            | Error::NonFiniteEntry { .. }
            | Error::NonFiniteFeature { .. }
            | Error::InsufficientData { .. }
            | Error::ConstantColumn { .. }
            | Error::InvalidValue { .. } => ErrorKind::Data,
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid_parameter(name: &'static str, value: impl ToString, expected: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for [`Error::Malformed`]: `path` cannot be decoded as `format`.
    pub fn malformed(path: impl Into<PathBuf>, format: &'static str, why: impl std::fmt::Display) -> Self {
        Error::Malformed {
            path: path.into(),
            format,
            message: why.to_string(),
        }
    }
}
