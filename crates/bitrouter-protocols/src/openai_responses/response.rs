//! The complete (non-streamed) response object.

use bitrouter_core::{ChatResponse, ContentPart};
use serde_json::Value;

use super::output::{
    OutputFacts, ResponseHead, call_proof_item, decode_output, decode_usage, finish_reason,
    function_call_item, item_id, message_item, reasoning_item, response_object, status_for,
    usage_json,
};
use super::{mint_response_id, now_secs};
use crate::error::{DecodeError, EncodeError};

/// Decodes an upstream's response object. A `failed` response is an error carrying the
/// upstream's message.
pub(crate) fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("Responses answer is not valid JSON: {e}")))?;
    decode_response_value(&value)
}

pub(super) fn decode_response_value(value: &Value) -> Result<ChatResponse, DecodeError> {
    if !value.is_object() {
        return Err(DecodeError::new("Responses answer must be a JSON object"));
    }
    if value["status"] == "failed" || (value.get("output").is_none() && value["error"].is_object())
    {
        return Err(DecodeError::new(failure_message(value)));
    }
    let Some(output) = value["output"].as_array() else {
        return Err(DecodeError::new(
            "output: missing, expected an array of items",
        ));
    };
    let mut facts = OutputFacts::default();
    let content = decode_output(output, &mut facts)?;
    Ok(ChatResponse {
        id: value["id"].as_str().unwrap_or_default().to_owned(),
        model: value["model"].as_str().unwrap_or_default().to_owned(),
        finish_reason: finish_reason(value, &facts),
        content,
        usage: decode_usage(&value["usage"]),
        created: value["created_at"]
            .as_u64()
            .or_else(|| value["created_at"].as_f64().map(|f| f as u64)),
    })
}

/// The message of a failed response or an error body.
pub(super) fn failure_message(value: &Value) -> String {
    let error = if value["error"].is_object() {
        &value["error"]
    } else {
        &value["response"]["error"]
    };
    match error["message"].as_str() {
        Some(message) => message.to_owned(),
        None => "the upstream reported a failed response without a message".to_owned(),
    }
}

/// Encodes a canonical answer as a response object. Items get `msg_…`, `fc_…` and `rs_…` ids
/// derived from the response id where the canonical form has none.
pub(crate) fn encode_response(response: &ChatResponse) -> Result<Vec<u8>, EncodeError> {
    let id = if response.id.is_empty() {
        mint_response_id()
    } else {
        response.id.clone()
    };
    let output = output_items(&id, &response.content);
    let (status, incomplete_details) = status_for(response.finish_reason);
    let head = ResponseHead {
        id: &id,
        model: &response.model,
        created_at: response.created.unwrap_or_else(now_secs),
        status,
        incomplete_details,
    };
    let object = response_object(&head, output, usage_json(&response.usage));
    serde_json::to_vec(&object)
        .map_err(|e| EncodeError::new(format!("cannot serialise the Responses answer: {e}")))
}

/// The output items for canonical parts: consecutive text parts share one message item.
fn output_items(response_id: &str, content: &[ContentPart]) -> Vec<Value> {
    let mut items = Vec::new();
    let mut text = String::new();
    let mut in_text = false;
    for part in content {
        if let ContentPart::Text { text: t } = part {
            text.push_str(t);
            in_text = true;
            continue;
        }
        if in_text {
            let id = item_id("msg", response_id, items.len());
            items.push(message_item(&id, &std::mem::take(&mut text), "completed"));
            in_text = false;
        }
        match part {
            ContentPart::ToolCall(call) => {
                if let Some(signature) = &call.signature {
                    let id = item_id("rs", response_id, items.len());
                    items.push(call_proof_item(&id, signature));
                }
                let id = item_id("fc", response_id, items.len());
                items.push(function_call_item(&id, call, "completed"));
            }
            ContentPart::Reasoning(reasoning) => {
                let id = reasoning
                    .id
                    .clone()
                    .unwrap_or_else(|| item_id("rs", response_id, items.len()));
                items.push(reasoning_item(&id, reasoning));
            }
            // Answers carry no images or tool results.
            _ => {}
        }
    }
    if in_text {
        let id = item_id("msg", response_id, items.len());
        items.push(message_item(&id, &text, "completed"));
    }
    items
}
