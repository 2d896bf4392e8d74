//! Usage grouping, spend and logs.

use std::time::Duration;

use bitrouter_storage::{
    LedgerOptions, LedgerRecord, LedgerWriter, LogQuery, SpendScope, UsageGroup, UsageRow,
};
use chrono::{TimeZone, Utc};

use super::TestDb;

fn call(model: &str, key: &str, user: &str, provider: &str, cost: f64) -> LedgerRecord {
    LedgerRecord {
        key_id: Some(key.into()),
        user_id: Some(user.into()),
        provider: Some(provider.into()),
        client_protocol: "openai_chat".into(),
        status: 200,
        input_tokens: 1000,
        cached_input_tokens: 200,
        cache_write_tokens: 100,
        output_tokens: 300,
        reasoning_tokens: 50,
        cost_usd: cost,
        latency_ms: 10,
        ..LedgerRecord::now("usage", model)
    }
}

async fn write(db: &TestDb, records: Vec<LedgerRecord>) {
    let options = LedgerOptions {
        flush_interval: Duration::from_secs(3600),
        ..LedgerOptions::default()
    };
    let (ledger, writer) = LedgerWriter::spawn(db.storage.clone(), options).unwrap();
    for r in records {
        assert!(ledger.record(r));
    }
    ledger.shutdown().await.unwrap();
    writer.await.unwrap();
}

fn sum(rows: &[UsageRow]) -> UsageRow {
    rows.iter().fold(UsageRow::default(), |mut acc, r| {
        acc.requests += r.requests;
        acc.input_tokens += r.input_tokens;
        acc.cached_input_tokens += r.cached_input_tokens;
        acc.cache_write_tokens += r.cache_write_tokens;
        acc.output_tokens += r.output_tokens;
        acc.reasoning_tokens += r.reasoning_tokens;
        acc.cost_usd += r.cost_usd;
        acc
    })
}

pub async fn grouping_and_totals(db: &TestDb) {
    let old_day = Utc.with_ymd_and_hms(2001, 2, 3, 12, 0, 0).unwrap();
    write(
        db,
        vec![
            call("usage-model-a", "key_u1", "usage-user", "openai", 0.5),
            call("usage-model-a", "key_u1", "usage-user", "openai", 0.25),
            call("usage-model-b", "key_u2", "usage-user", "anthropic", 1.0),
            LedgerRecord {
                created_at: old_day,
                ..call("usage-model-old", "key_u3", "usage-old", "openai", 8.0)
            },
        ],
    )
    .await;
    let since_epoch = chrono::DateTime::UNIX_EPOCH;
    for group in [
        UsageGroup::Key,
        UsageGroup::User,
        UsageGroup::Model,
        UsageGroup::Provider,
        UsageGroup::Day,
    ] {
        let report = db.storage.usage(since_epoch, group).await.unwrap();
        let summed = sum(&report.rows);
        assert_eq!(summed.requests, report.totals.requests, "{group:?}");
        assert_eq!(summed.input_tokens, report.totals.input_tokens, "{group:?}");
        assert_eq!(
            summed.cached_input_tokens, report.totals.cached_input_tokens,
            "{group:?}"
        );
        assert_eq!(
            summed.cache_write_tokens, report.totals.cache_write_tokens,
            "{group:?}"
        );
        assert_eq!(
            summed.output_tokens, report.totals.output_tokens,
            "{group:?}"
        );
        assert_eq!(
            summed.reasoning_tokens, report.totals.reasoning_tokens,
            "{group:?}"
        );
        assert!(
            (summed.cost_usd - report.totals.cost_usd).abs() < 1e-9,
            "{group:?}"
        );
        let groups: Vec<_> = report.rows.iter().map(|r| r.group.clone()).collect();
        let mut sorted = groups.clone();
        sorted.sort();
        assert_eq!(groups, sorted, "{group:?} rows are ordered by group");
    }
    let by_model = db
        .storage
        .usage(since_epoch, UsageGroup::Model)
        .await
        .unwrap();
    let model_a = by_model
        .rows
        .iter()
        .find(|r| r.group.as_deref() == Some("usage-model-a"))
        .unwrap();
    assert_eq!(
        model_a,
        &UsageRow {
            group: Some("usage-model-a".into()),
            requests: 2,
            input_tokens: 2000,
            cached_input_tokens: 400,
            cache_write_tokens: 200,
            output_tokens: 600,
            reasoning_tokens: 100,
            cost_usd: 0.75,
        }
    );
    let by_day = db
        .storage
        .usage(since_epoch, UsageGroup::Day)
        .await
        .unwrap();
    let old = by_day
        .rows
        .iter()
        .find(|r| r.group.as_deref() == Some("2001-02-03"))
        .unwrap();
    assert_eq!((old.requests, old.cost_usd), (1, 8.0));
    // A window that starts after the old call leaves it out.
    let recent = db
        .storage
        .usage(Utc::now() - chrono::Duration::days(1), UsageGroup::Model)
        .await
        .unwrap();
    assert!(
        recent
            .rows
            .iter()
            .all(|r| r.group.as_deref() != Some("usage-model-old"))
    );
    assert!((by_model.totals.cost_usd - recent.totals.cost_usd - 8.0).abs() < 1e-9);
}

pub async fn spend_and_logs(db: &TestDb) {
    let s = &db.storage;
    let old = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
    write(
        db,
        vec![
            call("m", "key_spend", "spender", "openai", 1.5),
            call("m", "key_spend", "spender", "openai", 2.0),
            call("m", "key_spend_other", "spender", "openai", 4.0),
            LedgerRecord {
                created_at: old,
                ..call("m", "key_spend", "spender", "openai", 100.0)
            },
        ],
    )
    .await;
    let day_ago = Utc::now() - chrono::Duration::days(1);
    assert!(
        (s.spent(SpendScope::Key("key_spend"), day_ago)
            .await
            .unwrap()
            - 3.5)
            .abs()
            < 1e-9
    );
    assert!((s.spent(SpendScope::User("spender"), day_ago).await.unwrap() - 7.5).abs() < 1e-9);
    let all_time = chrono::DateTime::UNIX_EPOCH;
    assert!(
        (s.spent(SpendScope::Key("key_spend"), all_time)
            .await
            .unwrap()
            - 103.5)
            .abs()
            < 1e-9
    );
    assert_eq!(
        s.spent(SpendScope::Key("key_nothing"), all_time)
            .await
            .unwrap(),
        0.0
    );

    let logs = s
        .logs(&LogQuery {
            limit: 10,
            key_id: Some("key_spend".into()),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(logs.len(), 3);
    assert!(
        logs.iter()
            .all(|r| r.key_id.as_deref() == Some("key_spend"))
    );
    assert!(
        logs.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "newest first"
    );
    assert_eq!(logs[2].created_at, old);
    let limited = s
        .logs(&LogQuery {
            limit: 2,
            key_id: Some("key_spend".into()),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    let recent = s
        .logs(&LogQuery {
            limit: 10,
            user_id: Some("spender".into()),
            since: Some(day_ago),
            ..LogQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(recent.len(), 3);
}
