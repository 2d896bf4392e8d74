//! `MemoryLimiter`: in-flight calls count against budgets, windows, concurrency, and key + user
//! admitted together or not at all.

use std::sync::Arc;
use std::time::Duration;

use bitrouter_limits::{
    Actual, Budget, BudgetPeriod, Estimate, Exceeded, LimitError, Limiter, Limits, ManualClock,
    MemoryLimiter, Subject, SubjectId,
};

// 2024-02-29T13:45:00Z: the start of a minute.
const T0: i64 = 1_709_214_300_000;

fn limiter() -> (MemoryLimiter, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    (MemoryLimiter::with_clock(clock.clone()), clock)
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
fn denied(err: LimitError) -> bitrouter_limits::Denied {
    match err {
        LimitError::Denied(denied) => denied,
        other => panic!("expected a denial, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_fit_only_what_the_budget_holds() {
    let (limiter, _) = limiter();
    let key = SubjectId::key("k1");
    // $1.10 less the $0.10 the ledger has holds five estimates of $0.20.
    let limits = budget(1.10);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let limiter = limiter.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let subjects = [Subject::new(&key, &limits).with_ledger_spent(0.10)];
            limiter.reserve(&subjects, est(100, 0.20)).await
        }));
    }
    let mut admitted = Vec::new();
    let mut refused = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(reservation) => admitted.push(reservation),
            Err(err) => refused.push(denied(err)),
        }
    }
    assert_eq!(admitted.len(), 5);
    assert_eq!(refused.len(), 45);
    let refusal = &refused[0];
    assert_eq!(refusal.remaining_usd(), Some(0.0));
    assert_eq!(
        refusal.to_string(),
        "key `k1` is over its daily budget of $1.10: $0.00 remaining, this call needs about $0.20"
    );

    // Settling for less than estimated frees room for exactly that much more.
    for reservation in admitted {
        reservation
            .settle(Actual {
                tokens: 80,
                cost_usd: 0.10,
            })
            .await
            .unwrap();
    }
    // Spent: max(ledger 0.10, running 0.50) = 0.50, so 0.60 remains: three more $0.20 calls.
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
}

#[tokio::test]
async fn ledger_spend_above_running_spend_wins() {
    let (limiter, _) = limiter();
    let key = SubjectId::key("k1");
    let limits = budget(5.0);
    let subjects = [Subject::new(&key, &limits).with_ledger_spent(4.88)];
    let err = limiter.reserve(&subjects, est(10, 0.30)).await.unwrap_err();
    assert_eq!(err.http_status(), 402);
    assert_eq!(
        err.to_string(),
        "key `k1` is over its daily budget of $5.00: $0.12 remaining, this call needs about $0.30"
    );
}

#[tokio::test]
async fn budget_resets_at_utc_midnight() {
    let (limiter, clock) = limiter();
    let key = SubjectId::key("k1");
    let limits = budget(1.0);
    let subjects = [Subject::new(&key, &limits)];
    let r = limiter.reserve(&subjects, est(1, 0.90)).await.unwrap();
    r.settle(Actual {
        tokens: 1,
        cost_usd: 0.90,
    })
    .await
    .unwrap();
    assert!(limiter.reserve(&subjects, est(1, 0.20)).await.is_err());
    clock.set_ms(1_709_251_200_000); // 2024-03-01T00:00Z
    let r = limiter.reserve(&subjects, est(1, 0.20)).await.unwrap();
    drop(r);
}

#[tokio::test]
async fn rpm_window_refuses_then_reopens_next_minute() {
    let (limiter, clock) = limiter();
    let key = SubjectId::key("k1");
    let limits = Limits {
        rpm: Some(3),
        ..Limits::default()
    };
    let subjects = [Subject::new(&key, &limits)];
    for _ in 0..3 {
        let r = limiter.reserve(&subjects, est(1, 0.0)).await.unwrap();
        r.settle(Actual::default()).await.unwrap();
    }
    clock.advance_ms(45_500);
    let err = limiter.reserve(&subjects, est(1, 0.0)).await.unwrap_err();
    assert_eq!(err.http_status(), 429);
    assert_eq!(err.retry_after_secs(), Some(15));
    let denial = denied(err);
    assert_eq!(denial.exceeded, Exceeded::Rpm { limit: 3 });
    assert_eq!(denial.retry_after, Some(Duration::from_millis(14_500)));

    clock.advance_ms(14_500);
    let r = limiter.reserve(&subjects, est(1, 0.0)).await.unwrap();
    drop(r);
}

