//! A complete Messages answer to a canonical [`ChatResponse`] and back, and the stop-reason and
//! usage conversions the stream shares.

use bitrouter_core::{ChatResponse, ContentPart, FinishReason, Usage};
use serde_json::{Value, json};

use super::content::{Reader, decode_block, encode_part};
use super::{Object, as_object, opt_str, opt_u64, parse_object, req_str};
use crate::error::{DecodeError, EncodeError};

/// Decodes a Messages answer body.
pub(crate) fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let o = parse_object(body, "response body")?;
    if o.get("type").and_then(Value::as_str) == Some("error") {
        let message = o
            .get("error")
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("no message");
        return Err(DecodeError::new(format!("upstream error: {message}")));
    }
    let blocks = match o.get("content") {
        Some(Value::Array(blocks)) => blocks.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => return Err(DecodeError::new("content: expected an array")),
    };
    let mut content = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        // Server-tool blocks (`server_tool_use`, `web_search_tool_result`, …) have no
        // canonical form and are skipped.
        if let Some(part) = decode_block(block, &format!("content[{i}]"))? {
            content.push(part);
        }
    }
    let usage = match o.get("usage") {
        None | Some(Value::Null) => Usage::default(),
        Some(u) => decode_usage(as_object(u, "usage")?, "usage")?,
    };
    Ok(ChatResponse {
        id: req_str(&o, "id", "")?.to_owned(),
        model: opt_str(&o, "model", "")?.unwrap_or_default().to_owned(),
        content,
        finish_reason: opt_str(&o, "stop_reason", "")?
            .map(decode_stop_reason)
            .unwrap_or_default(),
        usage,
        created: None,
    })
}

/// Encodes a canonical answer as a Messages answer body.
pub(crate) fn encode_response(response: &ChatResponse) -> Result<Vec<u8>, EncodeError> {
    let mut content = Vec::with_capacity(response.content.len());
    for (i, part) in response.content.iter().enumerate() {
        encode_part(part, Reader::Client, &format!("content[{i}]"), &mut content)?;
    }
    let has_tool_calls = response
        .content
        .iter()
        .any(|p| matches!(p, ContentPart::ToolCall(_)));
    let id = if response.id.is_empty() {
        "msg_bitrouter"
    } else {
        &response.id
    };
    let body = json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": response.model,
        "content": content,
        "stop_reason": encode_stop_reason(response.finish_reason, has_tool_calls),
        "stop_sequence": null,
        "usage": encode_usage(&response.usage),
    });
    serde_json::to_vec(&body)
        .map_err(|e| EncodeError::new(format!("response body: cannot serialise: {e}")))
}

/// A `stop_reason` as a canonical finish reason.
pub(super) fn decode_stop_reason(reason: &str) -> FinishReason {
    match reason {
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        _ => FinishReason::Other,
    }
}

/// A canonical finish reason as a `stop_reason`. Anthropic clients run tools only on
/// `tool_use`, so a plain stop with tool calls in the answer becomes `tool_use`; `Other` has
/// no safe counterpart (`pause_turn` asks the client to send the turn again) and ends the turn.
pub(super) fn encode_stop_reason(reason: FinishReason, has_tool_calls: bool) -> &'static str {
    match reason {
        FinishReason::Stop if has_tool_calls => "tool_use",
        FinishReason::Stop | FinishReason::Other => "end_turn",
        FinishReason::Length => "max_tokens",
        FinishReason::ToolCalls => "tool_use",
        FinishReason::ContentFilter => "refusal",
    }
}

/// Anthropic usage (input without cache reads and writes) as canonical usage (input with them).
pub(super) fn decode_usage(o: &Object, path: &str) -> Result<Usage, DecodeError> {
    let input = opt_u64(o, "input_tokens", path)?.unwrap_or(0);
    let read = opt_u64(o, "cache_read_input_tokens", path)?.unwrap_or(0);
    let write = opt_u64(o, "cache_creation_input_tokens", path)?.unwrap_or(0);
    Ok(Usage {
        input_tokens: input + read + write,
        cached_input_tokens: read,
        cache_write_tokens: write,
        output_tokens: opt_u64(o, "output_tokens", path)?.unwrap_or(0),
        reasoning_tokens: 0,
    })
}

/// Canonical usage in Anthropic's shape.
pub(super) fn encode_usage(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage
            .input_tokens
            .saturating_sub(usage.cached_input_tokens)
            .saturating_sub(usage.cache_write_tokens),
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
    })
}
