//! `RedisLimiter`: limits shared by every BitRouter instance pointed at the same Redis.
//!
//! Each reserve, settle and release is one Lua script, so the check-then-count of all subjects
//! is atomic across instances: N instances enforce one limit, not N. Calls in flight hold a
//! lease (15 minutes by default); if an instance dies mid-call, the next reserve on that subject
//! drops the expired lease, so its slot and reserved cost cannot leak. Every key has a TTL.
//!
//! When Redis cannot be reached, [`FailureMode::Closed`] (the default) refuses calls with
//! [`LimitError::Unavailable`] (answer 503), and [`FailureMode::Open`] admits them uncounted,
//! with a warning logged when Redis goes down. After a failure Redis is not asked again for
//! `retry_down_after` (500 ms by default), so that a dead Redis costs calls no time.

mod scripts;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use crate::clock::{Clock, SystemClock, WINDOW_MS, ms_to_next_window, period_window, window_of};
use crate::error::{Denied, Exceeded, FailureMode, InvalidRedisUrl, LimitError};
use crate::limiter::Limiter;
use crate::reservation::{Reservation, ReservationStore, Ticket, TicketSubject, actual_micros};
use crate::rules::CONCURRENCY_RETRY;
use crate::spec::{Actual, Estimate, Subject, micros_to_usd, usd_to_micros};
use scripts::{KeyLayout, LuaScript};

/// A `total` budget's running spend is kept this long after its last settle.
const TOTAL_SPEND_TTL_MS: i64 = 35 * 86_400_000;
/// A period's running spend is kept this long after the period ends, for late settles.
const SPEND_GRACE_MS: i64 = 86_400_000;

/// How to reach Redis and what to do when it cannot be reached.
#[derive(Clone)]
pub struct RedisLimiterConfig {
    /// `limits.redis_url`, e.g. `redis://127.0.0.1:6379/0`.
    pub url: String,
    /// Prefix of every key (default `bitrouter:limits`); instances sharing limits share it.
    pub key_prefix: String,
    /// What to do while Redis is unreachable (default: refuse calls).
    pub failure_mode: FailureMode,
    /// How long to wait for a connection (default 250 ms).
    pub connect_timeout: Duration,
    /// How long to wait for an answer (default 250 ms).
    pub response_timeout: Duration,
    /// How long a call may stay in flight before its slot and reserved cost free themselves
    /// even without a settle (default 15 minutes; make it longer than the longest stream).
    pub lease: Duration,
    /// After a failure, how long to answer from the failure mode without asking Redis
    /// (default 500 ms).
    pub retry_down_after: Duration,
}

impl RedisLimiterConfig {
    /// Defaults for everything but the URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key_prefix: "bitrouter:limits".to_owned(),
            failure_mode: FailureMode::Closed,
            connect_timeout: Duration::from_millis(250),
            response_timeout: Duration::from_millis(250),
            lease: Duration::from_secs(15 * 60),
            retry_down_after: Duration::from_millis(500),
        }
    }
}

impl std::fmt::Debug for RedisLimiterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLimiterConfig")
            .field("url", &redact(&self.url))
            .field("key_prefix", &self.key_prefix)
            .field("failure_mode", &self.failure_mode)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("lease", &self.lease)
            .field("retry_down_after", &self.retry_down_after)
            .finish()
    }
}

/// Limits shared through Redis by every instance using the same URL and key prefix.
#[derive(Debug, Clone)]
pub struct RedisLimiter {
    store: Arc<RedisStore>,
}

struct RedisStore {
    client: redis::Client,
    url: String,
    config: RedisLimiterConfig,
    keys: KeyLayout,
    clock: Arc<dyn Clock>,
    conn: OnceCell<ConnectionManager>,
    started: Instant,
    /// Milliseconds since `started` until which Redis counts as down; 0 when it is up.
    down_until_ms: AtomicU64,
    instance: u64,
    next_id: AtomicU64,
    reserve: LuaScript,
    settle: LuaScript,
    release: LuaScript,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url)
            .field("key_prefix", &self.keys.prefix())
            .field("failure_mode", &self.config.failure_mode)
            .field("connected", &self.conn.initialized())
            .finish_non_exhaustive()
    }
}

