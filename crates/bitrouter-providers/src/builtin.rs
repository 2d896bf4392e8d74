//! The built-in providers: ids, protocols, default upstream bases and the environment
//! variables that switch them on.

use bitrouter_core::Protocol;

/// How an upstream wants its API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>` (OpenAI and compatibles).
    Bearer,
    /// `x-api-key: <key>` (Anthropic).
    XApiKey,
    /// `x-goog-api-key: <key>` (Google).
    XGoogApiKey,
    /// Each protocol's own header: Bearer for OpenAI's protocols, `x-api-key` for Messages,
    /// `x-goog-api-key` for generateContent (gateways that serve all three, like OpenCode).
    PerProtocol,
}

impl AuthStyle {
    /// The header style a call in `protocol` uses.
    pub fn for_protocol(self, protocol: Protocol) -> AuthStyle {
        match (self, protocol) {
            (AuthStyle::PerProtocol, Protocol::AnthropicMessages) => AuthStyle::XApiKey,
            (AuthStyle::PerProtocol, Protocol::GoogleGenerateContent) => AuthStyle::XGoogApiKey,
            (AuthStyle::PerProtocol, Protocol::OpenaiChat | Protocol::OpenaiResponses) => {
                AuthStyle::Bearer
            }
            (style, _) => style,
        }
    }
}

/// Which protocol a gateway serves a model on, for gateways that serve each model on one API
/// only. `pattern` is a model name, or a prefix ending in `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelProtocol {
    /// `claude-*` (a prefix) or `minimax-m2.5` (one model).
    pub pattern: &'static str,
    /// The protocol that model is served on.
    pub protocol: Protocol,
}

impl ModelProtocol {
    /// Whether `model` matches the pattern.
    pub fn matches(&self, model: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => model.starts_with(prefix),
            None => model == self.pattern,
        }
    }
}

/// A provider BitRouter knows without configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// The stable lower-case id.
    pub id: &'static str,
    /// The protocol its upstream speaks by default.
    pub protocol: Protocol,
    /// Other protocols the same base serves; clients speaking them reach them untranslated.
    pub more_protocols: &'static [Protocol],
    /// The upstream base, including the API version prefix; the protocol's path is appended.
    pub default_base: &'static str,
    /// Environment variables holding the API key, first found wins. Empty for sign-in
    /// providers, which are not switched on by the environment.
    pub key_vars: &'static [&'static str],
    /// How the key is sent.
    pub auth: AuthStyle,
    /// Whether it serves models of several vendors as `vendor/model`.
    pub aggregator: bool,
    /// For gateways that serve each model on one protocol: the first matching rule names it,
    /// other models use `protocol`. Empty when every model speaks every protocol listed.
    pub model_protocols: &'static [ModelProtocol],
    /// The models it serves, for listing and bare-name routing, when it is neither a vendor
    /// nor an aggregator (OpenCode's curated lists).
    pub models: &'static [&'static str],
}

impl Builtin {
    /// The variable that overrides the upstream base: `BITROUTER_<ID>_API_BASE` (`-` as `_`).
    pub fn base_var(&self) -> String {
        format!(
            "BITROUTER_{}_API_BASE",
            self.id.to_ascii_uppercase().replace('-', "_")
        )
    }
}

