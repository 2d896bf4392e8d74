//! The Anthropic Messages codec against fixtures that follow the official API reference
//! (see `fixtures/anthropic_messages/README.md`).

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions fail the test on a bad fixture"
)]

use bitrouter_core::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, ImageSource, Message, Parameters,
    Protocol, Reasoning, ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Signature,
    StreamPart, ToolCall, ToolChoice, ToolDefinition, ToolResult, Usage,
};
use bitrouter_protocols::{
    DecodeError, ErrorInfo, RequestContext, SseDecoder, StreamOptions, decode_request,
    decode_response, encode_request, encode_response, error_body, error_message, stream_decoder,
    stream_encoder,
};
use serde_json::{Value, json};

const P: Protocol = Protocol::AnthropicMessages;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/anthropic_messages/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Feeds the chunks through the SSE decoder and the stream decoder.
fn decode_stream(chunks: &[&[u8]]) -> Result<Vec<StreamPart>, (Vec<StreamPart>, DecodeError)> {
    let mut sse = SseDecoder::new();
    let mut events = Vec::new();
    for c in chunks {
        sse.push(c, &mut events).unwrap();
    }
    sse.finish(&mut events);
    let mut decoder = stream_decoder(P);
    let mut parts = Vec::new();
    for e in &events {
        if let Err(err) = decoder.decode(e, &mut parts) {
            return Err((parts, err));
        }
    }
    assert!(decoder.is_done(), "stream did not reach message_stop");
    Ok(parts)
}

fn encode_stream(parts: &[StreamPart]) -> Vec<u8> {
    let mut encoder = stream_encoder(P, StreamOptions::default());
    let mut out = Vec::new();
    for p in parts {
        encoder.encode(p, &mut out);
    }
    encoder.finish(&mut out);
    out
}

fn text(t: &str) -> ContentPart {
    ContentPart::Text { text: t.into() }
}

fn call(id: &str, name: &str, arguments: &str) -> ContentPart {
    ContentPart::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
        signature: None,
    })
}

fn result(call_id: &str, content: Vec<ContentPart>, is_error: bool) -> ContentPart {
    ContentPart::ToolResult(ToolResult {
        call_id: call_id.into(),
        name: None,
        content,
        is_error,
    })
}

fn msg(role: Role, content: Vec<ContentPart>) -> Message {
    Message { role, content }
}

// ---------------------------------------------------------------- answers

#[test]
fn plain_answer_decodes_with_cache_counts_folded_into_input() {
    let r = decode_response(P, &fixture("response_text.json")).unwrap();
    assert_eq!(
        r,
        ChatResponse {
            id: "msg_013Zva2CMHLNnXjNJJKqJ2EF".into(),
            model: "claude-sonnet-4-5-20250929".into(),
            content: vec![text("Hi! My name is Claude.")],
            finish_reason: FinishReason::Stop,
            usage: Usage {
                input_tokens: 2095 + 1000 + 100,
                cached_input_tokens: 1000,
                cache_write_tokens: 100,
                output_tokens: 503,
                reasoning_tokens: 0,
            },
            created: None,
        }
    );
}

#[test]
fn parallel_tool_use_answer_decodes_to_two_calls() {
    let r = decode_response(P, &fixture("response_tool_use.json")).unwrap();
    assert_eq!(r.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        r.content,
        vec![
            text("I'll check the weather and the time in San Francisco."),
            call(
                "toolu_01A09q90qw90lq917835lq9",
                "get_weather",
                r#"{"location":"San Francisco, CA","unit":"celsius"}"#
            ),
            call(
                "toolu_01B09q90qw90lq917835lq9",
                "get_time",
                r#"{"timezone":"America/Los_Angeles"}"#
            ),
        ]
    );
    assert_eq!(r.usage.input_tokens, 472);
    assert_eq!(r.usage.output_tokens, 89);
}

