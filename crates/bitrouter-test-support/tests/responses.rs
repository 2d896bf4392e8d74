//! The OpenAI Responses fake: auth, validation, response objects, event streams, function
//! calls, reasoning and scripts.
#![expect(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns fail the test on an unexpected error"
)]

mod common;

use bitrouter_test_support::fixtures::openai_responses as fixtures;
use bitrouter_test_support::{FakeProtocol, FakeUpstream, ReplyKind, Script};
use bytes::Bytes;
use common::*;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

const AUTH: [(&str, &str); 1] = [("authorization", "Bearer sk-test")];

async fn start() -> FakeUpstream {
    FakeUpstream::builder()
        .protocol(FakeProtocol::OpenAiResponses)
        .start()
        .await
        .unwrap()
}

async fn responses(upstream: &FakeUpstream, body: &Value) -> (StatusCode, HeaderMap, Bytes) {
    exchange(
        upstream,
        Method::POST,
        "/v1/responses",
        &AUTH,
        &body.to_string(),
    )
    .await
}

fn hello(stream: bool) -> Value {
    json!({
        "model": "gpt-5-mini",
        "stream": stream,
        "instructions": "Be brief.",
        "input": [{"role": "user", "content": "hello big world"}]
    })
}

fn error_of(body: &Bytes) -> Value {
    json_of(body)["error"].clone()
}