/// Every built-in provider, in routing priority order (first-hand vendors before aggregators).
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        id: "openai",
        protocol: Protocol::OpenaiChat,
        more_protocols: &[Protocol::OpenaiResponses],
        default_base: "https://api.openai.com/v1",
        key_vars: &["OPENAI_API_KEY"],
        auth: AuthStyle::Bearer,
        aggregator: false,
        model_protocols: &[],
        models: &[],
    },
    Builtin {
        id: "anthropic",
        protocol: Protocol::AnthropicMessages,
        more_protocols: &[],
        default_base: "https://api.anthropic.com/v1",
        key_vars: &["ANTHROPIC_API_KEY"],
        auth: AuthStyle::XApiKey,
        aggregator: false,
        model_protocols: &[],
        models: &[],
    },
    Builtin {
        id: "google",
        protocol: Protocol::GoogleGenerateContent,
        more_protocols: &[],
        default_base: "https://generativelanguage.googleapis.com/v1beta",
        key_vars: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        auth: AuthStyle::XGoogApiKey,
        aggregator: false,
        model_protocols: &[],
        models: &[],
    },
    Builtin {
        id: "openrouter",
        protocol: Protocol::OpenaiChat,
        more_protocols: &[Protocol::OpenaiResponses],
        default_base: "https://openrouter.ai/api/v1",
        key_vars: &["OPENROUTER_API_KEY"],
        auth: AuthStyle::Bearer,
        aggregator: true,
        model_protocols: &[],
        models: &[],
    },
    // OpenCode Zen: one key, one base; Claude on Messages, GPT on Responses, Gemini on
    // generateContent, the rest on Chat Completions (opencode.ai/docs/zen, endpoint table).
    Builtin {
        id: "opencode",
        protocol: Protocol::OpenaiChat,
        more_protocols: &[
            Protocol::OpenaiResponses,
            Protocol::AnthropicMessages,
            Protocol::GoogleGenerateContent,
        ],
        default_base: "https://opencode.ai/zen/v1",
        key_vars: &["OPENCODE_API_KEY"],
        auth: AuthStyle::PerProtocol,
        aggregator: false,
        model_protocols: &[
            ModelProtocol {
                pattern: "claude-*",
                protocol: Protocol::AnthropicMessages,
            },
            ModelProtocol {
                pattern: "gpt-*",
                protocol: Protocol::OpenaiResponses,
            },
            ModelProtocol {
                pattern: "gemini-*",
                protocol: Protocol::GoogleGenerateContent,
            },
        ],
        models: &[
            "claude-sonnet-4-5",
            "claude-haiku-4-5",
            "claude-opus-4-1",
            "gpt-5",
            "gpt-5-codex",
            "gemini-3-pro",
            "qwen3-coder",
            "kimi-k2",
            "glm-4.6",
            "grok-code",
            "big-pickle",
        ],
    },
    // OpenCode Go: open models on Chat Completions, MiniMax on Messages
    // (opencode.ai/docs/go, endpoint table).
    Builtin {
        id: "opencode-go",
        protocol: Protocol::OpenaiChat,
        more_protocols: &[Protocol::AnthropicMessages],
        default_base: "https://opencode.ai/zen/go/v1",
        key_vars: &["OPENCODE_API_KEY"],
        auth: AuthStyle::PerProtocol,
        aggregator: false,
        model_protocols: &[ModelProtocol {
            pattern: "minimax-*",
            protocol: Protocol::AnthropicMessages,
        }],
        models: &[
            "glm-5",
            "glm-5.1",
            "kimi-k2.5",
            "kimi-k2.6",
            "deepseek-v4-pro",
            "deepseek-v4-flash",
            "mimo-v2-pro",
            "minimax-m2.5",
            "minimax-m2.7",
        ],
    },
];

/// Ids reserved for built-in providers that need sign-in or a later release; they are never
/// active from the environment alone today, but `id:model` names get a clear error.
pub const RESERVED_IDS: &[&str] = &["bedrock", "copilot", "codex", "claude", "bitrouter"];

/// The built-in provider with this id.
pub fn builtin(id: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opencode_protocol(id: &str, model: &str) -> Protocol {
        let b = builtin(id).unwrap();
        b.model_protocols
            .iter()
            .find(|r| r.matches(model))
            .map_or(b.protocol, |r| r.protocol)
    }

    #[test]
    fn opencode_models_go_to_their_protocol() {
        assert_eq!(
            opencode_protocol("opencode", "claude-sonnet-4-5"),
            Protocol::AnthropicMessages
        );
        assert_eq!(
            opencode_protocol("opencode", "gpt-5-codex"),
            Protocol::OpenaiResponses
        );
        assert_eq!(
            opencode_protocol("opencode", "gemini-3-pro"),
            Protocol::GoogleGenerateContent
        );
        assert_eq!(
            opencode_protocol("opencode", "kimi-k2"),
            Protocol::OpenaiChat
        );
        assert_eq!(
            opencode_protocol("opencode-go", "minimax-m2.5"),
            Protocol::AnthropicMessages
        );
        assert_eq!(
            opencode_protocol("opencode-go", "glm-5"),
            Protocol::OpenaiChat
        );
        assert_eq!(
            builtin("opencode-go").unwrap().base_var(),
            "BITROUTER_OPENCODE_GO_API_BASE"
        );
    }

    #[test]
    fn per_protocol_auth_picks_the_native_header() {
        let a = AuthStyle::PerProtocol;
        assert_eq!(
            a.for_protocol(Protocol::AnthropicMessages),
            AuthStyle::XApiKey
        );
        assert_eq!(
            a.for_protocol(Protocol::GoogleGenerateContent),
            AuthStyle::XGoogApiKey
        );
        assert_eq!(a.for_protocol(Protocol::OpenaiResponses), AuthStyle::Bearer);
        assert_eq!(
            AuthStyle::Bearer.for_protocol(Protocol::AnthropicMessages),
            AuthStyle::Bearer
        );
    }
}