#[test]
fn thinking_answer_keeps_signature_and_redacted_data() {
    let r = decode_response(P, &fixture("response_thinking.json")).unwrap();
    assert_eq!(
        r.content,
        vec![
            ContentPart::Reasoning(Reasoning {
                text: "Let me analyze this step by step...".into(),
                signature: Some(Signature::new(Protocol::AnthropicMessages, "WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....")),
                ..Reasoning::default()
            }),
            ContentPart::Reasoning(Reasoning {
                redacted: Some(
                    "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj".into()
                ),
                ..Reasoning::default()
            }),
            text("Based on my analysis..."),
        ]
    );
}

#[test]
fn answers_round_trip_and_encode_the_official_shape() {
    for name in [
        "response_text.json",
        "response_tool_use.json",
        "response_thinking.json",
    ] {
        let decoded = decode_response(P, &fixture(name)).unwrap();
        let encoded = encode_response(P, &decoded).unwrap();
        assert_eq!(decode_response(P, &encoded).unwrap(), decoded, "{name}");
    }
    let decoded = decode_response(P, &fixture("response_text.json")).unwrap();
    let v: Value = serde_json::from_slice(&encode_response(P, &decoded).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({
            "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "Hi! My name is Claude."}],
            "stop_reason": "end_turn",
            "stop_sequence": null,
            "usage": {
                "input_tokens": 2095,
                "cache_creation_input_tokens": 100,
                "cache_read_input_tokens": 1000,
                "output_tokens": 503
            }
        })
    );
}

#[test]
fn foreign_answer_encodes_tool_calls_as_tool_use_and_unsigned_reasoning_as_thinking() {
    let r = ChatResponse {
        id: "chatcmpl-1".into(),
        model: "gpt-x".into(),
        content: vec![
            ContentPart::Reasoning(Reasoning {
                text: "hmm".into(),
                ..Reasoning::default()
            }),
            call("call_1", "f", ""),
        ],
        // Some upstreams say "stop" with tool calls; Anthropic clients need tool_use.
        finish_reason: FinishReason::Stop,
        usage: Usage::default(),
        created: Some(1),
    };
    let v: Value = serde_json::from_slice(&encode_response(P, &r).unwrap()).unwrap();
    assert_eq!(
        v["content"],
        json!([
            {"type": "thinking", "thinking": "hmm", "signature": ""},
            {"type": "tool_use", "id": "call_1", "name": "f", "input": {}}
        ])
    );
    assert_eq!(v["stop_reason"], "tool_use");
}

// ---------------------------------------------------------------- streams

fn text_stream_parts() -> Vec<StreamPart> {
    vec![
        StreamPart::Start {
            id: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY".into(),
            model: "claude-sonnet-4-5-20250929".into(),
        },
        StreamPart::TextDelta {
            text: "Hello".into(),
        },
        StreamPart::TextDelta { text: "!".into() },
        StreamPart::Usage(Usage {
            input_tokens: 25,
            output_tokens: 15,
            ..Usage::default()
        }),
        StreamPart::Finish {
            reason: FinishReason::Stop,
        },
    ]
}

