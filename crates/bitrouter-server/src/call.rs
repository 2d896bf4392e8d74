//! The call segment's request and response: a model call decoded far enough to route it,
//! and the reply of whichever target served it.

use std::sync::Arc;
use std::time::Instant;

use bitrouter_core::{CallShape, Protocol, ProviderResponse, RequestBody, StreamGuard, Target};
use http::HeaderMap;

/// A model call, as the call segment of the stack sees it.
#[derive(Debug, Clone)]
pub struct ModelCall {
    /// BitRouter's id for the request (`x-bitrouter-request-id`).
    pub request_id: Arc<str>,
    /// The protocol the client speaks.
    pub inbound: Protocol,
    /// The model the client asked for.
    pub model: String,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// The body: the client's bytes, or canonical once a guardrail or translation needed it.
    pub body: RequestBody,
    /// The model named in the URL (Google), for decoding the body.
    pub path_model: Option<String>,
    /// The client asked for usage in its stream (OpenAI `stream_options.include_usage`).
    pub include_usage: bool,
    /// The client's request headers.
    pub headers: HeaderMap,
    /// The call's shape, for routing rules and cost estimates.
    pub shape: CallShape,
    /// The credential the client sent (`Authorization: Bearer`, `x-api-key`,
    /// `x-goog-api-key` or `?key=`), for virtual-key checks.
    pub credential: Option<String>,
    /// Filled by the auth layer when a virtual key admitted the call.
    pub grant: crate::keys::GrantSlot,
    /// When the request arrived.
    pub received: Instant,
}

/// One attempt at a target that failed, kept for the final error and the logs.
#[derive(Debug, Clone)]
pub struct FailedAttempt {
    /// Where it went.
    pub target: Target,
    /// What happened.
    pub error: bitrouter_core::ProviderError,
}

/// The answer to a [`ModelCall`].
#[derive(Debug)]
pub struct CallReply {
    /// The target that served the call.
    pub target: Target,
    /// Its answer.
    pub response: ProviderResponse,
    /// Targets tried before it, in order.
    pub failed: Vec<FailedAttempt>,
    /// Guards the stream must pass through on its way to the client.
    pub stream_guards: StreamGuards,
    /// Time spent in providers, every attempt included (for a stream: until it began).
    pub upstream_time: std::time::Duration,
}

/// The per-stream guardrail states attached to a reply.
#[derive(Default)]
pub struct StreamGuards(Vec<Box<dyn StreamGuard>>);

impl StreamGuards {
    /// Adds one.
    pub fn push(&mut self, guard: Box<dyn StreamGuard>) {
        self.0.push(guard);
    }

    /// The guards, in order.
    pub fn into_inner(self) -> Vec<Box<dyn StreamGuard>> {
        self.0
    }
}

impl std::fmt::Debug for StreamGuards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StreamGuards({})", self.0.len())
    }
}

/// A call bound for one target: what the dispatcher receives.
#[derive(Debug, Clone)]
pub struct TargetedCall {
    /// The call.
    pub call: ModelCall,
    /// Where to send it.
    pub target: Target,
}
