//! `RedisLimiter` against a real Redis: the same behaviours as `MemoryLimiter`, two instances
//! sharing one budget and one rpm, leases, and a Redis that is down.
//!
//! Needs `BITROUTER_TEST_REDIS_URL` (e.g. redis://127.0.0.1:6379/); without it each test prints
//! `skipped: Redis (set BITROUTER_TEST_REDIS_URL)` and passes. Every test uses its own key prefix
//! and deletes its keys, after checking that each of them has a TTL.
#![allow(
    clippy::unwrap_used,
    reason = "the shared test helpers fail their test by panicking"
)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bitrouter_limits::{
    Actual, Budget, BudgetPeriod, Denied, Estimate, Exceeded, FailureMode, LimitError, Limiter,
    Limits, ManualClock, RedisLimiter, RedisLimiterConfig, Subject, SubjectId,
};
use redis::AsyncCommands;

// 2024-02-29T13:45:00Z: the start of a minute.
const T0: i64 = 1_709_214_300_000;

fn redis_url() -> Option<String> {
    let url = std::env::var("BITROUTER_TEST_REDIS_URL").ok();
    if url.is_none() {
        eprintln!("skipped: Redis (set BITROUTER_TEST_REDIS_URL)");
    }
    url
}

fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("bitrouter-test:{}:{nanos}:{test}", std::process::id())
}

fn limiter(url: &str, prefix: &str, clock: &Arc<ManualClock>) -> RedisLimiter {
    let mut config = RedisLimiterConfig::new(url);
    config.key_prefix = prefix.to_owned();
    RedisLimiter::with_clock(config, clock.clone()).unwrap()
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Asserts every key under `prefix` expires, then deletes them all.
async fn clean_up(url: &str, prefix: &str) {
    let mut conn = raw(url).await;
    let keys: Vec<String> = conn.keys(format!("{prefix}:*")).await.unwrap();
    for key in &keys {
        let ttl: i64 = conn.pttl(key).await.unwrap();
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
    }
    if !keys.is_empty() {
        let _: () = conn.del(&keys).await.unwrap();
    }
}

fn budget(usd: f64) -> Limits {
    Limits {
        budget: Some(Budget {
            usd,
            period: BudgetPeriod::Day,
        }),
        ..Limits::default()
    }
}

fn est(tokens: u64, cost_usd: f64) -> Estimate {
    Estimate { tokens, cost_usd }
}

#[expect(clippy::panic, reason = "a test helper fails its test by panicking")]
fn denied(err: LimitError) -> Denied {
    match err {
        LimitError::Denied(denied) => denied,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_fit_only_what_the_budget_holds() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("fifty");
    let clock = Arc::new(ManualClock::new(T0));
    let limiter = limiter(&url, &prefix, &clock);
    let key = SubjectId::key("k1");
    let limits = budget(1.10);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (limiter, key) = (limiter.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let subjects = [Subject::new(&key, &limits).with_ledger_spent(0.10)];
            limiter.reserve(&subjects, est(100, 0.20)).await
        }));
    }
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(r) => admitted.push(r),
            Err(err) => refused.push(denied(err)),
        }
    }
    assert_eq!((admitted.len(), refused.len()), (5, 45));
    assert_eq!(
        refused[0].to_string(),
        "key `k1` is over its daily budget of $1.10: $0.00 remaining, this call needs about $0.20"
    );
    for r in admitted {
        r.settle(Actual {
            tokens: 80,
            cost_usd: 0.10,
        })
        .await
        .unwrap();
    }
    // Running spend $0.50 beats the ledger's $0.10: $0.60 left, three $0.20 calls.
    let subjects = [Subject::new(&key, &limits).with_ledger_spent(0.10)];
    let mut more = Vec::new();
    for _ in 0..3 {
        more.push(limiter.reserve(&subjects, est(100, 0.20)).await.unwrap());
    }
    let err = denied(
        limiter
            .reserve(&subjects, est(100, 0.20))
            .await
            .unwrap_err(),
    );
    assert_eq!(err.remaining_usd(), Some(0.0));
    for r in more {
        r.settle(Actual::default()).await.unwrap();
    }
    clean_up(&url, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_enforce_one_budget_and_one_rpm() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("two");
    let clock = Arc::new(ManualClock::new(T0));
    // Two limiters with their own connections, as two BitRouter processes would have.
    let instances = [
        limiter(&url, &prefix, &clock),
        limiter(&url, &prefix, &clock),
    ];
    let key = SubjectId::key("shared");
    let limits = Limits {
        rpm: Some(7),
        budget: Some(Budget {
            usd: 1.0,
            period: BudgetPeriod::Month,
        }),
        ..Limits::default()
    };

    // Budget: $1.00 fits four $0.25 calls between both instances, zero-cost calls aside.
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (limiter, key) = (instances[n % 2].clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let subjects = [Subject::new(&key, &limits)];
            (n % 2, limiter.reserve(&subjects, est(10, 0.25)).await)
        }));
    }
    let mut admitted = Vec::new();
    let mut per_instance = [0, 0];
    for task in tasks {
        let (instance, result) = task.await.unwrap();
        if let Ok(r) = result {
            per_instance[instance] += 1;
            admitted.push(r);
        }
    }
    assert_eq!(admitted.len(), 4, "admitted per instance: {per_instance:?}");
    for r in admitted {
        r.settle(Actual::default()).await.unwrap();
    }

    // Rpm: four requests of the seven are used; three more between both instances.
    let mut tasks = Vec::new();
    for n in 0..20 {
        let (limiter, key) = (instances[n % 2].clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let subjects = [Subject::new(&key, &limits)];
            limiter.reserve(&subjects, est(10, 0.0)).await
        }));
    }
    let mut admitted = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(r) => admitted.push(r),
            Err(err) => {
                let err = denied(err);
                assert_eq!(err.exceeded, Exceeded::Rpm { limit: 7 });
                assert_eq!(err.retry_after, Some(Duration::from_secs(60)));
            }
        }
    }
    assert_eq!(admitted.len(), 3);
    for r in admitted {
        r.settle(Actual::default()).await.unwrap();
    }
    clean_up(&url, &prefix).await;
}

