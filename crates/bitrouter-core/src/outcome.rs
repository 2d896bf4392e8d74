//! [`CallOutcome`]: what one call did, reported once when it ends, for the ledger, the
//! metrics and the logs.

use std::time::Duration;

use serde::Serialize;

use crate::protocol::Protocol;
use crate::response::Usage;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered in full.
    Success,
    /// Refused before any upstream was tried (bad request, unknown model, auth, guardrail).
    Rejected,
    /// Every upstream tried failed.
    UpstreamError,
    /// A stream began and then broke (upstream failure, guardrail block).
    StreamError,
    /// The client went away before the end.
    ClientGone,
}

impl Outcome {
    /// The label used in metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Rejected => "rejected",
            Outcome::UpstreamError => "upstream_error",
            Outcome::StreamError => "stream_error",
            Outcome::ClientGone => "client_gone",
        }
    }
}

/// One call, start to end.
#[derive(Debug, Clone, Serialize)]
pub struct CallOutcome {
    /// BitRouter's request id.
    pub request_id: String,
    /// The virtual key's id, when the call carried one.
    pub key_id: Option<String>,
    /// The key's user, when known.
    pub user_id: Option<String>,
    /// The model the client asked for.
    pub requested_model: String,
    /// The provider that served (or last failed), if any was tried.
    pub provider: Option<String>,
    /// The upstream model.
    pub upstream_model: Option<String>,
    /// The client's protocol.
    pub inbound: Protocol,
    /// The upstream's protocol, if one was tried.
    pub upstream: Option<Protocol>,
    /// The HTTP status the client got.
    pub status: u16,
    /// How it ended.
    pub outcome: Outcome,
    /// A short error label (`upstream_timeout`, `unknown_model`, …) when it failed.
    pub error_kind: Option<String>,
    /// The error message when it failed.
    pub error: Option<String>,
    /// Token counts, when the upstream reported them.
    pub usage: Option<Usage>,
    /// What the call cost in USD, when usage and a price are known.
    pub cost_usd: Option<f64>,
    /// From the request's arrival to the last byte sent.
    pub latency: Duration,
    /// From arrival to the first byte of the answer (streams).
    pub time_to_first_token: Option<Duration>,
    /// Time spent waiting on upstreams.
    pub upstream_time: Duration,
    /// Whether the answer was streamed.
    pub streamed: bool,
    /// Targets tried before the one that answered.
    pub fallbacks: u32,
    /// Providers skipped or failed before the final one, for the fallback metric.
    pub failed_providers: Vec<String>,
}

impl CallOutcome {
    /// BitRouter's own share of the latency: the total minus the time waiting on upstreams.
    pub fn overhead(&self) -> Duration {
        self.latency.saturating_sub(self.upstream_time)
    }
}

/// Receives every call's outcome. Implementations must not block: the ledger queues, the
/// metrics count.
pub trait OutcomeSink: Send + Sync {
    /// One call ended.
    fn record(&self, outcome: &CallOutcome);
}
