//! The `guardrails:` section of `bitrouter.yaml`: a list of rules.

use serde::{Deserialize, Serialize};

/// The `guardrails:` section: the rules, applied in the order written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GuardrailsConfig {
    /// The rules.
    pub rules: Vec<RuleConfig>,
}

/// One rule: what to look for, where, on which calls, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule's name, unique in the section; findings, metrics and block messages use it.
    pub name: String,
    /// What it looks for.
    pub detector: DetectorConfig,
    /// Which way it looks: at requests, answers, or both.
    #[serde(default)]
    pub direction: Direction,
    /// Where in the call it looks; empty means everywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope_in: Vec<Location>,
    /// What it does with a match.
    pub action: Action,
    /// The text put in place of a redacted match; `[REDACTED:<name>]` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Which calls it applies to; all calls by default.
    #[serde(default)]
    pub applies_to: AppliesTo,
}

impl RuleConfig {
    /// The text put in place of a redacted match.
    pub fn placeholder(&self) -> String {
        self.placeholder
            .clone()
            .unwrap_or_else(|| format!("[REDACTED:{}]", self.name))
    }

    /// Whether the rule looks at `location`.
    pub fn looks_in(&self, location: Location) -> bool {
        self.scope_in.is_empty() || self.scope_in.contains(&location)
    }
}

/// What a rule looks for: `{builtin: email}`, `{regex: "..."}` or `{deny: [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DetectorFields", into = "DetectorFields")]
pub enum DetectorConfig {
    /// A built-in detector.
    Builtin(Builtin),
    /// A regular expression (Rust `regex` syntax).
    Regex(String),
    /// Words or phrases, matched case-insensitively (ASCII) and as whole words.
    Deny(Vec<String>),
}

/// The written form of a detector: a map with exactly one of its keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    builtin: Option<Builtin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deny: Option<Vec<String>>,
}

impl TryFrom<DetectorFields> for DetectorConfig {
    type Error = String;

    fn try_from(f: DetectorFields) -> Result<Self, String> {
        match (f.builtin, f.regex, f.deny) {
            (Some(b), None, None) => Ok(DetectorConfig::Builtin(b)),
            (None, Some(r), None) => Ok(DetectorConfig::Regex(r)),
            (None, None, Some(d)) => Ok(DetectorConfig::Deny(d)),
            _ => Err("a detector needs exactly one of `builtin`, `regex` or `deny`".to_owned()),
        }
    }
}

impl From<DetectorConfig> for DetectorFields {
    fn from(d: DetectorConfig) -> Self {
        match d {
            DetectorConfig::Builtin(b) => DetectorFields {
                builtin: Some(b),
                ..Self::default()
            },
            DetectorConfig::Regex(r) => DetectorFields {
                regex: Some(r),
                ..Self::default()
            },
            DetectorConfig::Deny(d) => DetectorFields {
                deny: Some(d),
                ..Self::default()
            },
        }
    }
}

/// The built-in detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// E-mail addresses.
    Email,
    /// Phone numbers: international `+` numbers and North American numbers with separators.
    Phone,
    /// Payment card numbers of 13–19 digits that pass the Luhn check.
    CreditCard,
    /// International bank account numbers that pass the mod-97 check.
    Iban,
    /// US social security numbers (`123-45-6789`) with a valid area, group and serial.
    UsSsn,
    /// IPv4 and IPv6 addresses.
    IpAddress,
    /// Credentials: cloud provider keys, private key blocks, JWTs, API keys of common services
    /// and of the upstream model providers.
    Secrets,
}

impl Builtin {
    /// The name used in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            Builtin::Email => "email",
            Builtin::Phone => "phone",
            Builtin::CreditCard => "credit_card",
            Builtin::Iban => "iban",
            Builtin::UsSsn => "us_ssn",
            Builtin::IpAddress => "ip_address",
            Builtin::Secrets => "secrets",
        }
    }

    /// Every built-in detector.
    pub const ALL: [Builtin; 7] = [
        Builtin::Email,
        Builtin::Phone,
        Builtin::CreditCard,
        Builtin::Iban,
        Builtin::UsSsn,
        Builtin::IpAddress,
        Builtin::Secrets,
    ];
}

/// Which way a rule looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// At requests on their way upstream.
    Request,
    /// At answers (complete or streamed) on their way to the client.
    Response,
    /// Both ways.
    #[default]
    Both,
}

impl Direction {
    /// Whether a rule of this direction looks at calls going `way`.
    pub fn covers(self, way: Way) -> bool {
        matches!(
            (self, way),
            (Direction::Both, _)
                | (Direction::Request, Way::Request)
                | (Direction::Response, Way::Response)
        )
    }
}

/// The way a call is going when a rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    /// The request, before it goes upstream.
    Request,
    /// The answer, before the client sees it.
    Response,
}

impl Way {
    /// `request` or `response`, for labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Way::Request => "request",
            Way::Response => "response",
        }
    }
}

/// Where in a call a rule looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// The text of system messages.
    System,
    /// The text of user and assistant messages, and of the answer.
    Messages,
    /// The JSON arguments of tool calls.
    ToolArguments,
    /// The text of tool results.
    ToolResults,
}

impl Location {
    /// The name used in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::System => "system",
            Location::Messages => "messages",
            Location::ToolArguments => "tool_arguments",
            Location::ToolResults => "tool_results",
        }
    }
}

/// What a rule does with a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Record a finding and let the call pass unchanged.
    Inspect,
    /// Replace the match with the rule's placeholder.
    Redact,
    /// Refuse the request, or end the stream with the protocol's error event.
    Block,
}

impl Action {
    /// `inspect`, `redact` or `block`, for labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Inspect => "inspect",
            Action::Redact => "redact",
            Action::Block => "block",
        }
    }
}

/// Which calls a rule applies to. Each non-empty list must match; an empty one matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    /// Model-name patterns (`*` any run, `?` one character) of the model the client asked for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// BitRouter API key ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// End-user ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}
