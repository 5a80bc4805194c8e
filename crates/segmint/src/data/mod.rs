//! Customer data: transactions, one-row-per-customer tables, ingest (CSV;
//! Parquet and Arrow tables with the `parquet` and `arrow` features) and its audit.

#[cfg(feature = "arrow")]
mod arrow;
mod audit;
mod customers;
mod dates;
pub mod io;
mod late;
mod options;
pub(crate) mod output;
#[cfg(feature = "parquet")]
mod parquet;
mod scan;
mod sources;
mod split;
mod transactions;

#[cfg(feature = "arrow")]
pub use arrow::read_transactions_arrow;
pub use audit::{DropReason, DroppedRows, EXAMPLES_PER_REASON, IngestAudit, LateDates, RowIssue};
pub use customers::CustomerTable;
pub use dates::{AUTO_FORMATS, DateFormat, DateParser, SECONDS_PER_DAY, format_timestamp};
pub use io::{AmountColumns, TransactionColumns, read_transactions, read_transactions_reporting};
pub use late::late_dates;
pub use options::{BadRowPolicy, ReadOptions};
pub use output::{FormulaCells, Staged, refuse_overwriting_input, write_atomically, write_text_atomically};
#[cfg(feature = "parquet")]
pub use parquet::{is_parquet, read_transactions_parquet};
pub use scan::Progress;
pub use sources::{
    Attributes, InteractionColumns, Interactions, InteractionsBuilder, JoinReport, ProductColumns, Products,
    read_attributes, read_interactions, read_products, write_attributes, write_interactions, write_products,
};
pub use transactions::{Line, LineFields, Transactions, TransactionsBuilder};
