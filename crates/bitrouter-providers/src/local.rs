//! Local model servers zero-config looks for: Ollama and LM Studio on their default loopback
//! ports, both speaking Chat Completions under `/v1` and wanting no key.
//!
//! `BITROUTER_NO_LOCAL_PROBE=1` skips the probe; `BITROUTER_OLLAMA_API_BASE` and
//! `BITROUTER_LMSTUDIO_API_BASE` move it (tests point them at fakes).

use std::sync::Arc;
use std::time::Duration;

use bitrouter_core::Protocol;

use crate::accounts::{Account, AccountStrategy};
use crate::builtin::AuthStyle;
use crate::settings::ProviderSettings;

/// How long a local server may take to list its models before start-up goes on without it.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

/// The servers probed: id and default base.
pub const LOCAL_SERVERS: &[(&str, &str)] = &[
    ("ollama", "http://127.0.0.1:11434/v1"),
    ("lmstudio", "http://127.0.0.1:1234/v1"),
];

/// Settings for each local server to probe, unless the probe is switched off.
pub(crate) fn candidates(env: &dyn Fn(&str) -> Option<String>) -> Vec<ProviderSettings> {
    let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if get("BITROUTER_NO_LOCAL_PROBE").is_some_and(|v| v.trim() != "0") {
        return Vec::new();
    }
    LOCAL_SERVERS
        .iter()
        .map(|(id, default_base)| {
            let var = format!("BITROUTER_{}_API_BASE", id.to_ascii_uppercase());
            let api_base = get(&var).map_or_else(
                || (*default_base).to_owned(),
                |b| b.trim().trim_end_matches('/').to_owned(),
            );
            ProviderSettings {
                id: Arc::from(*id),
                protocol: Protocol::OpenaiChat,
                source: format!("local server answering on {api_base}"),
                api_base,
                accounts: vec![Account {
                    name: "none".to_owned(),
                    api_key: String::new(),
                }],
                strategy: AccountStrategy::Failover,
                timeouts: None,
                auth: AuthStyle::Bearer,
                extra_headers: Vec::new(),
                model_protocols: Vec::new(),
                models: Vec::new(),
                builtin: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_can_be_skipped_and_moved() {
        let off = |k: &str| (k == "BITROUTER_NO_LOCAL_PROBE").then(|| "1".to_owned());
        assert!(candidates(&off).is_empty());
        let moved = |k: &str| {
            (k == "BITROUTER_LMSTUDIO_API_BASE").then(|| "http://127.0.0.1:9/v1/".to_owned())
        };
        let found = candidates(&moved);
        assert_eq!(found[0].api_base, "http://127.0.0.1:11434/v1");
        assert_eq!(found[1].id.as_ref(), "lmstudio");
        assert_eq!(found[1].api_base, "http://127.0.0.1:9/v1");
        assert_eq!(found[1].accounts[0].api_key, "");
    }
}
