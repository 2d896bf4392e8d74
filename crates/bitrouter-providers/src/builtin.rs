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
}

impl Builtin {
    /// The variable that overrides the upstream base: `BITROUTER_<ID>_API_BASE`.
    pub fn base_var(&self) -> String {
        format!("BITROUTER_{}_API_BASE", self.id.to_ascii_uppercase())
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
    },
    Builtin {
        id: "anthropic",
        protocol: Protocol::AnthropicMessages,
        more_protocols: &[],
        default_base: "https://api.anthropic.com/v1",
        key_vars: &["ANTHROPIC_API_KEY"],
        auth: AuthStyle::XApiKey,
        aggregator: false,
    },
    Builtin {
        id: "google",
        protocol: Protocol::GoogleGenerateContent,
        more_protocols: &[],
        default_base: "https://generativelanguage.googleapis.com/v1beta",
        key_vars: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        auth: AuthStyle::XGoogApiKey,
        aggregator: false,
    },
    Builtin {
        id: "openrouter",
        protocol: Protocol::OpenaiChat,
        more_protocols: &[Protocol::OpenaiResponses],
        default_base: "https://openrouter.ai/api/v1",
        key_vars: &["OPENROUTER_API_KEY"],
        auth: AuthStyle::Bearer,
        aggregator: true,
    },
];

/// Ids reserved for built-in providers that need sign-in or a later release; they are never
/// active from the environment alone today, but `id:model` names get a clear error.
pub const RESERVED_IDS: &[&str] = &[
    "opencode",
    "bedrock",
    "copilot",
    "codex",
    "claude",
    "bitrouter",
];

/// The built-in provider with this id.
pub fn builtin(id: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.id == id)
}
