//! The Anthropic Messages fake: headers, validation, answers, streams, tool use, thinking and
//! scripts.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test on an unexpected error"
)]

mod common;

use bitrouter_test_support::fixtures::anthropic_messages as fixtures;
use bitrouter_test_support::{FakeProtocol, FakeUpstream, ReplyKind, Script};
use bytes::Bytes;
use common::*;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

const HEADERS: [(&str, &str); 2] = [
    ("x-api-key", "sk-test"),
    ("anthropic-version", "2023-06-01"),
];

async fn start() -> FakeUpstream {
    FakeUpstream::builder()
        .protocol(FakeProtocol::AnthropicMessages)
        .start()
        .await
        .unwrap()
}

async fn messages(upstream: &FakeUpstream, body: &Value) -> (StatusCode, HeaderMap, Bytes) {
    exchange(
        upstream,
        Method::POST,
        "/v1/messages",
        &HEADERS,
        &body.to_string(),
    )
    .await
}

fn hello(stream: bool) -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 2048,
        "stream": stream,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "hello big world"}]
    })
}

/// A tool loop: the user asks, the assistant calls two tools, the user answers both.
fn tool_loop(thinking: bool) -> Value {
    let mut assistant = vec![
        json!({"type": "text", "text": "Checking."}),
        json!({"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}),
        json!({"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {}}),
    ];
    if thinking {
        assistant.insert(
            0,
            json!({"type": "thinking", "thinking": "Two tools.", "signature": "sig-1"}),
        );
    }
    let mut body = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 4096,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "weather and time?"}]},
            {"role": "assistant", "content": assistant},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": [{"type": "text", "text": "noon"}], "is_error": false},
                {"type": "text", "text": "thanks"}
            ]}
        ]
    });
    if thinking {
        body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    }
    body
}

