//! The long-lived services behind the proxy: the database (keys and ledger), the ledger
//! writer, and the limiter for budgets and rate limits. They outlive configuration reloads.

use std::sync::Arc;

use bitrouter_config::{ConfigFile, FailureMode};
use bitrouter_limits::{Limiter, MemoryLimiter, RedisLimiter, RedisLimiterConfig};
use bitrouter_server::KeyAuthority;
use bitrouter_storage::{LedgerHandle, LedgerOptions, LedgerWriter, Storage};

use crate::home;

/// The services, started.
pub struct Services {
    /// Virtual keys and limits.
    pub keys: Arc<KeyAuthority>,
    /// The ledger writer's handle.
    pub ledger: LedgerHandle,
}

/// The database URL: `database.url`, else SQLite in `BITROUTER_HOME`.
pub fn database_url(file: Option<&ConfigFile>) -> Result<String, String> {
    match file.and_then(|f| f.config.database.url.clone()) {
        Some(url) => Ok(url),
        None => Ok(bitrouter_storage::default_sqlite_url(&home::dir()?)),
    }
}

/// Connects (running pending migrations), starts the ledger writer and the limiter.
pub async fn start(file: Option<&ConfigFile>) -> Result<Services, String> {
    let url = database_url(file)?;
    let storage = Storage::connect(&url).await.map_err(|e| e.to_string())?;
    let (ledger, _task) = LedgerWriter::spawn(storage.clone(), LedgerOptions::default())
        .map_err(|e| e.to_string())?;
    let cfg = file.map(|f| &f.config);
    let limiter: Arc<dyn Limiter> = match cfg.and_then(|c| c.limits.redis_url.clone()) {
        Some(url) => {
            let mut config = RedisLimiterConfig::new(url);
            config.failure_mode = match cfg.map(|c| c.limits.failure_mode) {
                Some(FailureMode::Open) => bitrouter_limits::FailureMode::Open,
                _ => bitrouter_limits::FailureMode::Closed,
            };
            Arc::new(RedisLimiter::new(config).map_err(|e| e.to_string())?)
        }
        None => Arc::new(MemoryLimiter::new()),
    };
    let auth = cfg.map(|c| c.auth).unwrap_or_default();
    let keys = Arc::new(KeyAuthority::new(
        storage,
        limiter,
        auth.require_key,
        auth.key_cache_ttl,
    ));
    Ok(Services { keys, ledger })
}
