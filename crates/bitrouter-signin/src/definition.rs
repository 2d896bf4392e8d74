//! The sign-in providers: their OAuth endpoints, client ids, upstream bases and headers.
//!
//! The defaults are those the vendors' own clients use (Copilot's editor plugins, the Codex
//! CLI, Claude Code); none of them is a documented public API, so every endpoint and client
//! id can be overridden from the environment (`BITROUTER_<ID>_CLIENT_ID`, `_DEVICE_URL`,
//! `_AUTHORIZE_URL`, `_TOKEN_URL`, `_REDIRECT_URI`, `_API_BASE`, and for Copilot
//! `BITROUTER_COPILOT_EXCHANGE_URL` and `BITROUTER_COPILOT_USER_URL`; BitRouter Cloud derives
//! everything from `BITROUTER_CLOUD_URL`). Tests point them at a local server.

use bitrouter_core::Protocol;

use crate::auth_client::BodyFormat;
use crate::error::SigninError;

/// Every sign-in provider id, in `providers list` order.
pub const SIGNIN_IDS: &[&str] = &["copilot", "codex", "claude", "bitrouter"];

/// The default BitRouter Cloud address (not confirmed: the service is not public yet).
pub const DEFAULT_CLOUD_URL: &str = "https://cloud.bitrouter.ai";

/// How the user signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// RFC 8628: show a code, the user enters it on another device.
    Device,
    /// RFC 6749 authorization code with RFC 7636 PKCE: open a URL, get a code back.
    Pkce,
}

/// One sign-in provider, with its endpoints resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninDef {
    /// The provider id (`copilot`, `codex`, `claude`, `bitrouter`).
    pub id: &'static str,
    /// What it is, for people.
    pub title: &'static str,
    /// The protocol its upstream speaks.
    pub protocol: Protocol,
    /// The upstream base; the protocol's path is appended (`/chat/completions`, …).
    pub api_base: String,
    /// Whether `api_base` was set explicitly (it then wins over a base the token names).
    pub api_base_overridden: bool,
    /// How the user signs in.
    pub flow: Flow,
    /// The OAuth client id.
    pub client_id: String,
    /// Space-separated scopes.
    pub scope: String,
    /// The RFC 8628 device authorization endpoint (device flow).
    pub device_url: String,
    /// The authorization endpoint (PKCE).
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The registered redirect URI (PKCE).
    pub redirect_uri: String,
    /// Extra authorization URL parameters.
    pub authorize_extra: Vec<(String, String)>,
    /// How token requests are written.
    pub token_format: BodyFormat,
    /// Copilot: where the GitHub token is exchanged for a Copilot token.
    pub exchange_url: Option<String>,
    /// Where to ask who signed in (GitHub's `/user`).
    pub user_url: Option<String>,
    /// Headers sent upstream on every call (and on the Copilot exchange).
    pub headers: Vec<(String, String)>,
    /// Whether `bitrouter login` listens on the redirect URI's loopback port by default.
    pub listen_by_default: bool,
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The editor headers Copilot's API expects from an editor integration.
const COPILOT_HEADERS: &[(&str, &str)] = &[
    ("editor-version", "vscode/1.99.3"),
    ("editor-plugin-version", "copilot-chat/0.26.7"),
    ("copilot-integration-id", "vscode-chat"),
    ("user-agent", "GitHubCopilotChat/0.26.7"),
];