fn thinking_tool_stream_parts() -> Vec<StreamPart> {
    vec![
        StreamPart::Start {
            id: "msg_014p7gG3wDgGV9EUtLvnow3U".into(),
            model: "claude-sonnet-4-5-20250929".into(),
        },
        StreamPart::ReasoningDelta {
            text: "I need the weather".into(),
        },
        StreamPart::ReasoningDelta {
            text: " and the time.".into(),
        },
        StreamPart::ReasoningSignature {
            signature: Signature::new(
                Protocol::AnthropicMessages,
                "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...",
            ),
        },
        StreamPart::TextDelta {
            text: "Okay, let's check the weather for San Francisco, CA:".into(),
        },
        StreamPart::ToolCallStart {
            index: 0,
            id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6".into(),
            name: "get_weather".into(),
            signature: None,
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: "{\"location\":".into(),
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: " \"San Fra".into(),
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: "ncisco, CA\", \"unit\": \"fahrenheit\"}".into(),
        },
        StreamPart::ToolCallStart {
            index: 1,
            id: "toolu_01T1x1fJ34qAmk2tNTrN7Up7".into(),
            name: "get_time".into(),
            signature: None,
        },
        StreamPart::ToolCallDelta {
            index: 1,
            arguments: "{\"timezone\": \"America/Los_Angeles\"}".into(),
        },
        StreamPart::Usage(Usage {
            input_tokens: 472 + 20 + 300,
            cached_input_tokens: 300,
            cache_write_tokens: 20,
            output_tokens: 89,
            reasoning_tokens: 0,
        }),
        StreamPart::Finish {
            reason: FinishReason::ToolCalls,
        },
    ]
}

/// `parts` with the prompt's usage reported right after `Start`, as the decoder does at
/// `message_start` so that a stream cut short still has its input tokens on record.
fn with_start_usage(mut parts: Vec<StreamPart>, usage: Usage) -> Vec<StreamPart> {
    parts.insert(1, StreamPart::Usage(usage));
    parts
}

#[test]
fn text_stream_decodes_to_exact_parts() {
    let start = Usage {
        input_tokens: 25,
        output_tokens: 1,
        ..Usage::default()
    };
    assert_eq!(
        decode_stream(&[&fixture("stream_text.sse")]).unwrap(),
        with_start_usage(text_stream_parts(), start)
    );
}

#[test]
fn thinking_and_tool_stream_decodes_with_tool_ordinals() {
    let start = Usage {
        input_tokens: 792,
        cached_input_tokens: 300,
        cache_write_tokens: 20,
        output_tokens: 2,
        ..Usage::default()
    };
    assert_eq!(
        decode_stream(&[&fixture("stream_thinking_tool.sse")]).unwrap(),
        with_start_usage(thinking_tool_stream_parts(), start)
    );
}

#[test]
fn streams_split_at_every_byte_decode_the_same() {
    for name in ["stream_text.sse", "stream_thinking_tool.sse"] {
        let body = fixture(name);
        let whole = decode_stream(&[&body]).unwrap();
        for split in 1..body.len() {
            let (a, b) = body.split_at(split);
            assert_eq!(decode_stream(&[a, b]).unwrap(), whole, "{name} at {split}");
        }
    }
}

#[test]
fn error_event_mid_stream_is_an_error_with_its_message() {
    let (parts, err) = decode_stream(&[&fixture("stream_error.sse")]).unwrap_err();
    assert_eq!(
        err.message,
        "upstream stream error (overloaded_error): Overloaded"
    );
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "msg_01Overloaded".into(),
                model: "claude-sonnet-4-5-20250929".into(),
            },
            StreamPart::Usage(Usage {
                input_tokens: 25,
                output_tokens: 1,
                ..Usage::default()
            }),
            StreamPart::TextDelta { text: "Hel".into() },
        ]
    );
}

#[test]
fn encoded_streams_decode_back_to_the_same_parts() {
    for parts in [text_stream_parts(), thinking_tool_stream_parts()] {
        let bytes = encode_stream(&parts);
        assert_eq!(decode_stream(&[&bytes]).unwrap(), parts);
    }
}

/// The `(event name, data)` pairs of an encoded stream.
fn events(bytes: &[u8]) -> Vec<(String, Value)> {
    let mut sse = SseDecoder::new();
    let mut out = Vec::new();
    sse.push(bytes, &mut out).unwrap();
    sse.finish(&mut out);
    out.into_iter()
        .map(|e| (e.event.unwrap(), serde_json::from_str(&e.data).unwrap()))
        .collect()
}

