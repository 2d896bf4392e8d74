//! [`Gateway`]: the assembled proxy — providers, router, guardrails and the two stack
//! segments. Assembly from the environment and the config file is in `assemble.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bitrouter_config::pricing::PriceTable;
use bitrouter_core::{Guardrail, OutcomeSink, Provider, Router};
use bitrouter_providers::HttpProvider;
use bitrouter_router::HealthBook;
use serde_json::json;
use tower::util::BoxCloneSyncService;

use crate::call::{CallReply, ModelCall};
use crate::config::ServerConfig;
use crate::error::GatewayError;
use crate::keys::KeyAuthority;
use crate::layers::dispatch::ProviderMap;
use crate::report::Observers;
use crate::stack;

/// The call segment, type-erased: `ModelCall` in, `CallReply` out.
pub type CallService = BoxCloneSyncService<ModelCall, CallReply, GatewayError>;

/// A model for `GET /v1/models`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelListing {
    /// The name a client sends.
    pub id: String,
    /// Which provider serves it.
    pub owned_by: String,
}

/// What the endpoints report about the running gateway.
#[derive(Debug)]
pub struct GatewayInfo {
    /// A random id of this process, sent upstream in `x-bitrouter-hop` to detect loops.
    pub instance_id: String,
    /// When it started.
    pub started: Instant,
    /// The address it listens on, once bound.
    pub listen: std::sync::OnceLock<SocketAddr>,
    /// Active provider ids.
    pub providers: Vec<String>,
    /// Models for listings.
    pub models: Vec<ModelListing>,
    /// The body limit, for error messages.
    pub body_limit: usize,
}

impl GatewayInfo {
    pub(crate) fn health_json(&self, reloads: u64) -> Vec<u8> {
        json!({
            "reloads": reloads,
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "pid": std::process::id(),
            "uptime_seconds": self.started.elapsed().as_secs(),
            "listen": self.listen.get().map(ToString::to_string),
            "providers": self.providers,
        })
        .to_string()
        .into_bytes()
    }
}

