//! Cost of admitting and settling one call with `MemoryLimiter`, which sits on every request.
//! Run with: cargo bench -p bitrouter-limits --bench limiter
//!
//! Measured on the 2-core dev machine (includes a current-thread `block_on` per call):
//! key only ~0.81 µs, key and user ~0.96 µs per reserve+settle.

use std::hint::black_box;

use bitrouter_limits::{
    Actual, Budget, BudgetPeriod, Estimate, Limiter, Limits, MemoryLimiter, Subject, SubjectId,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn reserve_and_settle(c: &mut Criterion) {
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start a tokio runtime for the bench: {err}");
            return;
        }
    };
    let limiter = MemoryLimiter::new();
    let key = SubjectId::key("k1");
    let user = SubjectId::user("alice");
    let key_limits = Limits {
        rpm: Some(u64::MAX - 1),
        tpm: Some(u64::MAX - 1),
        max_concurrency: Some(1_000),
        budget: Some(Budget {
            usd: 1e12,
            period: BudgetPeriod::Day,
        }),
    };
    let user_limits = Limits {
        budget: Some(Budget {
            usd: 1e12,
            period: BudgetPeriod::Month,
        }),
        ..Limits::default()
    };
    let estimate = Estimate {
        tokens: 1_000,
        cost_usd: 0.01,
    };
    let actual = Actual {
        tokens: 800,
        cost_usd: 0.008,
    };

    c.bench_function("memory reserve+settle, key only", |b| {
        let subjects = [Subject::new(&key, &key_limits)];
        b.iter(|| {
            runtime.block_on(async {
                let r = limiter.reserve(black_box(&subjects), estimate).await;
                if let Ok(r) = r {
                    let _ = r.settle(actual).await;
                }
            })
        })
    });
    c.bench_function("memory reserve+settle, key and user", |b| {
        let subjects = [
            Subject::new(&key, &key_limits),
            Subject::new(&user, &user_limits).with_ledger_spent(1.0),
        ];
        b.iter(|| {
            runtime.block_on(async {
                let r = limiter.reserve(black_box(&subjects), estimate).await;
                if let Ok(r) = r {
                    let _ = r.settle(actual).await;
                }
            })
        })
    });
}

criterion_group!(benches, reserve_and_settle);
criterion_main!(benches);