#[test]
fn interleaved_parallel_tool_calls_each_get_a_whole_block() {
    // Parts as another protocol's decoder may yield them: two calls whose fragments
    // interleave, text after them, usage after finish.
    let parts = vec![
        StreamPart::Start {
            id: "chatcmpl-9".into(),
            model: "gpt-x".into(),
        },
        StreamPart::TextDelta { text: "Hi".into() },
        StreamPart::ToolCallStart {
            index: 0,
            id: "call_a".into(),
            name: "a".into(),
            signature: None,
        },
        StreamPart::ToolCallStart {
            index: 1,
            id: "call_b".into(),
            name: "b".into(),
            signature: None,
        },
        StreamPart::ToolCallDelta {
            index: 1,
            arguments: "{\"y\":".into(),
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: "{\"x\":1}".into(),
        },
        StreamPart::ToolCallDelta {
            index: 1,
            arguments: "2}".into(),
        },
        StreamPart::Finish {
            reason: FinishReason::ToolCalls,
        },
        StreamPart::Usage(Usage {
            input_tokens: 10,
            cached_input_tokens: 4,
            output_tokens: 7,
            ..Usage::default()
        }),
    ];
    let bytes = encode_stream(&parts);
    let ev = events(&bytes);
    let summary: Vec<String> = ev
        .iter()
        .map(|(name, d)| match name.as_str() {
            "content_block_start" => format!("start {} {}", d["index"], d["content_block"]["type"]),
            "content_block_delta" => format!("delta {}", d["index"]),
            "content_block_stop" => format!("stop {}", d["index"]),
            other => other.to_owned(),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "message_start",
            "start 0 \"text\"",
            "delta 0",
            "stop 0",
            "start 1 \"tool_use\"",
            "delta 1",
            "stop 1",
            "start 2 \"tool_use\"",
            "delta 2",
            "stop 2",
            "message_delta",
            "message_stop",
        ]
    );
    assert_eq!(ev[5].1["delta"]["partial_json"], "{\"x\":1}");
    assert_eq!(ev[8].1["delta"]["partial_json"], "{\"y\":2}");
    assert_eq!(
        ev[10].1,
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null},
            "usage": {
                "input_tokens": 6,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 4,
                "output_tokens": 7
            }
        })
    );
    // And an Anthropic client reading it gets the canonical parts back, in block order.
    let back = decode_stream(&[&bytes]).unwrap();
    assert!(back.contains(&StreamPart::ToolCallDelta {
        index: 1,
        arguments: "{\"y\":2}".into()
    }));
}

#[test]
fn redacted_thinking_is_a_whole_block_and_errors_are_error_events() {
    let mut encoder = stream_encoder(P, StreamOptions::default());
    let mut out = Vec::new();
    encoder.encode(
        &StreamPart::ReasoningOpaque {
            redacted: Some("abc".into()),
            encrypted: None,
            id: None,
        },
        &mut out,
    );
    encoder.error(
        &ErrorInfo {
            status: 529,
            message: "Overloaded",
            code: None,
        },
        &mut out,
    );
    encoder.finish(&mut out);
    let ev = events(&out);
    let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "content_block_stop",
            "error"
        ]
    );
    assert_eq!(
        ev[1].1["content_block"],
        json!({"type": "redacted_thinking", "data": "abc"})
    );
    assert_eq!(
        ev[3].1,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
}

// ---------------------------------------------------------------- errors

#[test]
fn error_bodies_follow_the_reference_shape() {
    assert_eq!(
        error_message(P, &fixture("error.json")).as_deref(),
        Some("The requested resource could not be found.")
    );
    let body = error_body(
        P,
        &ErrorInfo {
            status: 429,
            message: "slow down",
            code: Some("rate_limited"),
        },
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})
    );
    assert_eq!(error_message(P, &body).as_deref(), Some("slow down"));
    assert_eq!(error_message(P, b"not json"), None);
}

// ---------------------------------------------------------------- requests

