//! The same round trip for streamed answers: the client's stream is accumulated the way its
//! SDK builds the assistant message it sends back.

use std::collections::BTreeMap;

use bitrouter_core::StreamPart;
use bitrouter_protocols::{
    RequestContext, SseDecoder, StreamOptions, decode_request, stream_decoder, stream_encoder,
};
use serde_json::{Map, Value, json};

use super::{ANTHROPIC, CHAT, GOOGLE, QUESTION, encode_for, native_proofs};

const ANTHROPIC_STREAM: &str =
    include_str!("../fixtures/anthropic_messages/stream_thinking_tool.sse");
const GEMINI_STREAM: &str = include_str!("../fixtures/signatures/gemini_stream_thought_call.sse");

fn events(bytes: &[u8]) -> Vec<Value> {
    let mut sse = SseDecoder::new();
    let mut events = Vec::new();
    sse.push(bytes, &mut events).unwrap();
    sse.finish(&mut events);
    events
        .iter()
        .filter(|e| e.data != "[DONE]")
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect()
}

/// Upstream stream of `from` re-encoded as the client stream of `to`.
fn relay(from: bitrouter_core::Protocol, to: bitrouter_core::Protocol, upstream: &str) -> Vec<u8> {
    let mut sse = SseDecoder::new();
    let mut upstream_events = Vec::new();
    sse.push(upstream.as_bytes(), &mut upstream_events).unwrap();
    sse.finish(&mut upstream_events);
    let mut decoder = stream_decoder(from);
    let mut parts: Vec<StreamPart> = Vec::new();
    for e in &upstream_events {
        decoder.decode(e, &mut parts).unwrap();
    }
    let mut encoder = stream_encoder(to, StreamOptions::default());
    let mut out = Vec::new();
    for p in &parts {
        encoder.encode(p, &mut out);
    }
    encoder.finish(&mut out);
    out
}

/// A Chat Completions stream accumulated like OpenRouter's clients do: text and reasoning
/// concatenated, `reasoning_details` merged by `index`, tool calls by `index`.
fn chat_message(stream: &[u8]) -> Value {
    let mut content = String::new();
    let mut reasoning = String::new();
    let mut details: BTreeMap<u64, Map<String, Value>> = BTreeMap::new();
    let mut calls: BTreeMap<u64, Value> = BTreeMap::new();
    for chunk in events(stream) {
        let Some(delta) = chunk["choices"].get(0).map(|c| &c["delta"]) else {
            continue;
        };
        content.push_str(delta["content"].as_str().unwrap_or(""));
        reasoning.push_str(delta["reasoning_content"].as_str().unwrap_or(""));
        for d in delta["reasoning_details"].as_array().into_iter().flatten() {
            let entry = details.entry(d["index"].as_u64().unwrap()).or_default();
            for (k, v) in d.as_object().unwrap() {
                match (k.as_str(), entry.get_mut(k)) {
                    ("text", Some(Value::String(acc))) => acc.push_str(v.as_str().unwrap()),
                    _ => {
                        entry.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        for c in delta["tool_calls"].as_array().into_iter().flatten() {
            let call = calls
                .entry(c["index"].as_u64().unwrap())
                .or_insert_with(|| json!({"type": "function", "function": {"arguments": ""}}));
            if let Some(id) = c.get("id") {
                call["id"] = id.clone();
            }
            if let Some(name) = c["function"].get("name") {
                call["function"]["name"] = name.clone();
            }
            let args = call["function"]["arguments"].as_str().unwrap().to_owned()
                + c["function"]["arguments"].as_str().unwrap_or("");
            call["function"]["arguments"] = json!(args);
        }
    }
    json!({"role": "assistant", "content": content, "reasoning_content": reasoning,
        "reasoning_details": details.into_values().collect::<Vec<_>>(),
        "tool_calls": calls.into_values().collect::<Vec<_>>()})
}

/// An Anthropic stream accumulated like the Anthropic SDK: blocks from `content_block_start`,
/// completed by their deltas.
fn anthropic_content(stream: &[u8]) -> Vec<Value> {
    let mut blocks: Vec<Value> = Vec::new();
    let mut json_input: BTreeMap<usize, String> = BTreeMap::new();
    for e in events(stream) {
        match e["type"].as_str().unwrap() {
            "content_block_start" => blocks.push(e["content_block"].clone()),
            "content_block_delta" => {
                let i = e["index"].as_u64().unwrap() as usize;
                let d = &e["delta"];
                let block = &mut blocks[i];
                let append = |block: &mut Value, key: &str, more: &Value| {
                    let s = block[key].as_str().unwrap_or("").to_owned() + more.as_str().unwrap();
                    block[key] = json!(s);
                };
                match d["type"].as_str().unwrap() {
                    "text_delta" => append(block, "text", &d["text"]),
                    "thinking_delta" => append(block, "thinking", &d["thinking"]),
                    "signature_delta" => block["signature"] = d["signature"].clone(),
                    "input_json_delta" => json_input
                        .entry(i)
                        .or_default()
                        .push_str(d["partial_json"].as_str().unwrap()),
                    other => panic!("unexpected delta {other}"),
                }
            }
            _ => {}
        }
    }
    for (i, input) in json_input {
        blocks[i]["input"] = serde_json::from_str(&input).unwrap();
    }
    blocks
}

#[test]
fn anthropic_stream_through_a_chat_client() {
    let message = chat_message(&relay(ANTHROPIC, CHAT, ANTHROPIC_STREAM));
    let mut messages = vec![
        json!({"role": "user", "content": QUESTION}),
        message.clone(),
    ];
    for call in message["tool_calls"].as_array().unwrap() {
        messages.push(json!({"role": "tool", "tool_call_id": call["id"], "content": "18C"}));
    }
    let body = json!({"model": "m", "messages": messages}).to_string();
    let mut request = decode_request(CHAT, body.as_bytes(), &RequestContext::default()).unwrap();
    request.model = "claude".into();
    let upstream = encode_for(ANTHROPIC, &request);
    assert_eq!(
        native_proofs(ANTHROPIC, &upstream),
        ["thinking|I need the weather and the time.\
          |EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."]
    );
    // The thinking block opens the assistant turn, before its text and tool calls.
    let assistant = &upstream["messages"][1]["content"];
    assert_eq!(assistant[0]["type"], "thinking");
    assert_eq!(assistant[2]["type"], "tool_use");
}

#[test]
fn gemini_stream_through_an_anthropic_client() {
    let content = anthropic_content(&relay(GOOGLE, ANTHROPIC, GEMINI_STREAM));
    let results: Vec<Value> = content
        .iter()
        .filter(|b| b["type"] == "tool_use")
        .map(|b| json!({"type": "tool_result", "tool_use_id": b["id"], "content": "18C"}))
        .collect();
    assert_eq!(results.len(), 1, "{content:?}");
    let body = json!({"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": content},
        {"role": "user", "content": results},
    ]})
    .to_string();
    let mut request =
        decode_request(ANTHROPIC, body.as_bytes(), &RequestContext::default()).unwrap();
    request.model = "gemini-3-pro-preview".into();
    assert_eq!(
        native_proofs(GOOGLE, &encode_for(GOOGLE, &request)),
        [
            "thought|**Checking the weather**\n\nI need Paris.|Cs4BAdHtim9mQ2lA+GEMINI+THOUGHT+SIG==",
            "call|get_weather|CiQBVKhc7nPq/GEMINI+CALL+SIG==",
        ]
    );
}