#[tokio::test]
async fn rpm_and_tpm_windows_with_settle_corrections() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("windows");
    let clock = Arc::new(ManualClock::new(T0));
    let limiter = limiter(&url, &prefix, &clock);
    let key = SubjectId::key("k1");
    let limits = Limits {
        rpm: Some(3),
        tpm: Some(1_000),
        ..Limits::default()
    };
    let subjects = [Subject::new(&key, &limits)];

    let first = limiter.reserve(&subjects, est(600, 0.0)).await.unwrap();
    let err = denied(limiter.reserve(&subjects, est(500, 0.0)).await.unwrap_err());
    assert_eq!(
        err.exceeded,
        Exceeded::Tpm {
            limit: 1_000,
            needed: 500
        }
    );
    first
        .settle(Actual {
            tokens: 200,
            cost_usd: 0.0,
        })
        .await
        .unwrap();
    let second = limiter.reserve(&subjects, est(800, 0.0)).await.unwrap();
    second
        .settle(Actual {
            tokens: 800,
            cost_usd: 0.0,
        })
        .await
        .unwrap();

    // The window's tokens are used up; a request needing none still fits, then rpm refuses.
    let third = limiter.reserve(&subjects, est(0, 0.0)).await.unwrap();
    third.settle(Actual::default()).await.unwrap();
    clock.advance_ms(45_500);
    let err = limiter.reserve(&subjects, est(0, 0.0)).await.unwrap_err();
    assert_eq!(err.retry_after_secs(), Some(15));
    assert_eq!(denied(err).exceeded, Exceeded::Rpm { limit: 3 });

    clock.advance_ms(14_500);
    let next_minute = limiter.reserve(&subjects, est(1_000, 0.0)).await.unwrap();
    next_minute.settle(Actual::default()).await.unwrap();
    clean_up(&url, &prefix).await;
}

