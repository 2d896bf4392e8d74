//! `MemoryLimiter`: limits kept in this process, for a single BitRouter instance.
//!
//! Subjects live in a map split into shards, each behind a `std::sync::Mutex` held only for a
//! few arithmetic steps (never across an `.await`). A reservation locks the shards of all its
//! subjects in ascending shard order (so two calls never wait on each other crosswise), checks
//! every limit of every subject, and only then counts the call against all of them.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{Clock, SystemClock, period_window, window_of};
use crate::error::LimitError;
use crate::limiter::Limiter;
use crate::reservation::{Reservation, ReservationStore, Ticket, TicketSubject, actual_micros};
use crate::rules::{Counts, check};
use crate::spec::{Actual, BudgetPeriod, Estimate, Subject, SubjectId, usd_to_micros};

const SHARDS: usize = 64;
/// Every this many reservations on a shard, idle subjects are dropped from it.
const SWEEP_EVERY: u32 = 1024;

/// Rate limits, concurrency limits and budgets of one process.
///
/// Rate windows are fixed one-minute windows aligned to the UTC minute (see the crate docs).
/// A subject with no call in flight and no activity for the idle-eviction time (15 minutes by
/// default) is forgotten, so memory stays bounded by the number of recently active subjects;
/// its running spend is then taken from the ledger again.
#[derive(Debug, Clone)]
pub struct MemoryLimiter {
    store: Arc<MemoryStore>,
}

#[derive(Debug)]
struct MemoryStore {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    clock: Arc<dyn Clock>,
    idle_eviction_ms: i64,
    next_id: AtomicU64,
}

#[derive(Debug, Default)]
struct Shard {
    subjects: HashMap<SubjectId, SubjectState>,
    ops: u32,
}

#[derive(Debug, Default)]
struct SubjectState {
    counts: Counts,
    period: Option<BudgetPeriod>,
    period_key: String,
    period_ends_ms: i64,
    last_touch_ms: i64,
}

impl SubjectState {
    /// Moves the rate window and the budget period up to `now_ms`.
    fn roll(&mut self, now_ms: i64, period: Option<BudgetPeriod>) {
        let window = window_of(now_ms);
        if self.counts.window != window {
            self.counts.window = window;
            self.counts.requests = 0;
            self.counts.tokens = 0;
        }
        if let Some(period) = period
            && (self.period != Some(period) || now_ms >= self.period_ends_ms)
        {
            let current = period_window(period, now_ms);
            if current.key != self.period_key {
                self.period_key = current.key;
                self.counts.spent_micros = 0;
            }
            self.period = Some(period);
            self.period_ends_ms = current.ends_ms.unwrap_or(i64::MAX);
        }
        self.last_touch_ms = now_ms;
    }
}

