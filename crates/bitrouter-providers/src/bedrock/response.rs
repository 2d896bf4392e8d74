//! Converse answers to canonical ones, following the Bedrock API reference pages
//! `API_runtime_Converse` (response syntax), `API_runtime_TokenUsage` and
//! `API_runtime_ContentBlock`.

use bitrouter_core::{
    ChatResponse, ContentPart, FinishReason, Protocol, Reasoning, Signature, ToolCall, Usage,
};
use serde_json::Value;

/// The canonical answer for a Converse response body; `id` is the upstream's request id.
pub fn decode_converse(body: &[u8], id: &str, model: &str) -> Result<ChatResponse, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the Converse answer is not JSON: {e}"))?;
    let blocks = value
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .ok_or("the Converse answer has no output.message.content array")?;
    let mut content = Vec::new();
    for block in blocks {
        if let Some(text) = block.get("text").and_then(Value::as_str) {
            content.push(ContentPart::Text { text: text.into() });
        } else if let Some(tool) = block.get("toolUse") {
            content.push(ContentPart::ToolCall(ToolCall {
                id: str_field(tool, "toolUseId").into(),
                name: str_field(tool, "name").into(),
                arguments: tool
                    .get("input")
                    .map_or_else(|| "{}".to_owned(), Value::to_string),
                signature: None,
            }));
        } else if let Some(reasoning) = block.get("reasoningContent") {
            content.push(ContentPart::Reasoning(decode_reasoning(reasoning)));
        }
    }
    let stop = value
        .get("stopReason")
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(ChatResponse {
        id: id.to_owned(),
        model: model.to_owned(),
        content,
        finish_reason: finish_reason(stop),
        usage: value.get("usage").map(usage).unwrap_or_default(),
        created: None,
    })
}

fn decode_reasoning(reasoning: &Value) -> Reasoning {
    let mut out = Reasoning::default();
    if let Some(text) = reasoning.get("reasoningText") {
        out.text = str_field(text, "text").to_owned();
        out.signature = text
            .get("signature")
            .and_then(Value::as_str)
            .map(anthropic_signature);
    }
    if let Some(data) = reasoning.get("redactedContent").and_then(Value::as_str) {
        out.redacted = Some(data.to_owned());
    }
    out
}

/// Bedrock's thinking signatures come from Anthropic models and go back only to Bedrock;
/// the canonical types have no Bedrock origin, so they are marked as Anthropic's (see the
/// module docs of `bedrock`).
pub(crate) fn anthropic_signature(value: &str) -> Signature {
    Signature::new(Protocol::AnthropicMessages, value)
}

fn str_field<'a>(v: &'a Value, name: &str) -> &'a str {
    v.get(name).and_then(Value::as_str).unwrap_or("")
}

/// Converse `stopReason` to the canonical reason.
pub fn finish_reason(stop: &str) -> FinishReason {
    match stop {
        "tool_use" => FinishReason::ToolCalls,
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "content_filtered" | "guardrail_intervened" => FinishReason::ContentFilter,
        _ => FinishReason::Stop,
    }
}

/// Converse `TokenUsage` to canonical usage. Bedrock's `inputTokens` leaves out the tokens
/// read from or written to the prompt cache (as Anthropic's `input_tokens` does, and its
/// `totalTokens` adds them back), so they are added to make `input_tokens` count every
/// prompt token.
pub fn usage(u: &Value) -> Usage {
    let n = |name: &str| u.get(name).and_then(Value::as_u64).unwrap_or(0);
    let cached = n("cacheReadInputTokens");
    let written = n("cacheWriteInputTokens");
    Usage {
        input_tokens: n("inputTokens") + cached + written,
        cached_input_tokens: cached,
        cache_write_tokens: written,
        output_tokens: n("outputTokens"),
        reasoning_tokens: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_counts_cached_tokens_as_input() {
        let u = usage(&serde_json::json!({
            "inputTokens": 10, "outputTokens": 5, "totalTokens": 115,
            "cacheReadInputTokens": 60, "cacheWriteInputTokens": 40
        }));
        assert_eq!(u.input_tokens, 110);
        assert_eq!(u.cached_input_tokens, 60);
        assert_eq!(u.cache_write_tokens, 40);
        assert_eq!(u.total_tokens(), 115);
    }

    #[test]
    fn stop_reasons() {
        assert_eq!(finish_reason("end_turn"), FinishReason::Stop);
        assert_eq!(finish_reason("stop_sequence"), FinishReason::Stop);
        assert_eq!(finish_reason("tool_use"), FinishReason::ToolCalls);
        assert_eq!(finish_reason("max_tokens"), FinishReason::Length);
        assert_eq!(
            finish_reason("guardrail_intervened"),
            FinishReason::ContentFilter
        );
        assert_eq!(
            finish_reason("content_filtered"),
            FinishReason::ContentFilter
        );
    }
}