#[tokio::test]
async fn bearer_auth_is_required() {
    let upstream = start().await;
    let body = hello(false).to_string();
    for headers in [
        &[][..],
        &[("authorization", "Bearer sk-wrong-key-123")][..],
        &[("x-api-key", "sk-test")][..],
    ] {
        let (status, _, answer) =
            exchange(&upstream, Method::POST, "/v1/responses", headers, &body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(&answer)["code"], "invalid_api_key");
    }
    let (status, _, _) = responses(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_bodies_are_400_naming_the_param() {
    let upstream = start().await;
    let user = json!({"role": "user", "content": "hi"});
    let with_input = |input: Value| json!({"model": "m", "input": input});
    let call =
        json!({"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"});
    let output = |id: &str| json!({"type": "function_call_output", "call_id": id, "output": "ok"});
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"input": "hi"}),
            "model",
            "Missing required parameter: 'model'.",
        ),
        (
            json!({"model": "m"}),
            "input",
            "Missing required parameter: 'input'.",
        ),
        (
            json!({"model": "m", "input": 5}),
            "input",
            "Invalid type for 'input'",
        ),
        (
            json!({"model": "m", "input": "hi", "messages": []}),
            "messages",
            "Unknown parameter: 'messages'.",
        ),
        (
            json!({"model": "m", "input": "hi", "max_tokens": 10}),
            "max_tokens",
            "Unknown parameter",
        ),
        (
            json!({"model": "m", "input": "hi", "previous_response_id": "resp_1"}),
            "previous_response_id",
            "keeps no state",
        ),
        (
            json!({"model": "m", "input": "hi", "max_output_tokens": 5}),
            "max_output_tokens",
            "Expected a value >= 16",
        ),
        (
            json!({"model": "m", "input": "hi", "temperature": 3}),
            "temperature",
            "between 0 and 2",
        ),
        (
            json!({"model": "m", "input": "hi", "reasoning": {"effort": "extreme"}}),
            "reasoning.effort",
            "Invalid value",
        ),
        (
            json!({"model": "m", "input": "hi", "include": "reasoning.encrypted_content"}),
            "include",
            "Invalid type",
        ),
        (
            json!({"model": "m", "input": "hi", "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}),
            "tools[0].function",
            "Unknown parameter",
        ),
        (
            json!({"model": "m", "input": "hi", "tools": [{"type": "function", "parameters": {}}]}),
            "tools[0].name",
            "Missing required parameter",
        ),
        (
            json!({"model": "m", "input": "hi", "tools": [{"type": "function", "name": "f"}]}),
            "tools[0].parameters",
            "Missing required parameter",
        ),
        (
            with_input(json!([{"role": "tool", "content": "x"}])),
            "input[0].role",
            "Invalid value: 'tool'",
        ),
        (
            with_input(
                json!([{"type": "message", "role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]),
            ),
            "input[0].content[0].type",
            "Supported values are: 'output_text', 'refusal'",
        ),
        (
            with_input(
                json!([{"role": "user", "content": [{"type": "output_text", "text": "x"}]}]),
            ),
            "input[0].content[0].type",
            "Invalid value: 'output_text'",
        ),
        (
            with_input(json!([{"role": "user", "content": [{"type": "text", "text": "x"}]}])),
            "input[0].content[0].type",
            "Invalid value: 'text'",
        ),
        (
            with_input(json!([{"role": "user", "content": [{"type": "input_image"}]}])),
            "input[0].content[0].image_url",
            "Missing required parameter",
        ),
        (
            with_input(
                json!([{"role": "user", "content": [{"type": "input_image", "image_url": {"url": "x"}}]}]),
            ),
            "input[0].content[0].image_url",
            "Missing required parameter",
        ),
        (
            with_input(
                json!([user, {"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}, output("c")]),
            ),
            "input[1].arguments",
            "Invalid type",
        ),
        (
            with_input(json!([user, {"type": "function_call", "name": "f", "arguments": "{}"}])),
            "input[1].call_id",
            "Missing required parameter",
        ),
        (
            with_input(
                json!([user, {"type": "function_call", "id": "call_1", "call_id": "call_1", "name": "f", "arguments": "{}"}, output("call_1")]),
            ),
            "input[1].id",
            "Expected an ID that begins with 'fc'",
        ),
        (
            with_input(json!([user, output("call_9")])),
            "input",
            "No tool call found for function call output with call_id call_9.",
        ),
        (
            with_input(json!([user, call.clone()])),
            "input",
            "No tool output found for function call call_1.",
        ),
        (
            with_input(json!([user, output("call_1"), call.clone()])),
            "input",
            "No tool call found",
        ),
        (
            with_input(json!([user, {"type": "reasoning", "id": "r1", "summary": []}])),
            "input[1].id",
            "begins with 'rs'",
        ),
        (
            with_input(json!([user, {"type": "reasoning", "id": "rs_1"}])),
            "input[1].summary",
            "Missing required parameter",
        ),
        (
            with_input(
                json!([user, {"type": "reasoning", "summary": [{"type": "text", "text": "x"}]}]),
            ),
            "input[1].summary[0].type",
            "summary_text",
        ),
        (
            with_input(json!([user, {"type": "tool_result", "content": "x"}])),
            "input[1].type",
            "Invalid value: 'tool_result'",
        ),
        (
            with_input(json!([{"type": "item_reference", "id": "msg_1"}])),
            "input[0].type",
            "Invalid value",
        ),
    ];
    for (body, param, needle) in cases {
        let (status, _, answer) = responses(&upstream, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error = error_of(&answer);
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["param"], param, "{body}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(needle),
            "{body}: {error}"
        );
    }
}

#[tokio::test]
async fn a_full_tool_conversation_with_reasoning_is_accepted() {
    let upstream = start().await;
    let body = json!({
        "model": "o4-mini",
        "instructions": "Be brief.",
        "reasoning": {"effort": "low", "summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "store": false,
        "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}, "strict": false}, {"type": "web_search"}],
        "input": [
            {"role": "developer", "content": "Use tools."},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}, {"type": "input_image", "image_url": "data:image/png;base64,AA"}]},
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "call it"}], "encrypted_content": "enc-1"},
            {"type": "function_call", "id": "fc_1", "call_id": "call_a", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            {"type": "function_call", "call_id": "call_b", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_a", "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_b", "output": "rain"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "Sunny and rain."}]},
            {"role": "user", "content": "thanks a lot"}
        ]
    });
    let (status, _, answer) = responses(&upstream, &body).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let response = json_of(&answer);
    assert_eq!(
        response["output"][1]["content"][0]["text"],
        "echo: thanks a lot"
    );
}

#[tokio::test]
async fn default_json_answer_field_by_field() {
    let upstream = start().await;
    let (status, headers, body) = responses(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let response = json_of(&body);
    assert!(response["id"].as_str().unwrap().starts_with("resp_"));
    assert_eq!(response["object"], "response");
    assert!(response["created_at"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(response["status"], "completed");
    assert_eq!(response["model"], "gpt-5-mini");
    let output = response["output"].as_array().unwrap();
    assert_eq!(output.len(), 1);
    assert_eq!(output[0]["type"], "message");
    assert_eq!(output[0]["role"], "assistant");
    assert_eq!(output[0]["status"], "completed");
    assert!(output[0]["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(output[0]["content"][0]["type"], "output_text");
    assert_eq!(output[0]["content"][0]["text"], "echo: hello big world");
    let usage = &response["usage"];
    assert_eq!(usage["input_tokens"], 5);
    assert_eq!(usage["input_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["output_tokens"], 4);
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);
    assert_eq!(usage["total_tokens"], 9);
    let (_, _, body) = responses(&upstream, &json!({"model": "m", "input": "just a string"})).await;
    assert_eq!(
        json_of(&body)["output"][0]["content"][0]["text"],
        "echo: just a string"
    );
}

#[tokio::test]
async fn default_stream_has_the_full_event_lifecycle() {
    let upstream = start().await;
    let (status, headers, body) = responses(&upstream, &hello(true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    let events = named_events(&body);
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    for (position, (_, data)) in events.iter().enumerate() {
        assert_eq!(data["sequence_number"], position);
    }
    assert_eq!(events[0].1["response"]["status"], "in_progress");
    assert_eq!(events[0].1["response"]["output"], json!([]));
    let text: String = events[4..8]
        .iter()
        .map(|(_, data)| data["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "echo: hello big world");
    assert_eq!(events[8].1["text"], "echo: hello big world");
    let item_id = events[2].1["item"]["id"].clone();
    assert_eq!(events[4].1["item_id"], item_id);
    assert_eq!(
        events[10].1["item"]["content"][0]["text"],
        "echo: hello big world"
    );
    let completed = &events[11].1["response"];
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["usage"]["total_tokens"], 9);
    assert_eq!(completed["id"], events[0].1["response"]["id"]);
    assert!(!String::from_utf8_lossy(&body).contains("[DONE]"));
}

#[tokio::test]
async fn tool_calls_answer_as_function_call_items() {
    let upstream = start().await;
    let arguments = r#"{"city":"Paris","unit":"celsius"}"#;
    upstream.push(Script::tool_calls([
        ("get_weather", arguments),
        ("get_time", "{}"),
    ]));
    let (_, _, body) = responses(&upstream, &hello(false)).await;
    let output = json_of(&body)["output"].clone();
    assert_eq!(output[0]["type"], "function_call");
    assert_eq!(output[0]["name"], "get_weather");
    assert_eq!(
        output[0]["arguments"], arguments,
        "arguments are a JSON string"
    );
    assert!(output[0]["id"].as_str().unwrap().starts_with("fc_"));
    assert!(output[0]["call_id"].as_str().unwrap().starts_with("call_"));
    assert_ne!(output[0]["call_id"], output[1]["call_id"]);

    upstream.push(Script::tool_calls([
        ("get_weather", arguments),
        ("get_time", r#"{"tz":"CET"}"#),
    ]));
    let (_, _, body) = responses(&upstream, &hello(true)).await;
    let events = named_events(&body);
    let mut calls: Vec<(String, String)> = Vec::new();
    for (name, data) in &events {
        match name.as_str() {
            "response.output_item.added" => {
                assert_eq!(data["output_index"], calls.len());
                assert_eq!(data["item"]["arguments"], "");
                calls.push((data["item"]["id"].as_str().unwrap().into(), String::new()));
            }
            "response.function_call_arguments.delta" => {
                let index = usize::try_from(data["output_index"].as_u64().unwrap()).unwrap();
                assert_eq!(data["item_id"], calls[index].0.as_str());
                calls[index].1.push_str(data["delta"].as_str().unwrap());
            }
            "response.function_call_arguments.done" => {
                let index = usize::try_from(data["output_index"].as_u64().unwrap()).unwrap();
                assert_eq!(data["arguments"], calls[index].1.as_str());
            }
            _ => {}
        }
    }
    assert_eq!(calls[0].1, arguments);
    assert_eq!(calls[1].1, r#"{"tz":"CET"}"#);
    let deltas = events
        .iter()
        .filter(|(name, _)| name == "response.function_call_arguments.delta")
        .count();
    assert!(deltas > 2, "arguments arrive in pieces");
    let completed = &events.last().unwrap().1["response"];
    assert_eq!(completed["output"][1]["type"], "function_call");
}

#[tokio::test]
async fn reasoning_adds_a_reasoning_item_encrypted_only_when_included() {
    let upstream = start().await;
    let mut body = hello(false);
    body["reasoning"] = json!({"effort": "medium"});
    let (_, _, answer) = responses(&upstream, &body).await;
    let response = json_of(&answer);
    let reasoning = &response["output"][0];
    assert_eq!(reasoning["type"], "reasoning");
    assert!(reasoning["id"].as_str().unwrap().starts_with("rs_"));
    assert_eq!(
        reasoning["summary"],
        json!([{"type": "summary_text", "text": "thinking about: hello big world"}])
    );
    assert!(reasoning.get("encrypted_content").is_none());
    assert_eq!(response["output"][1]["type"], "message");
    assert_eq!(
        response["usage"]["output_tokens_details"]["reasoning_tokens"],
        5
    );
    assert_eq!(
        response["usage"]["output_tokens"], 9,
        "reasoning tokens are part of output"
    );

    body["include"] = json!(["reasoning.encrypted_content"]);
    let (_, _, answer) = responses(&upstream, &body).await;
    assert!(
        json_of(&answer)["output"][0]["encrypted_content"]
            .as_str()
            .unwrap()
            .starts_with("enc-")
    );

    body["stream"] = json!(true);
    let (_, _, answer) = responses(&upstream, &body).await;
    let events = named_events(&answer);
    assert_eq!(events[2].0, "response.output_item.added");
    assert_eq!(events[2].1["item"]["type"], "reasoning");
    let summary: String = events
        .iter()
        .filter(|(name, _)| name == "response.reasoning_summary_text.delta")
        .map(|(_, data)| data["delta"].as_str().unwrap())
        .collect();
    assert_eq!(summary, "thinking about: hello big world");
    let done = events
        .iter()
        .find(|(name, data)| {
            name == "response.output_item.done" && data["item"]["type"] == "reasoning"
        })
        .unwrap();
    assert!(done.1["item"]["encrypted_content"].is_string());
    let message = events
        .iter()
        .find(|(name, data)| {
            name == "response.output_item.added" && data["item"]["type"] == "message"
        })
        .unwrap();
    assert_eq!(message.1["output_index"], 1);
}

#[tokio::test]
async fn scripts_routes_and_fixtures() {
    let upstream = start().await;
    upstream.push(Script::status(
        400,
        fixtures::ERROR_PREVIOUS_RESPONSE_NOT_FOUND,
    ));
    let (status, _, body) = responses(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["code"], "previous_response_not_found");

    upstream.push(Script::DropMidStream { after_chunks: 4 });
    let response = open(
        &upstream,
        Method::POST,
        "/v1/responses",
        &AUTH,
        &hello(true).to_string(),
    )
    .await;
    let (data, failed) = read_until_end(response).await;
    assert!(failed);
    let text = String::from_utf8(data).unwrap();
    assert_eq!(text.matches("event: ").count(), 4);
    assert!(!text.contains("response.completed"));

    upstream.push(Script::MalformedSse);
    let (_, _, body) = responses(&upstream, &hello(true)).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    let broken = text.split("\n\n").nth(2).unwrap();
    assert!(serde_json::from_str::<Value>(broken.split_once("data: ").unwrap().1).is_err());

    upstream.push(Script::Reply(ReplyKind::Fixture(fixtures::RESPONSE_STREAM)));
    let (_, _, body) = responses(&upstream, &hello(true)).await;
    let events = named_events(&body);
    assert_eq!(events.last().unwrap().0, "response.completed");

    let (status, _, body) = exchange(&upstream, Method::GET, "/v1/models", &AUTH, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["object"], "list");
    let (status, _, _) =
        exchange(&upstream, Method::POST, "/v1/chat/completions", &AUTH, "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for fixture in [fixtures::RESPONSE, fixtures::RESPONSE_FUNCTION_CALL] {
        let value: Value = serde_json::from_str(fixture).unwrap();
        assert_eq!(value["object"], "response");
    }
}

#[tokio::test]
async fn the_binary_speaks_responses_when_asked() {
    let (_child, url) = spawn_binary(&["--protocol", "openai_responses"]).await;
    let (status, body) = post_url(
        &format!("{url}/v1/responses"),
        &AUTH,
        &hello(false).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["object"], "response");
}
