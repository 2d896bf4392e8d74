//! Assembling a [`Gateway`] from the environment (zero-config) and, when there is one, from
//! `bitrouter.yaml`: providers and their accounts, the catalog and policy routers, prices,
//! the circuit breaker and the model listing.

use std::net::SocketAddr;
use std::sync::Arc;

use bitrouter_config::pricing::PriceTable;
use bitrouter_config::{ConfigFile, ProviderConfig};
use bitrouter_core::{Protocol, Provider};
use bitrouter_providers::{
    Account, AccountStrategy, AuthStyle, BUILTINS, HttpProvider, ProviderSettings, RESERVED_IDS,
    Timeouts, UpstreamClient, builtin, discover_models, from_env,
};
use bitrouter_router::{
    BreakerSettings, CatalogRouter, HealthBook, PolicyRouter, ProviderEntry, ProviderRole, Vendor,
    well_known_models,
};

use crate::config::ServerConfig;
use crate::gateway::{Gateway, ModelListing, StartError};

impl Gateway {
    /// Zero-config: every built-in provider whose key is in the environment, routed by the
    /// catalog. `env` reads a variable (the process environment in the binary).
    pub fn from_env(
        config: ServerConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartError> {
        Self::from_config(config, None, env)
    }

    /// The gateway a configuration file describes, on top of zero-config: providers in the
    /// file come first (a built-in id there tunes that built-in), then every other built-in
    /// whose key is in the environment. Virtual models, rules, prices and the circuit breaker
    /// come from the file.
    pub fn from_config(
        mut config: ServerConfig,
        file: Option<&ConfigFile>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StartError> {
        let detected = from_env(env);
        let mut settings = Vec::new();
        let mut notes = Vec::new();
        if let Some(file) = file {
            let cfg = &file.config;
            config.breaker = BreakerSettings {
                failures: cfg.circuit_breaker.failures_or_default(),
                cooldown: cfg.circuit_breaker.cooldown_or_default(),
            };
            for (id, pc) in cfg.providers.iter() {
                match provider_settings(id, pc, &detected, &config, env) {
                    Ok(s) => settings.push(s),
                    Err(note) => notes.push(note),
                }
            }
        }
        for s in detected {
            if !settings.iter().any(|c: &ProviderSettings| c.id == s.id) {
                settings.push(s);
            }
        }
        for note in &notes {
            tracing::warn!("{note}");
        }
        // Start-up waits for this at most DISCOVERY_TIMEOUT (local probes: PROBE_TIMEOUT).
        let discover: Vec<&str> = file
            .map(|f| {
                f.config
                    .providers
                    .iter()
                    .filter(|(_, pc)| pc.discover_models)
                    .map(|(id, _)| id)
                    .collect()
            })
            .unwrap_or_default();
        discover_models(&mut settings, &discover, env);
        check_loops(&settings, config.listen)?;
        let mut catalog = catalog_router(&settings, file);
        let client = UpstreamClient::new(config.timeouts);
        let handles: Vec<Arc<HttpProvider>> = settings
            .into_iter()
            .map(|s| Arc::new(HttpProvider::new(s, client.clone())))
            .collect();
        let mut others: Vec<Arc<dyn Provider>> = Vec::new();
        for (provider, entry) in extra_providers(env, &client) {
            if !catalog.providers().iter().any(|p| p.id == entry.id) {
                catalog.push(entry);
                others.push(provider);
            }
        }
        let mut models = listings(catalog.providers());
        let health = HealthBook::new(
            handles
                .iter()
                .map(|h| h.settings().id.clone())
                .chain(others.iter().map(|p| Arc::from(p.id()))),
            config.breaker,
        );
        let mut prices = PriceTable::builtin();
        let router: Arc<dyn bitrouter_core::Router> = match file {
            None => Arc::new(catalog),
            Some(file) => {
                let cfg = &file.config;
                prices = PriceTable::with_overrides(&cfg.pricing).map_err(|errors| {
                    StartError::Config(
                        errors
                            .into_iter()
                            .map(|(k, e)| format!("pricing.{k}: {e}"))
                            .collect::<Vec<_>>()
                            .join("; "),
                    )
                })?;
                for name in cfg.models.keys() {
                    models.push(ModelListing {
                        id: name.to_owned(),
                        owned_by: "bitrouter".into(),
                    });
                }
                Arc::new(PolicyRouter::new(
                    catalog,
                    cfg.models.iter().map(|(k, v)| (k.to_owned(), v.clone())),
                    cfg.routing.rules.clone(),
                    prices.clone(),
                    Some(health.clone()),
                ))
            }
        };
        let guardrail_rules = match file {
            Some(f) => {
                let rules = f.config.guardrails.clone();
                bitrouter_guardrails::GuardrailEngine::new(
                    &rules,
                    Arc::new(bitrouter_guardrails::DiscardFindings),
                )
                .map_err(|e| StartError::Config(format!("guardrails: {e}")))?;
                rules
            }
            None => bitrouter_guardrails::GuardrailsConfig::default(),
        };
        let providers: Vec<Arc<dyn Provider>> = handles
            .iter()
            .map(|h| h.clone() as Arc<dyn Provider>)
            .chain(others)
            .collect();
        let mut gateway =
            Gateway::assemble(config, router, providers, models, health, handles, prices);
        gateway.guardrail_rules = guardrail_rules;
        Ok(gateway)
    }
}

/// Providers that are not plain HTTP upstreams: those signed in with `bitrouter login`
/// (tokens in `$BITROUTER_HOME/credentials.json`) and, with the `bedrock` feature, Amazon
/// Bedrock from the AWS variables. Each comes with its routing entry.
fn extra_providers(
    env: &dyn Fn(&str) -> Option<String>,
    client: &UpstreamClient,
) -> Vec<(Arc<dyn Provider>, ProviderEntry)> {
    let mut out: Vec<(Arc<dyn Provider>, ProviderEntry)> = Vec::new();
    let home = env("BITROUTER_HOME")
        .filter(|h| !h.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| env("HOME").map(|h| std::path::PathBuf::from(h).join(".bitrouter")));
    if let Some(home) = home {
        let store = bitrouter_signin::TokenStore::in_home(&home);
        match bitrouter_signin::signed_in_providers(&store, env, client) {
            Ok(list) => {
                for p in list {
                    let role = match p.id() {
                        "codex" => ProviderRole::Vendor(Vendor::Openai),
                        "claude" => ProviderRole::Vendor(Vendor::Anthropic),
                        "bitrouter" => ProviderRole::Aggregator,
                        _ => ProviderRole::Listed(Vec::new()),
                    };
                    let entry = ProviderEntry {
                        id: Arc::from(p.id()),
                        protocol: p.protocol(),
                        more_protocols: Vec::new(),
                        role,
                    };
                    out.push((Arc::new(p), entry));
                }
            }
            Err(e) => tracing::warn!("signed-in providers are unavailable: {e}"),
        }
    }
    #[cfg(feature = "bedrock")]
    if let Some(settings) = bitrouter_providers::bedrock_settings(env) {
        let entry = ProviderEntry {
            id: Arc::from(settings.id.as_ref()),
            // Bedrock speaks its own API; any client protocol reaches it untranslated on our
            // side and is converted by the provider, so errors come back in the client's shape.
            protocol: Protocol::OpenaiChat,
            more_protocols: Protocol::ALL.to_vec(),
            role: ProviderRole::Listed(Vec::new()),
        };
        out.push((
            Arc::new(bitrouter_providers::BedrockProvider::new(
                settings,
                client.clone(),
            )),
            entry,
        ));
    }
    out
}

/// Settings for one provider of the file, or why it is left out.
fn provider_settings(
    id: &str,
    pc: &ProviderConfig,
    detected: &[ProviderSettings],
    server: &ServerConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderSettings, String> {
    let kind = pc.builtin_kind(id).and_then(builtin);
    let inherited = kind.and_then(|k| detected.iter().find(|d| d.id.as_ref() == k.id));
    let protocol = pc.protocol.or(kind.map(|k| k.protocol)).ok_or_else(|| {
        format!("provider `{id}` has no protocol; set `protocol:` (openai_chat, openai_responses, anthropic_messages, google_generate_content)")
    })?;
    let api_base = match (&pc.api_base, inherited, kind) {
        (Some(base), _, _) => base.trim_end_matches('/').to_owned(),
        (None, Some(d), _) => d.api_base.clone(),
        (None, None, Some(k)) => env(&k.base_var()).map_or_else(
            || k.default_base.to_owned(),
            |b| b.trim_end_matches('/').to_owned(),
        ),
        (None, None, None) => return Err(format!("provider `{id}` has no api_base")),
    };
    let accounts: Vec<Account> = if let Some(list) = &pc.accounts {
        list.iter()
            .enumerate()
            .map(|(i, a)| Account {
                name: a.name.clone().unwrap_or_else(|| format!("#{}", i + 1)),
                api_key: a.api_key.expose().to_owned(),
            })
            .collect()
    } else if let Some(key) = &pc.api_key {
        vec![Account {
            name: "api_key".into(),
            api_key: key.expose().to_owned(),
        }]
    } else if let Some(d) = inherited {
        d.accounts.clone()
    } else if kind.is_none() {
        // A local server (Ollama, LM Studio, vLLM) often wants no key at all.
        vec![Account {
            name: "none".into(),
            api_key: String::new(),
        }]
    } else {
        let vars = kind.map(|k| k.key_vars.join(" or ")).unwrap_or_default();
        return Err(format!(
            "provider `{id}` is left out: no API key (set {vars}, or api_key in bitrouter.yaml)"
        ));
    };
    let auth = kind.map_or(
        match protocol {
            Protocol::AnthropicMessages => AuthStyle::XApiKey,
            Protocol::GoogleGenerateContent => AuthStyle::XGoogApiKey,
            Protocol::OpenaiChat | Protocol::OpenaiResponses => AuthStyle::Bearer,
        },
        |k| k.auth,
    );
    let t = &pc.timeouts;
    let defaults = server.timeouts;
    let timeouts = Timeouts {
        connect: t.connect.unwrap_or(defaults.connect),
        first_byte: t.first_byte.unwrap_or(defaults.first_byte),
        idle: t.idle.unwrap_or(defaults.idle),
        total: t.total.unwrap_or(defaults.total),
    };
    let mut extra_headers: Vec<(String, String)> = inherited
        .map(|d| d.extra_headers.clone())
        .unwrap_or_default();
    extra_headers.extend(pc.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut models: Vec<String> = inherited.map(|d| d.models.clone()).unwrap_or_default();
    models.extend(
        pc.models
            .iter()
            .filter(|m| !models.contains(m))
            .cloned()
            .collect::<Vec<_>>(),
    );
    Ok(ProviderSettings {
        id: Arc::from(id),
        protocol,
        api_base,
        accounts,
        strategy: match pc.strategy {
            bitrouter_config::AccountStrategy::Failover => AccountStrategy::Failover,
            bitrouter_config::AccountStrategy::RoundRobin => AccountStrategy::RoundRobin,
        },
        timeouts: (timeouts != defaults).then_some(timeouts),
        auth,
        extra_headers,
        model_protocols: inherited
            .map(|d| d.model_protocols.clone())
            .unwrap_or_default(),
        models,
        builtin: kind,
        source: format!("bitrouter.yaml providers.{id}"),
    })
}

/// The catalog router over these providers; a provider of the file with `models:` serves
/// exactly those.
pub fn catalog_router(settings: &[ProviderSettings], file: Option<&ConfigFile>) -> CatalogRouter {
    let entries = settings
        .iter()
        .map(|s| {
            let role = match s.builtin {
                Some(b) if b.aggregator => ProviderRole::Aggregator,
                Some(b) => match Vendor::ALL.into_iter().find(|v| v.provider_id() == b.id) {
                    Some(v) => ProviderRole::Vendor(v),
                    None => ProviderRole::Listed(s.models.clone()),
                },
                // Configured, discovered or a local server's models.
                None => {
                    let mut models = s.models.clone();
                    let configured = file
                        .and_then(|f| f.config.providers.get(&s.id))
                        .map(|p| p.models.clone())
                        .unwrap_or_default();
                    for m in configured {
                        if !models.contains(&m) {
                            models.push(m);
                        }
                    }
                    ProviderRole::Listed(models)
                }
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
