//! Provider health: a circuit breaker per provider and a moving average of its latency, shared
//! by every call (atomics only: it is consulted on each attempt).
//!
//! After `failures` consecutive retryable failures a provider's circuit opens for `cooldown`:
//! routing skips it. When the cooldown ends one call goes through as a probe (half-open); its
//! success closes the circuit, its failure opens it again.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Circuit breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open the circuit.
    pub failures: u32,
    /// How long it stays open before a probe.
    pub cooldown: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failures: 5,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// Whether a call may go to a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Healthy.
    Closed,
    /// The cooldown ended: this call is the probe.
    Probe,
    /// Open: skip it for this long.
    Open(Duration),
}

#[derive(Debug, Default)]
struct Cell {
    consecutive_failures: AtomicU32,
    /// Milliseconds since the book's epoch until which the circuit is open; 0 when closed.
    open_until: AtomicU64,
    probing: AtomicBool,
    /// Exponentially weighted latency to the response head, in microseconds; 0 = unmeasured.
    latency_us: AtomicU64,
}

/// What `bitrouter route` and `status` show of a provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthStatus {
    /// `closed`, `open` or `half_open`.
    pub circuit: &'static str,
    /// Seconds until a probe, when open.
    pub open_for_secs: Option<u64>,
    /// Consecutive failures so far.
    pub consecutive_failures: u32,
    /// The moving average latency to the response head, when measured.
    pub latency_ms: Option<f64>,
}

/// The health of every provider.
#[derive(Debug, Clone)]
pub struct HealthBook {
    cells: Arc<HashMap<Arc<str>, Cell>>,
    settings: BreakerSettings,
    epoch: Instant,
}

impl HealthBook {
    /// A book for these providers.
    pub fn new(providers: impl IntoIterator<Item = Arc<str>>, settings: BreakerSettings) -> Self {
        Self {
            cells: Arc::new(
                providers
                    .into_iter()
                    .map(|p| (p, Cell::default()))
                    .collect(),
            ),
            settings,
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether a call may go to `provider` now. Unknown providers are always admitted.
    pub fn admit(&self, provider: &str) -> Admission {
        let Some(cell) = self.cells.get(provider) else {
            return Admission::Closed;
        };
        let until = cell.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Admission::Closed;
        }
        let now = self.now_ms();
        if now < until {
            return Admission::Open(Duration::from_millis(until - now));
        }
        match cell
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Admission::Probe,
            // Another call is probing: wait for its verdict.
            Err(_) => Admission::Open(Duration::from_millis(0)),
        }
    }

    /// The provider answered (any answer that proves it alive, including a client error).
    pub fn record_success(&self, provider: &str, latency: Duration) {
        let Some(cell) = self.cells.get(provider) else {
            return;
        };
        cell.consecutive_failures.store(0, Ordering::Relaxed);
        cell.open_until.store(0, Ordering::Release);
        cell.probing.store(false, Ordering::Release);
        let sample = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let old = cell.latency_us.load(Ordering::Relaxed);
        // 0.8 old + 0.2 new; a race only loses one sample.
        let new = if old == 0 {
            sample
        } else {
            (old * 4 + sample) / 5
        };
        cell.latency_us.store(new, Ordering::Relaxed);
    }

    /// The provider failed in a way that says it is unwell (connect error, timeout, 5xx, 429).
    pub fn record_failure(&self, provider: &str) {
        let Some(cell) = self.cells.get(provider) else {
            return;
        };
        let failures = cell.consecutive_failures.fetch_add(1, Ordering::AcqRel) + 1;
        let was_probe = cell.probing.swap(false, Ordering::AcqRel);
        if was_probe || failures >= self.settings.failures {
            let cooldown = u64::try_from(self.settings.cooldown.as_millis()).unwrap_or(u64::MAX);
            cell.open_until.store(
                self.now_ms().saturating_add(cooldown).max(1),
                Ordering::Release,
            );
        }
    }

    /// The measured latency of `provider`, if any (for the `fastest` strategy).
    pub fn latency(&self, provider: &str) -> Option<Duration> {
        let us = self.cells.get(provider)?.latency_us.load(Ordering::Relaxed);
        (us != 0).then(|| Duration::from_micros(us))
    }

    /// The state of `provider`.
    pub fn status(&self, provider: &str) -> HealthStatus {
        let cell = self.cells.get(provider);
        let failures = cell.map_or(0, |c| c.consecutive_failures.load(Ordering::Relaxed));
        let until = cell.map_or(0, |c| c.open_until.load(Ordering::Acquire));
        let now = self.now_ms();
        let (circuit, open_for_secs) = match until {
            0 => ("closed", None),
            u if now < u => ("open", Some((u - now).div_ceil(1000))),
            _ => ("half_open", None),
        };
        HealthStatus {
            circuit,
            open_for_secs,
            consecutive_failures: failures,
            latency_ms: self.latency(provider).map(|d| d.as_secs_f64() * 1000.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(cooldown_ms: u64) -> HealthBook {
        HealthBook::new(
            [Arc::from("a")],
            BreakerSettings {
                failures: 3,
                cooldown: Duration::from_millis(cooldown_ms),
            },
        )
    }

    #[test]
    fn opens_after_consecutive_failures_and_probes_back() {
        // Long enough that "still open" holds on a slow machine, short enough to wait out.
        let b = book(200);
        let wait = || std::thread::sleep(Duration::from_millis(250));
        b.record_failure("a");
        b.record_failure("a");
        assert_eq!(b.admit("a"), Admission::Closed);
        b.record_success("a", Duration::from_millis(5));
        b.record_failure("a");
        b.record_failure("a");
        assert_eq!(
            b.admit("a"),
            Admission::Closed,
            "a success in between resets the count"
        );
        b.record_failure("a");
        wait();
        // The cooldown is over: the next admission is the probe, and only one call probes.
        assert_eq!(b.admit("a"), Admission::Probe);
        assert!(matches!(b.admit("a"), Admission::Open(_)));
        b.record_failure("a");
        assert!(
            matches!(b.admit("a"), Admission::Open(_)),
            "a failed probe reopens"
        );
        wait();
        assert_eq!(b.status("a").circuit, "half_open");
        assert_eq!(b.admit("a"), Admission::Probe);
        b.record_success("a", Duration::from_millis(5));
        assert_eq!(b.admit("a"), Admission::Closed);
        assert_eq!(b.status("a").circuit, "closed");
    }

    #[test]
    fn an_open_circuit_says_for_how_long() {
        let b = book(60_000);
        for _ in 0..3 {
            b.record_failure("a");
        }
        match b.admit("a") {
            Admission::Open(left) => assert!(left > Duration::from_secs(50)),
            other => panic!("{other:?}"),
        }
        let s = b.status("a");
        assert_eq!((s.circuit, s.consecutive_failures), ("open", 3));
        assert_eq!(b.admit("unknown"), Admission::Closed);
    }

    #[test]
    fn latency_is_a_moving_average() {
        let b = book(1000);
        assert_eq!(b.latency("a"), None);
        b.record_success("a", Duration::from_millis(100));
        b.record_success("a", Duration::from_millis(200));
        assert_eq!(b.latency("a"), Some(Duration::from_millis(120)));
    }
}