fn error_of(status: StatusCode, body: &Bytes) -> (String, String) {
    let error = json_of(body);
    assert_eq!(error["type"], "error", "{status}: {error}");
    (
        error["error"]["type"].as_str().unwrap().to_owned(),
        error["error"]["message"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn auth_needs_the_key_and_the_version_header() {
    let upstream = start().await;
    let body = hello(false).to_string();
    type Case<'a> = (&'a [(&'a str, &'a str)], StatusCode, &'a str, &'a str);
    let cases: [Case<'_>; 4] = [
        (
            &[("anthropic-version", "2023-06-01")],
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "x-api-key",
        ),
        (
            &[
                ("x-api-key", "sk-wrong"),
                ("anthropic-version", "2023-06-01"),
            ],
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid x-api-key",
        ),
        (
            &[
                ("authorization", "Bearer sk-test"),
                ("anthropic-version", "2023-06-01"),
            ],
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "x-api-key",
        ),
        (
            &[("x-api-key", "sk-test")],
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version",
        ),
    ];
    for (headers, status, kind, needle) in cases {
        let (got, _, answer) =
            exchange(&upstream, Method::POST, "/v1/messages", headers, &body).await;
        assert_eq!(got, status, "{headers:?}");
        let (got_kind, message) = error_of(got, &answer);
        assert_eq!(got_kind, kind);
        assert!(message.contains(needle), "{message}");
    }
    let (status, _, _) = exchange(&upstream, Method::GET, "/v1/models", &HEADERS[..1], "").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "models need the version header too"
    );
    assert_eq!(upstream.pending_scripts(), 0);
    assert_eq!(
        upstream.request_count(),
        5,
        "rejected requests are still recorded"
    );
}

#[tokio::test]
async fn invalid_bodies_are_400_invalid_request_error_naming_the_field() {
    let upstream = start().await;
    let user = json!({"role": "user", "content": "hi"});
    let base = |extra: Value| {
        let mut body = json!({"model": "m", "max_tokens": 100, "messages": [user]});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let with_messages = |messages: Value| base(json!({"messages": messages}));
    let call = |id: &str| json!({"type": "tool_use", "id": id, "name": "f", "input": {}});
    let result = |id: &str| json!({"type": "tool_result", "tool_use_id": id, "content": "ok"});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"max_tokens": 10, "messages": [user]}),
            "model: Field required",
        ),
        (
            json!({"model": "m", "messages": [user]}),
            "max_tokens: Field required",
        ),
        (
            base(json!({"max_tokens": 0})),
            "max_tokens: Input should be greater than or equal to 1",
        ),
        (
            base(json!({"max_tokens": 1.5})),
            "max_tokens: Input should be a valid integer",
        ),
        (
            base(json!({"max_tokens": "10"})),
            "max_tokens: Input should be a valid integer",
        ),
        (
            with_messages(json!([])),
            "messages: List should have at least 1 item",
        ),
        (
            base(json!({"stream_options": {"include_usage": true}})),
            "stream_options: Extra inputs are not permitted",
        ),
        (base(json!({"n": 1})), "n: Extra inputs are not permitted"),
        (
            base(json!({"temperature": 1.5})),
            "temperature: Input should be between 0 and 1",
        ),
        (
            with_messages(json!([{"role": "system", "content": "x"}, user])),
            "messages.0.role: Unexpected role \"system\"",
        ),
        (
            with_messages(json!([{"role": "tool", "content": "x"}])),
            "messages.0.role: Input should be 'user' or 'assistant'",
        ),
        (
            with_messages(json!([{"role": "user", "content": ""}])),
            "messages.0: all messages must have non-empty content",
        ),
        (
            with_messages(json!([{"role": "user", "content": []}])),
            "messages.0: all messages must have non-empty content",
        ),
        (
            with_messages(json!([{"role": "user", "content": 5}])),
            "messages.0.content: Input should be a valid string or list",
        ),
        (
            with_messages(json!([{"role": "user", "content": [{"type": "text", "text": ""}]}])),
            "messages.0.content.0.text: text content blocks must be non-empty",
        ),
        (
            with_messages(
                json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]),
            ),
            "messages.0.content.0: Input tag 'image_url'",
        ),
        (
            with_messages(
                json!([{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "AA"}}]}]),
            ),
            "media_type",
        ),
        (
            with_messages(
                json!([{"role": "user", "content": [{"type": "image", "source": {"type": "data_url", "url": "data:x"}}]}]),
            ),
            "messages.0.content.0.image.source.type",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": "{}"}]}]),
            ),
            "messages.1.content.0.tool_use.input: Input should be a valid dictionary",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [{"type": "tool_use", "id": "call.1", "name": "f", "input": {}}]}]),
            ),
            "messages.1.content.0.id: String should match pattern",
        ),
        (
            with_messages(json!([user, {"role": "assistant", "content": [call("t1")]}])),
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: t1",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [call("t1"), call("t2")]}, {"role": "user", "content": [result("t1")]}]),
            ),
            "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: t2",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [call("t1")]}, {"role": "assistant", "content": "x"}]),
            ),
            "messages.1: `tool_use` ids were found without",
        ),
        (
            with_messages(json!([{"role": "user", "content": [result("t9")]}])),
            "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: t9",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [call("t1")]}, {"role": "user", "content": [result("t1")]}, {"role": "assistant", "content": "ok"}, {"role": "user", "content": [result("t1")]}]),
            ),
            "messages.4.content.0: unexpected `tool_use_id`",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [call("t1")]}, {"role": "user", "content": [{"type": "text", "text": "first"}, result("t1")]}]),
            ),
            "messages.2.content.1: `tool_result` blocks must come first",
        ),
        (
            with_messages(json!([{"role": "user", "content": [call("t1")]}])),
            "`tool_use` blocks can only be in `assistant` messages",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [{"type": "tool_result", "tool_use_id": "t1"}]}]),
            ),
            "`tool_result` blocks can only be in `user` messages",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm"}]}]),
            ),
            "messages.1.content.0.signature: Field required",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": ""}]}]),
            ),
            "Invalid `signature` in `thinking` block",
        ),
        (
            with_messages(
                json!([user, {"role": "assistant", "content": [{"type": "redacted_thinking", "data": ""}]}]),
            ),
            "Invalid `data` in `redacted_thinking` block",
        ),
        (
            base(json!({"system": [{"type": "text", "text": ""}]})),
            "system.0: text content blocks must be non-empty",
        ),
        (
            base(json!({"system": 7})),
            "system: Input should be a valid string or a list of text blocks",
        ),
        (
            base(json!({"tools": [{"name": "f"}]})),
            "tools.0.input_schema: Field required",
        ),
        (
            base(json!({"tools": [{"name": "f", "parameters": {"type": "object"}}]})),
            "tools.0.input_schema: Field required",
        ),
        (
            base(json!({"tools": [{"input_schema": {"type": "object"}}]})),
            "tools.0.name: Field required",
        ),
        (
            base(json!({"tools": [{"name": "get weather", "input_schema": {"type": "object"}}]})),
            "tools.0.name: String should match pattern",
        ),
        (
            base(json!({"tools": [{"name": "f", "input_schema": "{}"}]})),
            "tools.0.input_schema: Input should be a valid dictionary",
        ),
        (
            base(json!({"tools": [{"name": "f", "input_schema": {"type": "OBJECT"}}]})),
            "tools.0.input_schema.type: Input should be 'object'",
        ),
        (
            base(json!({"tool_choice": "auto"})),
            "tool_choice: Input should be a valid dictionary",
        ),
        (
            base(json!({"tool_choice": {"type": "required"}})),
            "tool_choice.type",
        ),
        (
            base(
                json!({"thinking": {"type": "enabled", "budget_tokens": 512}, "max_tokens": 4096}),
            ),
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            base(
                json!({"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 2048}),
            ),
            "`max_tokens` must be greater than `thinking.budget_tokens`",
        ),
        (
            base(json!({"thinking": {"type": "enabled"}, "max_tokens": 4096})),
            "thinking.enabled.budget_tokens: Field required",
        ),
        (base(json!({"thinking": {"type": "on"}})), "thinking.type"),
    ];
    for (body, needle) in cases {
        let (status, _, answer) = messages(&upstream, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (kind, message) = error_of(status, &answer);
        assert_eq!(kind, "invalid_request_error");
        assert!(
            message.contains(needle),
            "{body}\nexpected {needle:?} in {message:?}"
        );
    }
    let (status, _, answer) = exchange(
        &upstream,
        Method::POST,
        "/v1/messages",
        &HEADERS,
        "{not json",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(status, &answer).0, "invalid_request_error");
}

#[tokio::test]
async fn thinking_requires_the_signed_block_before_the_last_tool_use() {
    let upstream = start().await;
    let (status, _, body) = messages(&upstream, &tool_loop(true)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let mut dropped = tool_loop(true);
    dropped["messages"][1]["content"]
        .as_array_mut()
        .unwrap()
        .remove(0);
    let (status, _, body) = messages(&upstream, &dropped).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, message) = error_of(status, &body);
    assert!(
        message.starts_with("messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`"),
        "{message}"
    );
    let mut redacted = tool_loop(true);
    redacted["messages"][1]["content"][0] =
        json!({"type": "redacted_thinking", "data": "EmwKAhgB"});
    let (status, _, _) = messages(&upstream, &redacted).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = messages(&upstream, &tool_loop(false)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "without thinking the block is optional"
    );
}

#[tokio::test]
async fn a_full_valid_request_is_accepted_and_echoed() {
    let upstream = start().await;
    let mut body = tool_loop(false);
    body["system"] =
        json!([{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]);
    body["tools"] = json!([
        {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    ]);
    body["tool_choice"] = json!({"type": "auto"});
    body["temperature"] = json!(0.5);
    body["stop_sequences"] = json!(["END"]);
    body["metadata"] = json!({"user_id": "u1"});
    body["messages"][0]["content"].as_array_mut().unwrap().push(json!(
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    ));
    let (status, _, answer) = messages(&upstream, &body).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    assert_eq!(json_of(&answer)["content"][0]["text"], "echo: thanks");
}

#[tokio::test]
async fn default_json_answer_is_a_message_with_usage() {
    let upstream = start().await;
    let (status, headers, body) = messages(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let message = json_of(&body);
    assert!(message["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], "claude-sonnet-4-5");
    assert_eq!(
        message["content"],
        json!([{"type": "text", "text": "echo: hello big world"}])
    );
    assert_eq!(message["stop_reason"], "end_turn");
    assert_eq!(message["stop_sequence"], Value::Null);
    let usage = &message["usage"];
    assert_eq!(usage["input_tokens"], 5, "3 user words + 2 system words");
    assert_eq!(usage["output_tokens"], 4);
    assert_eq!(usage["cache_creation_input_tokens"], 0);
    assert_eq!(usage["cache_read_input_tokens"], 0);
}

#[tokio::test]
async fn default_stream_has_the_full_event_lifecycle() {
    let upstream = start().await;
    let (status, headers, body) = messages(&upstream, &hello(true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    let events = named_events(&body);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let start = &events[0].1["message"];
    assert!(start["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(start["model"], "claude-sonnet-4-5");
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["stop_reason"], Value::Null);
    assert_eq!(start["usage"]["input_tokens"], 5);
    assert_eq!(events[1].1["index"], 0);
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    let text: String = events[3..7]
        .iter()
        .map(|(_, data)| {
            assert_eq!(data["index"], 0);
            assert_eq!(data["delta"]["type"], "text_delta");
            data["delta"]["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text, "echo: hello big world");
    assert_eq!(events[7].1["index"], 0);
    let delta = &events[8].1;
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], 4);
    assert_eq!(delta["usage"]["input_tokens"], 5);
}

#[tokio::test]
async fn tool_calls_answer_as_tool_use_blocks() {
    let upstream = start().await;
    upstream.push(Script::tool_calls([
        ("get_weather", r#"{"city":"Paris"}"#),
        ("get_time", ""),
    ]));
    let (_, _, body) = messages(&upstream, &hello(false)).await;
    let message = json_of(&body);
    assert_eq!(message["stop_reason"], "tool_use");
    let content = message["content"].as_array().unwrap();
    assert_eq!(content.len(), 2);
    assert_eq!(content[0]["type"], "tool_use");
    assert_eq!(content[0]["name"], "get_weather");
    assert_eq!(content[0]["input"], json!({"city": "Paris"}));
    assert_eq!(
        content[1]["input"],
        json!({}),
        "empty arguments are an empty object"
    );
    assert_ne!(content[0]["id"], content[1]["id"]);
    assert!(content[0]["id"].as_str().unwrap().starts_with("toolu_"));
}

#[tokio::test]
async fn tool_calls_stream_input_json_deltas_per_block() {
    let upstream = start().await;
    let arguments = r#"{"city":"Paris","unit":"celsius"}"#;
    upstream.push(Script::tool_calls([
        ("get_weather", arguments),
        ("get_time", r#"{"tz":"CET"}"#),
    ]));
    let (_, _, body) = messages(&upstream, &hello(true)).await;
    let events = named_events(&body);
    let mut blocks: Vec<(String, String, String)> = Vec::new();
    let mut deltas = vec![0, 0];
    for (name, data) in &events {
        match name.as_str() {
            "content_block_start" => {
                assert_eq!(data["index"], blocks.len());
                let block = &data["content_block"];
                assert_eq!(block["type"], "tool_use");
                assert_eq!(block["input"], json!({}));
                blocks.push((
                    block["id"].as_str().unwrap().into(),
                    block["name"].as_str().unwrap().into(),
                    String::new(),
                ));
            }
            "content_block_delta" => {
                let index = usize::try_from(data["index"].as_u64().unwrap()).unwrap();
                assert_eq!(index + 1, blocks.len(), "deltas belong to the open block");
                assert_eq!(data["delta"]["type"], "input_json_delta");
                blocks[index]
                    .2
                    .push_str(data["delta"]["partial_json"].as_str().unwrap());
                deltas[index] += 1;
            }
            _ => {}
        }
    }
    assert_eq!(blocks[0].1, "get_weather");
    assert_eq!(blocks[0].2, arguments);
    assert_eq!(blocks[1].2, r#"{"tz":"CET"}"#);
    assert!(
        deltas.iter().all(|count| *count > 1),
        "input arrives in pieces: {deltas:?}"
    );
    let delta = &events[events.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn thinking_adds_a_signed_thinking_block_first() {
    let upstream = start().await;
    let mut body = hello(false);
    body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    let (status, _, answer) = messages(&upstream, &body).await;
    assert_eq!(status, StatusCode::OK);
    let message = json_of(&answer);
    let content = message["content"].as_array().unwrap();
    assert_eq!(content[0]["type"], "thinking");
    assert_eq!(content[0]["thinking"], "thinking about: hello big world");
    assert!(
        content[0]["signature"]
            .as_str()
            .unwrap()
            .starts_with("sig-")
    );
    assert_eq!(
        content[1],
        json!({"type": "text", "text": "echo: hello big world"})
    );
    assert_eq!(
        message["usage"]["output_tokens"],
        4 + 5,
        "thinking words count as output"
    );

    body["stream"] = json!(true);
    let (_, _, answer) = messages(&upstream, &body).await;
    let events = named_events(&answer);
    assert_eq!(
        events[1].1["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    let mut thinking = String::new();
    let mut signature = String::new();
    let mut text = String::new();
    for (_, data) in events
        .iter()
        .filter(|(name, _)| name == "content_block_delta")
    {
        match (
            data["index"].as_u64().unwrap(),
            data["delta"]["type"].as_str().unwrap(),
        ) {
            (0, "thinking_delta") => thinking.push_str(data["delta"]["thinking"].as_str().unwrap()),
            (0, "signature_delta") => {
                assert!(text.is_empty() && signature.is_empty());
                signature.push_str(data["delta"]["signature"].as_str().unwrap());
            }
            (1, "text_delta") => text.push_str(data["delta"]["text"].as_str().unwrap()),
            other => panic!("unexpected delta {other:?}"),
        }
    }
    assert_eq!(thinking, "thinking about: hello big world");
    assert!(signature.starts_with("sig-"));
    assert_eq!(text, "echo: hello big world");
    let stops: Vec<u64> = events
        .iter()
        .filter(|(name, _)| name == "content_block_stop")
        .map(|(_, data)| data["index"].as_u64().unwrap())
        .collect();
    assert_eq!(stops, [0, 1]);
}

#[tokio::test]
async fn count_tokens_models_and_unknown_routes() {
    let upstream = start().await;
    let body = json!({"model": "m", "system": "one two", "messages": [{"role": "user", "content": "three four five"}]});
    let (status, _, answer) = exchange(
        &upstream,
        Method::POST,
        "/v1/messages/count_tokens",
        &HEADERS,
        &body.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&answer), json!({"input_tokens": 5}));
    let (status, _, answer) = exchange(
        &upstream,
        Method::POST,
        "/v1/messages/count_tokens",
        &HEADERS,
        &json!({"model": "m", "messages": []}).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(status, &answer).1.starts_with("messages:"));

    let (status, _, answer) = exchange(&upstream, Method::GET, "/v1/models", &HEADERS, "").await;
    assert_eq!(status, StatusCode::OK);
    let list = json_of(&answer);
    assert_eq!(list["has_more"], false);
    assert_eq!(list["data"][0]["type"], "model");
    assert!(list["data"][0]["display_name"].is_string());
    assert_eq!(list["first_id"], list["data"][0]["id"]);

    let (status, _, answer) = exchange(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        &HEADERS,
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(status, &answer).0, "not_found_error");
    assert_eq!(upstream.pending_scripts(), 0);
}

#[tokio::test]
async fn scripts_status_cut_malformed_and_fixtures() {
    let upstream = start().await;
    upstream.push(Script::Status {
        status: 529,
        body: fixtures::ERROR_OVERLOADED.to_owned(),
        headers: vec![("retry-after".into(), "3".into())],
    });
    let (status, headers, body) = messages(&upstream, &hello(false)).await;
    assert_eq!(status.as_u16(), 529);
    assert_eq!(headers["retry-after"], "3");
    assert_eq!(error_of(status, &body).0, "overloaded_error");

    upstream.push(Script::DropMidStream { after_chunks: 3 });
    let response = open(
        &upstream,
        Method::POST,
        "/v1/messages",
        &HEADERS,
        &hello(true).to_string(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (data, failed) = read_until_end(response).await;
    assert!(failed, "the connection is cut, not closed cleanly");
    let text = String::from_utf8(data).unwrap();
    assert_eq!(text.matches("event: ").count(), 3);
    assert!(!text.contains("message_stop"));

    upstream.push(Script::MalformedSse);
    let (_, _, body) = messages(&upstream, &hello(true)).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(text.starts_with("event: message_start\n"));
    let broken = text.split("\n\n").nth(1).unwrap();
    let data = broken.split_once("data: ").unwrap().1;
    assert!(serde_json::from_str::<Value>(data).is_err());

    upstream.push(Script::MalformedJson);
    let (status, _, body) = messages(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    for fixture in [
        fixtures::MESSAGE_STREAM,
        fixtures::MESSAGE_THINKING_TOOL_USE_STREAM,
    ] {
        upstream.push(Script::Reply(ReplyKind::Fixture(fixture)));
        let (_, headers, body) = messages(&upstream, &hello(true)).await;
        assert_eq!(headers["content-type"], "text/event-stream");
        let events = named_events(&body);
        assert_eq!(events.first().unwrap().0, "message_start");
        assert_eq!(events.last().unwrap().0, "message_stop");
    }
    let events = named_events(&Bytes::from_static(
        fixtures::STREAM_OVERLOADED_ERROR.as_bytes(),
    ));
    assert_eq!(
        events.last().unwrap().1["error"]["type"],
        "overloaded_error"
    );
    for fixture in [
        fixtures::MESSAGE,
        fixtures::MESSAGE_TOOL_USE,
        fixtures::ERROR_INVALID_REQUEST,
        fixtures::ERROR_RATE_LIMIT,
    ] {
        let value: Value = serde_json::from_str(fixture).unwrap();
        assert!(value["type"] == "message" || value["type"] == "error");
    }
}

#[tokio::test]
async fn the_binary_speaks_anthropic_when_asked() {
    let (_child, url) =
        spawn_binary(&["--protocol", "anthropic_messages", "--api-key", "sk-bin"]).await;
    let headers = [("x-api-key", "sk-bin"), ("anthropic-version", "2023-06-01")];
    let (status, body) = post_url(
        &format!("{url}/v1/messages"),
        &headers,
        &hello(false).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["type"], "message");
}
