//! Runs the storage suite on SQLite always, and on PostgreSQL / MariaDB when
//! `BITROUTER_TEST_POSTGRES_URL` / `BITROUTER_TEST_MYSQL_URL` point at a server (an admin URL;
//! each run creates and drops its own `bitrouter_test_<random>` database).

mod suite;

use std::time::Duration;

use bitrouter_storage::{LedgerOptions, LedgerWriter, LogQuery, Storage, StorageOptions};
use sea_orm::{ConnectionTrait, Database};

use suite::TestDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = bitrouter_storage::default_sqlite_url(dir.path());
    let storage = Storage::connect(&url).await.unwrap();
    assert!(
        dir.path().join("bitrouter.db").exists(),
        "the database file is created"
    );
    let db = TestDb { storage, url };
    suite::run(&db).await;
    db.storage.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_uses_wal_and_survives_a_locked_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = bitrouter_storage::default_sqlite_url(dir.path());
    let options = StorageOptions {
        sqlite_busy_timeout: Duration::from_millis(20),
        ..StorageOptions::default()
    };
    let storage = Storage::connect_with(&url, options).await.unwrap();
    let locker = Database::connect(url.as_str()).await.unwrap();
    let mode = locker.query_one(sea_orm::Statement::from_string(
        sea_orm::DatabaseBackend::Sqlite,
        "PRAGMA journal_mode",
    ));
    let mode: String = mode.await.unwrap().unwrap().try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");

    // Another connection holds the write lock: every ledger write fails with SQLITE_BUSY.
    let txn = sea_orm::TransactionTrait::begin(&locker).await.unwrap();
    txn.execute_unprepared("INSERT INTO users (id, created_at) VALUES ('locker', 0)")
        .await
        .unwrap();
    let ledger_options = LedgerOptions {
        batch_size: 2,
        retry_initial: Duration::from_millis(10),
        retry_max: Duration::from_millis(50),
        ..LedgerOptions::default()
    };
    let (ledger, writer) = LedgerWriter::spawn(storage.clone(), ledger_options).unwrap();
    for n in 0..5 {
        assert!(ledger.record(suite_record("key_locked", n)));
    }
    for _ in 0..200 {
        if ledger.failed_writes() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        ledger.failed_writes() >= 2,
        "writes fail while the database is locked"
    );
    assert_eq!(ledger.written(), 0);
    txn.rollback().await.unwrap();
    ledger.shutdown().await.unwrap();
    writer.await.unwrap();
    assert_eq!(ledger.written(), 5);
    assert_eq!(ledger.dropped(), 0);
    let rows = storage
        .logs(&LogQuery {
            limit: 100,
            key_id: Some("key_locked".into()),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
}

fn suite_record(key: &str, n: u64) -> bitrouter_storage::LedgerRecord {
    bitrouter_storage::LedgerRecord {
        key_id: Some(key.into()),
        client_protocol: "openai_chat".into(),
        status: 200,
        input_tokens: n,
        ..bitrouter_storage::LedgerRecord::now(format!("req-{n}"), "m")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    run_server_suite(
        "PostgreSQL",
        "BITROUTER_TEST_POSTGRES_URL",
        cfg!(feature = "postgres"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql() {
    run_server_suite(
        "MariaDB/MySQL",
        "BITROUTER_TEST_MYSQL_URL",
        cfg!(feature = "mysql"),
    )
    .await;
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failed step fails the test"
)]
async fn run_server_suite(name: &str, variable: &str, built: bool) {
    let Ok(admin_url) = std::env::var(variable) else {
        eprintln!("skipped: {name} (set {variable})");
        return;
    };
    assert!(
        built,
        "{variable} is set but this build lacks the backend: add --features postgres,mysql"
    );
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let database: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let database = format!("bitrouter_test_{database}");
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {database}"))
        .await
        .unwrap();
    let url = with_database(&admin_url, &database);
    let storage = Storage::connect(&url).await.unwrap();
    let db = TestDb { storage, url };
    let outcome = tokio::spawn(async move {
        suite::run(&db).await;
        db.storage.close().await.unwrap();
    })
    .await;
    let drop = match admin.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => format!("DROP DATABASE {database} WITH (FORCE)"),
        _ => format!("DROP DATABASE {database}"),
    };
    admin.execute_unprepared(&drop).await.unwrap();
    admin.close().await.unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
    eprintln!("ran: {name} suite on {database}");
}

/// Replaces the database name in a server URL, keeping credentials, host and query.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failed step fails the test"
)]
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let query = tail
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{scheme}://{authority}/{database}{query}")
}
