//! Customer data: transactions, one-row-per-customer tables, CSV ingest and its audit.

mod audit;
mod customers;
mod dates;
pub mod io;
mod transactions;

pub use audit::{DropReason, DroppedRows, EXAMPLES_PER_REASON, IngestAudit, RowIssue};
pub use customers::CustomerTable;
pub use dates::{AUTO_FORMATS, DateFormat, DateParser, SECONDS_PER_DAY, format_timestamp};
pub use io::{AmountColumns, BadRowPolicy, ReadOptions, TransactionColumns, read_transactions};
pub use transactions::{Transactions, TransactionsBuilder};
