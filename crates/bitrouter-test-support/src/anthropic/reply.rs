//! Non-streamed `message` bodies.

use http::StatusCode;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::protocol::{Call, Content};
use crate::sse::{arguments_object, body};
use crate::tokens::count_words;

/// The message id for request `seq`.
pub(crate) fn message_id(seq: u64) -> String {
    format!("msg_fake{seq}")
}

/// The id of tool call `position` in the answer to request `seq`.
pub(crate) fn tool_use_id(seq: u64, position: usize) -> String {
    format!("toolu_{seq}_{position}")
}

/// The signature of the thinking block in the answer to request `seq`.
pub(crate) fn signature(seq: u64) -> String {
    format!("sig-{seq}")
}

/// Output tokens: the words of the content, plus the thinking when there is some.
pub(crate) fn output_tokens(call: &Call, content: Content<'_>) -> u64 {
    let words = match content {
        Content::Text(text) => count_words(text),
        Content::ToolCalls(calls) => calls
            .iter()
            .map(|(name, arguments)| count_words(name).saturating_add(count_words(arguments)))
            .fold(0, u64::saturating_add),
    };
    let thinking = if call.reasoning {
        count_words(&call.thought())
    } else {
        0
    };
    words.saturating_add(thinking)
}

/// The usage object; the fake never caches, so both cache counts are zero.
pub(crate) fn usage(call: &Call, output_tokens: u64) -> Value {
    json!({
        "input_tokens": call.prompt_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

/// Why the answer stopped.
pub(crate) fn stop_reason(content: Content<'_>) -> &'static str {
    match content {
        Content::Text(_) => "end_turn",
        Content::ToolCalls(_) => "tool_use",
    }
}

fn message_value(call: &Call, content: Content<'_>) -> Value {
    let mut blocks = Vec::new();
    if call.reasoning {
        blocks.push(json!({
            "type": "thinking",
            "thinking": call.thought(),
            "signature": signature(call.seq),
        }));
    }
    match content {
        Content::Text(text) => blocks.push(json!({"type": "text", "text": text})),
        Content::ToolCalls(calls) => {
            for (position, (name, arguments)) in calls.iter().enumerate() {
                blocks.push(json!({
                    "type": "tool_use",
                    "id": tool_use_id(call.seq, position),
                    "name": name,
                    "input": arguments_object(arguments),
                }));
            }
        }
    }
    json!({
        "id": message_id(call.seq),
        "type": "message",
        "role": "assistant",
        "model": call.model,
        "content": blocks,
        "stop_reason": stop_reason(content),
        "stop_sequence": null,
        "usage": usage(call, output_tokens(call, content)),
    })
}

/// A whole `message` answer.
pub(crate) fn message(call: &Call, content: Content<'_>) -> Answer {
    let mut answer = Answer::json(StatusCode::OK, body(&message_value(call, content)));
    answer.pieces = content.pieces();
    answer
}

/// A 200 answer whose JSON body stops half-way.
pub(crate) fn truncated(call: &Call) -> Answer {
    let whole = body(&message_value(
        call,
        Content::Text("this body is cut short"),
    ));
    Answer::json(StatusCode::OK, whole.slice(..whole.len() / 2))
}
