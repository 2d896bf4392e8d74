//! Response objects (`"object": "response"`) and their output items.

use http::StatusCode;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::openai_chat::reply::now;
use crate::protocol::{Call, Content};
use crate::sse::body;
use crate::tokens::count_words;

pub(crate) fn response_id(seq: u64) -> String {
    format!("resp_fake{seq}")
}

pub(crate) fn message_id(seq: u64) -> String {
    format!("msg_fake{seq}")
}

pub(crate) fn reasoning_id(seq: u64) -> String {
    format!("rs_fake{seq}")
}

pub(crate) fn function_call_id(seq: u64, position: usize) -> String {
    format!("fc_fake{seq}_{position}")
}

pub(crate) fn call_id(seq: u64, position: usize) -> String {
    format!("call_{seq}_{position}")
}

/// The finished reasoning item: a summary, and `encrypted_content` only when asked for.
pub(crate) fn reasoning_item(call: &Call) -> Value {
    let mut item = json!({
        "id": reasoning_id(call.seq),
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": call.thought()}],
    });
    if call.encrypted_reasoning {
        item["encrypted_content"] = json!(format!("enc-{}", call.seq));
    }
    item
}

pub(crate) fn output_text(text: &str) -> Value {
    json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []})
}

pub(crate) fn message_item(call: &Call, text: &str, status: &str) -> Value {
    let content = if status == "completed" {
        vec![output_text(text)]
    } else {
        Vec::new()
    };
    json!({
        "id": message_id(call.seq),
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    })
}

pub(crate) fn function_call_item(
    call: &Call,
    position: usize,
    name: &str,
    arguments: &str,
    status: &str,
) -> Value {
    json!({
        "id": function_call_id(call.seq, position),
        "type": "function_call",
        "status": status,
        "call_id": call_id(call.seq, position),
        "name": name,
        "arguments": arguments,
    })
}

/// The finished output items of an answer.
pub(crate) fn output(call: &Call, content: Content<'_>) -> Vec<Value> {
    let mut items = Vec::new();
    if call.reasoning {
        items.push(reasoning_item(call));
    }
    match content {
        Content::Text(text) => items.push(message_item(call, text, "completed")),
        Content::ToolCalls(calls) => {
            for (position, (name, arguments)) in calls.iter().enumerate() {
                items.push(function_call_item(
                    call,
                    position,
                    name,
                    arguments,
                    "completed",
                ));
            }
        }
    }
    items
}

fn usage(call: &Call, content: Content<'_>) -> Value {
    let visible = match content {
        Content::Text(text) => count_words(text),
        Content::ToolCalls(calls) => calls
            .iter()
            .map(|(name, arguments)| count_words(name).saturating_add(count_words(arguments)))
            .fold(0, u64::saturating_add),
    };
    let reasoning = if call.reasoning {
        count_words(&call.thought())
    } else {
        0
    };
    let output = visible.saturating_add(reasoning);
    json!({
        "input_tokens": call.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": call.prompt_tokens.saturating_add(output),
    })
}

/// The response object; `None` content means still in progress (no output, no usage).
pub(crate) fn response_value(call: &Call, created_at: u64, content: Option<Content<'_>>) -> Value {
    let (status, output, usage) = match content {
        Some(content) => (
            "completed",
            json!(output(call, content)),
            usage(call, content),
        ),
        None => ("in_progress", json!([]), Value::Null),
    };
    json!({
        "id": response_id(call.seq),
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": null,
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "model": call.model,
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "store": false,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "metadata": {},
    })
}

/// A whole response answer.
pub(crate) fn response(call: &Call, content: Content<'_>) -> Answer {
    let mut answer = Answer::json(
        StatusCode::OK,
        body(&response_value(call, now(), Some(content))),
    );
    answer.pieces = content.pieces();
    answer
}

/// A 200 answer whose JSON body stops half-way.
pub(crate) fn truncated(call: &Call) -> Answer {
    let whole = body(&response_value(
        call,
        now(),
        Some(Content::Text("this body is cut short")),
    ));
    Answer::json(StatusCode::OK, whole.slice(..whole.len() / 2))
}
