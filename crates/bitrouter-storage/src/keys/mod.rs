//! Virtual keys (`brvk_…`): what a key allows, its lifecycle state, and its storage.

mod model_globs;
mod secret;
mod store;

pub(crate) use secret::random_hex;
pub(crate) use store::{invalid_statement, now_millis};

use chrono::{DateTime, Utc};

use crate::StorageError;
use crate::period::BudgetPeriod;

pub use model_globs::models_allow;
pub use secret::SECRET_PREFIX;

/// A spending cap in US dollars over a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// The cap, in US dollars; zero blocks every paid call.
    pub usd: f64,
    /// When spend starts over.
    pub period: BudgetPeriod,
}

impl Budget {
    pub(crate) fn validate(&self) -> Result<(), StorageError> {
        if self.usd.is_finite() && self.usd >= 0.0 {
            Ok(())
        } else {
            Err(StorageError::Invalid {
                field: "budget",
                reason: format!("{} is not an amount in dollars (give 0 or more)", self.usd),
            })
        }
    }
}

/// What a key may do. `None` means no limit of that kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyLimits {
    /// Model-name globs the key may call; empty allows all.
    pub models: Vec<String>,
    /// The key's own spending cap.
    pub budget: Option<Budget>,
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Tokens per minute.
    pub tpm: Option<u64>,
    /// Calls in flight at once.
    pub max_concurrency: Option<u64>,
    /// When the key stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

impl KeyLimits {
    /// Whether the allow-list lets this key call `model`.
    pub fn allows_model(&self, model: &str) -> bool {
        models_allow(&self.models, model)
    }

    pub(crate) fn validate(&self) -> Result<(), StorageError> {
        model_globs::validate(&self.models)?;
        if let Some(budget) = &self.budget {
            budget.validate()?;
        }
        Ok(())
    }
}

/// The request to create a key.
#[derive(Debug, Clone, Default)]
pub struct NewKey {
    /// The owning user; created if it does not exist yet.
    pub user_id: String,
    /// A label to tell keys apart.
    pub name: Option<String>,
    /// What the key may do.
    pub limits: KeyLimits,
}

/// A change to a key's settings. Each `Some` replaces that setting; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct KeyUpdate {
    /// New label.
    pub name: Option<Option<String>>,
    /// New allow-list (empty allows all).
    pub models: Option<Vec<String>>,
    /// New budget.
    pub budget: Option<Option<Budget>>,
    /// New requests-per-minute limit.
    pub rpm: Option<Option<u64>>,
    /// New tokens-per-minute limit.
    pub tpm: Option<Option<u64>>,
    /// New concurrency limit.
    pub max_concurrency: Option<Option<u64>>,
    /// New expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

impl KeyUpdate {
    pub(crate) fn apply(self, limits: &mut KeyLimits, name: &mut Option<String>) {
        if let Some(v) = self.name {
            *name = v;
        }
        if let Some(v) = self.models {
            limits.models = v;
        }
        if let Some(v) = self.budget {
            limits.budget = v;
        }
        if let Some(v) = self.rpm {
            limits.rpm = v;
        }
        if let Some(v) = self.tpm {
            limits.tpm = v;
        }
        if let Some(v) = self.max_concurrency {
            limits.max_concurrency = v;
        }
        if let Some(v) = self.expires_at {
            limits.expires_at = v;
        }
    }
}

/// A stored key. The secret itself is never stored; only its hash and display prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRecord {
    /// Stable id, `key_` and 16 hex digits.
    pub id: String,
    /// The owning user.
    pub user_id: String,
    /// The label.
    pub name: Option<String>,
    /// The first characters of the secret, `brvk_ab12cd34`, for display.
    pub prefix: String,
    /// What the key may do.
    pub limits: KeyLimits,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked (by `revoke` or by being rotated).
    pub revoked_at: Option<DateTime<Utc>>,
    /// The key this one replaced, when it came from a rotation.
    pub rotated_from: Option<String>,
}

/// Whether a key may be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Usable.
    Active,
    /// Revoked at this time: reject with 401.
    Revoked(DateTime<Utc>),
    /// Expired at this time: reject with 401.
    Expired(DateTime<Utc>),
}

impl KeyRecord {
    /// The key's state at `now`; revocation wins over expiry.
    pub fn state(&self, now: DateTime<Utc>) -> KeyState {
        if let Some(at) = self.revoked_at {
            return KeyState::Revoked(at);
        }
        match self.limits.expires_at {
            Some(at) if at <= now => KeyState::Expired(at),
            _ => KeyState::Active,
        }
    }

    /// The prefix as shown to people, `brvk_ab12cd34…`.
    pub fn display_prefix(&self) -> String {
        format!("{}…", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> KeyRecord {
        KeyRecord {
            id: "key_1".into(),
            user_id: "u".into(),
            name: None,
            prefix: "brvk_01234567".into(),
            limits: KeyLimits::default(),
            created_at: DateTime::UNIX_EPOCH,
            revoked_at: None,
            rotated_from: None,
        }
    }

    #[test]
    fn state_reports_revoked_before_expired() {
        let now = Utc::now();
        let mut key = record();
        assert_eq!(key.state(now), KeyState::Active);
        let past = now - chrono::Duration::seconds(1);
        key.limits.expires_at = Some(past);
        assert_eq!(key.state(now), KeyState::Expired(past));
        key.revoked_at = Some(now);
        assert_eq!(key.state(now), KeyState::Revoked(now));
        assert_eq!(key.display_prefix(), "brvk_01234567…");
    }

    #[test]
    fn negative_budgets_are_refused() {
        let budget = Budget {
            usd: -1.0,
            period: BudgetPeriod::Day,
        };
        assert!(budget.validate().is_err());
        let budget = Budget {
            usd: f64::NAN,
            period: BudgetPeriod::Day,
        };
        assert!(budget.validate().is_err());
    }
}
