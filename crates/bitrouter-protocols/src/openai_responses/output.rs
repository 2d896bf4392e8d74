//! The response object and its output items, shared by the complete answer and the stream
//! (whose `response.completed` event carries the whole response).

use bitrouter_core::{ContentPart, FinishReason, Protocol, Reasoning, Signature, ToolCall, Usage};
use serde_json::{Value, json};

use super::input::decode_reasoning_item;
use crate::error::DecodeError;
use crate::signature_envelope::Sealed;

/// What the canonical parts of an output list say about how the answer ended.
#[derive(Debug, Default)]
pub(super) struct OutputFacts {
    pub(super) has_tool_calls: bool,
    pub(super) refused: bool,
}

/// The canonical parts of a response's `output` list. Items of other kinds (hosted tool calls,
/// which BitRouter never requests) are skipped.
pub(super) fn decode_output(
    output: &[Value],
    facts: &mut OutputFacts,
) -> Result<Vec<ContentPart>, DecodeError> {
    let mut parts = Vec::new();
    for (i, item) in output.iter().enumerate() {
        let path = format!("output[{i}]");
        let Value::Object(obj) = item else {
            return Err(DecodeError::new(format!("{path}: expected an object")));
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("message") => {
                let content = obj.get("content").and_then(Value::as_array);
                for part in content.into_iter().flatten() {
                    match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => parts.push(ContentPart::Text {
                            text: str_field(part, "text").to_owned(),
                        }),
                        Some("refusal") => {
                            facts.refused = true;
                            parts.push(ContentPart::Text {
                                text: str_field(part, "refusal").to_owned(),
                            });
                        }
                        _ => {}
                    }
                }
            }
            Some("function_call") => {
                facts.has_tool_calls = true;
                let Some(call_id) = obj.get("call_id").and_then(Value::as_str) else {
                    return Err(DecodeError::new(format!("{path}.call_id: missing")));
                };
                parts.push(ContentPart::ToolCall(ToolCall {
                    id: call_id.to_owned(),
                    name: str_field(item, "name").to_owned(),
                    arguments: str_field(item, "arguments").to_owned(),
                    signature: None,
                }));
            }
            Some("reasoning") => {
                parts.push(ContentPart::Reasoning(decode_reasoning_item(obj, &path)?));
            }
            _ => {}
        }
    }
    Ok(parts)
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The canonical finish reason of a finished response object.
pub(super) fn finish_reason(response: &Value, facts: &OutputFacts) -> FinishReason {
    if response["status"] == "incomplete" {
        match response["incomplete_details"]["reason"].as_str() {
            Some("content_filter") => return FinishReason::ContentFilter,
            _ => return FinishReason::Length,
        }
    }
    if facts.has_tool_calls {
        FinishReason::ToolCalls
    } else if facts.refused {
        FinishReason::Other
    } else {
        FinishReason::Stop
    }
}

/// Canonical usage from a response's `usage` (OpenAI counts cached input inside
/// `input_tokens` and reasoning inside `output_tokens`, as the canonical form does).
pub(super) fn decode_usage(usage: &Value) -> Usage {
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    Usage {
        input_tokens: n(&usage["input_tokens"]),
        cached_input_tokens: n(&usage["input_tokens_details"]["cached_tokens"]),
        cache_write_tokens: 0,
        output_tokens: n(&usage["output_tokens"]),
        reasoning_tokens: n(&usage["output_tokens_details"]["reasoning_tokens"]),
    }
}

pub(super) fn usage_json(usage: &Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens(),
    })
}

/// `status` and `incomplete_details` for a finish reason.
pub(super) fn status_for(reason: FinishReason) -> (&'static str, Value) {
    match reason {
        FinishReason::Length => ("incomplete", json!({"reason": "max_output_tokens"})),
        FinishReason::ContentFilter => ("incomplete", json!({"reason": "content_filter"})),
        _ => ("completed", Value::Null),
    }
}

/// The id of the `n`th output item of a response, for items the canonical form has no id for.
pub(super) fn item_id(prefix: &str, response_id: &str, n: usize) -> String {
    let base = response_id.strip_prefix("resp_").unwrap_or(response_id);
    format!("{prefix}_{base}_{n}")
}

pub(super) fn message_item(id: &str, text: &str, status: &str) -> Value {
    json!({"id": id, "type": "message", "status": status, "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

pub(super) fn function_call_item(id: &str, call: &ToolCall, status: &str) -> Value {
    json!({"id": id, "type": "function_call", "status": status, "call_id": call.id,
        "name": call.name, "arguments": call.arguments})
}

/// A reasoning item for a client. Its `encrypted_content`, which Responses clients send back
/// verbatim, carries the reasoning's proof: Responses' own encrypted content bare, a foreign
/// signature or redacted data enveloped.
pub(super) fn reasoning_item(id: &str, reasoning: &Reasoning) -> Value {
    let summary: Vec<Value> = if reasoning.text.is_empty() {
        Vec::new()
    } else {
        vec![json!({"type": "summary_text", "text": reasoning.text})]
    };
    let mut item = json!({"id": id, "type": "reasoning", "summary": summary});
    if let Some(proof) = Sealed::of_reasoning(reasoning) {
        item["encrypted_content"] = json!(proof.token_for(Protocol::OpenaiResponses));
    }
    item
}

/// The reasoning item written just before a function call whose call carries a foreign
/// signature (Gemini's): the client sends it back, and the request decoder gives the
/// signature back to the function call that follows.
pub(super) fn call_proof_item(id: &str, signature: &Signature) -> Value {
    let token = Sealed::Call(signature.clone()).wrap();
    json!({"id": id, "type": "reasoning", "summary": [], "encrypted_content": token})
}

/// What goes into a response object besides its output.
#[derive(Debug)]
pub(super) struct ResponseHead<'a> {
    pub(super) id: &'a str,
    pub(super) model: &'a str,
    pub(super) created_at: u64,
    pub(super) status: &'a str,
    pub(super) incomplete_details: Value,
}

/// A response object in the reference's full shape.
pub(super) fn response_object(head: &ResponseHead<'_>, output: Vec<Value>, usage: Value) -> Value {
    json!({
        "id": head.id,
        "object": "response",
        "created_at": head.created_at,
        "status": head.status,
        "error": null,
        "incomplete_details": head.incomplete_details,
        "instructions": null,
        "max_output_tokens": null,
        "model": head.model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "store": false,
        "temperature": null,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": null,
        "truncation": "disabled",
        "usage": usage,
        "user": null,
        "metadata": {},
    })
}
