//! The `providers` section: built-in providers switched on or tuned, and custom upstreams.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use bitrouter_core::Protocol;
use serde::Deserialize;

use crate::units::opt_duration;

/// The built-in provider ids a `kind` may name, in routing priority order. Kept equal to
/// `bitrouter_providers::BUILTINS` by a test.
pub const BUILTIN_KINDS: &[&str] = &[
    "openai",
    "anthropic",
    "google",
    "openrouter",
    "opencode",
    "opencode-go",
];

/// Ids reserved for built-in providers that need sign-in or a later release. Kept equal to
/// `bitrouter_providers::RESERVED_IDS` by a test.
pub const RESERVED_IDS: &[&str] = &["bedrock", "copilot", "codex", "claude", "bitrouter"];

/// An API key. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    /// The key itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One upstream, keyed by its id in the `providers` map.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// The built-in provider this one inherits protocol, base, auth and models from.
    #[serde(default)]
    pub kind: Option<String>,
    /// The protocol the upstream speaks (required for a custom provider).
    #[serde(default)]
    pub protocol: Option<Protocol>,
    /// The upstream base including the version prefix, e.g. `https://api.openai.com/v1`.
    #[serde(default)]
    pub api_base: Option<String>,
    /// One API key. Exclusive with `accounts`.
    #[serde(default)]
    pub api_key: Option<Secret>,
    /// Several keys for the same upstream. Exclusive with `api_key`.
    #[serde(default)]
    pub accounts: Option<Vec<Account>>,
    /// How calls are spread over `accounts`.
    #[serde(default)]
    pub strategy: AccountStrategy,
    /// The models this provider serves (for listing and bare-name routing).
    #[serde(default)]
    pub models: Vec<String>,
    /// Headers sent on every call to this upstream.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Per-call time limits.
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Allow a plain-`http` base on a host that is not loopback.
    #[serde(default)]
    pub allow_http: bool,
    /// Ask the upstream for its model list at start.
    #[serde(default)]
    pub discover_models: bool,
}

/// One API key of a provider with several.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The key.
    pub api_key: Secret,
    /// A label for logs and status (never the key).
    #[serde(default)]
    pub name: Option<String>,
    /// Relative share under `round_robin` (default 1).
    #[serde(default)]
    pub weight: Option<u32>,
}

/// How a provider with several accounts picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStrategy {
    /// Always the first account that is not cooling down.
    #[default]
    Failover,
    /// Accounts in turn (weighted), skipping those cooling down.
    RoundRobin,
}

/// Time limits for one call to an upstream; an absent limit means none of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Establishing the connection (TCP and TLS).
    #[serde(default, deserialize_with = "opt_duration")]
    pub connect: Option<Duration>,
    /// From sending the request to the first byte of the answer.
    #[serde(default, deserialize_with = "opt_duration")]
    pub first_byte: Option<Duration>,
    /// The longest gap between two chunks of a streamed answer.
    #[serde(default, deserialize_with = "opt_duration")]
    pub idle: Option<Duration>,
    /// The whole call, streaming included.
    #[serde(default, deserialize_with = "opt_duration")]
    pub total: Option<Duration>,
}

impl ProviderConfig {
    /// The built-in provider this entry is or inherits from: its `kind`, else its id when the
    /// id is a built-in one.
    pub fn builtin_kind<'a>(&'a self, id: &'a str) -> Option<&'a str> {
        match &self.kind {
            Some(kind) => BUILTIN_KINDS.iter().find(|k| **k == kind).copied(),
            None => BUILTIN_KINDS.iter().find(|k| **k == id).copied(),
        }
    }
}
