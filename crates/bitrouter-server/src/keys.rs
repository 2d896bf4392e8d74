//! [`KeyAuthority`]: virtual keys on the request path — which key a call carries, whether it
//! may call this model, and whether its rate limits and budgets (and its user's) admit it.
//!
//! A checked key is trusted for `cache_ttl` (default 5 s) so that the database is not asked
//! on every call; a revocation therefore takes effect within that time. Settled spend comes
//! from the ledger (cached the same way) and, between ledger writes, from the limiter's own
//! running total; in-flight calls hold a reservation of their estimated cost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitrouter_limits::{
    Actual, Budget, BudgetPeriod, Estimate, Limiter, Limits, Reservation, Subject, SubjectId,
};
use bitrouter_storage::{KeyRecord, KeyState, SpendScope, Storage};
use chrono::Utc;

use crate::error::GatewayError;

/// A call admitted under a key: who it is, and the reservation to settle when it ends.
#[derive(Debug)]
pub struct Grant {
    /// The key's id.
    pub key_id: String,
    /// The key's user.
    pub user_id: String,
    reservation: Option<Reservation>,
}

impl Grant {
    /// Settles the reservation with what the call actually used (zero when it failed).
    pub fn settle(&mut self, tokens: u64, cost_usd: f64) {
        if let Some(r) = self.reservation.take() {
            let actual = Actual { tokens, cost_usd };
            tokio::spawn(async move {
                if let Err(e) = r.settle(actual).await {
                    tracing::warn!(error = %e, "could not settle a key's reservation");
                }
            });
        }
    }
}

/// The grant of one call, filled by the auth layer and read when the call is reported.
pub type GrantSlot = Arc<Mutex<Option<Grant>>>;

/// What the cache keeps of a checked key.
#[derive(Debug)]
struct Checked {
    at: Instant,
    record: KeyRecord,
    key_subject: SubjectId,
    key_limits: Limits,
    key_spent: f64,
    user_subject: SubjectId,
    user_limits: Limits,
    user_spent: f64,
}

/// Keys, limits and their caches.
#[derive(Debug)]
pub struct KeyAuthority {
    storage: Storage,
    limiter: Arc<dyn Limiter>,
    require: bool,
    cache_ttl: Duration,
    cache: Mutex<HashMap<String, Arc<Checked>>>,
    keys_exist: Mutex<Option<(Instant, bool)>>,
}

const CACHE_CAP: usize = 10_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn limits_budget(b: &bitrouter_storage::Budget) -> Budget {
    Budget {
        usd: b.usd,
        period: match b.period {
            bitrouter_storage::BudgetPeriod::Day => BudgetPeriod::Day,
            bitrouter_storage::BudgetPeriod::Week => BudgetPeriod::Week,
            bitrouter_storage::BudgetPeriod::Month => BudgetPeriod::Month,
            bitrouter_storage::BudgetPeriod::Total => BudgetPeriod::Total,
        },
    }
}

fn auth_error(
    status: u16,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
) -> GatewayError {
    GatewayError::Auth {
        status,
        code,
        message,
        retry_after,
    }
}

impl KeyAuthority {
    /// Keys from `storage`, limits counted by `limiter`. With `require`, calls need a key even
    /// before any key exists; otherwise keys are required as soon as one does.
    pub fn new(
        storage: Storage,
        limiter: Arc<dyn Limiter>,
        require: bool,
        cache_ttl: Option<Duration>,
    ) -> Self {
        Self {
            storage,
            limiter,
            require,
            cache_ttl: cache_ttl.unwrap_or(Duration::from_secs(5)),
            cache: Mutex::new(HashMap::new()),
            keys_exist: Mutex::new(None),
        }
    }

    /// The storage behind the keys.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Whether calls need a key now.
    pub async fn keys_required(&self) -> Result<bool, GatewayError> {
        if self.require {
            return Ok(true);
        }
        if let Some((at, exist)) = *lock(&self.keys_exist) {
            if at.elapsed() < self.cache_ttl {
                return Ok(exist);
            }
        }
        let exist = !self
            .storage
            .list_keys(None)
            .await
            .map_err(|e| GatewayError::Internal {
                message: format!("cannot read keys: {e}"),
            })?
            .is_empty();
        *lock(&self.keys_exist) = Some((Instant::now(), exist));
        Ok(exist)
    }