#[tokio::test]
async fn tpm_counts_estimates_and_settle_corrects_them() {
    let (limiter, _) = limiter();
    let key = SubjectId::key("k1");
    let limits = Limits {
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
    // The call used 200 tokens, not 600: 800 are left in the window.
    first
        .settle(Actual {
            tokens: 200,
            cost_usd: 0.0,
        })
        .await
        .unwrap();
    let second = limiter.reserve(&subjects, est(800, 0.0)).await.unwrap();
    assert!(limiter.reserve(&subjects, est(1, 0.0)).await.is_err());
    drop(second);
}

#[tokio::test]
async fn concurrency_slot_is_freed_when_a_reservation_is_dropped() {
    let (limiter, _) = limiter();
    let key = SubjectId::key("k1");
    let limits = Limits {
        max_concurrency: Some(2),
        budget: Some(Budget {
            usd: 1.0,
            period: BudgetPeriod::Total,
        }),
        ..Limits::default()
    };
    let subjects = [Subject::new(&key, &limits)];
    let a = limiter.reserve(&subjects, est(1, 0.40)).await.unwrap();
    let b = limiter.reserve(&subjects, est(1, 0.40)).await.unwrap();
    let err = denied(limiter.reserve(&subjects, est(1, 0.10)).await.unwrap_err());
    assert_eq!(err.exceeded, Exceeded::Concurrency { limit: 2 });
    assert_eq!(err.retry_after, Some(Duration::from_secs(1)));

    // The client went away: the slot and the reserved $0.40 come back, nothing is spent.
    drop(a);
    let c = limiter.reserve(&subjects, est(1, 0.60)).await.unwrap();
    let err = denied(limiter.reserve(&subjects, est(1, 0.0)).await.unwrap_err());
    assert!(matches!(err.exceeded, Exceeded::Concurrency { .. }));
    drop(b);
    drop(c);
    let d = limiter.reserve(&subjects, est(1, 1.0)).await.unwrap();
    drop(d);
}

#[tokio::test]
async fn user_over_budget_refuses_the_key_and_counts_nothing_on_it() {
    let (limiter, _) = limiter();
    let key = SubjectId::key("k1");
    let user = SubjectId::user("alice");
    let key_limits = Limits {
        rpm: Some(2),
        max_concurrency: Some(1),
        budget: Some(Budget {
            usd: 10.0,
            period: BudgetPeriod::Month,
        }),
        ..Limits::default()
    };
    let user_limits = budget(1.0);
    let both = [
        Subject::new(&key, &key_limits),
        Subject::new(&user, &user_limits).with_ledger_spent(0.95),
    ];
    let err = denied(limiter.reserve(&both, est(1, 0.10)).await.unwrap_err());
    assert_eq!(err.subject, user);
    assert_eq!(
        err.to_string(),
        "user `alice` is over its daily budget of $1.00: $0.05 remaining, this call needs about $0.10"
    );

    // Nothing was counted on the key: its one slot and both requests are still free.
    let key_only = [Subject::new(&key, &key_limits)];
    let r = limiter.reserve(&key_only, est(1, 9.99)).await.unwrap();
    drop(r);
    let r = limiter.reserve(&key_only, est(1, 9.99)).await.unwrap();
    drop(r);
    let err = denied(limiter.reserve(&key_only, est(1, 0.0)).await.unwrap_err());
    assert_eq!(err.exceeded, Exceeded::Rpm { limit: 2 });
}

#[tokio::test]
async fn a_call_counts_against_key_and_user() {
    let (limiter, _) = limiter();
    let (k1, k2, user) = (
        SubjectId::key("k1"),
        SubjectId::key("k2"),
        SubjectId::user("bob"),
    );
    let key_limits = budget(10.0);
    let user_limits = budget(1.0);
    let first = [
        Subject::new(&k1, &key_limits),
        Subject::new(&user, &user_limits),
    ];
    let second = [
        Subject::new(&k2, &key_limits),
        Subject::new(&user, &user_limits),
    ];
    let r = limiter.reserve(&first, est(1, 0.70)).await.unwrap();
    r.settle(Actual {
        tokens: 1,
        cost_usd: 0.70,
    })
    .await
    .unwrap();
    // k2 has its own $10, but bob has only $0.30 left across both keys.
    let err = denied(limiter.reserve(&second, est(1, 0.50)).await.unwrap_err());
    assert_eq!(err.subject, user);
    assert!((err.remaining_usd().unwrap() - 0.30).abs() < 1e-9);
}

#[tokio::test]
async fn unlimited_subjects_hold_nothing() {
    let (limiter, _) = limiter();
    let key = SubjectId::key("free");
    let limits = Limits::default();
    let r = limiter
        .reserve(&[Subject::new(&key, &limits)], est(1, 1.0))
        .await
        .unwrap();
    assert!(r.is_unlimited());
    assert_eq!(limiter.tracked_subjects(), 0);
}
