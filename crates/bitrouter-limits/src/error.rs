//! Why a call was not admitted: over a limit (429 / 402) or the shared store is down (503).

use std::fmt;
use std::time::Duration;

use crate::spec::{BudgetPeriod, SubjectId};

/// What a limiter does when its shared store (Redis) cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureMode {
    /// Deny every call with [`LimitError::Unavailable`] (answer 503) until the store is back.
    /// The default: limits that silently stop applying are how budgets get blown.
    #[default]
    Closed,
    /// Admit every call without counting it, logging a warning. Limits do not apply meanwhile.
    Open,
}

/// Which limit a call would break.
#[derive(Debug, Clone, PartialEq)]
pub enum Exceeded {
    /// Requests per minute.
    Rpm {
        /// The limit.
        limit: u64,
    },
    /// Tokens per minute.
    Tpm {
        /// The limit.
        limit: u64,
        /// Tokens the call was estimated to need.
        needed: u64,
    },
    /// Calls in flight at once.
    Concurrency {
        /// The limit.
        limit: u64,
    },
    /// The spend budget of the current period.
    Budget {
        /// The budget, US dollars.
        limit_usd: f64,
        /// The period it covers.
        period: BudgetPeriod,
        /// What is left: the budget less settled spend and calls in flight (never negative).
        remaining_usd: f64,
        /// What this call was estimated to cost.
        needed_usd: f64,
    },
}

/// A call refused because a subject is over one of its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Denied {
    /// Whose limit: the key or its user.
    pub subject: SubjectId,
    /// Which limit.
    pub exceeded: Exceeded,
    /// When trying again may succeed (rate and concurrency limits); `None` for budgets.
    pub retry_after: Option<Duration>,
}

impl Denied {
    /// The HTTP status to answer with: 402 for budgets, 429 for rate and concurrency limits.
    pub fn http_status(&self) -> u16 {
        match self.exceeded {
            Exceeded::Budget { .. } => 402,
            _ => 429,
        }
    }

    /// The remaining budget in US dollars, when a budget was what refused the call.
    pub fn remaining_usd(&self) -> Option<f64> {
        match self.exceeded {
            Exceeded::Budget { remaining_usd, .. } => Some(remaining_usd),
            _ => None,
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = &self.subject;
        match &self.exceeded {
            Exceeded::Rpm { limit } => {
                write!(f, "{who} is over its limit of {limit} requests per minute")?
            }
            Exceeded::Tpm { limit, needed } => write!(
                f,
                "{who} is over its limit of {limit} tokens per minute (this call needs about {needed} tokens)"
            )?,
            Exceeded::Concurrency { limit } => write!(
                f,
                "{who} already has {limit} calls in flight, its limit of concurrent calls"
            )?,
            Exceeded::Budget {
                limit_usd,
                period,
                remaining_usd,
                needed_usd,
            } => {
                return write!(
                    f,
                    "{who} is over its {} budget of ${limit_usd:.2}: ${remaining_usd:.2} remaining, \
                     this call needs about ${needed_usd:.2}",
                    period.adjective()
                );
            }
        }
        match self.retry_after {
            Some(after) => write!(f, "; retry in {} s", whole_secs(after)),
            None => Ok(()),
        }
    }
}

/// Why a limiter refused a call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LimitError {
    /// A subject is over a limit; answer [`Denied::http_status`] with this message.
    #[error("{0}")]
    Denied(Denied),
    /// The shared store could not be asked and the limiter fails closed; answer 503.
    #[error(
        "limits cannot be checked right now ({reason}); retry shortly. \
         The operator can set limits.redis_failure_mode to `open` to admit calls while the store is down"
    )]
    Unavailable {
        /// What went wrong talking to the store.
        reason: String,
    },
}

impl LimitError {
    /// The HTTP status to answer with: 402, 429 or 503.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Denied(denied) => denied.http_status(),
            Self::Unavailable { .. } => 503,
        }
    }

    /// The value for a `Retry-After` header, in whole seconds (rounded up), if any.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::Denied(denied) => denied.retry_after.map(whole_secs),
            Self::Unavailable { .. } => Some(1),
        }
    }

    /// A short label for metrics: `rpm`, `tpm`, `concurrency`, `budget` or `unavailable`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Denied(denied) => match denied.exceeded {
                Exceeded::Rpm { .. } => "rpm",
                Exceeded::Tpm { .. } => "tpm",
                Exceeded::Concurrency { .. } => "concurrency",
                Exceeded::Budget { .. } => "budget",
            },
            Self::Unavailable { .. } => "unavailable",
        }
    }
}

/// `limits.redis_url` could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "limits.redis_url `{url}` cannot be used: {reason}; write it as redis://host:6379/0 \
     (redis://:password@host:6379/0 with a password)"
)]
pub struct InvalidRedisUrl {
    /// The URL as configured.
    pub url: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Seconds rounded up, at least 1: `Retry-After` takes whole seconds and 0 invites a hot loop.
fn whole_secs(after: Duration) -> u64 {
    u64::try_from(after.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_message_names_subject_period_and_amounts() {
        let err = LimitError::Denied(Denied {
            subject: SubjectId::key("k1"),
            exceeded: Exceeded::Budget {
                limit_usd: 5.0,
                period: BudgetPeriod::Day,
                remaining_usd: 0.12,
                needed_usd: 0.30,
            },
            retry_after: None,
        });
        assert_eq!(
            err.to_string(),
            "key `k1` is over its daily budget of $5.00: $0.12 remaining, this call needs about $0.30"
        );
        assert_eq!(err.http_status(), 402);
        assert_eq!(err.retry_after_secs(), None);
        assert_eq!(err.label(), "budget");
    }

    #[test]
    fn rate_message_says_when_to_retry() {
        let err = LimitError::Denied(Denied {
            subject: SubjectId::user("alice"),
            exceeded: Exceeded::Rpm { limit: 60 },
            retry_after: Some(Duration::from_millis(11_200)),
        });
        assert_eq!(
            err.to_string(),
            "user `alice` is over its limit of 60 requests per minute; retry in 12 s"
        );
        assert_eq!(err.http_status(), 429);
        assert_eq!(err.retry_after_secs(), Some(12));
    }

    #[test]
    fn unavailable_is_a_503() {
        let err = LimitError::Unavailable {
            reason: "Redis at 127.0.0.1:1: connection refused".into(),
        };
        assert_eq!(err.http_status(), 503);
        assert_eq!(err.label(), "unavailable");
        assert!(
            err.to_string()
                .starts_with("limits cannot be checked right now (Redis")
        );
    }
}
