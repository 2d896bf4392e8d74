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
    /// Headers sent on every call (e.g. `OpenAI-Organization`). A client's own value of a
    /// header it may forward (`HTTP-Referer`, `anthropic-beta`) wins over these.
    pub extra_headers: Vec<(String, String)>,
    /// For gateways that serve each model on one protocol: `(pattern, protocol)` rules, the
    /// first match wins; a pattern is a model name or a prefix ending in `*`. When not empty,
    /// every call goes out in the matching protocol, or in `protocol` when none matches.
    pub model_protocols: Vec<(String, Protocol)>,
    /// Models it serves beyond the catalog's families (a built-in's curated list, models
    /// discovered at start-up, a local server's), for listing and bare-name routing.
    pub models: Vec<String>,
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
            model_protocols: Vec::new(),
            models: Vec::new(),
            builtin: None,
            source: "explicit settings".to_owned(),
        }
    }

    /// The protocol a call for `model` goes out in, given the one routing chose.
    pub fn protocol_for(&self, model: &str, routed: Protocol) -> Protocol {
        if self.model_protocols.is_empty() {
            return routed;
        }
        self.model_protocols
            .iter()
            .find(|(pattern, _)| match pattern.strip_suffix('*') {
                Some(prefix) => model.starts_with(prefix),
                None => model == pattern,
            })
            .map_or(self.protocol, |(_, p)| *p)
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
        let extra_headers = builtin_headers(b, &get);
        let model_protocols = match model_protocols_from(b, &get) {
            Ok(rules) => rules,
            Err(e) => {
                tracing::warn!("{e}; using the built-in table");
                builtin_model_protocols(b)
            }
        };
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
            model_protocols,
            models: b.models.iter().map(|m| (*m).to_owned()).collect(),
            builtin: Some(b),
            source: format!("key from {var}{base_source}"),
        });
    }
    out
}

/// Where OpenRouter's attribution headers point by default.
pub const OPENROUTER_REFERER: &str = "https://github.com/bitrouter/bitrouter";
/// The app name OpenRouter shows by default.
pub const OPENROUTER_TITLE: &str = "BitRouter";

/// Headers a built-in sends on every call, from the environment.
fn builtin_headers(b: &Builtin, get: &dyn Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match b.id {
        "openai" => {
            if let Some(org) = get("OPENAI_ORG_ID") {
                out.push(("openai-organization".to_owned(), org.trim().to_owned()));
            }
            if let Some(project) = get("OPENAI_PROJECT_ID") {
                out.push(("openai-project".to_owned(), project.trim().to_owned()));
            }
        }
        "openrouter" => {
            // App attribution (openrouter.ai/docs/app-attribution); a client's own values win.
            let referer = get("OPENROUTER_HTTP_REFERER").unwrap_or(OPENROUTER_REFERER.into());
            let title = get("OPENROUTER_X_TITLE").unwrap_or(OPENROUTER_TITLE.into());
            out.push(("http-referer".to_owned(), referer.trim().to_owned()));
            out.push(("x-title".to_owned(), title.trim().to_owned()));
        }
        _ => {}
    }
    out
}

fn builtin_model_protocols(b: &Builtin) -> Vec<(String, Protocol)> {
    b.model_protocols
        .iter()
        .map(|r| (r.pattern.to_owned(), r.protocol))
        .collect()
}

/// The built-in's model→protocol table, after the rules in
/// `BITROUTER_<ID>_MODEL_PROTOCOLS` (`pattern=protocol,…`, e.g. `qwen*=anthropic_messages`),
/// which come first so they win.
fn model_protocols_from(
    b: &Builtin,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, Protocol)>, String> {
    let var = format!(
        "BITROUTER_{}_MODEL_PROTOCOLS",
        b.id.to_ascii_uppercase().replace('-', "_")
    );
    let mut rules = Vec::new();
    if let Some(list) = get(&var) {
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let Some((pattern, name)) = item.split_once('=') else {
                return Err(format!("{var}: `{item}` is not `pattern=protocol`"));
            };
            let protocol: Protocol = serde_json::from_value(serde_json::Value::String(
                name.trim().to_owned(),
            ))
            .map_err(|_| {
                format!(
                    "{var}: `{}` is not a protocol (openai_chat, openai_responses, anthropic_messages, google_generate_content)",
                    name.trim()
                )
            })?;
            rules.push((pattern.trim().to_owned(), protocol));
        }
    }
    rules.extend(builtin_model_protocols(b));
    Ok(rules)
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

    #[test]
    fn openrouter_attribution_defaults_and_overrides() {
        let found = from_env(&env(&[("OPENROUTER_API_KEY", "or")]));
        assert_eq!(
            found[0].extra_headers,
            [
                ("http-referer".to_owned(), OPENROUTER_REFERER.to_owned()),
                ("x-title".to_owned(), "BitRouter".to_owned())
            ]
        );
        let found = from_env(&env(&[
            ("OPENROUTER_API_KEY", "or"),
            ("OPENROUTER_HTTP_REFERER", "https://example.org"),
            ("OPENROUTER_X_TITLE", "Mine"),
        ]));
        assert_eq!(found[0].extra_headers[0].1, "https://example.org");
        assert_eq!(found[0].extra_headers[1].1, "Mine");
    }

    #[test]
    fn opencode_table_and_its_override() {
        let found = from_env(&env(&[
            ("OPENCODE_API_KEY", "oc"),
            (
                "BITROUTER_OPENCODE_GO_MODEL_PROTOCOLS",
                "qwen*=anthropic_messages",
            ),
        ]));
        let ids: Vec<_> = found.iter().map(|p| p.id.to_string()).collect();
        assert_eq!(ids, ["opencode", "opencode-go"]);
        let zen = &found[0];
        assert_eq!(
            zen.protocol_for("claude-haiku-4-5", Protocol::OpenaiChat),
            Protocol::AnthropicMessages
        );
        assert_eq!(
            zen.protocol_for("kimi-k2", Protocol::AnthropicMessages),
            Protocol::OpenaiChat,
            "a model no rule names goes to the default protocol, whatever the client spoke"
        );
        let go = &found[1];
        assert_eq!(
            go.protocol_for("qwen3.6-plus", Protocol::OpenaiChat),
            Protocol::AnthropicMessages
        );
        assert_eq!(
            go.protocol_for("minimax-m2.5", Protocol::OpenaiChat),
            Protocol::AnthropicMessages
        );
        let plain = ProviderSettings::single_key(
            "x",
            Protocol::OpenaiChat,
            "http://h/v1",
            AuthStyle::Bearer,
            "k",
        );
        assert_eq!(
            plain.protocol_for("m", Protocol::OpenaiResponses),
            Protocol::OpenaiResponses
        );
    }
}