fn decode_req(body: &[u8]) -> Result<ChatRequest, DecodeError> {
    decode_request(P, body, &RequestContext::default())
}

fn decode_req_err(body: Value) -> String {
    decode_req(body.to_string().as_bytes()).unwrap_err().message
}

fn encode_req(request: &ChatRequest) -> Value {
    serde_json::from_slice(&encode_request(P, request).unwrap()).unwrap()
}

fn fixture_request() -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet-4-5-20250929".into(),
        messages: vec![
            msg(
                Role::System,
                vec![
                    text("You are a weather assistant."),
                    text("Answer briefly."),
                ],
            ),
            msg(
                Role::User,
                vec![
                    ContentPart::Image {
                        source: ImageSource::Base64 {
                            media_type: "image/jpeg".into(),
                            data: "/9j/4AAQSkZJRg==".into(),
                        },
                        detail: None,
                    },
                    text("What's the weather like where this photo was taken, San Francisco?"),
                ],
            ),
            msg(
                Role::Assistant,
                vec![
                    ContentPart::Reasoning(Reasoning {
                        text: "The user wants the weather.".into(),
                        signature: Some(Signature::new(
                            Protocol::AnthropicMessages,
                            "EqQBCgIYAhIM",
                        )),
                        ..Reasoning::default()
                    }),
                    call(
                        "toolu_01A",
                        "get_weather",
                        r#"{"location":"San Francisco, CA"}"#,
                    ),
                    call("toolu_01B", "get_weather", r#"{"location":"Oakland, CA"}"#),
                ],
            ),
            msg(
                Role::Tool,
                vec![result("toolu_01A", vec![text("15 degrees")], false)],
            ),
            msg(
                Role::Tool,
                vec![result("toolu_01B", vec![text("error: no station")], true)],
            ),
            msg(Role::User, vec![text("And tomorrow?")]),
        ],
        tools: vec![ToolDefinition {
            name: "get_weather".into(),
            description: Some("Get the current weather in a given location".into()),
            parameters: json!({
                "type": "object",
                "properties": {"location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"}},
                "required": ["location"]
            }),
            strict: None,
        }],
        tool_choice: Some(ToolChoice::Auto),
        params: Parameters {
            max_tokens: Some(16000),
            top_k: Some(5),
            stop: vec!["END".into()],
            parallel_tool_calls: Some(false),
            user: Some("user-1234".into()),
            ..Parameters::default()
        },
        response_format: None,
        reasoning: Some(ReasoningConfig {
            budget_tokens: Some(10000),
            include_thoughts: Some(true),
            ..ReasoningConfig::default()
        }),
        stream: true,
    }
}

#[test]
fn request_decodes_with_tool_results_split_out_and_server_tools_skipped() {
    assert_eq!(
        decode_req(&fixture("request_tools.json")).unwrap(),
        fixture_request()
    );
}

