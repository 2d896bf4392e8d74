//! Several API keys for one provider: which to use next (failover or round-robin), and which
//! are cooling down after a rate limit, an auth error or an exhausted quota.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bitrouter_core::ProviderError;
use http::StatusCode;
use serde::Serialize;

/// One API key of a provider.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// A name for logs and `bitrouter route` (`#1`, `#2`, … when not configured).
    pub name: String,
    /// The key.
    pub api_key: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// How calls are spread over a provider's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStrategy {
    /// Always the first account that is not cooling down.
    #[default]
    Failover,
    /// Each call starts at the next account.
    RoundRobin,
}

/// What `bitrouter route` shows of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountStatus {
    /// Its name.
    pub name: String,
    /// Seconds until it is used again, when cooling down.
    pub cooling_down_secs: Option<u64>,
}

struct AccountState {
    account: Account,
    /// Milliseconds since the pool's epoch until which the account rests; 0 when it does not.
    cooled_until: AtomicU64,
    /// Consecutive rate limits, for the backoff.
    strikes: AtomicU32,
}

/// The accounts of one provider and their cooldowns; lock-free, shared by every call.
pub(crate) struct AccountPool {
    accounts: Vec<AccountState>,
    strategy: AccountStrategy,
    next: AtomicUsize,
    epoch: Instant,
}

impl std::fmt::Debug for AccountPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountPool")
            .field("accounts", &self.accounts.len())
            .field("strategy", &self.strategy)
            .finish()
    }
}

/// Longest rest after repeated rate limits without a `Retry-After`.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Rest after an auth error: a revoked key does not come back by itself soon.
const AUTH_REST: Duration = Duration::from_secs(300);
/// Rest after quota or credit exhaustion.
const QUOTA_REST: Duration = Duration::from_secs(900);

impl AccountPool {
    pub(crate) fn new(accounts: Vec<Account>, strategy: AccountStrategy) -> Self {
        Self {
            accounts: accounts
                .into_iter()
                .map(|account| AccountState {
                    account,
                    cooled_until: AtomicU64::new(0),
                    strikes: AtomicU32::new(0),
                })
                .collect(),
            strategy,
            next: AtomicUsize::new(0),
            epoch: Instant::now(),
        }
    }

    pub(crate) fn account(&self, i: usize) -> &Account {
        &self.accounts[i].account
    }

    /// The order in which to try the accounts for one call.
    pub(crate) fn order(&self) -> impl Iterator<Item = usize> + use<> {
        let n = self.accounts.len().max(1);
        let start = match self.strategy {
            AccountStrategy::Failover => 0,
            AccountStrategy::RoundRobin => self.next.fetch_add(1, Ordering::Relaxed) % n,
        };
        (0..self.accounts.len()).map(move |k| (start + k) % n)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// How much longer account `i` rests, if it does.
    pub(crate) fn cooling(&self, i: usize) -> Option<Duration> {
        let until = self.accounts[i].cooled_until.load(Ordering::Relaxed);
        let now = self.now_ms();
        (until > now).then(|| Duration::from_millis(until - now))
    }

    /// Whether an error is this account's trouble (so another account may do better).
    pub(crate) fn is_account_error(e: &ProviderError) -> bool {
        match e {
            ProviderError::Status { status, .. } => {
                *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::UNAUTHORIZED
                    || *status == StatusCode::FORBIDDEN
                    || e.is_quota_exhausted()
            }
            _ => false,
        }
    }

    /// Rests account `i` after `error`: for the upstream's `Retry-After` when it sent one,
    /// else a backoff that doubles with each consecutive rate limit.
    pub(crate) fn cool(&self, i: usize, error: &ProviderError) -> Duration {
        let state = &self.accounts[i];
        let rest = match error {
            e if e.is_quota_exhausted() => QUOTA_REST,
            ProviderError::Status {
                status,
                retry_after,
                ..
            } if *status == StatusCode::TOO_MANY_REQUESTS => {
                let strikes = state.strikes.fetch_add(1, Ordering::Relaxed).min(6);
                retry_after.unwrap_or_else(|| {
                    (Duration::from_secs(5) * 2u32.pow(strikes)).min(MAX_BACKOFF)
                })
            }
            _ => AUTH_REST,
        };
        let until = self
            .now_ms()
            .saturating_add(u64::try_from(rest.as_millis()).unwrap_or(u64::MAX));
        state.cooled_until.store(until, Ordering::Relaxed);
        rest
    }

    /// Account `i` answered: its backoff starts over.
    pub(crate) fn succeeded(&self, i: usize) {
        let state = &self.accounts[i];
        if state.strikes.load(Ordering::Relaxed) != 0 {
            state.strikes.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn status(&self) -> Vec<AccountStatus> {
        (0..self.accounts.len())
            .map(|i| AccountStatus {
                name: self.accounts[i].account.name.clone(),
                cooling_down_secs: self.cooling(i).map(|d| d.as_secs() + 1),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use bitrouter_core::Protocol;
    use bytes::Bytes;

    use super::*;

    fn pool(n: usize, strategy: AccountStrategy) -> AccountPool {
        let accounts = (0..n)
            .map(|i| Account {
                name: format!("#{}", i + 1),
                api_key: format!("k{i}"),
            })
            .collect();
        AccountPool::new(accounts, strategy)
    }

    fn status(code: u16, retry_after: Option<Duration>) -> ProviderError {
        ProviderError::Status {
            status: StatusCode::from_u16(code).unwrap(),
            body: Bytes::new(),
            protocol: Protocol::OpenaiChat,
            retry_after,
        }
    }

    #[test]
    fn failover_always_starts_first_round_robin_rotates() {
        let f = pool(3, AccountStrategy::Failover);
        assert_eq!(f.order().collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(f.order().collect::<Vec<_>>(), [0, 1, 2]);
        let r = pool(3, AccountStrategy::RoundRobin);
        let firsts: Vec<usize> = (0..6).map(|_| r.order().next().unwrap()).collect();
        assert_eq!(firsts, [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn cooldown_follows_retry_after_then_backs_off() {
        let p = pool(1, AccountStrategy::Failover);
        assert_eq!(
            p.cool(0, &status(429, Some(Duration::from_secs(7)))),
            Duration::from_secs(7)
        );
        assert!(p.cooling(0).is_some_and(|d| d <= Duration::from_secs(7)));
        assert_eq!(
            p.cool(0, &status(429, None)),
            Duration::from_secs(10),
            "second strike doubles"
        );
        p.succeeded(0);
        assert_eq!(
            p.cool(0, &status(429, None)),
            Duration::from_secs(5),
            "success resets the backoff"
        );
        assert_eq!(p.cool(0, &status(401, None)), AUTH_REST);
        assert!(AccountPool::is_account_error(&status(403, None)));
        assert!(!AccountPool::is_account_error(&status(500, None)));
        assert!(!AccountPool::is_account_error(&status(400, None)));
    }
}
