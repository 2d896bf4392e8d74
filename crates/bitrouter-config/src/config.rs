//! The top-level sections of `bitrouter.yaml`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::glob::ModelGlob;
use crate::ordered_map::OrderedMap;
use crate::provider::ProviderConfig;
use crate::units::{opt_byte_size, opt_duration};

/// Where BitRouter listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4356";
/// The largest request body accepted by default (16 MiB).
pub const DEFAULT_BODY_LIMIT: u64 = 16 * 1024 * 1024;
/// How long in-flight requests may finish after a stop signal by default.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(600);

/// The whole configuration file. Every section is optional.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The listening socket and request limits.
    #[serde(default)]
    pub server: ServerConfig,
    /// Upstreams by id, in file order.
    #[serde(default)]
    pub providers: OrderedMap<ProviderConfig>,
    /// Virtual models by name, in file order.
    #[serde(default)]
    pub models: OrderedMap<VirtualModel>,
    /// Rules that send calls of a certain shape to a model.
    #[serde(default)]
    pub routing: Routing,
    /// Price overrides by `provider:model` or bare model name, USD per million tokens.
    #[serde(default)]
    pub pricing: OrderedMap<PriceConfig>,
    /// When a failing provider is taken out of rotation.
    #[serde(default)]
    pub circuit_breaker: CircuitBreaker,
    /// Where keys and the request ledger are stored.
    #[serde(default)]
    pub database: DatabaseConfig,
    /// Whether calls need a virtual key.
    #[serde(default)]
    pub auth: AuthConfig,
    /// Shared counters for budgets and rate limits across instances.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// OpenTelemetry export and metrics options.
    #[serde(default)]
    pub telemetry: TelemetryConfig,
    /// Rules that inspect, redact or block requests and answers.
    #[serde(default)]
    pub guardrails: bitrouter_guardrails::GuardrailsConfig,
}

/// The `database` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://…`, `postgres://…` or `mysql://…`; default `$BITROUTER_HOME/bitrouter.db`.
    #[serde(default)]
    pub url: Option<String>,
}

/// The `auth` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Refuse calls without a valid key even before any key exists (default: keys are
    /// required as soon as one exists).
    #[serde(default)]
    pub require_key: bool,
    /// How long a checked key is trusted before it is looked up again (default 5s): a
    /// revocation takes effect within this time.
    #[serde(default, deserialize_with = "opt_duration")]
    pub key_cache_ttl: Option<Duration>,
}

/// What happens when the shared limits store (Redis) cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureMode {
    /// Refuse calls with 503 (the default: no spend escapes the limits).
    #[default]
    Closed,
    /// Let calls through uncounted.
    Open,
}

/// The `limits` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// A Redis URL for counters shared by every instance; in-process counters without it.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// What to do when Redis is down.
    #[serde(default)]
    pub failure_mode: FailureMode,
}

/// The `telemetry` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// OpenTelemetry export over OTLP/HTTP.
    #[serde(default)]
    pub otlp: Option<OtlpConfig>,
}

/// The `telemetry.otlp` section.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpConfig {
    /// The collector's base URL, e.g. `http://127.0.0.1:4318` (`/v1/traces` is appended).
    pub endpoint: String,
    /// Record prompts and answers on spans (off by default: they may hold secrets).
    #[serde(default)]
    pub capture_content: bool,
}

/// The `server` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The listening address, `ip:port`.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// The largest request body in bytes.
    #[serde(default, deserialize_with = "opt_byte_size")]
    pub body_limit: Option<u64>,
    /// How long in-flight requests may finish after a stop signal.
    #[serde(default, deserialize_with = "opt_duration")]
    pub drain_timeout: Option<Duration>,
}

impl ServerConfig {
    /// `listen`, else [`DEFAULT_LISTEN`].
    pub fn listen_or_default(&self) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 4356)))
    }

    /// `body_limit`, else [`DEFAULT_BODY_LIMIT`].
    pub fn body_limit_or_default(&self) -> u64 {
        self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT)
    }

    /// `drain_timeout`, else [`DEFAULT_DRAIN_TIMEOUT`].
    pub fn drain_timeout_or_default(&self) -> Duration {
        self.drain_timeout.unwrap_or(DEFAULT_DRAIN_TIMEOUT)
    }
}

/// A name clients can ask for that stands for a list of concrete targets.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualModel {
    /// `provider:model` targets or other virtual model names.
    pub route: Vec<String>,
    /// How the route is walked.
    #[serde(default)]
    pub strategy: RouteStrategy,
    /// Targets whose estimated cost for the call exceeds this are skipped.
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
}

/// How a virtual model orders its targets for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteStrategy {
    /// In the order written; the next one when a target fails.
    #[default]
    Fallback,
    /// Start at the next target each call, then fall back through the rest.
    RoundRobin,
    /// Cheapest estimated cost first (catalog prices), then fall back.
    Cheapest,
    /// Lowest observed latency first, then fall back.
    Fastest,
}

/// The `routing` section.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Checked in order; the first rule that matches picks the model.
    #[serde(default)]
    pub rules: Vec<RouteRule>,
}

/// One routing rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// The call shape this rule applies to; every given condition must hold.
    #[serde(rename = "match")]
    pub when: RuleMatch,
    /// The model (virtual or `provider:model`) the call goes to.
    pub route_to: String,
}

/// The conditions of a routing rule. An absent condition always holds.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMatch {
    /// The requested model name, as a pattern (`claude-*`).
    #[serde(default)]
    pub model: Option<ModelGlob>,
    /// Whether the call offers tools.
    #[serde(default)]
    pub has_tools: Option<bool>,
    /// Whether the call carries images.
    #[serde(default)]
    pub has_images: Option<bool>,
    /// The estimated input tokens are at least this.
    #[serde(default)]
    pub min_input_tokens: Option<u64>,
    /// The estimated input tokens are at most this.
    #[serde(default)]
    pub max_input_tokens: Option<u64>,
    /// Request headers that must be present with exactly these values (names are
    /// case-insensitive), e.g. `x-bitrouter-task: summarize`.
    #[serde(default)]
    pub header: BTreeMap<String, String>,
}

/// A price override, USD per million tokens. Fields left out keep the catalog's figure.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    /// Prompt tokens.
    #[serde(default)]
    pub input: Option<f64>,
    /// Prompt tokens read from the upstream's cache.
    #[serde(default)]
    pub cached_input: Option<f64>,
    /// Prompt tokens written to the upstream's cache.
    #[serde(default)]
    pub cache_write: Option<f64>,
    /// Generated tokens.
    #[serde(default)]
    pub output: Option<f64>,
    /// Generated reasoning tokens, when billed differently from output.
    #[serde(default)]
    pub reasoning: Option<f64>,
}

/// The `circuit_breaker` section: after `failures` consecutive retryable failures a provider
/// is skipped for `cooldown`, then tried again with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitBreaker {
    /// Consecutive failures that open the breaker (default 5).
    #[serde(default)]
    pub failures: Option<u32>,
    /// How long an open breaker skips the provider (default 30s).
    #[serde(default, deserialize_with = "opt_duration")]
    pub cooldown: Option<Duration>,
}

impl CircuitBreaker {
    /// `failures`, else 5.
    pub fn failures_or_default(&self) -> u32 {
        self.failures.unwrap_or(5)
    }

    /// `cooldown`, else 30 seconds.
    pub fn cooldown_or_default(&self) -> Duration {
        self.cooldown.unwrap_or(Duration::from_secs(30))
    }
}
