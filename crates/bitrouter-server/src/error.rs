//! The one place where errors become HTTP responses, in the client's own protocol shape.

use std::sync::Arc;
use std::time::Duration;

use bitrouter_core::{Protocol, ProviderError, RouteError};
use bitrouter_protocols::{ErrorInfo, error_body, error_message};
use http::header::{HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};

use crate::body::{Body, json};
use crate::call::FailedAttempt;

/// Why a call got no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GatewayError {
    /// The request is malformed.
    #[error("{message}")]
    BadRequest {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No such endpoint.
    #[error("{message}")]
    NotFound {
        /// What was asked for.
        message: String,
    },
    /// The body is over the limit.
    #[error("the request body is larger than the limit of {limit} bytes; send a smaller request")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The model name did not resolve.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// The only target, or a target whose error is final, failed.
    #[error("provider `{provider}`: {}", describe_provider_error(error))]
    Upstream {
        /// The provider that failed.
        provider: Arc<str>,
        /// How.
        error: ProviderError,
    },
    /// Every target in the chain failed with a retryable error.
    #[error("{}", all_failed_message(attempts))]
    AllFailed {
        /// Each attempt, in order.
        attempts: Vec<FailedAttempt>,
    },
    /// A guardrail refused the call.
    #[error("blocked by guardrail `{guardrail}`: {reason}")]
    Blocked {
        /// The guardrail's name.
        guardrail: String,
        /// Its reason.
        reason: String,
    },
    /// Virtual-key checks refused the call: 401 (missing, unknown, revoked, expired), 403
    /// (model not allowed), 402 (over budget), 429 (over a rate limit), 503 (limits store down).
    #[error("{message}")]
    Auth {
        /// The status.
        status: u16,
        /// The machine-readable code.
        code: &'static str,
        /// What is wrong and what to do.
        message: String,
        /// Seconds to wait, for 429 and 503.
        retry_after: Option<u64>,
    },
    /// The request came from this very BitRouter: a provider's base points back at it.
    #[error(
        "routing loop: this request came from BitRouter itself. A provider's api_base points at this \
         BitRouter (check BITROUTER_<PROVIDER>_API_BASE); the agent-side OPENAI_BASE_URL must not be used as an upstream"
    )]
    LoopDetected,
    /// A bug or an impossible state.
    #[error("internal error: {message}")]
    Internal {
        /// What happened.
        message: String,
    },
}

fn all_failed_message(attempts: &[FailedAttempt]) -> String {
    let mut out = String::from("every provider for this model failed: ");
    for (i, a) in attempts.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(&format!(
            "{}:{} -> {}",
            a.target.provider,
            a.target.model,
            describe_provider_error(&a.error)
        ));
    }
    out
}

/// A provider error in words, with the upstream's own message when it sent one.
fn describe_provider_error(e: &ProviderError) -> String {
    match e {
        ProviderError::Status {
            status,
            body,
            protocol,
            ..
        } => match error_message(*protocol, body) {
            Some(m) => format!("the upstream answered {status}: {m}"),
            None => format!("the upstream answered {status}"),
        },
        other => other.to_string(),
    }
}

impl GatewayError {
    /// The status the client sees.
    pub fn status(&self) -> StatusCode {
        match self {
            GatewayError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            GatewayError::NotFound { .. } => StatusCode::NOT_FOUND,
            GatewayError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            GatewayError::Route(RouteError::MissingModel | RouteError::OverCostCap { .. }) => {
                StatusCode::BAD_REQUEST
            }
            GatewayError::Route(_) => StatusCode::NOT_FOUND,
            GatewayError::Upstream { error, .. } => error.status(),
            GatewayError::AllFailed { attempts } => attempts
                .last()
                .map_or(StatusCode::BAD_GATEWAY, |a| a.error.status()),
            GatewayError::Blocked { .. } => StatusCode::BAD_REQUEST,
            GatewayError::LoopDetected => StatusCode::LOOP_DETECTED,
            GatewayError::Auth { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::UNAUTHORIZED)
            }
            GatewayError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A low-cardinality label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            GatewayError::BadRequest { .. } => "bad_request",
            GatewayError::NotFound { .. } => "not_found",
            GatewayError::PayloadTooLarge { .. } => "payload_too_large",
            GatewayError::Route(_) => "unknown_model",
            GatewayError::Upstream { error, .. } => match error {
                ProviderError::Status { .. } => "upstream_status",
                ProviderError::Timeout { .. } => "upstream_timeout",
                ProviderError::Connect { .. } => "upstream_unreachable",
                _ => "upstream_error",
            },
            GatewayError::AllFailed { .. } => "all_targets_failed",
            GatewayError::Blocked { .. } => "guardrail_blocked",
            GatewayError::LoopDetected => "loop_detected",
            GatewayError::Auth { code, .. } => code,
            GatewayError::Internal { .. } => "internal",
        }
    }

    fn code(&self) -> Option<&'static str> {
        match self {
            GatewayError::Route(RouteError::OverCostCap { .. }) => Some("over_cost_cap"),
            GatewayError::Route(_) => Some("model_not_found"),
            GatewayError::PayloadTooLarge { .. } => Some("request_too_large"),
            GatewayError::Blocked { .. } => Some("guardrail_blocked"),
            GatewayError::LoopDetected => Some("loop_detected"),
            GatewayError::Auth { code, .. } => Some(code),
            GatewayError::Upstream {
                error: ProviderError::Timeout { .. },
                ..
            } => Some("upstream_timeout"),
            GatewayError::Upstream {
                error: ProviderError::Connect { .. },
                ..
            } => Some("upstream_unreachable"),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        let of = |e: &ProviderError| match e {
            ProviderError::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        match self {
            GatewayError::Upstream { error, .. } => of(error),
            GatewayError::AllFailed { attempts } => {
                attempts.iter().filter_map(|a| of(&a.error)).min()
            }
            GatewayError::Auth { retry_after, .. } => retry_after.map(Duration::from_secs),
            _ => None,
        }
    }

    /// The message and code for an error event in the middle of a stream.
    pub fn info(&self) -> (u16, String, Option<&'static str>) {
        (self.status().as_u16(), self.to_string(), self.code())
    }

    /// The HTTP response in `protocol`'s error shape. An upstream's own error body goes to the
    /// client verbatim when both speak the same protocol.
    pub fn into_response(self, protocol: Protocol) -> Response<Body> {
        let status = self.status();
        let mut res = match &self {
            GatewayError::Upstream {
                error:
                    ProviderError::Status {
                        body,
                        protocol: upstream,
                        ..
                    },
                ..
            } if *upstream == protocol && !body.is_empty() => json(status, body.clone()),
            _ => {
                let message = self.to_string();
                let info = ErrorInfo {
                    status: status.as_u16(),
                    message: &message,
                    code: self.code(),
                };
                json(status, error_body(protocol, &info))
            }
        };
        if let Some(after) = self.retry_after() {
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(RETRY_AFTER, v);
            }
        }
        res
    }
}
