//! Turning a [`CallReply`] into the client's HTTP response.

use std::convert::Infallible;
use std::sync::Arc;

use bitrouter_core::{
    AnswerStream, Protocol, ProviderError, ProviderResponse, ResponseBody, Usage,
};
use bitrouter_protocols::{StreamOptions, decode_response, encode_response};
use futures::StreamExt;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

use crate::body::{Body, json};
use crate::call::CallReply;
use crate::error::GatewayError;
use crate::relay::{self, OnEnd};

/// The header naming the provider that served the call.
pub const PROVIDER_HEADER: &str = "x-bitrouter-provider";
/// The header naming the upstream model that served the call.
pub const MODEL_HEADER: &str = "x-bitrouter-model";
/// BitRouter's own time in milliseconds: for a complete answer the total so far minus the
/// time waiting on upstreams; for a stream, the same up to the response head.
pub const OVERHEAD_HEADER: &str = "x-bitrouter-overhead-ms";
/// The cost of a complete answer in USD, when its usage and price are known.
pub const COST_HEADER: &str = "x-bitrouter-cost-usd";
/// The header counting the targets tried (1 when the first one answered).
pub const ATTEMPTS_HEADER: &str = "x-bitrouter-attempts";

/// What the renderer needs to know of the client's side.
pub struct ClientSide {
    /// The client's protocol.
    pub protocol: Protocol,
    /// Stream options the client asked for.
    pub options: StreamOptions,
    /// Write the stream as one JSON array instead of server-sent events (Google
    /// `:streamGenerateContent` without `alt=sse`).
    pub json_array: bool,
    /// Called when a stream ends.
    pub on_end: OnEnd,
}

/// A rendered reply: the response, and for a complete answer the usage it reported.
pub struct Rendered {
    /// The response.
    pub response: Response<Body>,
    /// The usage of a complete answer (a stream's arrives with its end).
    pub usage: Option<Usage>,
}

/// The response for a reply.
pub fn render(reply: CallReply, client: ClientSide) -> Result<Rendered, GatewayError> {
    let CallReply {
        target,
        response,
        failed,
        stream_guards,
        ..
    } = reply;
    let provider = target.provider.clone();
    let mut usage = None;
    let mut res = match response {
        ProviderResponse::Complete(body) => {
            let (bytes, u) = complete_body(body, client.protocol, &provider)?;
            usage = u;
            json(StatusCode::OK, bytes)
        }
        ProviderResponse::Stream(answer) => {
            let guards = stream_guards.into_inner();
            let events: futures::stream::BoxStream<'static, bytes::Bytes> = match answer {
                AnswerStream::Wire { protocol, chunks }
                    if protocol == client.protocol && guards.is_empty() =>
                {
                    relay::passthrough(protocol, chunks, client.options, client.on_end).boxed()
                }
                other => {
                    let parts = relay::canonical_parts(other);
                    relay::translate(
                        parts,
                        client.protocol,
                        client.options,
                        guards,
                        client.on_end,
                    )
                    .boxed()
                }
            };
            let (body, content_type) = if client.json_array {
                (
                    stream_body(relay::sse_to_json_array(events)),
                    "application/json",
                )
            } else {
                (stream_body(events), "text/event-stream")
            };
            let mut res = Response::new(body);
            let h = res.headers_mut();
            h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&provider) {
        h.insert(HeaderName::from_static(PROVIDER_HEADER), v);
    }
    if let Ok(v) = HeaderValue::from_str(&target.model) {
        h.insert(HeaderName::from_static(MODEL_HEADER), v);
    }
    h.insert(
        HeaderName::from_static(ATTEMPTS_HEADER),
        HeaderValue::from(failed.len() + 1),
    );
    Ok(Rendered {
        response: res,
        usage,
    })
}

fn stream_body(s: impl futures::Stream<Item = bytes::Bytes> + Send + 'static) -> Body {
    StreamBody::new(s.map(|b| Ok::<_, Infallible>(Frame::data(b)))).boxed_unsync()
}

/// The complete body in the client's protocol (untouched when the upstream speaks it) and
/// the usage it reports.
fn complete_body(
    body: ResponseBody,
    client: Protocol,
    provider: &Arc<str>,
) -> Result<(bytes::Bytes, Option<Usage>), GatewayError> {
    let invalid = |message: String| GatewayError::Upstream {
        provider: provider.clone(),
        error: ProviderError::InvalidResponse { message },
    };
    let canonical = match body {
        ResponseBody::Wire(wire) if wire.protocol == client => {
            // Forwarded untouched. Decoding it only reads the usage; an answer our decoder
            // does not follow still goes through if it is JSON at all (a client SDK would
            // fail on garbage with a far less helpful message).
            if let Ok(answer) = decode_response(wire.protocol, &wire.bytes) {
                return Ok((wire.bytes, Some(answer.usage)));
            }
            return match serde_json::from_slice::<serde::de::IgnoredAny>(&wire.bytes) {
                Ok(_) => Ok((wire.bytes, None)),
                Err(e) => Err(invalid(format!("the answer is not valid JSON: {e}"))),
            };
        }
        ResponseBody::Wire(wire) => {
            decode_response(wire.protocol, &wire.bytes).map_err(|e| invalid(e.message))?
        }
        ResponseBody::Canonical(c) => *c,
    };
    let usage = canonical.usage;
    encode_response(client, &canonical)
        .map(|b| (bytes::Bytes::from(b), Some(usage)))
        .map_err(|e| GatewayError::Internal {
            message: format!("cannot write the answer as {client}: {}", e.message),
        })
}
