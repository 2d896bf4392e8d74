//! `bitrouter usage` and `bitrouter logs` against a ledger written through the storage library.

use std::collections::BTreeMap;
use std::time::Duration;

use bitrouter_storage::{LedgerOptions, LedgerRecord, LedgerWriter, NewKey, Storage};
use chrono::Utc;
use serde_json::Value;

use super::{bitrouter, ok_json, text};

struct Call {
    key: Option<&'static str>,
    model: &'static str,
    provider: &'static str,
    hours_ago: i64,
    input: u64,
    output: u64,
    cost: f64,
}

/// (key, user) pairs are filled in from the keys created in the test.
const CALLS: [Call; 5] = [
    Call {
        key: Some("a"),
        model: "gpt-4o-mini",
        provider: "openai",
        hours_ago: 1,
        input: 100,
        output: 50,
        cost: 0.001,
    },
    Call {
        key: Some("a"),
        model: "gpt-4o-mini",
        provider: "openai",
        hours_ago: 49,
        input: 200,
        output: 20,
        cost: 0.002,
    },
    Call {
        key: Some("b"),
        model: "claude-sonnet-4-5",
        provider: "anthropic",
        hours_ago: 72,
        input: 1000,
        output: 300,
        cost: 0.05,
    },
    Call {
        key: None,
        model: "gpt-4o-mini",
        provider: "openrouter",
        hours_ago: 120,
        input: 10,
        output: 5,
        cost: 0.0001,
    },
    // Outside `--since 30d`.
    Call {
        key: Some("a"),
        model: "o3",
        provider: "openai",
        hours_ago: 24 * 40,
        input: 9999,
        output: 9999,
        cost: 9.0,
    },
];

struct Ledger {
    key_a: String,
    key_a_prefix: String,
    key_b: String,
    records: Vec<LedgerRecord>,
}

fn fill(home: &std::path::Path) -> Ledger {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = bitrouter_storage::default_sqlite_url(home);
        let storage = Storage::connect(&url).await.unwrap();
        let new = |user: &str| NewKey {
            user_id: user.into(),
            ..NewKey::default()
        };
        let (a, _) = storage.create_key(new("alice")).await.unwrap();
        let (b, _) = storage.create_key(new("bob")).await.unwrap();
        let now = Utc::now();
        let records: Vec<LedgerRecord> = CALLS
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let key = c.key.map(|k| if k == "a" { &a } else { &b });
                LedgerRecord {
                    key_id: key.map(|k| k.id.clone()),
                    user_id: key.map(|k| k.user_id.clone()),
                    provider: Some(c.provider.into()),
                    client_protocol: "openai_chat".into(),
                    status: 200,
                    input_tokens: c.input,
                    output_tokens: c.output,
                    cost_usd: c.cost,
                    latency_ms: 100,
                    created_at: now - chrono::Duration::hours(c.hours_ago),
                    ..LedgerRecord::now(format!("req-{i}"), c.model)
                }
            })
            .collect();
        let options = LedgerOptions {
            flush_interval: Duration::from_secs(3600),
            ..LedgerOptions::default()
        };
        let (ledger, writer) = LedgerWriter::spawn(storage.clone(), options).unwrap();
        for r in &records {
            assert!(ledger.record(r.clone()));
        }
        ledger.shutdown().await.unwrap();
        writer.await.unwrap();
        storage.close().await.unwrap();
        Ledger {
            key_a: a.id,
            key_a_prefix: a.prefix,
            key_b: b.id,
            records,
        }
    })
}