impl SigninDef {
    /// The provider `id`, its defaults overridden by variables read through `env`.
    pub fn resolve(id: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, SigninError> {
        let mut def = match id {
            "copilot" => Self::copilot(),
            "codex" => Self::codex(),
            "claude" => Self::claude(),
            "bitrouter" => {
                let cloud = env("BITROUTER_CLOUD_URL").filter(|v| !v.trim().is_empty());
                Self::bitrouter(cloud.as_deref().unwrap_or(DEFAULT_CLOUD_URL))
            }
            other => {
                return Err(SigninError::Config(format!(
                    "`{other}` is not a sign-in provider; choose one of {}",
                    SIGNIN_IDS.join(", ")
                )));
            }
        };
        let var = |suffix: &str| {
            env(&format!(
                "BITROUTER_{}_{suffix}",
                def.id.to_ascii_uppercase()
            ))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
        };
        if let Some(v) = var("CLIENT_ID") {
            def.client_id = v;
        }
        if let Some(v) = var("DEVICE_URL") {
            def.device_url = v;
        }
        if let Some(v) = var("AUTHORIZE_URL") {
            def.authorize_url = v;
        }
        if let Some(v) = var("TOKEN_URL") {
            def.token_url = v;
        }
        if let Some(v) = var("REDIRECT_URI") {
            def.redirect_uri = v;
        }
        if let Some(v) = var("API_BASE") {
            def.api_base = v.trim_end_matches('/').to_owned();
            def.api_base_overridden = true;
        }
        // Only Copilot has a token exchange and a user lookup to move.
        if def.exchange_url.is_some() {
            if let Some(v) = var("EXCHANGE_URL") {
                def.exchange_url = Some(v);
            }
            if let Some(v) = var("USER_URL") {
                def.user_url = Some(v);
            }
        }
        Ok(def)
    }

    /// GitHub Copilot: GitHub's device flow with the Copilot editor plugins' OAuth app, then
    /// the Copilot token exchange.
    pub fn copilot() -> Self {
        Self {
            id: "copilot",
            title: "GitHub Copilot (device flow with GitHub)",
            protocol: Protocol::OpenaiChat,
            api_base: "https://api.githubcopilot.com".into(),
            api_base_overridden: false,
            flow: Flow::Device,
            client_id: "Iv1.b507a08c87ecfe98".into(),
            scope: "read:user".into(),
            device_url: "https://github.com/login/device/code".into(),
            authorize_url: String::new(),
            token_url: "https://github.com/login/oauth/access_token".into(),
            redirect_uri: String::new(),
            authorize_extra: Vec::new(),
            token_format: BodyFormat::Form,
            exchange_url: Some("https://api.github.com/copilot_internal/v2/token".into()),
            user_url: Some("https://api.github.com/user".into()),
            headers: pairs(COPILOT_HEADERS),
            listen_by_default: false,
        }
    }

    /// ChatGPT Codex: the Codex CLI's OAuth app at auth.openai.com, served through the
    /// Responses protocol at chatgpt.com's Codex backend.
    pub fn codex() -> Self {
        Self {
            id: "codex",
            title: "ChatGPT Codex (ChatGPT Plus/Pro subscription)",
            protocol: Protocol::OpenaiResponses,
            api_base: "https://chatgpt.com/backend-api/codex".into(),
            api_base_overridden: false,
            flow: Flow::Pkce,
            client_id: "app_EMoamEEZ73f0CkXaXp7hrann".into(),
            scope: "openid profile email offline_access".into(),
            device_url: String::new(),
            authorize_url: "https://auth.openai.com/oauth/authorize".into(),
            token_url: "https://auth.openai.com/oauth/token".into(),
            // The only redirect registered for this client; the port is fixed.
            redirect_uri: "http://localhost:1455/auth/callback".into(),
            authorize_extra: pairs(&[
                ("id_token_add_organizations", "true"),
                ("codex_cli_simplified_flow", "true"),
            ]),
            token_format: BodyFormat::Form,
            exchange_url: None,
            user_url: None,
            headers: pairs(&[
                ("openai-beta", "responses=experimental"),
                ("originator", "codex_cli_rs"),
            ]),
            listen_by_default: true,
        }
    }

    /// Claude Pro/Max: Claude Code's OAuth app, served through Messages with a Bearer token.
    pub fn claude() -> Self {
        Self {
            id: "claude",
            title: "Anthropic Claude Pro/Max subscription",
            protocol: Protocol::AnthropicMessages,
            api_base: "https://api.anthropic.com/v1".into(),
            api_base_overridden: false,
            flow: Flow::Pkce,
            client_id: "9d1c250a-e61b-44d9-88ed-5944d1962f5e".into(),
            scope: "org:create_api_key user:profile user:inference".into(),
            device_url: String::new(),
            authorize_url: "https://claude.ai/oauth/authorize".into(),
            token_url: "https://console.anthropic.com/v1/oauth/token".into(),
            // Anthropic's page shows `code#state` to paste back: no local listener needed.
            redirect_uri: "https://console.anthropic.com/oauth/code/callback".into(),
            authorize_extra: pairs(&[("code", "true")]),
            token_format: BodyFormat::Json,
            exchange_url: None,
            user_url: None,
            headers: Vec::new(),
            listen_by_default: false,
        }
    }

    /// BitRouter Cloud at `cloud_url`: RFC 8628 device flow, OpenAI Chat Completions upstream.
    pub fn bitrouter(cloud_url: &str) -> Self {
        let cloud = cloud_url.trim().trim_end_matches('/');
        Self {
            id: "bitrouter",
            title: "BitRouter Cloud",
            protocol: Protocol::OpenaiChat,
            api_base: format!("{cloud}/v1"),
            api_base_overridden: false,
            flow: Flow::Device,
            client_id: "bitrouter-cli".into(),
            scope: "openid profile offline_access".into(),
            device_url: format!("{cloud}/oauth/device/code"),
            authorize_url: String::new(),
            token_url: format!("{cloud}/oauth/token"),
            redirect_uri: String::new(),
            authorize_extra: Vec::new(),
            token_format: BodyFormat::Form,
            exchange_url: None,
            user_url: None,
            headers: Vec::new(),
            listen_by_default: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn environment_overrides_endpoints() {
        let vars: HashMap<&str, &str> = [
            ("BITROUTER_CODEX_TOKEN_URL", "http://127.0.0.1:9/token"),
            ("BITROUTER_CODEX_API_BASE", "http://127.0.0.1:9/codex/"),
            ("BITROUTER_CLOUD_URL", "http://127.0.0.1:7/"),
        ]
        .into();
        let env = |k: &str| vars.get(k).map(|v| (*v).to_owned());
        let codex = SigninDef::resolve("codex", &env).unwrap();
        assert_eq!(codex.token_url, "http://127.0.0.1:9/token");
        assert_eq!(codex.api_base, "http://127.0.0.1:9/codex");
        assert!(codex.api_base_overridden);
        assert_eq!(
            codex.authorize_url,
            "https://auth.openai.com/oauth/authorize"
        );
        let cloud = SigninDef::resolve("bitrouter", &env).unwrap();
        assert_eq!(cloud.device_url, "http://127.0.0.1:7/oauth/device/code");
        assert_eq!(cloud.api_base, "http://127.0.0.1:7/v1");
        let e = SigninDef::resolve("openai", &env).unwrap_err().to_string();
        assert!(e.contains("copilot, codex, claude, bitrouter"), "{e}");
    }
}
