//! Errors of providers and routers, with the facts fallback decides on.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

use crate::protocol::Protocol;

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Opening the connection.
    Connect,
    /// Waiting for the response head (or, for streams, the first byte).
    FirstByte,
    /// Waiting between two chunks of a stream.
    Idle,
    /// The whole call.
    Total,
}

impl TimeoutPhase {
    /// A short lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TimeoutPhase::Connect => "connect",
            TimeoutPhase::FirstByte => "first byte",
            TimeoutPhase::Idle => "idle between chunks",
            TimeoutPhase::Total => "total",
        }
    }
}

/// A call to an upstream that did not produce an answer.
///
/// Each variant says whether another target may be tried ([`ProviderError::is_retryable`]) and
/// which HTTP status the client should see ([`ProviderError::status`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The upstream could not be reached (DNS, refused, reset before an answer, TLS).
    #[error("could not reach the upstream: {message}")]
    Connect {
        /// What failed.
        message: String,
    },
    /// The upstream took too long.
    #[error("the upstream did not answer in time ({} timeout of {after:?})", phase.as_str())]
    Timeout {
        /// Which wait ran out.
        phase: TimeoutPhase,
        /// The limit that was exceeded.
        after: Duration,
    },
    /// The upstream answered with an error status.
    #[error("the upstream answered {status}")]
    Status {
        /// The upstream's status.
        status: StatusCode,
        /// The upstream's body, verbatim.
        body: Bytes,
        /// The protocol the body is written in.
        protocol: Protocol,
        /// The upstream's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// The upstream answered something that is not its protocol (bad JSON, bad SSE).
    #[error("the upstream sent an invalid answer: {message}")]
    InvalidResponse {
        /// What was wrong.
        message: String,
    },
    /// A stream broke after it began (connection dropped, error event from the upstream).
    #[error("the upstream stream failed: {message}")]
    Stream {
        /// What happened.
        message: String,
    },
    /// BitRouter did not try the upstream: its circuit is open after repeated failures.
    #[error("skipped: {message}")]
    Unavailable {
        /// Why, and for how long.
        message: String,
    },
    /// The request cannot be expressed in the upstream's protocol.
    #[error("{message}")]
    Unsupported {
        /// What is missing.
        message: String,
    },
    /// The provider is misconfigured (missing key, bad base URL).
    #[error("provider misconfigured: {message}")]
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl ProviderError {
    /// Whether the next target in a fallback chain should be tried: connection failures,
    /// timeouts, 408, 429, 5xx and quota or credit exhaustion are the upstream's (or the
    /// account's) trouble; any other 4xx means the request itself is wrong and would fail
    /// everywhere.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::Connect { .. } | ProviderError::Timeout { .. } => true,
            ProviderError::Status { status, .. } => {
                *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || status.is_server_error()
                    || self.is_quota_exhausted()
            }
            ProviderError::InvalidResponse { .. }
            | ProviderError::Stream { .. }
            | ProviderError::Unavailable { .. } => true,
            ProviderError::Unsupported { .. } | ProviderError::Config { .. } => false,
        }
    }

    /// Whether the upstream said the account is out of quota or credit (402, or a 4xx whose
    /// body says so, as Anthropic's "credit balance is too low" 400 and OpenAI's
    /// `insufficient_quota` 429 do).
    pub fn is_quota_exhausted(&self) -> bool {
        match self {
            ProviderError::Status { status, body, .. } => {
                *status == StatusCode::PAYMENT_REQUIRED
                    || (status.is_client_error() && is_quota_body(body))
            }
            _ => false,
        }
    }

    /// The status the client should see for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ProviderError::Connect { .. } | ProviderError::InvalidResponse { .. } => {
                StatusCode::BAD_GATEWAY
            }
            ProviderError::Stream { .. } => StatusCode::BAD_GATEWAY,
            ProviderError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ProviderError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ProviderError::Status { status, .. } => *status,
            ProviderError::Unsupported { .. } => StatusCode::BAD_REQUEST,
            ProviderError::Config { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short label for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::Connect { .. } => "connect",
            ProviderError::Timeout { .. } => "timeout",
            ProviderError::Status { .. } => "status",
            ProviderError::InvalidResponse { .. } => "invalid_response",
            ProviderError::Stream { .. } => "stream",
            ProviderError::Unavailable { .. } => "unavailable",
            ProviderError::Unsupported { .. } => "unsupported",
            ProviderError::Config { .. } => "config",
        }
    }
}