/// Why the gateway cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A provider's upstream is BitRouter itself.
    #[error(
        "provider `{provider}` would call BitRouter itself: its api_base {api_base} is this server's own address {listen}. \
         Point BITROUTER_{}_API_BASE at the real upstream (OPENAI_BASE_URL and friends are for agents, not for BitRouter)",
        provider.to_ascii_uppercase()
    )]
    Loop {
        /// The provider.
        provider: String,
        /// Its base URL.
        api_base: String,
        /// Where BitRouter listens.
        listen: SocketAddr,
    },
    /// The configuration cannot be used.
    #[error("{0}")]
    Config(String),
    /// The address could not be bound.
    #[error(
        "cannot listen on {addr}: {source}. Is another BitRouter running? Try `bitrouter status`, or pass --listen"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The assembled proxy.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) config: ServerConfig,
    pub(crate) router: Arc<dyn Router>,
    pub(crate) providers: Arc<ProviderMap>,
    pub(crate) guardrails: Vec<Arc<dyn Guardrail>>,
    pub(crate) health: HealthBook,
    pub(crate) http_providers: Vec<Arc<HttpProvider>>,
    pub(crate) prices: Arc<PriceTable>,
    pub(crate) observers: Observers,
    pub(crate) keys: Option<Arc<KeyAuthority>>,
    /// Where guardrail findings are stored, when there is a database.
    pub(crate) findings_storage: Option<bitrouter_storage::Storage>,
    /// Rules from the file's `guardrails:` section, compiled into an engine per gateway.
    pub(crate) guardrail_rules: bitrouter_guardrails::GuardrailsConfig,
    pub(crate) info: Arc<GatewayInfo>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.config)
            .field("providers", &self.info.providers)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway over explicit parts: for embedding, and for tests.
    pub fn new(
        config: ServerConfig,
        router: Arc<dyn Router>,
        providers: Vec<Arc<dyn Provider>>,
        models: Vec<ModelListing>,
    ) -> Self {
        let map: HashMap<Arc<str>, Arc<dyn Provider>> = providers
            .into_iter()
            .map(|p| (Arc::from(p.id()), p))
            .collect();
        let health = HealthBook::new(map.keys().cloned(), config.breaker);
        let info = GatewayInfo {
            instance_id: format!("br-{:016x}", rand::random::<u64>()),
            started: Instant::now(),
            listen: std::sync::OnceLock::new(),
            providers: router.active_providers(),
            models,
            body_limit: config.body_limit,
        };
        Self {
            config,
            router,
            providers: Arc::new(map),
            guardrails: Vec::new(),
            health,
            http_providers: Vec::new(),
            prices: Arc::new(PriceTable::builtin()),
            observers: Observers::default(),
            keys: None,
            findings_storage: None,
            guardrail_rules: bitrouter_guardrails::GuardrailsConfig::default(),
            info: Arc::new(info),
        }
    }

    /// Adds a guardrail, applied after those added before it.
    pub fn with_guardrail(mut self, guardrail: Arc<dyn Guardrail>) -> Self {
        self.guardrails.push(guardrail);
        self
    }

    /// Every part, with a health book shared by the routing layer and (for the fastest
    /// strategy) the router, and the HTTP providers whose accounts `route` reports.
    pub(crate) fn assemble(
        config: ServerConfig,
        router: Arc<dyn Router>,
        providers: Vec<Arc<dyn Provider>>,
        models: Vec<ModelListing>,
        health: HealthBook,
        http_providers: Vec<Arc<HttpProvider>>,
        prices: PriceTable,
    ) -> Self {
        let mut gw = Self::new(config, router, providers, models);
        gw.health = health;
        gw.http_providers = http_providers;
        gw.prices = Arc::new(prices);
        gw
    }

    /// Adds a sink for every call's outcome; it is kept across reloads.
    pub fn with_sink(mut self, sink: Arc<dyn OutcomeSink>) -> Self {
        self.observers.sinks.push(sink);
        self
    }

    /// Records every call in the ledger behind `handle`, and shows its queue in /metrics.
    pub fn with_ledger(mut self, handle: bitrouter_storage::LedgerHandle) -> Self {
        self.observers.ledger = Some(handle.clone());
        self.with_sink(Arc::new(crate::ledger_sink::LedgerSink::new(handle)))
    }

    /// Checks virtual keys, limits and budgets with `keys`; kept across reloads. Guardrail
    /// findings are stored in the same database.
    pub fn with_keys(mut self, keys: Arc<KeyAuthority>) -> Self {
        self.findings_storage = Some(keys.storage().clone());
        self.keys = Some(keys);
        self
    }

    /// The guardrails in force: those added with [`with_guardrail`](Self::with_guardrail),
    /// then the engine of the file's rules, reporting findings to the metrics and the ledger.
    pub(crate) fn all_guardrails(&self) -> Vec<Arc<dyn Guardrail>> {
        let mut all = self.guardrails.clone();
        if !self.guardrail_rules.rules.is_empty() {
            let sink = Arc::new(crate::findings::FindingsRecorder::new(
                self.findings_storage.clone(),
                self.observers.metrics.clone(),
            ));
            match bitrouter_guardrails::GuardrailEngine::new(&self.guardrail_rules, sink) {
                Ok(engine) => all.push(Arc::new(engine)),
                // Checked when the file was loaded; unreachable in practice.
                Err(e) => tracing::error!("guardrails disabled: {e}"),
            }
        }
        all
    }

    /// The metrics and sinks calls are reported to.
    pub fn observers(&self) -> &Observers {
        &self.observers
    }

    /// Prices: the catalog with the config file's overrides.
    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    /// This gateway with `previous`'s instance id, start time and listen address, so that a
    /// reload keeps the process's identity.
    pub(crate) fn inherit_identity(mut self, previous_gateway: &Gateway) -> Self {
        let previous = previous_gateway.info();
        self.observers = previous_gateway.observers.clone();
        self.keys = previous_gateway.keys.clone();
        self.findings_storage = previous_gateway.findings_storage.clone();
        let info = GatewayInfo {
            instance_id: previous.instance_id.clone(),
            started: previous.started,
            listen: previous.listen.clone(),
            providers: self.info.providers.clone(),
            models: self.info.models.clone(),
            body_limit: self.info.body_limit,
        };
        self.info = Arc::new(info);
        self
    }

    /// The HTTP providers, for their account status.
    pub fn http_providers(&self) -> &[Arc<HttpProvider>] {
        &self.http_providers
    }

    /// The router.
    pub fn router(&self) -> &Arc<dyn Router> {
        &self.router
    }

    /// Provider health: circuits and latencies.
    pub fn health(&self) -> &HealthBook {
        &self.health
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// What the endpoints report.
    pub fn info(&self) -> &Arc<GatewayInfo> {
        &self.info
    }

    /// The call segment: auth, guardrails, routing with fallback, dispatch.
    pub fn call_service(&self) -> CallService {
        stack::call_segment(self)
    }
}