impl RedisLimiter {
    /// A limiter for `config`. Nothing is connected yet: the first call connects, so a Redis
    /// that is down at start-up is handled like one that goes down later.
    pub fn new(config: RedisLimiterConfig) -> Result<Self, InvalidRedisUrl> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// A limiter reading `clock` (a [`crate::ManualClock`] in tests).
    pub fn with_clock(
        config: RedisLimiterConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, InvalidRedisUrl> {
        let client = redis::Client::open(config.url.as_str()).map_err(|err| InvalidRedisUrl {
            url: config.url.clone(),
            reason: err.to_string(),
        })?;
        // Reservation ids must differ between instances: seed them from a random per-process key.
        let instance = std::hash::BuildHasher::hash_one(
            &std::collections::hash_map::RandomState::new(),
            std::process::id(),
        );
        let keys = KeyLayout::new(&config.key_prefix);
        Ok(Self {
            store: Arc::new(RedisStore {
                client,
                url: redact(&config.url),
                keys,
                clock,
                conn: OnceCell::new(),
                started: Instant::now(),
                down_until_ms: AtomicU64::new(0),
                instance,
                next_id: AtomicU64::new(1),
                reserve: LuaScript::new(include_str!("reserve.lua")),
                settle: LuaScript::new(include_str!("settle.lua")),
                release: LuaScript::new(include_str!("release.lua")),
                config,
            }),
        })
    }

    /// The key prefix in use (tests delete what is under it).
    pub fn key_prefix(&self) -> &str {
        self.store.keys.prefix()
    }
}

/// The URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://…{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl RedisStore {
    fn since_start_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn connection(&self) -> Result<ConnectionManager, String> {
        let down_until = self.down_until_ms.load(Ordering::Relaxed);
        if down_until != 0 && self.since_start_ms() < down_until {
            return Err(format!("Redis at {} did not answer a moment ago", self.url));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.config.connect_timeout)
            .set_response_timeout(self.config.response_timeout)
            // No retry loop inside a call (its backoff starts at a second): a failed call
            // fails at once, and the next call after `retry_down_after` reconnects.
            .set_number_of_retries(0);
        let bound = self.config.connect_timeout * 3;
        let conn = self
            .conn
            .get_or_try_init(|| async {
                let connect = ConnectionManager::new_with_config(self.client.clone(), config);
                match tokio::time::timeout(bound, connect).await {
                    Ok(result) => result.map_err(|err| err.to_string()),
                    Err(_) => Err(format!("no connection within {} ms", bound.as_millis())),
                }
            })
            .await
            .map_err(|err| self.went_down(&err))?;
        Ok(conn.clone())
    }

    /// Records a failure; returns the message for `Unavailable`.
    fn went_down(&self, err: &str) -> String {
        let until = self.since_start_ms() + self.config.retry_down_after.as_millis() as u64;
        let was = self.down_until_ms.swap(until.max(1), Ordering::Relaxed);
        if was == 0 {
            tracing::warn!(
                url = %self.url,
                error = %err,
                failure_mode = ?self.config.failure_mode,
                "Redis for shared limits is unreachable; {}",
                match self.config.failure_mode {
                    FailureMode::Closed => "refusing calls until it is back",
                    FailureMode::Open => "admitting calls uncounted until it is back",
                }
            );
        }
        format!("Redis at {}: {err}", self.url)
    }

    fn came_back(&self) {
        if self.down_until_ms.swap(0, Ordering::Relaxed) != 0 {
            tracing::info!(url = %self.url, "Redis for shared limits answers again");
        }
    }

