//! The OpenAI Chat Completions codec through the crate's public API: fixtures from the official
//! API reference decode to exact canonical values, encoders round-trip through decoders, and
//! streams survive arbitrary chunking.

use bitrouter_core::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, ImageSource, Message, Parameters,
    Protocol, Reasoning, ReasoningConfig, ReasoningEffort, ResponseFormat, Role, Signature,
    StreamPart, ToolCall, ToolChoice, ToolDefinition, ToolResult, Usage,
};
use bitrouter_protocols::{
    ErrorInfo, RequestContext, SseDecoder, StreamOptions, decode_request, decode_response,
    encode_request, encode_response, error_body, error_message, stream_decoder, stream_encoder,
};
use serde_json::{Value, json};

const P: Protocol = Protocol::OpenaiChat;

#[expect(clippy::panic, reason = "a missing fixture fails the test")]
fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/openai_chat/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Feeds `chunks` through the SSE decoder and the stream decoder, stopping at the first error.
#[expect(clippy::unwrap_used, reason = "test helper")]
fn decode_stream(chunks: &[&[u8]]) -> Result<Vec<StreamPart>, String> {
    let mut sse = SseDecoder::new();
    let mut decoder = stream_decoder(P);
    let mut events = Vec::new();
    for chunk in chunks {
        sse.push(chunk, &mut events).unwrap();
    }
    sse.finish(&mut events);
    let mut parts = Vec::new();
    for event in &events {
        decoder
            .decode(event, &mut parts)
            .map_err(|e| e.message.clone())?;
    }
    assert!(decoder.is_done(), "stream ended without [DONE]");
    Ok(parts)
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

#[test]
fn plain_completion_fixture() {
    let response = decode_response(P, &fixture("completion.json")).unwrap();
    assert_eq!(
        response,
        ChatResponse {
            id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT".into(),
            model: "gpt-4.1-2025-04-14".into(),
            content: vec![text("Hello! How can I assist you today?")],
            finish_reason: FinishReason::Stop,
            usage: Usage {
                input_tokens: 19,
                output_tokens: 10,
                ..Usage::default()
            },
            created: Some(1741569952),
        }
    );
}

#[test]
fn parallel_tool_call_completion_fixture() {
    let response = decode_response(P, &fixture("completion_tool_calls.json")).unwrap();
    assert_eq!(
        response.content,
        vec![
            call(
                "call_12345xyz",
                "get_weather",
                r#"{"location":"Paris, France"}"#
            ),
            call(
                "call_67890abc",
                "get_weather",
                r#"{"location":"Bogotá, Colombia"}"#
            ),
        ]
    );
    assert_eq!(response.finish_reason, FinishReason::ToolCalls);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 82,
            cached_input_tokens: 64,
            cache_write_tokens: 0,
            output_tokens: 47,
            reasoning_tokens: 0,
        }
    );
}

fn rich_response() -> ChatResponse {
    ChatResponse {
        id: "chatcmpl-1".into(),
        model: "gpt-4o".into(),
        content: vec![
            ContentPart::Reasoning(Reasoning {
                text: "Think first.".into(),
                ..Reasoning::default()
            }),
            text("Checking both."),
            call("call_a", "lookup", r#"{"q":1}"#),
            call("call_b", "lookup", r#"{"q":2}"#),
        ],
        finish_reason: FinishReason::ToolCalls,
        usage: Usage {
            input_tokens: 100,
            cached_input_tokens: 40,
            cache_write_tokens: 0,
            output_tokens: 30,
            reasoning_tokens: 12,
        },
        created: Some(1_700_000_000),
    }
}

#[test]
fn response_encodes_the_official_shape_and_round_trips() {
    let response = rich_response();
    let body = encode_response(P, &response).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["created"], 1_700_000_000);
    assert_eq!(v["choices"][0]["index"], 0);
    assert_eq!(v["choices"][0]["logprobs"], Value::Null);
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["message"]["content"], "Checking both.");
    assert_eq!(
        v["choices"][0]["message"]["reasoning_content"],
        "Think first."
    );
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][1],
        json!({"id": "call_b", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":2}"}})
    );
    assert_eq!(
        v["usage"],
        json!({
            "prompt_tokens": 100, "completion_tokens": 30, "total_tokens": 130,
            "prompt_tokens_details": {"cached_tokens": 40},
            "completion_tokens_details": {"reasoning_tokens": 12}
        })
    );
    assert_eq!(decode_response(P, &body).unwrap(), response);
}

