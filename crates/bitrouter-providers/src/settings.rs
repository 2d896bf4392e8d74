//! What it takes to call one upstream, and how zero-config finds it in the environment.

use std::sync::Arc;

use bitrouter_core::Protocol;

use crate::accounts::{Account, AccountStrategy};
use crate::builtin::{AuthStyle, BUILTINS, Builtin};
use crate::client::Timeouts;

/// Everything needed to call one upstream.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The provider's id.
    pub id: Arc<str>,
    /// The protocol its upstream speaks.
    pub protocol: Protocol,
    /// The upstream base, e.g. `https://api.openai.com/v1`, without a trailing slash.
    pub api_base: String,
    /// The API keys (at least one), tried as `strategy` says.
    pub accounts: Vec<Account>,
    /// How calls are spread over the accounts.
    pub strategy: AccountStrategy,
    /// Timeouts for this upstream; the client's defaults when `None`.
    pub timeouts: Option<Timeouts>,
    /// How the key is sent.
    pub auth: AuthStyle,
    /// Headers sent on every call (e.g. `OpenAI-Organization`).
    pub extra_headers: Vec<(String, String)>,
    /// The built-in provider it is, if any.
    pub builtin: Option<&'static Builtin>,
    /// Where the settings came from, for `bitrouter route` and `providers list`.
    pub source: String,
}

impl ProviderSettings {
    /// Settings for one upstream with a single key, for embedding and tests.
    pub fn single_key(
        id: &str,
        protocol: Protocol,
        api_base: &str,
        auth: AuthStyle,
        api_key: &str,
    ) -> Self {
        Self {
            id: Arc::from(id),
            protocol,
            api_base: api_base.trim_end_matches('/').to_owned(),
            accounts: vec![Account {
                name: "key".to_owned(),
                api_key: api_key.to_owned(),
            }],
            strategy: AccountStrategy::Failover,
            timeouts: None,
            auth,
            extra_headers: Vec::new(),
            builtin: None,
            source: "explicit settings".to_owned(),
        }
    }
}

impl std::fmt::Debug for ProviderSettings {
    // The key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("id", &self.id)
            .field("protocol", &self.protocol)
            .field("api_base", &self.api_base)
            .field("accounts", &self.accounts)
            .field("strategy", &self.strategy)
            .field("source", &self.source)
            .finish()
    }
}

/// Variables that point *clients* at BitRouter. Reading them as upstreams would make
/// BitRouter call itself, so zero-config never does.
pub const CLIENT_SIDE_VARS: &[&str] = &[
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "ANTHROPIC_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
];

/// The providers whose keys are in the environment, read through `env` (so tests can pass a
/// map instead of the process environment). Empty values count as unset.
pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Vec<ProviderSettings> {
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let mut out = Vec::new();
    for b in BUILTINS {
        let Some((var, key)) = b.key_vars.iter().find_map(|v| get(v).map(|k| (*v, k))) else {
            continue;
        };
        let base_var = b.base_var();
        let (api_base, base_source) = match get(&base_var) {
            Some(base) => (
                base.trim().trim_end_matches('/').to_owned(),
                format!(", base from {base_var}"),
            ),
            None => (b.default_base.to_owned(), String::new()),
        };
        let mut extra_headers = Vec::new();
        if b.id == "openai" {
            if let Some(org) = get("OPENAI_ORG_ID") {
                extra_headers.push(("openai-organization".to_owned(), org));
            }
            if let Some(project) = get("OPENAI_PROJECT_ID") {
                extra_headers.push(("openai-project".to_owned(), project));
            }
        }
        out.push(ProviderSettings {
            id: Arc::from(b.id),
            protocol: b.protocol,
            api_base,
            accounts: vec![Account {
                name: var.to_owned(),
                api_key: key.trim().to_owned(),
            }],
            strategy: AccountStrategy::Failover,
            timeouts: None,
            auth: b.auth,
            extra_headers,
            builtin: Some(b),
            source: format!("key from {var}{base_source}"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn keys_switch_providers_on() {
        let found = from_env(&env(&[
            ("OPENAI_API_KEY", "sk-a"),
            ("GOOGLE_API_KEY", "g"),
            ("OPENROUTER_API_KEY", " "),
            ("OPENAI_BASE_URL", "http://127.0.0.1:4356/v1"),
        ]));
        let ids: Vec<_> = found.iter().map(|p| p.id.to_string()).collect();
        assert_eq!(ids, ["openai", "google"]);
        assert_eq!(found[0].api_base, "https://api.openai.com/v1");
        assert_eq!(found[1].source, "key from GOOGLE_API_KEY");
    }

    #[test]
    fn base_override_and_org_headers() {
        let found = from_env(&env(&[
            ("OPENAI_API_KEY", "sk-a"),
            ("BITROUTER_OPENAI_API_BASE", "http://127.0.0.1:9000/v1/"),
            ("OPENAI_ORG_ID", "org-1"),
        ]));
        assert_eq!(found[0].api_base, "http://127.0.0.1:9000/v1");
        assert_eq!(
            found[0].extra_headers,
            [("openai-organization".to_owned(), "org-1".to_owned())]
        );
        assert!(!format!("{:?}", found[0]).contains("sk-a"));
    }
}