    async fn run(
        &self,
        script: &LuaScript,
        keys: &[String],
        args: &[String],
    ) -> Result<Vec<i64>, String> {
        let mut conn = self.connection().await?;
        match script.run::<Vec<i64>>(&mut conn, keys, args).await {
            Ok(answer) => {
                self.came_back();
                Ok(answer)
            }
            Err(err) => Err(self.went_down(&err.to_string())),
        }
    }

    fn spend_ttl_ms(&self, subject: &TicketSubject, now_ms: i64) -> i64 {
        match subject.period.map(|p| period_window(p, now_ms)) {
            None => 0,
            Some(window) => match window.ends_ms {
                Some(ends) => (ends - now_ms).max(0) + SPEND_GRACE_MS,
                None => TOTAL_SPEND_TTL_MS,
            },
        }
    }

    async fn reserve(
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
        let window = window_of(now_ms);
        let est_micros = usd_to_micros(estimate.cost_usd);
        let id = format!(
            "{:016x}-{:x}",
            self.instance,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let window_ttl = ms_to_next_window(now_ms) + WINDOW_MS;

        let mut keys = Vec::with_capacity(limited.len() * 5);
        let mut args = vec![
            now_ms.to_string(),
            id.clone(),
            estimate.tokens.to_string(),
            est_micros.to_string(),
            lease_ms.to_string(),
            window_ttl.to_string(),
            limited.len().to_string(),
        ];
        let mut ticket_subjects = Vec::with_capacity(limited.len());
        for subject in &limited {
            let limits = subject.limits;
            let period = limits.budget.map(|b| period_window(b.period, now_ms).key);
            keys.push(self.keys.rpm(window, subject.id));
            keys.push(self.keys.tpm(window, subject.id));
            keys.push(self.keys.inflight(subject.id));
            keys.push(self.keys.reserved(subject.id));
            keys.push(
                self.keys
                    .spend(period.as_deref().unwrap_or("none"), subject.id),
            );
            let or_none =
                |limit: Option<u64>| limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
            args.push(or_none(limits.rpm).to_string());
            args.push(or_none(limits.tpm).to_string());
            args.push(or_none(limits.max_concurrency).to_string());
            args.push(
                limits
                    .budget
                    .map_or(-1, |b| usd_to_micros(b.usd))
                    .to_string(),
            );
            args.push(usd_to_micros(subject.ledger_spent_usd).to_string());
            ticket_subjects.push(TicketSubject {
                id: subject.id.clone(),
                tpm_limited: limits.tpm.is_some(),
                period: limits.budget.map(|b| b.period),
            });
        }

        let answer = match self.run(&self.reserve, &keys, &args).await {
            Ok(answer) => answer,
            Err(reason) => {
                return match self.config.failure_mode {
                    FailureMode::Closed => Err(LimitError::Unavailable { reason }),
                    FailureMode::Open => {
                        tracing::debug!(%reason, "admitting a call uncounted: Redis is down");
                        Ok(Reservation::unlimited())
                    }
                };
            }
        };
        match answer.as_slice() {
            [1, ..] => {
                let ticket = Ticket {
                    id,
                    subjects: ticket_subjects,
                    window,
                    est_tokens: estimate.tokens,
                    est_micros,
                };
                Ok(Reservation::new(ticket, self.clone()))
            }
            [0, index, code, remaining] => {
                let refusal = usize::try_from(*index)
                    .ok()
                    .and_then(|i| limited.get(i))
                    .and_then(|subject| denial(subject, *code, *remaining, estimate, now_ms));
                match refusal {
                    Some(denied) => Err(LimitError::Denied(denied)),
                    None => Err(unexpected(&answer)),
                }
            }
            _ => Err(unexpected(&answer)),
        }
    }

    async fn finish(&self, ticket: &Ticket, actual: &Actual) -> Result<(), String> {
        let now_ms = self.clock.now_ms();
        let window = window_of(now_ms);
        let window_ttl = ms_to_next_window(now_ms) + WINDOW_MS;
        let mut keys = Vec::with_capacity(ticket.subjects.len() * 5);
        let mut args = vec![
            ticket.id.clone(),
            ticket.est_tokens.to_string(),
            actual.tokens.to_string(),
            actual_micros(actual).to_string(),
            window_ttl.to_string(),
            ticket.subjects.len().to_string(),
        ];
        for subject in &ticket.subjects {
            let period = subject.period.map(|p| period_window(p, now_ms).key);
            keys.push(self.keys.tpm(ticket.window, &subject.id));
            keys.push(self.keys.tpm(window, &subject.id));
            keys.push(self.keys.inflight(&subject.id));
            keys.push(self.keys.reserved(&subject.id));
            keys.push(
                self.keys
                    .spend(period.as_deref().unwrap_or("none"), &subject.id),
            );
            args.push(if subject.tpm_limited { "1" } else { "0" }.to_owned());
            args.push(self.spend_ttl_ms(subject, now_ms).to_string());
        }
        self.run(&self.settle, &keys, &args).await.map(|_| ())
    }

    async fn free(&self, ticket: &Ticket) -> Result<(), String> {
        let mut keys = Vec::with_capacity(ticket.subjects.len() * 2);
        for subject in &ticket.subjects {
            keys.push(self.keys.inflight(&subject.id));
            keys.push(self.keys.reserved(&subject.id));
        }
        let args = [ticket.id.clone()];
        self.run(&self.release, &keys, &args).await.map(|_| ())
    }
}

/// The denial the reserve script's answer describes.
fn denial(
    subject: &Subject<'_>,
    code: i64,
    remaining_micros: i64,
    estimate: Estimate,
    now_ms: i64,
) -> Option<Denied> {
    let limits = subject.limits;
    let window_left = Some(Duration::from_millis(
        ms_to_next_window(now_ms).unsigned_abs(),
    ));
    let (exceeded, retry_after) = match code {
        1 => {
            let budget = limits.budget?;
            let exceeded = Exceeded::Budget {
                limit_usd: budget.usd,
                period: budget.period,
                remaining_usd: micros_to_usd(remaining_micros.max(0)),
                needed_usd: micros_to_usd(usd_to_micros(estimate.cost_usd)),
            };
            (exceeded, None)
        }
        2 => (Exceeded::Rpm { limit: limits.rpm? }, window_left),
        3 => {
            let limit = limits.tpm?;
            let needed = estimate.tokens;
            (Exceeded::Tpm { limit, needed }, window_left)
        }
        4 => {
            let limit = limits.max_concurrency?;
            (Exceeded::Concurrency { limit }, Some(CONCURRENCY_RETRY))
        }
        _ => return None,
    };
    Some(Denied {
        subject: subject.id.clone(),
        exceeded,
        retry_after,
    })
}

fn unexpected(answer: &[i64]) -> LimitError {
    LimitError::Unavailable {
        reason: format!(
            "the Redis reserve script answered {answer:?}, which this version does not \
             understand; do instances of different versions share the key prefix?"
        ),
    }
}

#[async_trait]
impl ReservationStore for RedisStore {
    async fn settle(&self, ticket: Ticket, actual: Actual) -> Result<(), LimitError> {
        self.finish(&ticket, &actual)
            .await
            .map_err(|reason| LimitError::Unavailable { reason })
    }

    fn release(self: Arc<Self>, ticket: Ticket) {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(reason) = self.free(&ticket).await {
                        tracing::warn!(%reason, id = %ticket.id, "could not release a reservation; its lease frees it");
                    }
                });
            }
            Err(_) => tracing::warn!(
                id = %ticket.id,
                "reservation dropped outside a tokio runtime; its lease frees it"
            ),
        }
    }
}

#[async_trait]
impl Limiter for RedisLimiter {
    async fn reserve(
        &self,
        subjects: &[Subject<'_>],
        estimate: Estimate,
    ) -> Result<Reservation, LimitError> {
        self.store.reserve(subjects, estimate).await
    }
}
