//! `POST /v1/messages/count_tokens`: an estimate of a Messages request's input tokens.
//!
//! Claude Code asks before long turns. BitRouter answers locally, for every upstream alike,
//! with an estimate (about four characters a token, plus a small overhead per message and
//! tool), so the answer costs no upstream call and works when the model is not Anthropic's.

use bitrouter_core::{ChatRequest, ContentPart, Protocol};
use bitrouter_protocols::{RequestContext, decode_request, peek_body, with_field};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::body::{Body, json};
use crate::endpoints::read_body;
use crate::error::GatewayError;
use crate::gateway::GatewayInfo;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub(crate) async fn answer<B>(info: &GatewayInfo, req: Request<B>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    match count(info, req).await {
        Ok(n) => json(
            StatusCode::OK,
            serde_json::json!({"input_tokens": n}).to_string(),
        ),
        Err(e) => e.into_response(Protocol::AnthropicMessages),
    }
}

async fn count<B>(info: &GatewayInfo, req: Request<B>) -> Result<u64, GatewayError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let bytes = read_body(info, req.into_body()).await?;
    let peek = peek_body(&bytes).map_err(|e| GatewayError::BadRequest { message: e.message })?;
    // count_tokens takes a Messages body without `max_tokens`; the decoder wants one.
    let bytes = if peek.span("max_tokens").is_none() {
        with_field(&bytes, &peek, "max_tokens", b"1")
    } else {
        bytes.to_vec()
    };
    let request = decode_request(
        Protocol::AnthropicMessages,
        &bytes,
        &RequestContext::default(),
    )
    .map_err(|e| GatewayError::BadRequest { message: e.message })?;
    Ok(estimate(&request))
}

/// About four characters a token, three tokens of framing per message, ten per tool.
pub(crate) fn estimate(request: &ChatRequest) -> u64 {
    let mut chars = 0usize;
    let mut overhead = 0u64;
    for m in &request.messages {
        overhead += 3;
        for part in &m.content {
            chars += match part {
                ContentPart::Text { text } => text.len(),
                // A typical image costs about 1,600 tokens.
                ContentPart::Image { .. } => 1600 * 4,
                ContentPart::ToolCall(c) => c.name.len() + c.arguments.len(),
                ContentPart::ToolResult(r) => r
                    .content
                    .iter()
                    .map(|p| match p {
                        ContentPart::Text { text } => text.len(),
                        _ => 0,
                    })
                    .sum(),
                ContentPart::Reasoning(r) => r.text.len(),
            };
        }
    }
    for t in &request.tools {
        overhead += 10;
        chars += t.name.len()
            + t.description.as_deref().map_or(0, str::len)
            + t.parameters.to_string().len();
    }
    (chars as u64).div_ceil(4) + overhead
}