    async fn check(&self, secret: &str) -> Result<Arc<Checked>, GatewayError> {
        if let Some(c) = lock(&self.cache)
            .get(secret)
            .filter(|c| c.at.elapsed() < self.cache_ttl)
        {
            return Ok(c.clone());
        }
        let internal = |e: bitrouter_storage::StorageError| GatewayError::Internal {
            message: format!("cannot check the key: {e}"),
        };
        let Some(record) = self.storage.verify(secret).await.map_err(internal)? else {
            return Err(auth_error(401, "invalid_api_key", "this virtual key is not known to BitRouter; check it, or create one with `bitrouter key create`".into(), None));
        };
        let now = Utc::now();
        let key_limits = Limits {
            rpm: record.limits.rpm,
            tpm: record.limits.tpm,
            max_concurrency: record.limits.max_concurrency,
            budget: record.limits.budget.as_ref().map(limits_budget),
        };
        let key_spent = match &record.limits.budget {
            Some(b) => self
                .storage
                .spent(SpendScope::Key(&record.id), b.period.start(now))
                .await
                .map_err(internal)?,
            None => 0.0,
        };
        let user = self.storage.get_user(&record.user_id).await.ok();
        let user_budget = user.as_ref().and_then(|u| u.budget);
        let user_spent = match &user_budget {
            Some(b) => self
                .storage
                .spent(SpendScope::User(&record.user_id), b.period.start(now))
                .await
                .map_err(internal)?,
            None => 0.0,
        };
        let checked = Arc::new(Checked {
            at: Instant::now(),
            key_subject: SubjectId::key(record.id.clone()),
            user_subject: SubjectId::user(record.user_id.clone()),
            key_limits,
            key_spent,
            user_limits: Limits {
                budget: user_budget.as_ref().map(limits_budget),
                ..Limits::default()
            },
            user_spent,
            record,
        });
        let mut cache = lock(&self.cache);
        if cache.len() >= CACHE_CAP {
            cache.clear();
        }
        cache.insert(secret.to_owned(), checked.clone());
        Ok(checked)
    }

    /// Admits a call carrying `credential` for `model`, or says why not (401, 403, 402, 429,
    /// 503). `Ok(None)`: no key needed and none given.
    pub async fn admit(
        &self,
        credential: Option<&str>,
        model: &str,
        estimate: Estimate,
    ) -> Result<Option<Grant>, GatewayError> {
        let secret = credential.filter(|c| c.starts_with(bitrouter_storage::SECRET_PREFIX));
        let Some(secret) = secret else {
            if self.keys_required().await? {
                let message = if credential.is_some() {
                    "this BitRouter requires a virtual key (brvk_…); the key sent is not one. Create one with `bitrouter key create --user <id>`"
                } else {
                    "this BitRouter requires a virtual key: send it as `Authorization: Bearer brvk_…` (or x-api-key / x-goog-api-key)"
                };
                return Err(auth_error(401, "missing_api_key", message.into(), None));
            }
            return Ok(None);
        };
        let checked = self.check(secret).await?;
        match checked.record.state(Utc::now()) {
            KeyState::Active => {}
            KeyState::Revoked(at) => {
                return Err(auth_error(
                    401,
                    "key_revoked",
                    format!(
                        "this virtual key was revoked at {at}; use its replacement or create a new one"
                    ),
                    None,
                ));
            }
            KeyState::Expired(at) => {
                return Err(auth_error(
                    401,
                    "key_expired",
                    format!(
                        "this virtual key expired at {at}; create a new one or extend it with `bitrouter key update --expires`"
                    ),
                    None,
                ));
            }
        }
        if !checked.record.limits.allows_model(model) {
            return Err(auth_error(
                403,
                "model_not_allowed",
                format!(
                    "this virtual key may not call `{model}`; it is limited to: {}",
                    checked.record.limits.models.join(", ")
                ),
                None,
            ));
        }
        let subjects = [
            Subject::new(&checked.key_subject, &checked.key_limits)
                .with_ledger_spent(checked.key_spent),
            Subject::new(&checked.user_subject, &checked.user_limits)
                .with_ledger_spent(checked.user_spent),
        ];
        let reservation = self
            .limiter
            .reserve(&subjects, estimate)
            .await
            .map_err(|e| {
                let code = match e.http_status() {
                    402 => "budget_exceeded",
                    429 => "rate_limit_exceeded",
                    _ => "limits_unavailable",
                };
                auth_error(e.http_status(), code, e.to_string(), e.retry_after_secs())
            })?;
        Ok(Some(Grant {
            key_id: checked.record.id.clone(),
            user_id: checked.record.user_id.clone(),
            reservation: Some(reservation),
        }))
    }
}
