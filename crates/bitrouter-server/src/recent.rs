//! [`RecentCalls`]: what the last minute of calls looked like, and today's spend, for
//! `GET /bitrouter/status` and `bitrouter status` / `top`.
//!
//! Sixty one-second buckets in a ring behind one small mutex, touched once per call when its
//! outcome is reported (off the request path) and once per status request. A bucket whose
//! second is over a minute old is reset when its slot comes round again, so the ring never
//! grows. Spend today is this process's total since the start of the UTC day; the ledger
//! (`bitrouter usage`) is the authority across restarts.

use std::sync::Mutex;
use std::time::Instant;

use bitrouter_core::{CallOutcome, Outcome};
use chrono::{NaiveDate, Utc};

/// The window, in seconds.
pub const WINDOW_SECS: u64 = 60;

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Seconds since the window's epoch that this bucket counts.
    second: u64,
    requests: u64,
    errors: u64,
    tokens: u64,
    spend_usd: f64,
}

#[derive(Debug)]
struct Ring {
    buckets: [Bucket; WINDOW_SECS as usize],
    day: NaiveDate,
    spend_today_usd: f64,
}

/// The last minute of calls, per second, and today's spend.
#[derive(Debug)]
pub struct RecentCalls {
    epoch: Instant,
    ring: Mutex<Ring>,
}

/// Totals over the last minute, and the spend of the UTC day so far.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RecentTotals {
    /// Calls that ended in the last 60 s.
    pub requests_per_minute: u64,
    /// Of those, calls that did not succeed (rejected, upstream or stream error, client gone).
    pub errors_per_minute: u64,
    /// `errors / requests` over the last 60 s; 0 when there were no calls.
    pub error_rate: f64,
    /// Tokens (input plus output) of the calls that ended in the last 60 s.
    pub tokens_per_minute: u64,
    /// Spend of the calls that ended in the last 60 s.
    pub spend_last_minute_usd: f64,
    /// Spend since 00:00 UTC, counted by this process.
    pub spend_today_usd: f64,
}

impl Default for RecentCalls {
    fn default() -> Self {
        Self::new()
    }
}

impl RecentCalls {
    /// An empty window starting now.
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            ring: Mutex::new(Ring {
                buckets: [Bucket::default(); WINDOW_SECS as usize],
                day: Utc::now().date_naive(),
                spend_today_usd: 0.0,
            }),
        }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_secs()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one call that ended now.
    pub fn record(&self, outcome: &CallOutcome) {
        let tokens = outcome.usage.map_or(0, |u| u.total_tokens());
        let cost = outcome.cost_usd.filter(|c| c.is_finite() && *c > 0.0);
        self.add(
            self.now(),
            Utc::now().date_naive(),
            outcome.outcome != Outcome::Success,
            tokens,
            cost.unwrap_or(0.0),
        );
    }

    fn add(&self, second: u64, day: NaiveDate, error: bool, tokens: u64, cost: f64) {
        let mut ring = self.lock();
        let slot = &mut ring.buckets[(second % WINDOW_SECS) as usize];
        if slot.second != second {
            *slot = Bucket {
                second,
                ..Bucket::default()
            };
        }
        slot.requests += 1;
        slot.errors += u64::from(error);
        slot.tokens += tokens;
        slot.spend_usd += cost;
        if ring.day != day {
            ring.day = day;
            ring.spend_today_usd = 0.0;
        }
        ring.spend_today_usd += cost;
    }

    /// The totals as of now.
    pub fn totals(&self) -> RecentTotals {
        self.totals_at(self.now(), Utc::now().date_naive())
    }

    fn totals_at(&self, now: u64, today: NaiveDate) -> RecentTotals {
        let ring = self.lock();
        let mut t = RecentTotals {
            requests_per_minute: 0,
            errors_per_minute: 0,
            error_rate: 0.0,
            tokens_per_minute: 0,
            spend_last_minute_usd: 0.0,
            spend_today_usd: if ring.day == today {
                ring.spend_today_usd
            } else {
                0.0
            },
        };
        // A bucket counts when its second is one of the last sixty, this one included.
        for b in ring
            .buckets
            .iter()
            .filter(|b| b.second <= now && now - b.second < WINDOW_SECS)
        {
            t.requests_per_minute += b.requests;
            t.errors_per_minute += b.errors;
            t.tokens_per_minute += b.tokens;
            t.spend_last_minute_usd += b.spend_usd;
        }
        if t.requests_per_minute > 0 {
            t.error_rate = t.errors_per_minute as f64 / t.requests_per_minute as f64;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, d).unwrap()
    }

    #[test]
    fn counts_the_last_sixty_seconds_only() {
        let w = RecentCalls::new();
        w.add(10, day(1), false, 100, 0.5);
        w.add(10, day(1), true, 0, 0.0);
        w.add(40, day(1), false, 20, 0.25);
        let t = w.totals_at(45, day(1));
        assert_eq!(
            (
                t.requests_per_minute,
                t.errors_per_minute,
                t.tokens_per_minute
            ),
            (3, 1, 120)
        );
        assert!((t.error_rate - 1.0 / 3.0).abs() < 1e-9);
        assert!((t.spend_last_minute_usd - 0.75).abs() < 1e-9);
        // Second 10 falls out of the window at 70; second 40 is still in it.
        let t = w.totals_at(70, day(1));
        assert_eq!((t.requests_per_minute, t.tokens_per_minute), (1, 20));
        assert!((t.spend_today_usd - 0.75).abs() < 1e-9);
    }

    #[test]
    fn a_reused_slot_starts_from_zero() {
        let w = RecentCalls::new();
        w.add(5, day(1), true, 7, 0.0);
        // Second 65 takes second 5's slot.
        w.add(65, day(1), false, 3, 0.0);
        let t = w.totals_at(65, day(1));
        assert_eq!(
            (
                t.requests_per_minute,
                t.errors_per_minute,
                t.tokens_per_minute
            ),
            (1, 0, 3)
        );
        assert_eq!(t.error_rate, 0.0);
    }

    #[test]
    fn spend_today_restarts_at_midnight_utc() {
        let w = RecentCalls::new();
        w.add(1, day(1), false, 0, 2.0);
        assert!((w.totals_at(1, day(1)).spend_today_usd - 2.0).abs() < 1e-9);
        // Read the next day before any call: nothing spent yet.
        assert_eq!(w.totals_at(2, day(2)).spend_today_usd, 0.0);
        w.add(3, day(2), false, 0, 0.5);
        assert!((w.totals_at(3, day(2)).spend_today_usd - 0.5).abs() < 1e-9);
    }
}
