//! The admission rules, on one subject's counts. `MemoryLimiter` runs them in Rust; the Redis
//! reserve script (`redis/reserve.lua`) runs the same rules in the same order.

use std::time::Duration;

use crate::clock::ms_to_next_window;
use crate::error::{Denied, Exceeded};
use crate::spec::{Estimate, Subject, micros_to_usd, usd_to_micros};

/// A concurrency-limited call is told to retry after this long.
pub(crate) const CONCURRENCY_RETRY: Duration = Duration::from_secs(1);

/// One subject's counters.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Counts {
    /// The one-minute window `requests` and `tokens` belong to.
    pub window: i64,
    pub requests: u64,
    pub tokens: u64,
    pub in_flight: u64,
    /// Estimated cost of the calls in flight.
    pub reserved_micros: i64,
    /// Cost settled through this limiter in the current budget period.
    pub spent_micros: i64,
}

/// Checks, in order, the budget, requests per minute, tokens per minute and concurrency.
/// The budget comes first: a 402 tells the client more than a 429 it would only hit again.
pub(crate) fn check(
    subject: &Subject<'_>,
    counts: &Counts,
    estimate: Estimate,
    est_micros: i64,
    now_ms: i64,
) -> Result<(), Denied> {
    let limits = subject.limits;
    let deny = |exceeded, retry_after| Denied {
        subject: subject.id.clone(),
        exceeded,
        retry_after,
    };
    let window_left = Duration::from_millis(ms_to_next_window(now_ms).unsigned_abs());

    if let Some(budget) = limits.budget {
        let settled = usd_to_micros(subject.ledger_spent_usd).max(counts.spent_micros);
        let remaining = usd_to_micros(budget.usd) - settled - counts.reserved_micros;
        if est_micros > remaining {
            return Err(deny(
                Exceeded::Budget {
                    limit_usd: budget.usd,
                    period: budget.period,
                    remaining_usd: micros_to_usd(remaining.max(0)),
                    needed_usd: micros_to_usd(est_micros),
                },
                None,
            ));
        }
    }
    if let Some(limit) = limits.rpm
        && counts.requests + 1 > limit
    {
        return Err(deny(Exceeded::Rpm { limit }, Some(window_left)));
    }
    if let Some(limit) = limits.tpm
        && counts.tokens.saturating_add(estimate.tokens) > limit
    {
        let needed = estimate.tokens;
        return Err(deny(Exceeded::Tpm { limit, needed }, Some(window_left)));
    }
    if let Some(limit) = limits.max_concurrency
        && counts.in_flight + 1 > limit
    {
        return Err(deny(
            Exceeded::Concurrency { limit },
            Some(CONCURRENCY_RETRY),
        ));
    }
    Ok(())
}

impl Counts {
    /// Counts an admitted call.
    pub(crate) fn admit(&mut self, est_tokens: u64, est_micros: i64) {
        self.requests += 1;
        self.tokens = self.tokens.saturating_add(est_tokens);
        self.in_flight += 1;
        self.reserved_micros += est_micros;
    }

    /// Frees a call's slot and reserved cost.
    pub(crate) fn release(&mut self, est_micros: i64) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.reserved_micros = (self.reserved_micros - est_micros).max(0);
    }

    /// Replaces a call's estimated tokens by its actual ones. If the window has moved on since
    /// the reservation, the estimate went with the old window; only tokens beyond it are added.
    pub(crate) fn correct_tokens(&mut self, same_window: bool, est: u64, actual: u64) {
        if same_window {
            self.tokens = self.tokens.saturating_sub(est).saturating_add(actual);
        } else if actual > est {
            self.tokens = self.tokens.saturating_add(actual - est);
        }
    }
}
