//! `GenerateContentResponse` bodies: the whole answer, and (in `stream.rs`) each chunk.

use std::time::{SystemTime, UNIX_EPOCH};

use bitrouter_core::{ChatResponse, ContentPart, FinishReason, Usage};
use serde_json::{Map, Value, json};

use super::field;
use super::parts::{CallIds, Reader, decode_part, encode_parts};
use crate::error::{DecodeError, EncodeError};

/// Decodes an upstream's complete answer (the first candidate).
pub(crate) fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("the Gemini answer is not valid JSON: {e}")))?;
    let obj = root
        .as_object()
        .ok_or_else(|| DecodeError::new("the Gemini answer is not a JSON object"))?;
    upstream_error(obj)?;
    let mut content = Vec::new();
    let mut ids = CallIds::default();
    let candidate = first_candidate(obj);
    if let Some(parts) = candidate
        .and_then(|c| field(c, "content"))
        .and_then(Value::as_object)
        .and_then(|c| field(c, "parts"))
        .and_then(Value::as_array)
    {
        for (i, part) in parts.iter().enumerate() {
            let path = format!("candidates[0].content.parts[{i}]");
            decode_part(part, &path, &mut ids, false, &mut content)?;
        }
    }
    let has_calls = content
        .iter()
        .any(|p| matches!(p, ContentPart::ToolCall(_)));
    let finish_reason = match candidate.and_then(|c| field(c, "finishReason")) {
        Some(reason) => finish_reason(reason.as_str().unwrap_or("OTHER"), has_calls),
        // No candidate at all: the prompt itself was blocked.
        None if candidate.is_none() && blocked(obj) => FinishReason::ContentFilter,
        None if has_calls => FinishReason::ToolCalls,
        None => FinishReason::Stop,
    };
    Ok(ChatResponse {
        id: response_id(obj),
        model: model_version(obj),
        content,
        finish_reason,
        usage: field(obj, "usageMetadata").map(usage).unwrap_or_default(),
        created: None,
    })
}

/// An `{"error": {…}}` body or chunk as a [`DecodeError`] carrying Google's message.
pub(super) fn upstream_error(obj: &Map<String, Value>) -> Result<(), DecodeError> {
    let Some(error) = obj.get("error") else {
        return Ok(());
    };
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("the upstream reported an error without a message");
    let status = error.get("status").and_then(Value::as_str);
    Err(DecodeError::new(match status {
        Some(status) => format!("{status}: {message}"),
        None => message.to_owned(),
    }))
}

pub(super) fn first_candidate(obj: &Map<String, Value>) -> Option<&Map<String, Value>> {
    field(obj, "candidates")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(Value::as_object)
}

fn blocked(obj: &Map<String, Value>) -> bool {
    field(obj, "promptFeedback")
        .and_then(Value::as_object)
        .and_then(|f| field(f, "blockReason"))
        .is_some()
}

/// `responseId`, or a minted one.
pub(super) fn response_id(obj: &Map<String, Value>) -> String {
    match field(obj, "responseId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => mint_id(),
    }
}

/// An answer id for an upstream that sent none: `gen-` and the clock in hex.
pub(super) fn mint_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("gen-{nanos:x}")
}

pub(super) fn model_version(obj: &Map<String, Value>) -> String {
    field(obj, "modelVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Gemini's finish reason; `STOP` after function calls means the model wants them run.
pub(super) fn finish_reason(reason: &str, has_calls: bool) -> FinishReason {
    match reason {
        "STOP" | "FINISH_REASON_UNSPECIFIED" if has_calls => FinishReason::ToolCalls,
        "STOP" | "FINISH_REASON_UNSPECIFIED" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

pub(super) fn encode_finish(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop | FinishReason::ToolCalls => "STOP",
        FinishReason::Length => "MAX_TOKENS",
        FinishReason::ContentFilter => "SAFETY",
        FinishReason::Other => "OTHER",
    }
}

/// `usageMetadata` in canonical counts: `promptTokenCount` already includes cached tokens;
/// `candidatesTokenCount` excludes `thoughtsTokenCount`, which the canonical output includes.
/// Tokens of tool-use prompts (`toolUsePromptTokenCount`) are prompt tokens too.
pub(super) fn usage(meta: &Value) -> Usage {
    let count = |name: &str| {
        meta.as_object()
            .and_then(|m| field(m, name))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let thoughts = count("thoughtsTokenCount");
    Usage {
        input_tokens: count("promptTokenCount") + count("toolUsePromptTokenCount"),
        cached_input_tokens: count("cachedContentTokenCount"),
        cache_write_tokens: 0,
        output_tokens: count("candidatesTokenCount") + thoughts,
        reasoning_tokens: thoughts,
    }
}

pub(super) fn encode_usage(usage: &Usage) -> Value {
    let mut meta = Map::new();
    meta.insert("promptTokenCount".into(), usage.input_tokens.into());
    meta.insert(
        "candidatesTokenCount".into(),
        usage
            .output_tokens
            .saturating_sub(usage.reasoning_tokens)
            .into(),
    );
    meta.insert("totalTokenCount".into(), usage.total_tokens().into());
    if usage.cached_input_tokens > 0 {
        meta.insert(
            "cachedContentTokenCount".into(),
            usage.cached_input_tokens.into(),
        );
    }
    if usage.reasoning_tokens > 0 {
        meta.insert("thoughtsTokenCount".into(), usage.reasoning_tokens.into());
    }
    Value::Object(meta)
}

/// Encodes a canonical answer as Gemini's response body.
pub(crate) fn encode_response(response: &ChatResponse) -> Result<Vec<u8>, EncodeError> {
    let mut parts = Vec::new();
    encode_parts(
        &response.content,
        &Default::default(),
        Reader::Client,
        &mut parts,
    )?;
    let body = json!({
        "candidates": [{
            "content": { "role": "model", "parts": parts },
            "finishReason": encode_finish(response.finish_reason),
            "index": 0,
        }],
        "usageMetadata": encode_usage(&response.usage),
        "modelVersion": response.model,
        "responseId": response.id,
    });
    serde_json::to_vec(&body)
        .map_err(|e| EncodeError::new(format!("cannot write the Gemini answer: {e}")))
}