/// Markers of quota or credit exhaustion in upstream error bodies.
const QUOTA_MARKERS: &[&[u8]] = &[
    b"insufficient_quota",
    b"credit balance",
    b"billing_error",
    b"quota exceeded",
    b"exceeded your current quota",
    b"RESOURCE_EXHAUSTED",
    b"insufficient credits",
    b"out of credits",
];

fn is_quota_body(body: &[u8]) -> bool {
    // Error bodies are small; a linear scan per marker is cheap and runs only on errors.
    QUOTA_MARKERS
        .iter()
        .any(|m| body.windows(m.len()).any(|w| w.eq_ignore_ascii_case(m)))
}

/// A model name that cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No provider serves the model.
    #[error("{}", unknown_model_message(model, active))]
    UnknownModel {
        /// The name the client asked for.
        model: String,
        /// The providers that are active, to say what is available.
        active: Vec<String>,
    },
    /// `provider:model` named a provider that is not active.
    #[error("{}", unknown_provider_message(provider, active))]
    UnknownProvider {
        /// The provider named.
        provider: String,
        /// The providers that are active.
        active: Vec<String>,
    },
    /// Every target of a virtual model would cost more than its cap for this request.
    #[error("{message}")]
    OverCostCap {
        /// The virtual model.
        model: String,
        /// What the cap is, what the cheapest target would cost, and what to do.
        message: String,
    },
    /// The request named no model.
    #[error("the request names no model: set the `model` field, e.g. \"openai:gpt-4o-mini\"")]
    MissingModel,
}

fn active_list(active: &[String]) -> String {
    if active.is_empty() {
        "no provider is active: export an API key such as OPENAI_API_KEY or ANTHROPIC_API_KEY, \
         or configure one in bitrouter.yaml"
            .to_owned()
    } else {
        format!("active providers: {}", active.join(", "))
    }
}

fn unknown_model_message(model: &str, active: &[String]) -> String {
    format!(
        "model `{model}` is not served by any active provider; name it as `provider:model` \
         to route it directly ({})",
        active_list(active)
    )
}

fn unknown_provider_message(provider: &str, active: &[String]) -> String {
    format!(
        "provider `{provider}` is not active ({})",
        active_list(active)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> ProviderError {
        ProviderError::Status {
            status: StatusCode::from_u16(code).unwrap(),
            body: Bytes::new(),
            protocol: Protocol::OpenaiChat,
            retry_after: None,
        }
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504, 529] {
            assert!(status(code).is_retryable(), "{code} should fall back");
        }
        for code in [400, 401, 403, 404, 413, 422] {
            assert!(!status(code).is_retryable(), "{code} should not fall back");
        }
    }

    #[test]
    fn quota_exhaustion_falls_back_whatever_the_status() {
        let with = |code: u16, body: &'static str| ProviderError::Status {
            status: StatusCode::from_u16(code).unwrap(),
            body: Bytes::from_static(body.as_bytes()),
            protocol: Protocol::AnthropicMessages,
            retry_after: None,
        };
        let anthropic = with(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#,
        );
        assert!(anthropic.is_retryable() && anthropic.is_quota_exhausted());
        assert!(with(402, "{}").is_retryable());
        assert!(with(403, r#"{"error":{"status":"RESOURCE_EXHAUSTED"}}"#).is_retryable());
        assert!(
            !with(
                400,
                r#"{"error":{"message":"max_tokens: must be positive"}}"#
            )
            .is_retryable()
        );
    }

    #[test]
    fn unknown_model_names_active_providers() {
        let e = RouteError::UnknownModel {
            model: "nope".into(),
            active: vec!["openai".into(), "openrouter".into()],
        };
        let msg = e.to_string();
        assert!(
            msg.contains("`nope`") && msg.contains("openai, openrouter"),
            "{msg}"
        );
    }
}