/// `group -> (requests, input, output, cost)` from a usage report.
fn groups(report: &Value) -> BTreeMap<String, (u64, u64, u64, f64)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let group = r["group"].as_str().unwrap_or("(none)").to_owned();
            let n = |f: &str| r[f].as_u64().unwrap();
            (
                group,
                (
                    n("requests"),
                    n("input_tokens"),
                    n("output_tokens"),
                    r["cost_usd"].as_f64().unwrap(),
                ),
            )
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn usage_totals_and_groups_match_the_rows_written() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let ledger = fill(h);
    let recent: Vec<&LedgerRecord> = ledger.records.iter().take(4).collect();

    let report = ok_json(
        h,
        None,
        &["usage", "--since", "30d", "--by", "model", "--json"],
    );
    let totals = &report["totals"];
    assert_eq!(totals["requests"], 4);
    assert_eq!(
        totals["input_tokens"].as_u64().unwrap(),
        recent.iter().map(|r| r.input_tokens).sum::<u64>()
    );
    assert_eq!(
        totals["output_tokens"].as_u64().unwrap(),
        recent.iter().map(|r| r.output_tokens).sum::<u64>()
    );
    let cost: f64 = recent.iter().map(|r| r.cost_usd).sum();
    assert!(
        close(totals["cost_usd"].as_f64().unwrap(), cost),
        "{totals}"
    );
    assert_eq!(report["by"], "model");
    let by_model = groups(&report);
    assert_eq!(by_model.len(), 2);
    assert_eq!(by_model["gpt-4o-mini"].0, 3);
    assert_eq!(by_model["gpt-4o-mini"].1, 310);
    assert!(close(by_model["gpt-4o-mini"].3, 0.0031));
    assert_eq!(by_model["claude-sonnet-4-5"], (1, 1000, 300, 0.05));

    let by_key = groups(&ok_json(
        h,
        None,
        &["usage", "--since", "30d", "--by", "key", "--json"],
    ));
    assert_eq!(by_key[&ledger.key_a].0, 2);
    assert_eq!(by_key[&ledger.key_b].0, 1);
    assert_eq!(by_key["(none)"].0, 1);

    let by_user = groups(&ok_json(
        h,
        None,
        &["usage", "--since", "30d", "--by", "user", "--json"],
    ));
    assert_eq!(
        by_user.keys().collect::<Vec<_>>(),
        ["(none)", "alice", "bob"]
    );
    assert_eq!(by_user["alice"].1, 300);

    let by_provider = groups(&ok_json(
        h,
        None,
        &["usage", "--since", "30d", "--by", "provider", "--json"],
    ));
    assert_eq!(
        by_provider.keys().collect::<Vec<_>>(),
        ["anthropic", "openai", "openrouter"]
    );
    assert_eq!(by_provider["openai"].0, 2);

    let by_day = ok_json(
        h,
        None,
        &["usage", "--since", "30d", "--by", "day", "--json"],
    );
    let days: BTreeMap<String, u64> = recent.iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.created_at.format("%Y-%m-%d").to_string())
            .or_default() += 1;
        m
    });
    let reported: BTreeMap<String, u64> =
        groups(&by_day).into_iter().map(|(d, v)| (d, v.0)).collect();
    assert_eq!(reported, days);

    let day = ok_json(h, None, &["usage", "--since", "24h", "--json"]);
    assert_eq!(day["totals"]["requests"], 1);
    assert_eq!(day["totals"]["input_tokens"], 100);
    let all = ok_json(h, None, &["usage", "--since", "2000-01-01", "--json"]);
    assert_eq!(all["totals"]["requests"], 5);

    let table = text(&bitrouter(h, None, &["usage", "--since", "30d"]));
    let total_line = table.lines().find(|l| l.starts_with("TOTAL")).unwrap();
    assert!(total_line.ends_with("$0.05"), "{table}");
    assert!(total_line.contains(" 1310 "), "{table}");

    let logs = ok_json(h, None, &["logs", "--limit", "2", "--json"]);
    let ids: Vec<&str> = logs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["req-0", "req-1"]);
    assert_eq!(logs[0]["cost_usd"], 0.001);
    assert_eq!(logs[0]["provider"], "openai");
    let by_key = ok_json(h, None, &["logs", "--key", &ledger.key_a_prefix, "--json"]);
    let ids: Vec<&str> = by_key
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["req-0", "req-1", "req-4"]);
    let bob = ok_json(h, None, &["logs", "--user", "bob", "--json"]);
    assert_eq!(bob.as_array().unwrap().len(), 1);
    assert_eq!(bob[0]["key_id"], ledger.key_b.as_str());
    let recent = ok_json(
        h,
        None,
        &["logs", "--since", "30d", "--limit", "100", "--json"],
    );
    assert_eq!(recent.as_array().unwrap().len(), 4);
    let table = text(&bitrouter(h, None, &["logs"]));
    assert_eq!(table.lines().count(), 6, "{table}");
    assert!(table.lines().next().unwrap().starts_with("TIME"), "{table}");
}
