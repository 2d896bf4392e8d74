//! The request ledger: one row per call, written off the request path in batches.

mod record;
mod writer;

pub use record::LedgerRecord;
pub use writer::{LedgerHandle, LedgerOptions, LedgerWriter};

pub(crate) use record::{TABLE, record_from_row, select_columns};
