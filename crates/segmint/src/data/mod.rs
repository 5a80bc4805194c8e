//! Customer data: transactions, one-row-per-customer tables, CSV ingest and its audit.

mod audit;
mod customers;
mod dates;
pub mod io;
mod late;
mod options;
pub(crate) mod output;
mod scan;
mod sources;
mod split;
mod transactions;

pub use audit::{DropReason, DroppedRows, EXAMPLES_PER_REASON, IngestAudit, LateDates, RowIssue};
pub use customers::CustomerTable;
pub use dates::{AUTO_FORMATS, DateFormat, DateParser, SECONDS_PER_DAY, format_timestamp};
pub use io::{AmountColumns, TransactionColumns, read_transactions, read_transactions_reporting};
pub use late::late_dates;
pub use options::{BadRowPolicy, ReadOptions};
pub use output::{FormulaCells, Staged, refuse_overwriting_input, write_atomically};
pub use scan::Progress;
pub use sources::{
    Attributes, InteractionColumns, Interactions, InteractionsBuilder, JoinReport, ProductColumns, Products,
    read_attributes, read_interactions, read_products, write_attributes, write_interactions, write_products,
};
pub use transactions::{Line, LineFields, Transactions, TransactionsBuilder};