impl Default for MemoryLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryLimiter {
    /// A limiter reading the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// A limiter reading `clock` (a [`crate::ManualClock`] in tests).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect();
        Self {
            store: Arc::new(MemoryStore {
                shards,
                hasher: RandomState::new(),
                clock,
                idle_eviction_ms: 15 * 60_000,
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// How long a subject with nothing in flight is kept after its last call (default 15 min).
    /// Keep it above the ledger's write delay, since running spend is forgotten with it.
    pub fn with_idle_eviction(mut self, idle: Duration) -> Self {
        let ms = i64::try_from(idle.as_millis()).unwrap_or(i64::MAX);
        if let Some(store) = Arc::get_mut(&mut self.store) {
            store.idle_eviction_ms = ms;
        }
        self
    }

    /// The number of subjects currently remembered (for tests and metrics).
    pub fn tracked_subjects(&self) -> usize {
        self.store
            .shards
            .iter()
            .map(|shard| lock(shard).subjects.len())
            .sum()
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // Nothing panics while a shard is locked; a poisoned lock still holds consistent counts.
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

impl MemoryStore {
    fn shard_of(&self, id: &SubjectId) -> usize {
        (self.hasher.hash_one(id) as usize) % self.shards.len()
    }

    /// Locks the shards of `ids` in ascending order; returns the guards and, per id, the position
    /// of its shard's guard.
    fn lock_for<'a>(
        &'a self,
        ids: impl Iterator<Item = &'a SubjectId>,
    ) -> (Vec<MutexGuard<'a, Shard>>, Vec<usize>) {
        let shard_ids: Vec<usize> = ids.map(|id| self.shard_of(id)).collect();
        let mut order = shard_ids.clone();
        order.sort_unstable();
        order.dedup();
        let guards = order.iter().map(|&i| lock(&self.shards[i])).collect();
        let positions = shard_ids
            .iter()
            .map(|i| order.binary_search(i).unwrap_or_default())
            .collect();
        (guards, positions)
    }

    fn reserve(
        self: &Arc<Self>,
        subjects: &[Subject<'_>],
        estimate: Estimate,
    ) -> Result<Reservation, LimitError> {
        let mut limited: Vec<&Subject<'_>> = Vec::with_capacity(subjects.len());
        for subject in subjects {
            if !subject.limits.is_unlimited() && !limited.iter().any(|s| s.id == subject.id) {
                limited.push(subject);
            }
        }
        if limited.is_empty() {
            return Ok(Reservation::unlimited());
        }
        let now_ms = self.clock.now_ms();
        let est_micros = usd_to_micros(estimate.cost_usd);
        let (mut guards, positions) = self.lock_for(limited.iter().map(|s| s.id));

        for (subject, &pos) in limited.iter().zip(&positions) {
            let shard = &mut guards[pos];
            if !shard.subjects.contains_key(subject.id) {
                shard
                    .subjects
                    .insert(subject.id.clone(), SubjectState::default());
            }
            let Some(state) = shard.subjects.get_mut(subject.id) else {
                continue;
            };
            state.roll(now_ms, subject.limits.budget.map(|b| b.period));
            check(subject, &state.counts, estimate, est_micros, now_ms)
                .map_err(LimitError::Denied)?;
        }

        let mut ticket_subjects = Vec::with_capacity(limited.len());
        for (subject, &pos) in limited.iter().zip(&positions) {
            let shard = &mut guards[pos];
            if let Some(state) = shard.subjects.get_mut(subject.id) {
                state.counts.admit(estimate.tokens, est_micros);
            }
            ticket_subjects.push(TicketSubject {
                id: subject.id.clone(),
                tpm_limited: subject.limits.tpm.is_some(),
                period: subject.limits.budget.map(|b| b.period),
            });
        }
        for shard in guards.iter_mut() {
            shard.ops += 1;
            if shard.ops >= SWEEP_EVERY {
                shard.ops = 0;
                let idle = self.idle_eviction_ms;
                shard.subjects.retain(|_, state| {
                    state.counts.in_flight > 0 || now_ms.saturating_sub(state.last_touch_ms) < idle
                });
            }
        }
        drop(guards);

        let ticket = Ticket {
            id: self.next_id.fetch_add(1, Ordering::Relaxed).to_string(),
            subjects: ticket_subjects,
            window: window_of(now_ms),
            est_tokens: estimate.tokens,
            est_micros,
        };
        Ok(Reservation::new(ticket, self.clone()))
    }

    /// Ends a reservation; with `actual`, settles it, without, releases it.
    fn finish(&self, ticket: &Ticket, actual: Option<&Actual>) {
        let now_ms = self.clock.now_ms();
        let (mut guards, positions) = self.lock_for(ticket.subjects.iter().map(|s| &s.id));
        for (subject, &pos) in ticket.subjects.iter().zip(&positions) {
            let Some(state) = guards[pos].subjects.get_mut(&subject.id) else {
                continue;
            };
            state.roll(now_ms, subject.period);
            state.counts.release(ticket.est_micros);
            if let Some(actual) = actual {
                if subject.tpm_limited {
                    let same_window = state.counts.window == ticket.window;
                    state
                        .counts
                        .correct_tokens(same_window, ticket.est_tokens, actual.tokens);
                }
                if subject.period.is_some() {
                    state.counts.spent_micros += actual_micros(actual);
                }
            }
        }
    }
}

#[async_trait]
impl ReservationStore for MemoryStore {
    async fn settle(&self, ticket: Ticket, actual: Actual) -> Result<(), LimitError> {
        self.finish(&ticket, Some(&actual));
        Ok(())
    }

    fn release(self: Arc<Self>, ticket: Ticket) {
        self.finish(&ticket, None);
    }
}

#[async_trait]
impl Limiter for MemoryLimiter {
    async fn reserve(
        &self,
        subjects: &[Subject<'_>],
        estimate: Estimate,
    ) -> Result<Reservation, LimitError> {
        self.store.reserve(subjects, estimate)
    }
}
