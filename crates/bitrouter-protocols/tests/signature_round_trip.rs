//! Reasoning proofs survive a conversation whose client speaks another protocol than its
//! upstream: for every client protocol C and signing upstream protocol P (C != P), the
//! upstream's answer is decoded, encoded for the client, echoed back by the client the way its
//! SDK would, decoded, and encoded for the upstream again, which must then hold the original
//! signatures in its own fields, byte for byte. A third upstream must get none of them.
//! Fixtures: `fixtures/signatures/README.md`.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail the test on a bad fixture"
)]

#[path = "signature_round_trip/streams.rs"]
mod streams;

use bitrouter_core::{ChatRequest, Protocol};
use bitrouter_protocols::{
    RequestContext, decode_request, decode_response, encode_request, encode_response,
};
use serde_json::{Value, json};

const ANTHROPIC: Protocol = Protocol::AnthropicMessages;
const GOOGLE: Protocol = Protocol::GoogleGenerateContent;
const RESPONSES: Protocol = Protocol::OpenaiResponses;
const CHAT: Protocol = Protocol::OpenaiChat;

const ANTHROPIC_ANSWER: &str = include_str!("fixtures/signatures/anthropic_thinking_tool.json");
const GEMINI_ANSWER: &str = include_str!("fixtures/signatures/gemini_thought_call.json");
const RESPONSES_ANSWER: &str = include_str!("fixtures/signatures/responses_reasoning_call.json");

const QUESTION: &str = "What is the weather in Paris?";

/// The signing upstream's answer and the proofs, as [`native_proofs`] lists them, that its
/// next request must carry.
fn upstream_case(upstream: Protocol) -> (&'static str, Vec<String>) {
    match upstream {
        ANTHROPIC => (
            ANTHROPIC_ANSWER,
            vec![
                "thinking|The user wants the weather in Paris; I should call get_weather.\
                 |EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds/ANTHROPIC+SIG=="
                    .into(),
                "redacted|EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2Y\
                 fWXGmKDxH4mPnZ5sQ7vB5URj"
                    .into(),
            ],
        ),
        GOOGLE => (
            GEMINI_ANSWER,
            vec![
                "thought|**Checking the weather**\n\nI need the current weather in Paris.\
                 |Cs4BAdHtim9mQ2lA+GEMINI+THOUGHT+SIG=="
                    .into(),
                "call|get_weather|CiQBVKhc7nPq/GEMINI+CALL+SIG==".into(),
            ],
        ),
        RESPONSES => (
            RESPONSES_ANSWER,
            vec![
                "reasoning|rs_6820f383d7c08191846711c5df8233bc\
                 |**Looking up weather**\n\nThe user asks about Paris.\
                 |gAAAAABoISQ24OyVRYbkYfukCs3YHF5N2pcQQIdFLtXdOn2GBgQj-RESPONSES_ENC"
                    .into(),
            ],
        ),
        other => panic!("{other} does not sign reasoning"),
    }
}

/// The reasoning proofs in an upstream request body, in P's own fields, in order.
fn native_proofs(upstream: Protocol, body: &Value) -> Vec<String> {
    let mut found = Vec::new();
    match upstream {
        ANTHROPIC => {
            for m in body["messages"].as_array().unwrap() {
                for b in m["content"].as_array().into_iter().flatten() {
                    match b["type"].as_str() {
                        Some("thinking") => found.push(format!(
                            "thinking|{}|{}",
                            b["thinking"].as_str().unwrap(),
                            b["signature"].as_str().unwrap()
                        )),
                        Some("redacted_thinking") => {
                            found.push(format!("redacted|{}", b["data"].as_str().unwrap()));
                        }
                        _ => {}
                    }
                }
            }
        }
        GOOGLE => {
            for c in body["contents"].as_array().unwrap() {
                for p in c["parts"].as_array().unwrap() {
                    let Some(sig) = p["thoughtSignature"].as_str() else {
                        continue;
                    };
                    if let Some(name) = p["functionCall"]["name"].as_str() {
                        found.push(format!("call|{name}|{sig}"));
                    } else {
                        found.push(format!("thought|{}|{sig}", p["text"].as_str().unwrap()));
                    }
                }
            }
        }
        RESPONSES => {
            for item in body["input"].as_array().unwrap() {
                if item["type"] == "reasoning" {
                    found.push(format!(
                        "reasoning|{}|{}|{}",
                        item["id"].as_str().unwrap_or(""),
                        item["summary"][0]["text"].as_str().unwrap_or(""),
                        item["encrypted_content"].as_str().unwrap()
                    ));
                }
            }
        }
        other => panic!("{other} does not sign reasoning"),
    }
    found
}