#[test]
fn request_encodes_grouping_tool_results_into_one_user_turn() {
    let v = encode_req(&fixture_request());
    assert_eq!(
        v["system"],
        json!([
            {"type": "text", "text": "You are a weather assistant."},
            {"type": "text", "text": "Answer briefly."}
        ])
    );
    assert_eq!(v["messages"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["messages"][2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "15 degrees"},
            {"type": "tool_result", "tool_use_id": "toolu_01B", "content": "error: no station", "is_error": true},
            {"type": "text", "text": "And tomorrow?"}
        ]})
    );
    assert_eq!(
        v["messages"][1]["content"][1],
        json!({"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"location": "San Francisco, CA"}})
    );
    assert_eq!(
        v["thinking"],
        json!({"type": "enabled", "budget_tokens": 10000})
    );
    assert_eq!(
        v["tool_choice"],
        json!({"type": "auto", "disable_parallel_tool_use": true})
    );
    assert_eq!(v["metadata"], json!({"user_id": "user-1234"}));
    assert_eq!(v["max_tokens"], 16000);
    assert_eq!(v["stream"], true);
    // Anthropic rejects top_k with thinking on.
    assert_eq!(v.get("top_k"), None);

    let mut expected = fixture_request();
    expected.params.top_k = None;
    assert_eq!(
        decode_req(&encode_request(P, &fixture_request()).unwrap()).unwrap(),
        expected
    );
}

#[test]
fn request_encode_hoists_system_and_drops_foreign_reasoning() {
    let request = ChatRequest {
        model: "claude-x".into(),
        messages: vec![
            msg(Role::System, vec![text("Be terse.")]),
            msg(Role::User, vec![text("Hi")]),
            msg(
                Role::User,
                vec![
                    ContentPart::Image {
                        source: ImageSource::Url {
                            url: "data:image/png;base64,AAAA".into(),
                        },
                        detail: Some("high".into()),
                    },
                    ContentPart::Image {
                        source: ImageSource::Url {
                            url: "https://example.com/a.png".into(),
                        },
                        detail: None,
                    },
                ],
            ),
            msg(
                Role::Assistant,
                vec![ContentPart::Reasoning(Reasoning {
                    text: "from another vendor".into(),
                    encrypted: Some("gAAAA".into()),
                    ..Reasoning::default()
                })],
            ),
            msg(Role::System, vec![text("Mid-conversation rule.")]),
            msg(
                Role::Assistant,
                vec![text("Hello"), call("call_0_ns.f", "f", "")],
            ),
            msg(Role::Tool, vec![result("call_0_ns.f", vec![], false)]),
        ],
        tools: vec![ToolDefinition {
            name: "f".into(),
            description: None,
            parameters: json!({"type": "object"}),
            strict: Some(true),
        }],
        tool_choice: Some(ToolChoice::None),
        response_format: Some(ResponseFormat::JsonObject),
        ..ChatRequest::default()
    };
    let v = encode_req(&request);
    assert_eq!(
        v,
        json!({
            "model": "claude-x",
            "system": [
                {"type": "text", "text": "Be terse."},
                {"type": "text", "text": "Mid-conversation rule."},
                {"type": "text", "text": "Respond with only a valid JSON object, with no other text."}
            ],
            "max_tokens": 4096,
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "Hi"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Hello"},
                    {"type": "tool_use", "id": "call_0_ns_f", "name": "f", "input": {}}
                ]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_0_ns_f"}]}
            ],
            "tools": [{"name": "f", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "none"}
        })
    );
}

#[test]
fn request_encode_raises_max_tokens_above_the_thinking_budget() {
    let request = ChatRequest {
        model: "claude-x".into(),
        messages: vec![msg(Role::User, vec![text("Hi")])],
        params: Parameters {
            max_tokens: Some(1000),
            temperature: Some(0.2),
            ..Parameters::default()
        },
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::Medium),
            ..ReasoningConfig::default()
        }),
        ..ChatRequest::default()
    };
    let v = encode_req(&request);
    assert_eq!(
        v["thinking"],
        json!({"type": "enabled", "budget_tokens": 8192})
    );
    assert_eq!(v["max_tokens"], 8192 + 4096);
    assert_eq!(v.get("temperature"), None);

    let off = ChatRequest {
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::None),
            ..ReasoningConfig::default()
        }),
        ..request
    };
    let v = encode_req(&off);
    assert_eq!(v["thinking"], json!({"type": "disabled"}));
    assert_eq!(v["max_tokens"], 1000);
    assert_eq!(v["temperature"], 0.2);
}

#[test]
fn request_encode_rejects_tool_arguments_that_are_not_json() {
    let request = ChatRequest {
        model: "claude-x".into(),
        messages: vec![msg(Role::Assistant, vec![call("c1", "f", "{not json")])],
        ..ChatRequest::default()
    };
    let err = encode_request(P, &request).unwrap_err();
    assert!(
        err.message.starts_with(
            "messages[0].content[0]: the arguments of tool call `f` (c1) are not valid JSON"
        ),
        "{}",
        err.message
    );
}

