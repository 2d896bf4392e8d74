//! [`Gateway`]: the assembled proxy — providers, router, guardrails and the two stack
//! segments — and zero-config assembly from the environment.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bitrouter_core::{Guardrail, Provider, Router};
use bitrouter_providers::{
    BUILTINS, HttpProvider, ProviderSettings, RESERVED_IDS, UpstreamClient, from_env,
};
use bitrouter_router::{
    CatalogRouter, HealthBook, ProviderEntry, ProviderRole, Vendor, well_known_models,
};
use serde_json::json;
use tower::util::BoxCloneSyncService;

use crate::call::{CallReply, ModelCall};
use crate::config::ServerConfig;
use crate::error::GatewayError;
use crate::layers::dispatch::ProviderMap;
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
    pub(crate) fn health_json(&self) -> Vec<u8> {
        json!({
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
            info: Arc::new(info),
        }
    }

    /// Zero-config: every built-in provider whose key is in the environment, routed by the
    /// catalog. `env` reads a variable (the process environment in the binary).
    pub fn from_env(
        config: ServerConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartError> {
        let settings = from_env(env);
        check_loops(&settings, config.listen)?;
        let router = catalog_router(&settings);
        let models = listings(router.providers());
        let client = UpstreamClient::new(config.timeouts);
        let providers: Vec<Arc<dyn Provider>> = settings
            .into_iter()
            .map(|s| Arc::new(HttpProvider::new(s, client.clone())) as Arc<dyn Provider>)
            .collect();
        Ok(Self::new(config, Arc::new(router), providers, models))
    }

    /// Adds a guardrail, applied after those added before it.
    pub fn with_guardrail(mut self, guardrail: Arc<dyn Guardrail>) -> Self {
        self.guardrails.push(guardrail);
        self
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

/// The router zero-config builds for these providers.
pub fn catalog_router(settings: &[ProviderSettings]) -> CatalogRouter {
    let entries = settings
        .iter()
        .map(|s| {
            let role = match s.builtin {
                Some(b) if b.aggregator => ProviderRole::Aggregator,
                Some(b) => match Vendor::ALL.into_iter().find(|v| v.provider_id() == b.id) {
                    Some(v) => ProviderRole::Vendor(v),
                    None => ProviderRole::Listed(Vec::new()),
                },
                None => ProviderRole::Listed(Vec::new()),
            };
            ProviderEntry {
                id: s.id.clone(),
                protocol: s.protocol,
                more_protocols: s
                    .builtin
                    .map(|b| b.more_protocols.to_vec())
                    .unwrap_or_default(),
                role,
            }
        })
        .collect();
    let active: Vec<&str> = settings.iter().map(|s| s.id.as_ref()).collect();
    let inactive = BUILTINS
        .iter()
        .map(|b| b.id)
        .chain(RESERVED_IDS.iter().copied())
        .filter(|id| !active.contains(id))
        .map(str::to_owned);
    CatalogRouter::new(entries).with_known_inactive(inactive)
}

fn listings(providers: &[ProviderEntry]) -> Vec<ModelListing> {
    let mut out = Vec::new();
    for p in providers {
        match &p.role {
            ProviderRole::Vendor(v) => {
                for m in well_known_models(*v) {
                    out.push(ModelListing {
                        id: (*m).to_owned(),
                        owned_by: p.id.to_string(),
                    });
                    out.push(ModelListing {
                        id: format!("{}:{m}", p.id),
                        owned_by: p.id.to_string(),
                    });
                }
            }
            ProviderRole::Aggregator => {
                for v in Vendor::ALL {
                    for m in well_known_models(v) {
                        out.push(ModelListing {
                            id: format!("{}:{}/{m}", p.id, v.slug()),
                            owned_by: p.id.to_string(),
                        });
                    }
                }
            }
            ProviderRole::Listed(models) => {
                for m in models {
                    out.push(ModelListing {
                        id: format!("{}:{m}", p.id),
                        owned_by: p.id.to_string(),
                    });
                }
            }
        }
    }
    out
}

/// Refuses providers whose base URL is this server's own address.
pub fn check_loops(settings: &[ProviderSettings], listen: SocketAddr) -> Result<(), StartError> {
    for s in settings {
        if points_at(&s.api_base, listen) {
            return Err(StartError::Loop {
                provider: s.id.to_string(),
                api_base: s.api_base.clone(),
                listen,
            });
        }
    }
    Ok(())
}

fn points_at(api_base: &str, listen: SocketAddr) -> bool {
    let Ok(uri) = api_base.parse::<http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else { return false };
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    if port != listen.port() {
        return false;
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let is_local = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    let listen_ip = listen.ip();
    is_local && (listen_ip.is_loopback() || listen_ip.is_unspecified())
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip == listen_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_detection_by_address() {
        let listen: SocketAddr = "127.0.0.1:4356".parse().unwrap();
        assert!(points_at("http://localhost:4356/v1", listen));
        assert!(points_at("http://127.0.0.1:4356", listen));
        assert!(points_at("http://[::1]:4356/v1", listen));
        assert!(!points_at("http://127.0.0.1:9000/v1", listen));
        assert!(!points_at("https://api.openai.com/v1", listen));
        let any: SocketAddr = "0.0.0.0:4356".parse().unwrap();
        assert!(points_at("http://127.0.0.1:4356/v1", any));
    }
}