/// The raw signature values of an upstream case (the last `|` field of each proof).
fn raw_values(proofs: &[String]) -> Vec<&str> {
    proofs
        .iter()
        .map(|p| p.rsplit('|').next().unwrap())
        .collect()
}

/// The client's next request: its question, the assistant turn exactly as it received it, and
/// a result for every tool call in it.
fn next_turn(client: Protocol, answer: &Value) -> Value {
    let result = json!({"temperature": "18C"}).to_string();
    match client {
        ANTHROPIC => {
            let content = answer["content"].clone();
            let results: Vec<Value> = content
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["type"] == "tool_use")
                .map(|b| json!({"type": "tool_result", "tool_use_id": b["id"], "content": result}))
                .collect();
            json!({"model": "m", "max_tokens": 1024, "messages": [
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": content},
                {"role": "user", "content": results},
            ]})
        }
        GOOGLE => {
            let content = answer["candidates"][0]["content"].clone();
            let results: Vec<Value> = content["parts"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| p.get("functionCall"))
                .map(|c| {
                    json!({"functionResponse": {"id": c["id"], "name": c["name"],
                    "response": {"output": "18C"}}})
                })
                .collect();
            json!({"contents": [
                {"role": "user", "parts": [{"text": QUESTION}]},
                content,
                {"role": "user", "parts": results},
            ]})
        }
        RESPONSES => {
            let mut input = vec![json!({"role": "user", "content": QUESTION})];
            for item in answer["output"].as_array().unwrap() {
                input.push(item.clone());
            }
            for item in answer["output"].as_array().unwrap() {
                if item["type"] == "function_call" {
                    input.push(json!({"type": "function_call_output",
                        "call_id": item["call_id"], "output": result}));
                }
            }
            json!({"model": "m", "input": input})
        }
        CHAT => {
            let message = answer["choices"][0]["message"].clone();
            let mut messages = vec![
                json!({"role": "user", "content": QUESTION}),
                message.clone(),
            ];
            for call in message["tool_calls"].as_array().into_iter().flatten() {
                messages
                    .push(json!({"role": "tool", "tool_call_id": call["id"], "content": result}));
            }
            json!({"model": "m", "messages": messages})
        }
    }
}

/// Two turns through BitRouter: the canonical request the client's second turn decodes to.
fn second_turn(client: Protocol, upstream: Protocol, answer: &str) -> ChatRequest {
    let response = decode_response(upstream, answer.as_bytes()).unwrap();
    let for_client = encode_response(client, &response).unwrap();
    let for_client: Value = serde_json::from_slice(&for_client).unwrap();
    let body = next_turn(client, &for_client).to_string();
    let cx = RequestContext {
        path_model: Some("m"),
        path_stream: false,
    };
    let mut request = decode_request(client, body.as_bytes(), &cx)
        .unwrap_or_else(|e| panic!("{client} client's next turn: {e}\n{body}"));
    request.model = "upstream-model".into();
    request
}

fn encode_for(upstream: Protocol, request: &ChatRequest) -> Value {
    serde_json::from_slice(&encode_request(upstream, request).unwrap()).unwrap()
}

#[test]
fn every_client_protocol_carries_every_upstreams_signatures_to_the_next_turn() {
    for upstream in [ANTHROPIC, GOOGLE, RESPONSES] {
        let (answer, expected) = upstream_case(upstream);
        for client in Protocol::ALL.into_iter().filter(|c| *c != upstream) {
            let request = second_turn(client, upstream, answer);
            let body = encode_for(upstream, &request);
            assert_eq!(
                native_proofs(upstream, &body),
                expected,
                "{upstream} upstream through a {client} client"
            );
            let text = body.to_string();
            assert!(!text.contains("brsig1"), "an envelope leaked: {text}");
            assert!(!text.contains("YnJzaWcxL"), "an envelope leaked: {text}");
        }
    }
}

#[test]
fn other_upstreams_never_get_foreign_signatures() {
    for upstream in [ANTHROPIC, GOOGLE, RESPONSES] {
        let (answer, expected) = upstream_case(upstream);
        for client in Protocol::ALL.into_iter().filter(|c| *c != upstream) {
            let request = second_turn(client, upstream, answer);
            for third in Protocol::ALL.into_iter().filter(|q| *q != upstream) {
                let text = encode_for(third, &request).to_string();
                for value in raw_values(&expected) {
                    assert!(
                        !text.contains(value),
                        "{upstream} signature sent to {third} (client {client}): {text}"
                    );
                }
                assert!(
                    !text.contains("brsig1") && !text.contains("YnJzaWcxL"),
                    "{text}"
                );
                // The conversation itself goes on: the tool call and its result are there.
                assert!(text.contains("get_weather"), "{third}: {text}");
                assert!(text.contains("18C"), "{third}: {text}");
            }
        }
    }
}