#[test]
fn tool_call_only_answer_has_null_content() {
    let mut response = rich_response();
    response.content.drain(..2);
    let v: Value = serde_json::from_slice(&encode_response(P, &response).unwrap()).unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
    assert!(
        v["choices"][0]["message"]
            .get("reasoning_content")
            .is_none()
    );
}

#[test]
fn streamed_text_fixture() {
    let parts = decode_stream(&[&fixture("stream_text.sse")]).unwrap();
    assert_eq!(
        parts,
        vec![
            StreamPart::Start {
                id: "chatcmpl-123".into(),
                model: "gpt-4o-mini".into()
            },
            StreamPart::TextDelta {
                text: "Hello".into()
            },
            StreamPart::TextDelta {
                text: "! How can I help?".into()
            },
            StreamPart::Finish {
                reason: FinishReason::Stop
            },
        ]
    );
}

fn tool_stream_parts() -> Vec<StreamPart> {
    vec![
        StreamPart::Start {
            id: "chatcmpl-9xyz".into(),
            model: "gpt-4o-2024-08-06".into(),
        },
        StreamPart::ToolCallStart {
            index: 0,
            id: "call_DdmO9pD3xa9XTPNJ32zg2hcA".into(),
            name: "get_weather".into(),
            signature: None,
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: "{\"location\":".into(),
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: " \"Paris, France\"}".into(),
        },
        StreamPart::ToolCallStart {
            index: 1,
            id: "call_ABTd8qXEbTvWNIn5Ys9MhTXC".into(),
            name: "get_weather".into(),
            signature: None,
        },
        StreamPart::ToolCallDelta {
            index: 1,
            arguments: "{\"location\": \"Bogotá\"}".into(),
        },
        StreamPart::Finish {
            reason: FinishReason::ToolCalls,
        },
        StreamPart::Usage(Usage {
            input_tokens: 80,
            output_tokens: 48,
            ..Usage::default()
        }),
    ]
}

#[test]
fn streamed_parallel_tool_calls_fixture() {
    let parts = decode_stream(&[&fixture("stream_tool_calls.sse")]).unwrap();
    assert_eq!(parts, tool_stream_parts());
}

