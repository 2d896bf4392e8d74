//! The ledger writer: batches, outages, shutdown, overflow.

use std::time::Duration;

use bitrouter_storage::{LedgerOptions, LedgerRecord, LedgerWriter, LogQuery};

use super::TestDb;

pub fn record(key: &str, n: u64) -> LedgerRecord {
    LedgerRecord {
        key_id: Some(key.to_owned()),
        user_id: Some("ledger-user".into()),
        provider: Some("openai".into()),
        upstream_model: Some("gpt-4o-mini-2024-07-18".into()),
        client_protocol: "anthropic_messages".into(),
        upstream_protocol: Some("openai_chat".into()),
        status: 200,
        input_tokens: 100 + n,
        cached_input_tokens: 10,
        cache_write_tokens: 5,
        output_tokens: 50,
        reasoning_tokens: 20,
        cost_usd: 0.25,
        latency_ms: 1200,
        ttft_ms: Some(300),
        streamed: true,
        fallback_attempts: 1,
        ..LedgerRecord::now(format!("{key}-{n}"), "gpt-4o-mini")
    }
}

fn options(batch_size: usize, buffer_capacity: usize) -> LedgerOptions {
    LedgerOptions {
        batch_size,
        flush_interval: Duration::from_secs(3600),
        buffer_capacity,
        retry_initial: Duration::from_millis(20),
        retry_max: Duration::from_millis(100),
        shutdown_grace: Duration::from_secs(5),
    }
}

async fn rows_for(db: &TestDb, key: &str) -> Vec<LedgerRecord> {
    db.storage
        .logs(&LogQuery {
            limit: 10_000,
            key_id: Some(key.into()),
            ..LogQuery::default()
        })
        .await
        .unwrap()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

pub async fn batches(db: &TestDb) {
    let (ledger, writer) = LedgerWriter::spawn(db.storage.clone(), options(10, 1000)).unwrap();
    let records: Vec<LedgerRecord> = (0..25).map(|n| record("key_batch", n)).collect();
    for r in &records {
        assert!(ledger.record(r.clone()));
    }
    // Two full batches go out on their own; the partial third waits for the flush interval.
    wait_until("two full batches", || ledger.written() == 20).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(ledger.written(), 20);
    assert_eq!(ledger.queue_depth(), 5);
    assert_eq!(rows_for(db, "key_batch").await.len(), 20);
    ledger.flush().await.unwrap();
    assert_eq!(ledger.written(), 25);
    assert_eq!(ledger.queue_depth(), 0);
    let mut stored = rows_for(db, "key_batch").await;
    stored.sort_by_key(|r| r.input_tokens);
    assert_eq!(stored, records);
    ledger.shutdown().await.unwrap();
    writer.await.unwrap();
}

pub async fn outage_loses_nothing(db: &TestDb) {
    let (ledger, writer) = LedgerWriter::spawn(db.storage.clone(), options(4, 1000)).unwrap();
    db.admin("ALTER TABLE requests RENAME TO requests_offline")
        .await;
    for n in 0..9 {
        assert!(ledger.record(record("key_outage", n)));
    }
    let flusher = {
        let ledger = ledger.clone();
        tokio::spawn(async move { ledger.flush().await })
    };
    wait_until("failed writes", || ledger.failed_writes() >= 3).await;
    assert_eq!(ledger.written(), 0);
    assert_eq!(ledger.queue_depth(), 9);
    assert!(!flusher.is_finished());
    db.admin("ALTER TABLE requests_offline RENAME TO requests")
        .await;
    tokio::time::timeout(Duration::from_secs(10), flusher)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(ledger.written(), 9);
    assert_eq!(ledger.dropped(), 0);
    assert_eq!(rows_for(db, "key_outage").await.len(), 9);
    ledger.shutdown().await.unwrap();
    writer.await.unwrap();
}

pub async fn shutdown_flushes(db: &TestDb) {
    let (ledger, writer) = LedgerWriter::spawn(db.storage.clone(), options(1000, 1000)).unwrap();
    for n in 0..3 {
        assert!(ledger.record(record("key_shutdown", n)));
    }
    ledger.shutdown().await.unwrap();
    writer.await.unwrap();
    assert_eq!(rows_for(db, "key_shutdown").await.len(), 3);
    // After shutdown, records are refused and counted.
    assert!(!ledger.record(record("key_shutdown", 99)));
    assert_eq!(ledger.dropped(), 1);
    assert!(ledger.flush().await.is_err());
}

pub async fn overflow_counts_drops(db: &TestDb) {
    let (ledger, writer) = LedgerWriter::spawn(db.storage.clone(), options(2, 4)).unwrap();
    // With the table away the writer holds one batch and the buffer fills up.
    db.admin("ALTER TABLE requests RENAME TO requests_offline")
        .await;
    let mut accepted = 0;
    for n in 0..50 {
        if ledger.record(record("key_overflow", n)) {
            accepted += 1;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!((4..=6).contains(&accepted), "accepted {accepted}");
    assert_eq!(ledger.dropped(), 50 - accepted);
    db.admin("ALTER TABLE requests_offline RENAME TO requests")
        .await;
    ledger.shutdown().await.unwrap();
    writer.await.unwrap();
    assert_eq!(ledger.written(), accepted);
    assert_eq!(rows_for(db, "key_overflow").await.len() as u64, accepted);
}
