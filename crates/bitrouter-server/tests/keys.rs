//! Virtual keys on the request path, on SQLite always and on PostgreSQL and MariaDB when
//! `BITROUTER_TEST_POSTGRES_URL` / `BITROUTER_TEST_MYSQL_URL` are set (each run creates and
//! drops its own database): every enforcement answer, fifty concurrent calls against a
//! budget that fits about five, and ledger totals that match the upstream's usage.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use bitrouter_limits::{Limiter, MemoryLimiter};
use bitrouter_server::{Gateway, KeyAuthority, ServerConfig};
use bitrouter_storage::{
    Budget, BudgetPeriod, KeyLimits, LedgerOptions, LedgerWriter, NewKey, Storage, UsageGroup,
};
use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

struct Setup {
    storage: Storage,
    upstream: FakeUpstream,
    gw: TestGateway,
    ledger: bitrouter_storage::LedgerHandle,
}

async fn setup(url: &str, limiter: Arc<dyn Limiter>) -> Setup {
    let storage = Storage::connect(url).await.unwrap();
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let env = [
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", base.as_str()),
    ];
    let map: std::collections::HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let keys = Arc::new(KeyAuthority::new(
        storage.clone(),
        limiter,
        false,
        Some(Duration::from_millis(50)),
    ));
    let options = LedgerOptions {
        flush_interval: Duration::from_millis(50),
        ..LedgerOptions::default()
    };
    let (ledger, _task) = LedgerWriter::spawn(storage.clone(), options).unwrap();
    let gw = Gateway::from_env(config, &|k| map.get(k).cloned())
        .unwrap()
        .with_keys(keys)
        .with_ledger(ledger.clone());
    Setup {
        storage,
        upstream,
        gw: serve(gw).await,
        ledger,
    }
}