#[test]
fn streams_split_at_every_byte_decode_the_same() {
    for name in ["stream_text.sse", "stream_tool_calls.sse"] {
        let bytes = fixture(name);
        let whole = decode_stream(&[&bytes]).unwrap();
        for split in 1..bytes.len() {
            let (a, b) = bytes.split_at(split);
            assert_eq!(
                decode_stream(&[a, b]).unwrap(),
                whole,
                "{name} split at {split}"
            );
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(
            decode_stream(&singles).unwrap(),
            whole,
            "{name} byte by byte"
        );
    }
}

fn encode_stream(parts: &[StreamPart], include_usage: bool) -> Vec<u8> {
    let mut encoder = stream_encoder(P, StreamOptions { include_usage });
    let mut out = Vec::new();
    for part in parts {
        encoder.encode(part, &mut out);
    }
    encoder.finish(&mut out);
    out
}

#[expect(clippy::unwrap_used, reason = "test helper")]
fn data_events(bytes: &[u8]) -> Vec<String> {
    let mut sse = SseDecoder::new();
    let mut events = Vec::new();
    sse.push(bytes, &mut events).unwrap();
    sse.finish(&mut events);
    events.into_iter().map(|e| e.data).collect()
}

#[test]
fn encoder_output_decodes_back_to_the_same_parts() {
    let parts = tool_stream_parts();
    let bytes = encode_stream(&parts, true);
    assert_eq!(decode_stream(&[&bytes]).unwrap(), parts);

    let mut mixed = vec![
        StreamPart::Start {
            id: "msg_1".into(),
            model: "claude".into(),
        },
        StreamPart::ReasoningDelta { text: "hmm".into() },
        StreamPart::ReasoningSignature {
            signature: Signature::new(Protocol::AnthropicMessages, "sig"),
        },
        StreamPart::TextDelta { text: "Hi".into() },
    ];
    mixed.push(StreamPart::Finish {
        reason: FinishReason::Length,
    });
    let decoded = decode_stream(&[&encode_stream(&mixed, false)]).unwrap();
    // The signature has no place in Chat Completions; everything else survives.
    mixed.remove(2);
    assert_eq!(decoded, mixed);
}

#[test]
fn encoder_writes_chunks_like_openai() {
    // Usage before Finish, as Anthropic and Gemini decoders may yield it.
    let parts = [
        StreamPart::Start {
            id: "chatcmpl-x".into(),
            model: "m".into(),
        },
        StreamPart::ToolCallStart {
            index: 0,
            id: "call_1".into(),
            name: "f".into(),
            signature: None,
        },
        StreamPart::ToolCallStart {
            index: 1,
            id: "call_2".into(),
            name: "g".into(),
            signature: None,
        },
        StreamPart::ToolCallDelta {
            index: 0,
            arguments: "{}".into(),
        },
        StreamPart::Usage(Usage {
            input_tokens: 5,
            output_tokens: 7,
            ..Usage::default()
        }),
        StreamPart::Finish {
            reason: FinishReason::ToolCalls,
        },
    ];
    let events = data_events(&encode_stream(&parts, true));
    assert_eq!(events.len(), 7);
    assert_eq!(events[6], "[DONE]");
    let chunks: Vec<Value> = events[..6]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    for chunk in &chunks {
        assert_eq!(chunk["id"], "chatcmpl-x");
        assert_eq!(chunk["model"], "m");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["created"], chunks[0]["created"]);
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": ""})
    );
    assert_eq!(chunks[0]["usage"], Value::Null);
    assert_eq!(
        chunks[2]["choices"][0]["delta"]["tool_calls"],
        json!([{"index": 1, "id": "call_2", "type": "function", "function": {"name": "g", "arguments": ""}}])
    );
    assert_eq!(
        chunks[3]["choices"][0]["delta"]["tool_calls"],
        json!([{"index": 0, "function": {"arguments": "{}"}}])
    );
    assert_eq!(chunks[4]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(chunks[5]["choices"], json!([]));
    assert_eq!(chunks[5]["usage"]["prompt_tokens"], 5);
    assert_eq!(chunks[5]["usage"]["total_tokens"], 12);

    // Without include_usage: no usage chunk and no `usage` field at all.
    let events = data_events(&encode_stream(&parts, false));
    assert_eq!(events.len(), 6);
    assert!(!events[0].contains("usage"));
    assert_eq!(events[5], "[DONE]");
}

#[test]
fn encoder_error_event_ends_the_stream() {
    let mut encoder = stream_encoder(P, StreamOptions::default());
    let mut out = Vec::new();
    encoder.encode(
        &StreamPart::Start {
            id: "c".into(),
            model: "m".into(),
        },
        &mut out,
    );
    encoder.error(
        &ErrorInfo {
            status: 502,
            message: "upstream went away",
            code: Some("upstream_error"),
        },
        &mut out,
    );
    encoder.finish(&mut out);
    let events = data_events(&out);
    assert_eq!(events.len(), 2);
    let error: Value = serde_json::from_str(&events[1]).unwrap();
    assert_eq!(error["error"]["message"], "upstream went away");
    assert_eq!(error["error"]["type"], "api_error");
    assert_eq!(error["error"]["code"], "upstream_error");
    assert_eq!(
        decode_stream(&[&out]).unwrap_err(),
        "upstream error: upstream went away"
    );
}

#[test]
fn mid_stream_error_event_is_an_error() {
    let stream = b"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n\
data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
    assert_eq!(
        decode_stream(&[stream]).unwrap_err(),
        "upstream error: The server had an error while processing your request."
    );
}

#[test]
fn compatible_server_quirks_are_absorbed() {
    // Reasoning in `reasoning_content`/`reasoning`, every parallel call numbered 0 but with its
    // own id, finish_reason `stop` despite tool calls, usage on the finish chunk.
    let stream = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"a\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"b\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"x\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"y\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"prompt_cache_hit_tokens\":2}}\n\n",
        "data: [DONE]\n\n",
    );
    let parts = decode_stream(&[stream.as_bytes()]).unwrap();
    assert!(matches!(&parts[0], StreamPart::Start { id, .. } if id.starts_with("chatcmpl-")));
    assert_eq!(
        parts[1..],
        [
            StreamPart::ReasoningDelta { text: "a".into() },
            StreamPart::ReasoningDelta { text: "b".into() },
            StreamPart::ToolCallStart {
                index: 0,
                id: "x".into(),
                name: "f".into(),
                signature: None
            },
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: "{}".into()
            },
            StreamPart::ToolCallStart {
                index: 1,
                id: "y".into(),
                name: "g".into(),
                signature: None
            },
            StreamPart::ToolCallDelta {
                index: 1,
                arguments: "{}".into()
            },
            StreamPart::Finish {
                reason: FinishReason::ToolCalls
            },
            StreamPart::Usage(Usage {
                input_tokens: 3,
                cached_input_tokens: 2,
                output_tokens: 4,
                ..Usage::default()
            }),
        ]
    );
}

