//! BitRouter's database: virtual keys (`brvk_…`), users and budgets, the request ledger and the
//! usage queries behind `bitrouter usage` and `bitrouter logs`.
//!
//! One schema on three backends through [sea-orm](https://docs.rs/sea-orm): SQLite is the
//! embedded default (`$BITROUTER_HOME/bitrouter.db`, WAL mode, created on first start);
//! PostgreSQL and MySQL/MariaDB are chosen by the URL. [`Storage::connect`] applies the
//! versioned migrations, so `bitrouter db migrate` and a daemon start do the same thing.
//!
//! | feature    | default | enables |
//! | ---------- | ------- | ------- |
//! | `sqlite`   | yes     | `sqlite://path?mode=rwc` URLs (bundled SQLite, WAL, busy timeout) |
//! | `postgres` | no      | `postgres://user:password@host/db` URLs |
//! | `mysql`    | no      | `mysql://user:password@host/db` URLs (MySQL and MariaDB) |
//!
//! Times are stored as milliseconds since the Unix epoch; ledger writes go through
//! [`LedgerWriter`], which batches them off the request path and keeps them through short
//! database outages.
//!
//! ```no_run
//! # async fn demo() -> Result<(), bitrouter_storage::StorageError> {
//! use bitrouter_storage::{KeyState, LedgerOptions, LedgerRecord, LedgerWriter, NewKey, Storage};
//!
//! let storage = Storage::connect("sqlite:///tmp/bitrouter.db?mode=rwc").await?;
//! let (key, secret) = storage
//!     .create_key(NewKey { user_id: "alice".into(), ..NewKey::default() })
//!     .await?;
//! let found = storage.verify(&secret).await?;
//! assert!(matches!(found.map(|k| k.state(chrono::Utc::now())), Some(KeyState::Active)));
//!
//! let (ledger, writer) = LedgerWriter::spawn(storage.clone(), LedgerOptions::default())?;
//! ledger.record(LedgerRecord {
//!     key_id: Some(key.id.clone()),
//!     cost_usd: 0.002,
//!     ..LedgerRecord::now("req-1", "gpt-4o-mini")
//! });
//! ledger.shutdown().await?;
//! let _ = writer.await;
//! # Ok(())
//! # }
//! ```

mod error;
mod findings;
mod keys;
mod ledger;
mod migration;
mod period;
mod queries;
mod storage;
mod tables;
mod users;

pub use error::{StorageError, redact_url};
pub use findings::GuardrailFinding;
pub use keys::{
    Budget, KeyLimits, KeyRecord, KeyState, KeyUpdate, NewKey, SECRET_PREFIX, models_allow,
};
pub use ledger::{LedgerHandle, LedgerOptions, LedgerRecord, LedgerWriter};
pub use period::BudgetPeriod;
pub use queries::{LogQuery, SpendScope, UsageGroup, UsageReport, UsageRow};
pub use storage::{Backend, Storage, StorageOptions, default_sqlite_url};
pub use users::User;