#[test]
fn a_gemini_client_sees_only_base64_signatures() {
    // Google's SDKs hold thoughtSignature as bytes: a foreign proof must be valid base64.
    let response = decode_response(ANTHROPIC, ANTHROPIC_ANSWER.as_bytes()).unwrap();
    let body: Value = serde_json::from_slice(&encode_response(GOOGLE, &response).unwrap()).unwrap();
    let parts = body["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    let sigs: Vec<&str> = parts
        .iter()
        .filter_map(|p| p["thoughtSignature"].as_str())
        .collect();
    assert_eq!(sigs.len(), 2, "{body}");
    for sig in sigs {
        assert!(sig.starts_with("YnJzaWcxL"), "{sig}");
        assert!(
            sig.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'='),
            "{sig}"
        );
        assert_eq!(sig.len() % 4, 0, "{sig}");
    }
    assert_eq!(parts[0]["thought"], json!(true));
    assert_eq!(parts[2]["functionCall"]["name"], "get_weather");
}

#[test]
fn an_anthropic_client_gets_the_call_signature_in_an_empty_thinking_block() {
    let response = decode_response(GOOGLE, GEMINI_ANSWER.as_bytes()).unwrap();
    let body: Value =
        serde_json::from_slice(&encode_response(ANTHROPIC, &response).unwrap()).unwrap();
    let content = body["content"].as_array().unwrap();
    assert_eq!(content.len(), 3, "{body}");
    assert_eq!(
        content[0]["signature"],
        "brsig1.google_generate_content.sig.Cs4BAdHtim9mQ2lA+GEMINI+THOUGHT+SIG=="
    );
    assert_eq!(
        content[1],
        json!({"type": "thinking", "thinking": "",
            "signature": "brsig1.google_generate_content.call.CiQBVKhc7nPq/GEMINI+CALL+SIG=="})
    );
    assert_eq!(content[2]["type"], "tool_use");
}

#[test]
fn a_chat_client_gets_openrouter_reasoning_details() {
    let response = decode_response(GOOGLE, GEMINI_ANSWER.as_bytes()).unwrap();
    let body: Value = serde_json::from_slice(&encode_response(CHAT, &response).unwrap()).unwrap();
    let message = &body["choices"][0]["message"];
    assert_eq!(
        message["reasoning_content"],
        "**Checking the weather**\n\nI need the current weather in Paris."
    );
    assert_eq!(
        message["reasoning_details"],
        json!([
            {"type": "reasoning.text",
                "text": "**Checking the weather**\n\nI need the current weather in Paris.",
                "signature": "brsig1.google_generate_content.sig.Cs4BAdHtim9mQ2lA+GEMINI+THOUGHT+SIG==",
                "id": "reasoning_0", "format": "google-gemini-v1", "index": 0},
            {"type": "reasoning.encrypted",
                "data": "brsig1.google_generate_content.call.CiQBVKhc7nPq/GEMINI+CALL+SIG==",
                "id": "call_0_get_weather", "format": "google-gemini-v1", "index": 1},
        ])
    );
}

#[test]
fn openrouter_style_bare_details_take_their_origin_from_format() {
    // What OpenRouter itself returns for Claude and Gemini 3, sent back by its client.
    let body = json!({"model": "m", "messages": [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": null,
            "reasoning_details": [
                {"type": "reasoning.text", "text": "hmm", "signature": "EqClaude",
                    "format": "anthropic-claude-v1", "index": 0},
                {"type": "reasoning.encrypted", "data": "CiGemini", "id": "call_1",
                    "format": "google-gemini-v1", "index": 1},
            ],
            "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]});
    let mut request = decode_request(
        CHAT,
        body.to_string().as_bytes(),
        &RequestContext::default(),
    )
    .unwrap();
    request.model = "x".into();
    assert_eq!(
        native_proofs(ANTHROPIC, &encode_for(ANTHROPIC, &request)),
        ["thinking|hmm|EqClaude"]
    );
    assert_eq!(
        native_proofs(GOOGLE, &encode_for(GOOGLE, &request)),
        ["call|get_weather|CiGemini"]
    );
}