fn expected_fixture_request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o".into(),
        messages: vec![
            Message::text(Role::System, "You are a helpful assistant."),
            Message {
                role: Role::User,
                content: vec![
                    text("What's in this image, and what's the weather there?"),
                    ContentPart::Image {
                        source: ImageSource::Url {
                            url: "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg".into(),
                        },
                        detail: Some("high".into()),
                    },
                    ContentPart::Image {
                        source: ImageSource::Base64 {
                            media_type: "image/png".into(),
                            data: "iVBORw0KGgo=".into(),
                        },
                        detail: None,
                    },
                ],
            },
            Message {
                role: Role::Assistant,
                content: vec![
                    ContentPart::Reasoning(Reasoning {
                        text: "The user wants the weather in Madison.".into(),
                        ..Reasoning::default()
                    }),
                    call(
                        "call_abc123",
                        "get_current_weather",
                        r#"{"location": "Madison, WI"}"#,
                    ),
                ],
            },
            Message {
                role: Role::Tool,
                content: vec![ContentPart::ToolResult(ToolResult {
                    call_id: "call_abc123".into(),
                    name: None,
                    content: vec![text(r#"{"temperature": 22, "unit": "celsius"}"#)],
                    is_error: false,
                })],
            },
            Message::text(Role::System, "Answer briefly."),
        ],
        tools: vec![ToolDefinition {
            name: "get_current_weather".into(),
            description: Some("Get the current weather in a given location".into()),
            parameters: json!({
                "type": "object",
                "properties": {
                    "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
                },
                "required": ["location"]
            }),
            strict: Some(false),
        }],
        tool_choice: Some(ToolChoice::Tool {
            name: "get_current_weather".into(),
        }),
        params: Parameters {
            max_tokens: Some(1024),
            temperature: Some(0.7),
            top_p: Some(0.9),
            top_k: None,
            stop: vec!["\n\n".into(), "END".into()],
            seed: Some(42),
            presence_penalty: Some(0.5),
            frequency_penalty: Some(-0.5),
            parallel_tool_calls: Some(false),
            user: Some("user-1234".into()),
        },
        response_format: Some(ResponseFormat::JsonSchema {
            name: "weather".into(),
            schema: json!({"type": "object"}),
            strict: Some(true),
        }),
        reasoning: Some(ReasoningConfig {
            effort: Some(ReasoningEffort::Low),
            ..ReasoningConfig::default()
        }),
        stream: true,
    }
}

#[test]
fn request_fixture_decodes_exactly() {
    let request = decode_request(P, &fixture("request.json"), &RequestContext::default()).unwrap();
    assert_eq!(request, expected_fixture_request());
}

#[test]
fn request_encodes_for_compatible_upstreams() {
    let mut request = expected_fixture_request();
    let body = encode_request(P, &request).unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["max_tokens"], 1024);
    assert!(v.get("max_completion_tokens").is_none());
    assert_eq!(v["stream_options"], json!({"include_usage": true}));
    assert_eq!(v["reasoning_effort"], "low");
    assert_eq!(
        v["messages"][1]["content"][2]["image_url"]["url"],
        "data:image/png;base64,iVBORw0KGgo="
    );
    // Reasoning from earlier turns is not sent back; tool-call-only turns have null content.
    assert_eq!(
        v["messages"][2],
        json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc123", "type": "function", "function": {"name": "get_current_weather", "arguments": "{\"location\": \"Madison, WI\"}"}}]})
    );
    assert_eq!(
        v["messages"][3],
        json!({"role": "tool", "content": "{\"temperature\": 22, \"unit\": \"celsius\"}", "tool_call_id": "call_abc123"})
    );

    // Everything but the dropped reasoning round-trips.
    let back = decode_request(P, &body, &RequestContext::default()).unwrap();
    if let ContentPart::Reasoning(_) = request.messages[2].content.remove(0) {
    } else {
        panic!("fixture changed");
    }
    assert_eq!(back, request);
}

