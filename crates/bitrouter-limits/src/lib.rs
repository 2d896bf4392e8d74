//! Spend budgets and rate limits for BitRouter's virtual keys and their users.
//!
//! A call is admitted by [`Limiter::reserve`] before it goes upstream and ended by
//! [`Reservation::settle`] once its usage is known. Reserving counts the call in flight: its
//! concurrency slot, its request and estimated tokens in the minute's window, and its estimated
//! cost against the budget. Fifty concurrent calls therefore cannot all slip under a budget
//! that fits one: each sees the others' reserved cost.
//!
//! Two limiters:
//!
//! | limiter | state | use |
//! | --- | --- | --- |
//! | [`MemoryLimiter`] | this process, sharded mutex map | one BitRouter instance |
//! | [`RedisLimiter`] | Redis, atomic Lua scripts | several instances enforcing one limit between them |
//!
//! **Windows.** Requests and tokens per minute are counted in fixed windows aligned to the UTC
//! minute, by both limiters (so they agree, and `Retry-After` is exact: the time to the next
//! minute). A client can get up to twice its limit through around a minute boundary; in exchange
//! a check is two counters, the same in memory and in Redis.
//!
//! **Budgets** cover UTC calendar periods (day, week from Monday, month, or total). The caller
//! supplies the ledger's settled spend for the period; the limiter adds what it saw settled that
//! the ledger may not have written yet by taking the larger of the two, then adds the estimates
//! of calls in flight.
//!
//! ```
//! use bitrouter_limits::{
//!     Actual, Budget, BudgetPeriod, Estimate, Limiter, Limits, MemoryLimiter, Subject, SubjectId,
//! };
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let limiter = MemoryLimiter::new();
//! let key = SubjectId::key("k1");
//! let limits = Limits {
//!     rpm: Some(60),
//!     budget: Some(Budget { usd: 5.0, period: BudgetPeriod::Day }),
//!     ..Limits::default()
//! };
//! let subjects = [Subject::new(&key, &limits).with_ledger_spent(4.88)];
//!
//! let estimate = Estimate { tokens: 2_000, cost_usd: 0.30 };
//! let denied = limiter.reserve(&subjects, estimate).await.unwrap_err();
//! assert_eq!(denied.http_status(), 402);
//! assert_eq!(
//!     denied.to_string(),
//!     "key `k1` is over its daily budget of $5.00: $0.12 remaining, this call needs about $0.30"
//! );
//!
//! let estimate = Estimate { tokens: 500, cost_usd: 0.05 };
//! let reservation = limiter.reserve(&subjects, estimate).await.unwrap();
//! // ... call upstream ...
//! reservation.settle(Actual { tokens: 420, cost_usd: 0.04 }).await.unwrap();
//! # });
//! ```

mod clock;
mod error;
mod limiter;
mod memory;
mod redis_limiter;
mod reservation;
mod rules;
mod spec;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Denied, Exceeded, FailureMode, InvalidRedisUrl, LimitError};
pub use limiter::Limiter;
pub use memory::MemoryLimiter;
pub use redis_limiter::{RedisLimiter, RedisLimiterConfig};
pub use reservation::Reservation;
pub use spec::{Actual, Budget, BudgetPeriod, Estimate, Limits, Subject, SubjectId, SubjectKind};