async fn call_with(gw: &TestGateway, key: Option<&str>, body: &serde_json::Value) -> Reply {
    let auth = key.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    send(
        Method::POST,
        &gw.url("/v1/chat/completions"),
        &headers,
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

async fn create(storage: &Storage, user: &str, limits: KeyLimits) -> String {
    let (_, secret) = storage
        .create_key(NewKey {
            user_id: user.into(),
            name: None,
            limits,
        })
        .await
        .unwrap();
    secret
}

async fn enforcement(url: &str) {
    let s = setup(url, Arc::new(MemoryLimiter::new())).await;
    // No key exists yet: open.
    assert_eq!(
        call_with(&s.gw, None, &chat("gpt-4o-mini")).await.status,
        StatusCode::OK
    );

    let good = create(
        &s.storage,
        "alice",
        KeyLimits {
            models: vec!["gpt-4o*".into()],
            rpm: Some(3),
            ..KeyLimits::default()
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(80)).await;
    let missing = call_with(&s.gw, None, &chat("gpt-4o-mini")).await;
    assert_eq!(
        missing.status,
        StatusCode::UNAUTHORIZED,
        "keys exist now: {}",
        missing.text()
    );
    assert_eq!(openai_error(&missing)["code"], "missing_api_key");
    let unknown = call_with(
        &s.gw,
        Some("brvk_0000000000000000000000000000000000000000000000000000000000000000"),
        &chat("gpt-4o-mini"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(openai_error(&unknown)["code"], "invalid_api_key");

    // An Anthropic client gets the same refusal in its own shape.
    let anthropic = send(
        Method::POST,
        &s.gw.url("/v1/messages"),
        &[("content-type", "application/json"), ("x-api-key", "not-a-key")],
        serde_json::to_vec(&json!({"model": "gpt-4o-mini", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]})).unwrap(),
    )
    .await;
    assert_eq!(anthropic.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anthropic.json()["type"], "error");

    assert_eq!(
        call_with(&s.gw, Some(&good), &chat("gpt-4o-mini"))
            .await
            .status,
        StatusCode::OK
    );
    let forbidden = call_with(&s.gw, Some(&good), &chat("o3")).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(openai_error(&forbidden)["code"], "model_not_allowed");

    // rpm 3: two more calls fit this minute (unless the minute turns), then 429 with Retry-After.
    let mut limited = None;
    for _ in 0..4 {
        let r = call_with(&s.gw, Some(&good), &chat("gpt-4o-mini")).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let Some(limited) = limited else {
        panic!("the rpm limit must refuse within four calls");
    };
    assert!(
        limited
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            <= 60
    );
    assert_eq!(openai_error(&limited)["code"], "rate_limit_exceeded");

    let revoked = create(&s.storage, "bob", KeyLimits::default()).await;
    s.storage.revoke_key(&revoked).await.unwrap();
    let r = call_with(&s.gw, Some(&revoked), &chat("gpt-4o-mini")).await;
    assert_eq!(
        (r.status, openai_error(&r)["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("key_revoked"))
    );
    let expired = create(
        &s.storage,
        "bob",
        KeyLimits {
            expires_at: Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
            ..KeyLimits::default()
        },
    )
    .await;
    let r = call_with(&s.gw, Some(&expired), &chat("gpt-4o-mini")).await;
    assert_eq!(
        (r.status, openai_error(&r)["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!("key_expired"))
    );

    // The ledger holds a row per call, with the key, and usage totals match the upstream's.
    s.ledger.flush().await.unwrap();
    let report = s
        .storage
        .usage(
            chrono::Utc::now() - chrono::Duration::hours(1),
            UsageGroup::Key,
        )
        .await
        .unwrap();
    let alice_key = s.storage.verify(&good).await.unwrap().unwrap().id;
    let row = report
        .rows
        .iter()
        .find(|r| r.group.as_deref() == Some(alice_key.as_str()))
        .unwrap();
    let served = s.upstream.request_count() as u64;
    assert!(row.requests >= 3, "{row:?}");
    assert!(
        report.totals.requests >= served,
        "every call is on record: {report:?} vs {served} upstream calls"
    );
    assert!(row.input_tokens > 0 && row.cost_usd > 0.0, "{row:?}");
}

async fn budget_holds_under_concurrency(
    url: &str,
    limiter_a: Arc<dyn Limiter>,
    limiter_b: Arc<dyn Limiter>,
) {
    let a = setup(url, limiter_a).await;
    let b = setup(url, limiter_b).await;
    // Every answer takes a while, so all fifty calls are in flight together.
    a.upstream.set_default(Script::Delay(
        Duration::from_millis(300),
        Box::new(Script::Echo),
    ));
    b.upstream.set_default(Script::Delay(
        Duration::from_millis(300),
        Box::new(Script::Echo),
    ));
    let mut body = chat("gpt-4o-mini");
    body["max_tokens"] = json!(1000);
    // gpt-4o-mini: about 1000 output tokens x $0.60/M = $0.0006 reserved per call.
    let per_call = 0.0006;
    let key = create(
        &a.storage,
        "carol",
        KeyLimits {
            budget: Some(Budget {
                usd: per_call * 5.5,
                period: BudgetPeriod::Day,
            }),
            ..KeyLimits::default()
        },
    )
    .await;
    let mut calls = Vec::new();
    for i in 0..50 {
        let gw_url = if i % 2 == 0 {
            a.gw.url("/v1/chat/completions")
        } else {
            b.gw.url("/v1/chat/completions")
        };
        let (key, body) = (key.clone(), body.clone());
        calls.push(tokio::spawn(async move {
            let auth = format!("Bearer {key}");
            send(
                Method::POST,
                &gw_url,
                &[
                    ("content-type", "application/json"),
                    ("authorization", &auth),
                ],
                serde_json::to_vec(&body).unwrap(),
            )
            .await
        }));
    }
    let mut ok = 0;
    let mut over = 0;
    for c in calls {
        let r = c.await.unwrap();
        match r.status {
            StatusCode::OK => ok += 1,
            StatusCode::PAYMENT_REQUIRED => {
                over += 1;
                assert!(
                    openai_error(&r)["message"]
                        .as_str()
                        .unwrap()
                        .contains("remaining"),
                    "{}",
                    r.text()
                );
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert!(
        ok <= 5,
        "at most the budget's worth of calls ran at once: {ok} succeeded"
    );
    assert!(ok >= 1 && over >= 40, "ok {ok}, over budget {over}");
}

fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let query = tail
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{scheme}://{authority}/{database}{query}")
}

/// Runs `suite` on a fresh database of the server named by `variable`, or says it skipped.
async fn on_server<F, Fut>(name: &str, variable: &str, suite: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Ok(admin_url) = std::env::var(variable) else {
        eprintln!("skipped: {name} (set {variable})");
        return;
    };
    let database = format!("bitrouter_srv_{:016x}", rand::random::<u64>());
    let admin = Database::connect(admin_url.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {database}"))
        .await
        .unwrap();
    suite(with_database(&admin_url, &database)).await;
    let drop = match admin.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => format!("DROP DATABASE {database} WITH (FORCE)"),
        _ => format!("DROP DATABASE {database}"),
    };
    admin.execute_unprepared(&drop).await.unwrap();
    eprintln!("ran: {name} on {database}");
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bitrouter.db").display()
    )
}

#[tokio::test]
async fn sqlite_enforcement() {
    let dir = tempfile::tempdir().unwrap();
    enforcement(&sqlite_url(&dir)).await;
}

#[tokio::test]
async fn sqlite_budget_under_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let shared: Arc<dyn Limiter> = Arc::new(MemoryLimiter::new());
    budget_holds_under_concurrency(&sqlite_url(&dir), shared.clone(), shared).await;
}

#[tokio::test]
async fn postgres_enforcement() {
    on_server(
        "PostgreSQL",
        "BITROUTER_TEST_POSTGRES_URL",
        |url| async move { enforcement(&url).await },
    )
    .await;
}

#[tokio::test]
async fn mysql_enforcement() {
    on_server(
        "MariaDB/MySQL",
        "BITROUTER_TEST_MYSQL_URL",
        |url| async move { enforcement(&url).await },
    )
    .await;
}

/// Two gateways, each with its own Redis connection (as two processes would have), sharing
/// one PostgreSQL: one budget between them.
#[tokio::test]
async fn two_instances_share_one_budget_through_redis() {
    let Ok(redis) = std::env::var("BITROUTER_TEST_REDIS_URL") else {
        eprintln!("skipped: two instances on Redis (set BITROUTER_TEST_REDIS_URL)");
        return;
    };
    let prefix = format!("bitrouter-test:{:016x}", rand::random::<u64>());
    let limiter = || -> Arc<dyn Limiter> {
        let mut c = bitrouter_limits::RedisLimiterConfig::new(redis.clone());
        c.key_prefix = prefix.clone();
        Arc::new(bitrouter_limits::RedisLimiter::new(c).unwrap())
    };
    let (a, b) = (limiter(), limiter());
    if std::env::var("BITROUTER_TEST_POSTGRES_URL").is_ok() {
        on_server(
            "PostgreSQL + Redis",
            "BITROUTER_TEST_POSTGRES_URL",
            |url| async move { budget_holds_under_concurrency(&url, a, b).await },
        )
        .await;
    } else {
        let dir = tempfile::tempdir().unwrap();
        budget_holds_under_concurrency(&sqlite_url(&dir), a, b).await;
    }
}