#[test]
fn budget_only_reasoning_becomes_an_effort_and_no_stream_options_unless_streaming() {
    let request = ChatRequest {
        model: "o3".into(),
        messages: vec![Message::text(Role::User, "hi")],
        reasoning: Some(ReasoningConfig {
            budget_tokens: Some(10_000),
            ..ReasoningConfig::default()
        }),
        params: Parameters {
            top_k: Some(5),
            ..Parameters::default()
        },
        ..ChatRequest::default()
    };
    let v: Value = serde_json::from_slice(&encode_request(P, &request).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"model": "o3", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "medium"})
    );
}

#[test]
fn tool_result_images_follow_in_a_user_message() {
    let request = ChatRequest {
        model: "m".into(),
        messages: vec![Message {
            role: Role::Tool,
            content: vec![
                ContentPart::ToolResult(ToolResult {
                    call_id: "c1".into(),
                    name: None,
                    content: vec![
                        text("shot"),
                        ContentPart::Image {
                            source: ImageSource::Base64 {
                                media_type: "image/png".into(),
                                data: "AA==".into(),
                            },
                            detail: None,
                        },
                    ],
                    is_error: false,
                }),
                ContentPart::ToolResult(ToolResult {
                    call_id: "c2".into(),
                    name: Some("g".into()),
                    content: vec![text("ok")],
                    is_error: true,
                }),
            ],
        }],
        ..ChatRequest::default()
    };
    let v: Value = serde_json::from_slice(&encode_request(P, &request).unwrap()).unwrap();
    assert_eq!(
        v["messages"],
        json!([
            {"role": "tool", "content": "shot", "tool_call_id": "c1"},
            {"role": "tool", "content": "ok", "tool_call_id": "c2"},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}
        ])
    );
}

#[test]
fn bad_requests_name_the_field() {
    let cases: &[(Value, &str)] = &[
        (json!([]), "request body: expected a JSON object"),
        (
            json!({"messages": []}),
            "model: required; name the model to call",
        ),
        (
            json!({"model": 1, "messages": []}),
            "model: expected a string",
        ),
        (
            json!({"model": "m"}),
            "messages: required; send the conversation as an array of messages",
        ),
        (
            json!({"model": "m", "messages": {}}),
            "messages: expected an array",
        ),
        (
            json!({"model": "m", "messages": []}),
            "messages: must hold at least one message",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b"}]}),
            "messages[1].role: unknown role `bot`; expected system, developer, user, assistant or tool",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}, {"role": "user", "content": 5}]}),
            "messages[1].content: expected a string or an array",
        ),
        (
            json!({"model": "m", "messages": [{"content": "a"}]}),
            "messages[0].role: required",
        ),
        (
            json!({"model": "m", "messages": [{"role": "tool", "content": "a"}]}),
            "messages[0].tool_call_id: required; name the tool call this result answers",
        ),
        (
            json!({"model": "m", "messages": [{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}),
            "messages[0].content[0].type: only text parts are allowed here",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "video"}]}]}),
            "messages[0].content[0].type: unknown content part type `video`; expected text or image_url",
        ),
        (
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"arguments": "{}"}}]}]}),
            "messages[0].tool_calls[0].function.name: required",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "temperature": "hot"}),
            "temperature: expected a number",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "max_tokens": -1}),
            "max_tokens: expected a non-negative integer",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "stop": [1]}),
            "stop[0]: expected a string",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "tool_choice": "any"}),
            "tool_choice: unknown value `any`; expected auto, none, required or an object",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "reasoning_effort": "max"}),
            "reasoning_effort: unknown value `max`; expected none, minimal, low, medium or high",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "n": 2}),
            "n: only one choice per request is supported, got 2; send separate requests",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": "a"}], "stream": "yes"}),
            "stream: expected a boolean",
        ),
    ];
    for (body, message) in cases {
        let err =
            decode_request(P, body.to_string().as_bytes(), &RequestContext::default()).unwrap_err();
        assert_eq!(err.message, *message, "body {body}");
    }
    let err = decode_request(P, b"{", &RequestContext::default()).unwrap_err();
    assert!(err.message.starts_with("request body is not valid JSON"));
}