#[test]
fn bad_requests_are_rejected_with_the_field_named() {
    let user = json!([{"role": "user", "content": "Hi"}]);
    assert_eq!(
        decode_req_err(json!({"model": "m", "messages": user})),
        "max_tokens: required; Anthropic Messages needs an upper bound on generated tokens"
    );
    assert_eq!(
        decode_req_err(json!({"max_tokens": 5, "messages": user})),
        "model: required string is missing"
    );
    assert_eq!(
        decode_req_err(json!({"model": "m", "max_tokens": 5, "messages": []})),
        "messages: at least one message is required"
    );
    assert_eq!(
        decode_req_err(json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": "Hi"}, {"role": "assistant", "content": 7}
        ]})),
        "messages[1].content: expected a string or an array"
    );
    assert!(
        decode_req_err(json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "system", "content": "Hi"}
        ]}))
        .starts_with("messages[0].role: Anthropic has no `system` role")
    );
    assert_eq!(
        decode_req_err(json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "x"}]}
        ]})),
        "messages[0].content[0]: `tool_result` blocks belong in user messages"
    );
    assert_eq!(
        decode_req_err(json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": [{"type": "image", "source": {"type": "file", "file_id": "f"}}]}
        ]})),
        "messages[0].content[0].source.type: image source `file` is not supported; use `base64` or `url`"
    );
    assert_eq!(
        decode_req_err(
            json!({"model": "m", "max_tokens": 5, "thinking": {"type": "enabled"},
            "messages": user})
        ),
        "thinking.budget_tokens: required when thinking is enabled"
    );
    assert_eq!(
        decode_req(b"[1]").unwrap_err().message,
        "request body: expected a JSON object"
    );
}

#[test]
fn request_without_conversation_cannot_be_encoded() {
    let request = ChatRequest {
        model: "claude-x".into(),
        messages: vec![msg(Role::System, vec![text("Only rules.")])],
        ..ChatRequest::default()
    };
    assert_eq!(
        encode_request(P, &request).unwrap_err().message,
        "messages: Anthropic needs at least one user or assistant message with content"
    );
    assert_eq!(
        decode_req_err(json!({"model": "m", "max_tokens": 0, "messages": [
            {"role": "user", "content": "Hi"}
        ]})),
        "max_tokens: must be at least 1"
    );
}

#[test]
fn stream_without_message_start_still_starts_and_finishes_once() {
    let body = b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"Hi\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    assert_eq!(
        decode_stream(&[body]).unwrap(),
        vec![
            StreamPart::Start {
                id: "msg_bitrouter".into(),
                model: String::new(),
            },
            StreamPart::TextDelta { text: "Hi".into() },
            StreamPart::Finish {
                reason: FinishReason::Stop,
            },
        ]
    );
}

#[test]
fn a_signature_closes_its_thinking_block() {
    let parts = vec![
        StreamPart::ReasoningDelta { text: "a".into() },
        StreamPart::ReasoningSignature {
            signature: Signature::new(Protocol::AnthropicMessages, "s1"),
        },
        StreamPart::ReasoningDelta { text: "b".into() },
        StreamPart::TextDelta { text: "c".into() },
    ];
    let ev = events(&encode_stream(&parts));
    let starts: Vec<(u64, &str)> = ev
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .map(|(_, d)| {
            (
                d["index"].as_u64().unwrap(),
                d["content_block"]["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(starts, [(0, "thinking"), (1, "thinking"), (2, "text")]);
    assert_eq!(ev[0].0, "message_start");
    assert_eq!(ev[0].1["message"]["id"], "msg_bitrouter");
    let (_, last_delta) = &ev[ev.len() - 2];
    assert_eq!(last_delta["delta"]["stop_reason"], "end_turn");
}
