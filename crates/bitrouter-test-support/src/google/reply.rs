//! `GenerateContentResponse` bodies: one whole body, a stream of chunks as server-sent events
//! (`alt=sse`), or the same chunks as one JSON array (no `alt`).
//!
//! Function calls carry no `id`, as Gemini's often do not. With `includeThoughts`, a thought
//! part (`thought: true`) comes first; the thought signature is on the first part of a text
//! answer and on the first `functionCall` part of a tool-call answer (where Gemini puts it).

use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};

use crate::answer::Answer;
use crate::protocol::{Call, Content};
use crate::sse::{arguments_object, body, crlf};
use crate::tokens::{count_words, word_pieces};

fn response_id(seq: u64) -> String {
    format!("fake-response-{seq}")
}

fn signature(seq: u64) -> String {
    format!("sig-{seq}")
}

fn usage(call: &Call, content: Content<'_>) -> Value {
    let candidates = match content {
        Content::Text(text) => count_words(text),
        Content::ToolCalls(calls) => calls
            .iter()
            .map(|(name, arguments)| count_words(name).saturating_add(count_words(arguments)))
            .fold(0, u64::saturating_add),
    };
    let thoughts = if call.reasoning {
        count_words(&call.thought())
    } else {
        0
    };
    let mut usage = json!({
        "promptTokenCount": call.prompt_tokens,
        "candidatesTokenCount": candidates,
        "totalTokenCount": call.prompt_tokens.saturating_add(candidates).saturating_add(thoughts),
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": call.prompt_tokens}],
    });
    if call.reasoning {
        usage["thoughtsTokenCount"] = json!(thoughts);
    }
    usage
}

/// One response (or chunk) with the given parts; `last` adds the finish reason and usage.
fn chunk(call: &Call, parts: Vec<Value>, last: Option<Content<'_>>) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    let mut response = json!({
        "candidates": [],
        "modelVersion": call.model,
        "responseId": response_id(call.seq),
    });
    if let Some(content) = last {
        candidate["finishReason"] = json!("STOP");
        response["usageMetadata"] = usage(call, content);
    }
    response["candidates"] = json!([candidate]);
    response
}

fn thought_part(call: &Call, signed: bool) -> Value {
    let mut part = json!({"text": call.thought(), "thought": true});
    if signed {
        part["thoughtSignature"] = json!(signature(call.seq));
    }
    part
}

fn call_parts(call: &Call, calls: &[(String, String)]) -> Vec<Value> {
    calls
        .iter()
        .enumerate()
        .map(|(position, (name, arguments))| {
            let mut part =
                json!({"functionCall": {"name": name, "args": arguments_object(arguments)}});
            // Gemini 3 models think whatever the request says, and sign the first call.
            if (call.reasoning || call.model.starts_with("gemini-3")) && position == 0 {
                part["thoughtSignature"] = json!(signature(call.seq));
            }
            part
        })
        .collect()
}

/// The chunks of an answer: the whole answer is their concatenation.
fn chunks(call: &Call, content: Content<'_>) -> Vec<Value> {
    let mut chunks = Vec::new();
    match content {
        Content::Text(text) => {
            if call.reasoning {
                chunks.push(chunk(call, vec![thought_part(call, true)], None));
            }
            let mut pieces = word_pieces(text);
            if pieces.is_empty() {
                pieces.push("");
            }
            let count = pieces.len();
            for (position, piece) in pieces.into_iter().enumerate() {
                let last = (position + 1 == count).then_some(content);
                chunks.push(chunk(call, vec![json!({"text": piece})], last));
            }
        }
        Content::ToolCalls(calls) => {
            if call.reasoning {
                chunks.push(chunk(call, vec![thought_part(call, false)], None));
            }
            chunks.push(chunk(call, call_parts(call, calls), Some(content)));
        }
    }
    chunks
}

fn whole(call: &Call, content: Content<'_>) -> Value {
    let mut parts = Vec::new();
    match content {
        Content::Text(text) => {
            if call.reasoning {
                parts.push(thought_part(call, true));
            }
            parts.push(json!({"text": text}));
        }
        Content::ToolCalls(calls) => {
            if call.reasoning {
                parts.push(thought_part(call, false));
            }
            parts.extend(call_parts(call, calls));
        }
    }
    chunk(call, parts, Some(content))
}

/// The answer to `call`: whole, SSE, or a JSON array of chunks.
pub(crate) fn answer(call: &Call, content: Content<'_>) -> Answer {
    let mut answer = if !call.stream {
        Answer::json(StatusCode::OK, body(&whole(call, content)))
    } else if call.json_array_stream {
        let items: Vec<String> = chunks(call, content).iter().map(Value::to_string).collect();
        Answer::json(StatusCode::OK, format!("[{}]", items.join(",\r\n")))
    } else {
        let events = chunks(call, content).iter().map(crlf).collect();
        Answer::events(events, 1)
    };
    answer.pieces = content.pieces();
    answer
}

/// A 200 answer whose JSON body stops half-way.
pub(crate) fn truncated(call: &Call) -> Answer {
    let whole = body(&whole(call, Content::Text("this body is cut short")));
    Answer::json(StatusCode::OK, whole.slice(..whole.len() / 2))
}

/// A stream with one valid chunk, then an event whose data is cut-off JSON.
pub(crate) fn malformed(call: &Call) -> Answer {
    let first = crlf(&chunk(call, vec![json!({"text": "trunc"})], None));
    let broken = Bytes::from_static(
        b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"ated\r\n\r\n",
    );
    Answer::events(vec![first, broken], 1)
}