#[test]
fn nulls_and_string_choices_are_accepted() {
    let body = json!({
        "model": "m",
        "messages": [{"role": "user", "content": "hi", "name": "bob"}],
        "temperature": null,
        "stop": "END",
        "tool_choice": "required",
        "max_tokens": 10,
        "response_format": {"type": "json_object"}
    });
    let request =
        decode_request(P, body.to_string().as_bytes(), &RequestContext::default()).unwrap();
    assert_eq!(request.params.temperature, None);
    assert_eq!(request.params.stop, vec!["END".to_string()]);
    assert_eq!(request.params.max_tokens, Some(10));
    assert_eq!(request.tool_choice, Some(ToolChoice::Required));
    assert_eq!(request.response_format, Some(ResponseFormat::JsonObject));
    assert!(!request.stream);
}

#[test]
fn error_body_fixture_and_writer() {
    assert_eq!(
        error_message(P, &fixture("error.json")).as_deref(),
        Some(
            "Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys."
        )
    );
    let body = error_body(
        P,
        &ErrorInfo {
            status: 429,
            message: "slow down",
            code: None,
        },
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"error": {"message": "slow down", "type": "rate_limit_error", "param": null, "code": null}})
    );
    assert_eq!(error_message(P, &body).as_deref(), Some("slow down"));
}

#[test]
fn azure_preamble_chunk_does_not_start_the_answer() {
    let stream = concat!(
        "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n",
        "data: {\"id\":\"chatcmpl-az\",\"object\":\"chat.completion.chunk\",\"created\":5,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"length\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    assert_eq!(
        decode_stream(&[stream.as_bytes()]).unwrap(),
        vec![
            StreamPart::Start {
                id: "chatcmpl-az".into(),
                model: "gpt-4o".into()
            },
            StreamPart::TextDelta { text: "ok".into() },
            StreamPart::Finish {
                reason: FinishReason::Length
            },
        ]
    );
}

#[test]
fn answers_with_content_parts_and_reasoning_decode() {
    let body = json!({
        "id": "x", "object": "chat.completion", "created": 1, "model": "magistral",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant",
            "reasoning_content": "because",
            "content": [{"type": "text", "text": "A"}, {"type": "other"}, {"type": "text", "text": "B"}]
        }}]
    });
    let response = decode_response(P, body.to_string().as_bytes()).unwrap();
    assert_eq!(
        response.content,
        vec![
            ContentPart::Reasoning(Reasoning {
                text: "because".into(),
                ..Reasoning::default()
            }),
            text("AB"),
        ]
    );
    assert_eq!(response.usage, Usage::default());
    let err = decode_response(P, br#"{"id":"x","choices":[]}"#).unwrap_err();
    assert_eq!(
        err.message,
        "chat completion body: `choices` is empty; the upstream returned no answer"
    );
}

#[test]
fn tool_call_fragments_without_index_follow_the_latest_call() {
    let stream = concat!(
        "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"a\",\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}}]}\n\n",
        "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"x\\\":1}\"}}]}}]}\n\n",
        "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":\"g\",\"arguments\":\"{}\"}}]}}]}\n\n",
        "data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    let parts = decode_stream(&[stream.as_bytes()]).unwrap();
    assert_eq!(
        parts[1..],
        [
            StreamPart::ToolCallStart {
                index: 0,
                id: "a".into(),
                name: "f".into(),
                signature: None
            },
            StreamPart::ToolCallDelta {
                index: 0,
                arguments: "{\"x\":1}".into()
            },
            StreamPart::ToolCallStart {
                index: 1,
                id: "b".into(),
                name: "g".into(),
                signature: None
            },
            StreamPart::ToolCallDelta {
                index: 1,
                arguments: "{}".into()
            },
            StreamPart::Finish {
                reason: FinishReason::ToolCalls
            },
        ]
    );
}
