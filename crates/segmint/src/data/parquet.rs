//! Transactions from Parquet: one file, or a directory of them (the
//! partitions Spark, Dask and polars write), read through the arrow crate's
//! Parquet reader, only the mapped columns decoded. Column types come from the
//! file; rows are checked and audited as in [`super::arrow`].

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatchReader;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::arrow::ArrowReader;
use super::audit::IngestAudit;
use super::io::TransactionColumns;
use super::options::ReadOptions;
use super::transactions::Transactions;
use crate::error::{Error, Result};

/// Rows decoded at a time: enough to amortise the per-batch conversions,
/// few enough to keep the decoded columns in cache.
const BATCH_ROWS: usize = 64 * 1024;

/// Whether `path` is read as Parquet: a `.parquet` (or `.parq`) file, or a directory.
pub fn is_parquet(path: &Path) -> bool {
    path.is_dir()
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("parq"))
}

/// Reads transactions from a Parquet file, or from every Parquet file under a
/// directory (in path order, sub-directories included: hive partitions).
///
/// A row's `line` in the audit and in errors is its 1-based row number in its file.
pub fn read_transactions_parquet(
    path: impl AsRef<Path>,
    columns: &TransactionColumns,
    options: &ReadOptions,
) -> Result<(Transactions, IngestAudit)> {
    let path = path.as_ref();
    let files = parquet_files(path)?;
    let mut reader = ArrowReader::new(columns, options, path);
    for file in &files {
        let malformed = |e: parquet::errors::ParquetError| Error::malformed(file, "Parquet", e);
        let opened = File::open(file).map_err(|e| Error::io(file, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(opened).map_err(malformed)?;
        let mask = ProjectionMask::roots(
            builder.parquet_schema(),
            reader.resolve(builder.schema(), file)?.positions(),
        );
        let batches = builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(malformed)?;
        // The batches hold the mapped columns alone: find them again there.
        let table = reader.resolve(&batches.schema(), file)?;
        for batch in batches {
            let batch = batch.map_err(|e| Error::malformed(file, "Parquet", e))?;
            reader.add(&table, &batch, file)?;
        }
    }
    reader.finish()
}

/// The file itself, or the Parquet files under a directory in path order.
fn parquet_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))? {
            let entry = entry.map_err(|e| Error::io(&dir, e))?.path();
            let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // Writers leave markers and checksums beside the data: _SUCCESS, .part.crc …
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            if entry.is_dir() {
                pending.push(entry);
            } else if is_parquet(&entry) {
                files.push(entry);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::invalid_parameter(
            "transactions",
            path.display(),
            "a Parquet file, or a directory holding .parquet files",
        ));
    }
    Ok(files)
}
