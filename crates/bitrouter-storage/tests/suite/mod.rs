//! The storage suite, written once and run against every backend by `tests/backends.rs`.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "the suite is test code: a failed step fails the test"
)]

mod keys;
mod ledger;
mod usage;

use bitrouter_storage::Storage;
use sea_orm::{ConnectionTrait, Database};

/// A connected storage plus the URL it came from, for tests that need a second connection.
pub struct TestDb {
    pub storage: Storage,
    pub url: String,
}

impl TestDb {
    /// Runs raw SQL on a separate connection (to take the ledger table away and back).
    pub async fn admin(&self, sql: &str) {
        let db = Database::connect(self.url.as_str()).await.unwrap();
        db.execute_unprepared(sql).await.unwrap();
        db.close().await.unwrap();
    }
}

pub async fn run(db: &TestDb) {
    migrations_are_idempotent(db).await;
    keys::lifecycle(db).await;
    keys::rotation(db).await;
    keys::allow_list_and_limits(db).await;
    keys::users_and_budgets(db).await;
    keys::findings_round_trip(db).await;
    ledger::batches(db).await;
    ledger::outage_loses_nothing(db).await;
    ledger::shutdown_flushes(db).await;
    ledger::overflow_counts_drops(db).await;
    usage::grouping_and_totals(db).await;
    usage::spend_and_logs(db).await;
}

async fn migrations_are_idempotent(db: &TestDb) {
    assert_eq!(db.storage.migrate().await.unwrap(), Vec::<String>::new());
    assert!(db.storage.pending_migrations().await.unwrap().is_empty());
    // A second connect re-runs the (empty) migration step and still works.
    let again = Storage::connect(&db.url).await.unwrap();
    assert!(again.list_users().await.is_ok());
    again.close().await.unwrap();
}