#[tokio::test]
async fn concurrency_slot_frees_on_drop_and_on_lease_expiry() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("concurrency");
    let clock = Arc::new(ManualClock::new(T0));
    let mut config = RedisLimiterConfig::new(&url);
    config.key_prefix = prefix.clone();
    config.lease = Duration::from_secs(30);
    let limiter = RedisLimiter::with_clock(config, clock.clone()).unwrap();
    let key = SubjectId::key("k1");
    let limits = Limits {
        max_concurrency: Some(1),
        ..Limits::default()
    };
    let subjects = [Subject::new(&key, &limits)];

    let held = limiter.reserve(&subjects, est(1, 0.0)).await.unwrap();
    let err = denied(limiter.reserve(&subjects, est(1, 0.0)).await.unwrap_err());
    assert_eq!(err.exceeded, Exceeded::Concurrency { limit: 1 });

    // Dropped: the release runs in a spawned task.
    drop(held);
    let mut again = None;
    for _ in 0..100 {
        if let Ok(r) = limiter.reserve(&subjects, est(1, 0.0)).await {
            again = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let again = again.expect("the dropped reservation's slot came back");

    // A process that dies mid-call never settles: its lease runs out instead.
    std::mem::forget(again);
    assert!(limiter.reserve(&subjects, est(1, 0.0)).await.is_err());
    clock.advance_ms(30_001);
    let after_lease = limiter.reserve(&subjects, est(1, 0.0)).await.unwrap();
    after_lease.settle(Actual::default()).await.unwrap();
    clean_up(&url, &prefix).await;
}

#[tokio::test]
async fn user_over_budget_refuses_and_counts_nothing_on_the_key() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("user");
    let clock = Arc::new(ManualClock::new(T0));
    let limiter = limiter(&url, &prefix, &clock);
    let key = SubjectId::key("k1");
    let user = SubjectId::user("alice");
    let key_limits = Limits {
        rpm: Some(5),
        tpm: Some(1_000),
        max_concurrency: Some(1),
        budget: Some(Budget {
            usd: 10.0,
            period: BudgetPeriod::Week,
        }),
    };
    let user_limits = budget(1.0);
    let both = [
        Subject::new(&key, &key_limits),
        Subject::new(&user, &user_limits).with_ledger_spent(0.95),
    ];
    let err = denied(limiter.reserve(&both, est(100, 0.10)).await.unwrap_err());
    assert_eq!(err.subject, user);
    assert_eq!(err.http_status(), 402);
    assert_eq!(
        err.to_string(),
        "user `alice` is over its daily budget of $1.00: $0.05 remaining, this call needs about $0.10"
    );

    // Not one key was written for the key or the user.
    let mut conn = raw(&url).await;
    let written: Vec<String> = conn.keys(format!("{prefix}:*")).await.unwrap();
    assert_eq!(written, Vec::<String>::new());

    // With room on the user, both are counted by one call.
    let both = [
        Subject::new(&key, &key_limits),
        Subject::new(&user, &user_limits).with_ledger_spent(0.50),
    ];
    let r = limiter.reserve(&both, est(100, 0.10)).await.unwrap();
    let mut written: Vec<String> = conn.keys(format!("{prefix}:*")).await.unwrap();
    written.sort();
    let minute = T0 / 60_000;
    assert_eq!(
        written,
        vec![
            format!("{prefix}:inflight:k:k1"),
            format!("{prefix}:inflight:u:alice"),
            format!("{prefix}:reserved:k:k1"),
            format!("{prefix}:reserved:u:alice"),
            format!("{prefix}:rpm:{minute}:k:k1"),
            format!("{prefix}:tpm:{minute}:k:k1"),
        ]
    );
    r.settle(Actual {
        tokens: 90,
        cost_usd: 0.08,
    })
    .await
    .unwrap();
    let spent: i64 = conn
        .get(format!("{prefix}:spend:d2024-02-29:u:alice"))
        .await
        .unwrap();
    assert_eq!(spent, 80_000);
    let spent: i64 = conn
        .get(format!("{prefix}:spend:w2024-02-26:k:k1"))
        .await
        .unwrap();
    assert_eq!(spent, 80_000);
    let tokens: i64 = conn
        .get(format!("{prefix}:tpm:{minute}:k:k1"))
        .await
        .unwrap();
    assert_eq!(tokens, 90);
    clean_up(&url, &prefix).await;
}

#[tokio::test]
async fn script_is_sent_again_after_the_server_forgets_it() {
    let Some(url) = redis_url() else { return };
    let prefix = unique_prefix("noscript");
    let clock = Arc::new(ManualClock::new(T0));
    let limiter = limiter(&url, &prefix, &clock);
    let key = SubjectId::key("k1");
    let limits = budget(1.0);
    let subjects = [Subject::new(&key, &limits)];
    let r = limiter.reserve(&subjects, est(1, 0.1)).await.unwrap();
    r.settle(Actual::default()).await.unwrap();
    // Other tests' scripts are identical, so flushing them only makes them fall back to EVAL.
    let mut conn = raw(&url).await;
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .unwrap();
    let r = limiter.reserve(&subjects, est(1, 0.1)).await.unwrap();
    r.settle(Actual::default()).await.unwrap();
    clean_up(&url, &prefix).await;
}

#[tokio::test]
async fn redis_down_fails_closed_by_default_and_open_when_configured() {
    // Port 1 on loopback: nothing listens there, so connections are refused at once.
    let key = SubjectId::key("k1");
    let limits = budget(1.0);
    let subjects = [Subject::new(&key, &limits)];

    let closed = RedisLimiter::new(RedisLimiterConfig::new("redis://127.0.0.1:1/")).unwrap();
    let err = closed.reserve(&subjects, est(1, 0.1)).await.unwrap_err();
    assert_eq!(err.http_status(), 503);
    assert_eq!(err.label(), "unavailable");
    assert!(
        err.to_string().contains("Redis at redis://127.0.0.1:1/"),
        "{err}"
    );
    // Asked again at once, it answers from memory of the failure, as quickly.
    let err = closed.reserve(&subjects, est(1, 0.1)).await.unwrap_err();
    assert_eq!(err.http_status(), 503);

    let mut config = RedisLimiterConfig::new("redis://127.0.0.1:1/");
    config.failure_mode = FailureMode::Open;
    let open = RedisLimiter::new(config).unwrap();
    let r = open.reserve(&subjects, est(1, 0.1)).await.unwrap();
    assert!(r.is_unlimited());
    r.settle(Actual::default()).await.unwrap();
}

#[test]
fn a_bad_url_says_how_to_write_one() {
    let err = RedisLimiter::new(RedisLimiterConfig::new("127.0.0.1:6379")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("limits.redis_url `127.0.0.1:6379` cannot be used")
    );
    assert!(err.to_string().contains("redis://host:6379/0"));
}
