//! What travels between the server and a provider: a request body that is either still in the
//! client's wire format or canonical, and an answer that is either wire bytes or canonical.
//!
//! Keeping the wire form lets a call whose client and upstream speak the same protocol pass
//! through untouched (unknown fields survive, nothing is re-serialised); translation to and
//! from the canonical types happens only when the protocols differ or a guardrail rewrote
//! the call.

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use http::HeaderMap;

use crate::error::ProviderError;
use crate::protocol::Protocol;
use crate::request::ChatRequest;
use crate::response::ChatResponse;
use crate::router::Target;
use crate::stream::PartStream;

/// A JSON body in one protocol's wire format, untouched.
#[derive(Debug, Clone)]
pub struct WireBody {
    /// The protocol it is written in.
    pub protocol: Protocol,
    /// The bytes as received.
    pub bytes: Bytes,
}

/// A request body on its way to a provider.
#[derive(Debug, Clone)]
pub enum RequestBody {
    /// The client's body, untouched.
    Wire(WireBody),
    /// A canonical request (translated, or rewritten by a guardrail).
    Canonical(Box<ChatRequest>),
}

/// A boxed stream of raw bytes, as they arrive from the upstream.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, ProviderError>> + Send>>;

/// One call for a provider to perform against one target.
#[derive(Debug)]
pub struct ProviderRequest {
    /// The id BitRouter gave the client's request.
    pub request_id: String,
    /// Where to send it: the provider, the upstream's model name, and the protocol to speak.
    pub target: Target,
    /// What to send.
    pub body: RequestBody,
    /// Whether to stream the answer.
    pub stream: bool,
    /// Client headers the upstream should see (e.g. `anthropic-beta`); the server decides which.
    pub headers: HeaderMap,
}

/// A complete answer.
#[derive(Debug)]
pub enum ResponseBody {
    /// The upstream's body, untouched.
    Wire(WireBody),
    /// A canonical answer.
    Canonical(Box<ChatResponse>),
}

/// A streamed answer.
pub enum AnswerStream {
    /// Server-sent events in the upstream's protocol, chunked as they arrived.
    Wire {
        /// The protocol of the events.
        protocol: Protocol,
        /// The raw chunks.
        chunks: ByteStream,
    },
    /// Canonical parts.
    Canonical(PartStream),
}

impl std::fmt::Debug for AnswerStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnswerStream::Wire { protocol, .. } => {
                f.debug_struct("Wire").field("protocol", protocol).finish()
            }
            AnswerStream::Canonical(_) => f.write_str("Canonical"),
        }
    }
}

/// What a provider returns for a call.
#[derive(Debug)]
pub enum ProviderResponse {
    /// A complete answer.
    Complete(ResponseBody),
    /// A stream that has begun: the upstream accepted the call and the first bytes are
    /// available or on their way.
    Stream(AnswerStream),
}
