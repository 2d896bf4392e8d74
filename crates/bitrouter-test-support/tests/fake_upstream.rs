//! Behaviour of the fake OpenAI Chat Completions upstream, driven by a real HTTP client.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns fail the test on an unexpected error"
)]

use std::time::{Duration, Instant};

use bitrouter_test_support::fixtures::openai_chat as fixtures;
use bitrouter_test_support::{FakeUpstream, ReplyKind, Script};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn send(
    upstream: &FakeUpstream,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> hyper::Response<Incoming> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", upstream.addr()))
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    client().request(request).await.unwrap()
}

/// POST a chat completion with the right key and read the whole answer.
async fn chat(upstream: &FakeUpstream, body: &Value) -> (StatusCode, HeaderMap, Bytes) {
    let response = send(
        upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        &body.to_string(),
    )
    .await;
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

fn json_of(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The `data:` payloads of an SSE body, in order.
fn sse_data(body: &Bytes) -> Vec<String> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\n\n"), "every event ends with a blank line");
    text.split("\n\n")
        .filter(|event| !event.is_empty())
        .map(|event| event.strip_prefix("data: ").unwrap().to_owned())
        .collect()
}

/// The chunks of a stream that must end in `[DONE]`.
fn chunks_until_done(body: &Bytes) -> Vec<Value> {
    let mut data = sse_data(body);
    assert_eq!(data.pop().as_deref(), Some("[DONE]"));
    data.iter()
        .map(|chunk| serde_json::from_str(chunk).unwrap())
        .collect()
}

fn hello(stream: bool) -> Value {
    json!({
        "model": "gpt-4o-mini",
        "stream": stream,
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "hello big world"}
        ]
    })
}

#[tokio::test]
async fn missing_or_wrong_key_is_401_invalid_api_key() {
    let upstream = FakeUpstream::start().await.unwrap();
    let body = hello(false).to_string();
    for key in [None, Some("sk-wrong-key-123")] {
        let response = send(&upstream, Method::POST, "/v1/chat/completions", key, &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let error = json_of(&response.into_body().collect().await.unwrap().to_bytes());
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(error["error"]["code"], "invalid_api_key");
        assert_eq!(error["error"]["param"], Value::Null);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("API key")
        );
    }
    let upstream = upstream.with_api_key("sk-other");
    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        &body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-other"),
        &body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn invalid_bodies_are_400_naming_the_field() {
    let upstream = FakeUpstream::start().await.unwrap();
    let call = |id: &str| json!({"id": id, "type": "function", "function": {"name": "f", "arguments": "{}"}});
    let user = json!({"role": "user", "content": "hi"});
    let cases: Vec<(Value, Option<&str>, Option<&str>)> = vec![
        (json!("not an object"), Some("body"), Some("invalid_type")),
        (
            json!({"messages": [user]}),
            Some("model"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": 5, "messages": [user]}),
            Some("model"),
            Some("invalid_type"),
        ),
        (
            json!({"model": "m"}),
            Some("messages"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": []}),
            Some("messages"),
            Some("empty_array"),
        ),
        (
            json!({"model": "m", "messages": [{"content": "x"}]}),
            Some("messages[0].role"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]}),
            Some("messages[0].role"),
            Some("invalid_value"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": 7}]}),
            Some("messages[0].content"),
            Some("invalid_type"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user"}]}),
            Some("messages[0].content"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "stream": "yes", "messages": [user]}),
            Some("stream"),
            Some("invalid_type"),
        ),
        (
            json!({"model": "m", "stream_options": {"include_usage": true}, "messages": [user]}),
            Some("stream_options"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "tool", "tool_call_id": "call_1", "content": "r"}]}),
            Some("messages[1].role"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1")]}, {"role": "tool", "content": "r"}]}),
            Some("messages[2].tool_call_id"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1")]}, {"role": "tool", "tool_call_id": "call_9", "content": "r"}]}),
            Some("messages[2].tool_call_id"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1"), call("call_2")]}, {"role": "tool", "tool_call_id": "call_1", "content": "r"}, user]}),
            Some("messages[3].role"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1")]}]}),
            Some("messages[1].tool_calls"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"arguments": "{}"}}]}]}),
            Some("messages[1].tool_calls[0].function.name"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [{"id": "c", "type": "magic", "function": {"name": "f", "arguments": "{}"}}]}]}),
            Some("messages[1].tool_calls[0].type"),
            Some("invalid_value"),
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": []}]}),
            Some("messages[1].tool_calls"),
            Some("empty_array"),
        ),
    ];
    upstream.push(Script::text("kept for the first valid request"));
    for (body, param, code) in cases {
        let (status, _, answer) = chat(&upstream, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error = json_of(&answer);
        assert_eq!(error["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(error["error"]["param"].as_str(), param, "{body}");
        assert_eq!(error["error"]["code"].as_str(), code, "{body}");
    }
    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        "{not json",
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = json_of(&response.into_body().collect().await.unwrap().to_bytes());
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not parse the JSON body")
    );

    // Rejected requests left the queued script for the first valid one.
    assert_eq!(upstream.pending_scripts(), 1);
    let (status, _, answer) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json_of(&answer)["choices"][0]["message"]["content"],
        "kept for the first valid request"
    );
}

#[tokio::test]
async fn a_full_tool_conversation_with_unknown_fields_is_accepted() {
    let upstream = FakeUpstream::start().await.unwrap();
    let body = json!({
        "model": "m",
        "some_future_field": {"x": 1},
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "weather in"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_b", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_a", "content": [{"type": "text", "text": "rainy"}]},
            {"role": "user", "content": "thanks a lot"}
        ]
    });
    let (status, _, answer) = chat(&upstream, &body).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answer = json_of(&answer);
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "echo: thanks a lot"
    );
    // Words: sys(1) + "weather in"(2) + sunny(1) + rainy(1) + "thanks a lot"(3).
    assert_eq!(answer["usage"]["prompt_tokens"], 8);
}

#[tokio::test]
async fn default_json_answer_echoes_the_last_user_text() {
    let upstream = FakeUpstream::start().await.unwrap();
    let (status, headers, body) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    let answer = json_of(&body);
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["model"], "gpt-4o-mini");
    assert!(answer["created"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(answer["system_fingerprint"], "fp_fake_bitrouter");
    assert_eq!(answer["service_tier"], "default");
    let choice = &answer["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "echo: hello big world");
    assert_eq!(choice["message"]["refusal"], Value::Null);
    assert_eq!(answer["usage"]["prompt_tokens"], 5);
    assert_eq!(answer["usage"]["completion_tokens"], 4);
    assert_eq!(answer["usage"]["total_tokens"], 9);
    assert_eq!(answer["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

#[tokio::test]
async fn default_stream_has_role_deltas_finish_and_done_but_no_usage_unless_asked() {
    let upstream = FakeUpstream::start().await.unwrap();
    let (status, headers, body) = chat(&upstream, &hello(true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    let chunks = chunks_until_done(&body);
    assert_eq!(chunks.len(), 6, "role + 4 words + finish");
    let id = chunks[0]["id"].clone();
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], id);
        assert_eq!(chunk["model"], "gpt-4o-mini");
        assert!(
            chunk.get("usage").is_none(),
            "no usage field without include_usage"
        );
        assert_eq!(chunk["choices"].as_array().unwrap().len(), 1);
    }
    assert_eq!(
        chunks[0]["choices"][0]["delta"],
        json!({"role": "assistant", "content": "", "refusal": null})
    );
    let pieces: Vec<&str> = chunks[1..5]
        .iter()
        .map(|chunk| chunk["choices"][0]["delta"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(pieces, ["echo:", " hello", " big", " world"]);
    assert!(
        chunks[..5]
            .iter()
            .all(|chunk| chunk["choices"][0]["finish_reason"].is_null())
    );
    assert_eq!(chunks[5]["choices"][0]["delta"], json!({}));
    assert_eq!(chunks[5]["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn include_usage_adds_a_usage_chunk_with_no_choices_before_done() {
    let upstream = FakeUpstream::start().await.unwrap();
    let mut body = hello(true);
    body["stream_options"] = json!({"include_usage": true});
    let (_, _, answer) = chat(&upstream, &body).await;
    let chunks = chunks_until_done(&answer);
    let (usage_chunk, others) = chunks.split_last().unwrap();
    assert!(
        others
            .iter()
            .all(|chunk| chunk["usage"].is_null() && chunk.get("usage").is_some())
    );
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["prompt_tokens"], 5);
    assert_eq!(usage_chunk["usage"]["completion_tokens"], 4);
    assert_eq!(usage_chunk["usage"]["total_tokens"], 9);
    assert_eq!(
        others.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );

    body["stream_options"] = json!({"include_usage": false});
    let (_, _, answer) = chat(&upstream, &body).await;
    assert!(
        chunks_until_done(&answer)
            .iter()
            .all(|chunk| chunk.get("usage").is_none())
    );
}

#[tokio::test]
async fn tool_calls_answer_as_json() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::tool_calls([
        ("get_weather", r#"{"city":"Paris"}"#),
        ("get_time", "{}"),
    ]));
    let (_, _, body) = chat(&upstream, &hello(false)).await;
    let answer = json_of(&body);
    let choice = &answer["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let calls = choice["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(
        calls[0]["function"],
        json!({"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"})
    );
    assert_eq!(calls[1]["function"]["name"], "get_time");
    assert_ne!(calls[0]["id"], calls[1]["id"]);
    assert!(calls[0]["id"].as_str().unwrap().starts_with("call_"));
}

/// Reassemble streamed tool calls per index, checking the opening-delta rules on the way.
fn reassemble_tool_calls(chunks: &[Value]) -> Vec<(String, String, String)> {
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut argument_deltas: Vec<usize> = Vec::new();
    for chunk in chunks {
        let Some(deltas) = chunk["choices"][0]["delta"]["tool_calls"].as_array() else {
            continue;
        };
        for delta in deltas {
            let index = usize::try_from(delta["index"].as_u64().unwrap()).unwrap();
            if index == calls.len() {
                assert_eq!(
                    delta["type"], "function",
                    "the opening delta carries the type"
                );
                let id = delta["id"].as_str().unwrap().to_owned();
                let name = delta["function"]["name"].as_str().unwrap().to_owned();
                calls.push((id, name, String::new()));
                argument_deltas.push(0);
            } else {
                assert_eq!(
                    index + 1,
                    calls.len(),
                    "indices go 0, 1, … without returning"
                );
                assert!(delta.get("id").is_none() && delta.get("type").is_none());
                assert!(delta["function"].get("name").is_none());
            }
            let piece = delta["function"]["arguments"].as_str().unwrap();
            if !piece.is_empty() {
                argument_deltas[index] += 1;
            }
            calls[index].2.push_str(piece);
        }
    }
    assert!(
        argument_deltas.iter().all(|count| *count > 1),
        "arguments are split over several deltas: {argument_deltas:?}"
    );
    calls
}

#[tokio::test]
async fn tool_calls_stream_with_correct_indices() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::tool_calls([
        ("get_weather", r#"{"city":"Paris","unit":"celsius"}"#),
        ("get_time", r#"{"zone":"Europe/Rome"}"#),
    ]));
    let mut body = hello(true);
    body["stream_options"] = json!({"include_usage": true});
    let (_, _, answer) = chat(&upstream, &body).await;
    let chunks = chunks_until_done(&answer);
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let calls = reassemble_tool_calls(&chunks);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].1, "get_weather");
    assert_eq!(calls[0].2, r#"{"city":"Paris","unit":"celsius"}"#);
    assert_eq!(calls[1].1, "get_time");
    assert_eq!(calls[1].2, r#"{"zone":"Europe/Rome"}"#);
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(chunks[chunks.len() - 1]["choices"], json!([]));
    // Words: get_weather(1) + 1 argument word, get_time(1) + 1 argument word.
    assert_eq!(chunks[chunks.len() - 1]["usage"]["completion_tokens"], 4);
}

#[tokio::test]
async fn fixtures_are_well_formed_and_served_verbatim() {
    for fixture in [
        fixtures::CHAT_COMPLETION,
        fixtures::CHAT_COMPLETION_TOOL_CALLS,
        fixtures::ERROR_INVALID_REQUEST,
        fixtures::ERROR_RATE_LIMIT,
    ] {
        let _: Value = serde_json::from_str(fixture).unwrap();
    }
    let text = chunks_until_done(&Bytes::from_static(
        fixtures::CHAT_COMPLETION_STREAM.as_bytes(),
    ));
    assert_eq!(text.last().unwrap()["choices"], json!([]));
    let tools = chunks_until_done(&Bytes::from_static(
        fixtures::CHAT_COMPLETION_TOOL_CALLS_STREAM.as_bytes(),
    ));
    let calls = reassemble_tool_calls(&tools);
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].2,
        r#"{"location": "Paris, France", "unit": "celsius"}"#
    );
    let answer: Value = serde_json::from_str(fixtures::CHAT_COMPLETION_TOOL_CALLS).unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["tool_calls"][1]["function"]["arguments"],
        calls[1].2
    );

    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::Reply(ReplyKind::Fixture(fixtures::CHAT_COMPLETION)));
    upstream.push(Script::Reply(ReplyKind::Fixture(
        fixtures::CHAT_COMPLETION_STREAM,
    )));
    let (_, headers, body) = chat(&upstream, &hello(false)).await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, fixtures::CHAT_COMPLETION.as_bytes());
    let (_, headers, body) = chat(&upstream, &hello(true)).await;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(body, fixtures::CHAT_COMPLETION_STREAM.as_bytes());
}

#[tokio::test]
async fn status_script_sends_status_body_and_headers() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::Status {
        status: 429,
        body: fixtures::ERROR_RATE_LIMIT.to_owned(),
        headers: vec![
            ("retry-after".into(), "7".into()),
            ("x-ratelimit-remaining-requests".into(), "0".into()),
        ],
    });
    upstream.push(Script::status(
        500,
        "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,\"code\":null}}",
    ));
    let (status, headers, body) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(headers["x-ratelimit-remaining-requests"], "0");
    assert_eq!(json_of(&body)["error"]["code"], "rate_limit_exceeded");
    let (status, _, body) = chat(&upstream, &hello(true)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(json_of(&body)["error"]["message"], "boom");
    let (status, _, _) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK, "the queue is empty again");
}

#[tokio::test]
async fn set_default_applies_when_the_queue_is_empty() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.set_default(Script::status(503, "{}"));
    upstream.push(Script::text("one good answer"));
    let (status, _, _) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..2 {
        let (status, _, _) = chat(&upstream, &hello(false)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }
    upstream.set_default(Script::Echo);
    let (status, _, _) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn hang_never_answers() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::Hang);
    let waited =
        tokio::time::timeout(Duration::from_millis(150), chat(&upstream, &hello(false))).await;
    assert!(waited.is_err(), "a hung request gets no answer");
    assert_eq!(
        upstream.request_count(),
        1,
        "the request was read and recorded"
    );
    let (status, _, _) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK, "other requests are still served");
}

#[tokio::test]
async fn delay_waits_before_answering() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::Delay(
        Duration::from_millis(120),
        Box::new(Script::text("late")),
    ));
    let started = Instant::now();
    let (_, _, body) = chat(&upstream, &hello(false)).await;
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(json_of(&body)["choices"][0]["message"]["content"], "late");
}

/// Read a body frame by frame until it ends or fails; the data received and whether it failed.
async fn read_until_end(response: hyper::Response<Incoming>) -> (Vec<u8>, bool) {
    let mut body = response.into_body();
    let mut data = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                data.extend_from_slice(frame.data_ref().map_or(&[][..], |bytes| &bytes[..]))
            }
            Err(_) => return (data, true),
        }
    }
    (data, false)
}

#[tokio::test]
async fn drop_mid_stream_cuts_the_connection_before_done() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::DropMidStream { after_chunks: 2 });
    upstream.push(Script::DropMidStream { after_chunks: 1 });
    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        &hello(true).to_string(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (data, failed) = read_until_end(response).await;
    assert!(failed, "the body ends with an error, not a clean end");
    let text = String::from_utf8(data).unwrap();
    assert_eq!(text.matches("data: ").count(), 2);
    assert!(!text.contains("[DONE]"));

    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        &hello(false).to_string(),
    )
    .await;
    let (data, failed) = read_until_end(response).await;
    assert!(failed);
    assert!(
        serde_json::from_slice::<Value>(&data).is_err(),
        "only part of the JSON arrived"
    );
}

#[tokio::test]
async fn slow_stream_paces_its_chunks() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::SlowStream {
        chunk_delay: Duration::from_millis(25),
        chunks: 4,
    });
    let started = Instant::now();
    let (_, _, body) = chat(&upstream, &hello(true)).await;
    // role + 4 pieces + finish + [DONE] = 7 events, 6 pauses.
    assert!(started.elapsed() >= Duration::from_millis(150));
    let chunks = chunks_until_done(&body);
    let text: String = chunks
        .iter()
        .filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "tick0 tick1 tick2 tick3");
}

#[tokio::test]
async fn token_delay_paces_default_answers() {
    let upstream = FakeUpstream::builder()
        .token_delay(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let started = Instant::now();
    let (_, _, body) = chat(&upstream, &hello(false)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "4 pieces × 20 ms"
    );
    assert_eq!(
        json_of(&body)["choices"][0]["message"]["content"],
        "echo: hello big world"
    );
}

#[tokio::test]
async fn malformed_scripts_send_broken_bodies() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::MalformedJson);
    upstream.push(Script::MalformedSse);
    let (status, headers, body) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    let (status, headers, body) = chat(&upstream, &hello(true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    let data = sse_data(&body);
    assert_eq!(data.len(), 3);
    assert!(serde_json::from_str::<Value>(&data[0]).is_ok());
    assert!(serde_json::from_str::<Value>(&data[1]).is_err());
    assert_eq!(data[2], "[DONE]");
}

#[tokio::test]
async fn requests_are_recorded() {
    let upstream = FakeUpstream::start().await.unwrap();
    assert!(upstream.last_request().is_none());
    let body = hello(false).to_string();
    let request = Request::post(format!(
        "http://{}/v1/chat/completions?trace=1",
        upstream.addr()
    ))
    .header("authorization", "Bearer sk-test")
    .header("x-custom", "kept")
    .body(Full::new(Bytes::from(body.clone())))
    .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let _ = send(&upstream, Method::GET, "/v1/unknown", None, "").await;

    assert_eq!(upstream.request_count(), 2);
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, Method::POST);
    assert_eq!(first.path, "/v1/chat/completions");
    assert_eq!(first.query.as_deref(), Some("trace=1"));
    assert_eq!(first.header("x-custom"), Some("kept"));
    assert_eq!(first.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(first.body_text(), body);
    assert_eq!(first.json.as_ref().unwrap()["model"], "gpt-4o-mini");
    let last = upstream.last_request().unwrap();
    assert_eq!(last.method, Method::GET);
    assert_eq!(last.path, "/v1/unknown");
    assert!(last.body.is_empty() && last.json.is_none());
}

#[tokio::test]
async fn unknown_routes_are_404_and_models_are_listed() {
    let upstream = FakeUpstream::start().await.unwrap();
    for (method, path) in [
        (Method::GET, "/v1/nope"),
        (Method::GET, "/v1/chat/completions"),
        (Method::POST, "/chat/completions"),
    ] {
        let response = send(&upstream, method.clone(), path, Some("sk-test"), "{}").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let error = json_of(&response.into_body().collect().await.unwrap().to_bytes());
        assert_eq!(
            error["error"]["message"],
            format!("Invalid URL ({method} {path})")
        );
        assert_eq!(error["error"]["type"], "invalid_request_error");
    }
    let response = send(&upstream, Method::GET, "/v1/models", None, "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = send(&upstream, Method::GET, "/v1/models", Some("sk-test"), "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let models = json_of(&response.into_body().collect().await.unwrap().to_bytes());
    assert_eq!(models["object"], "list");
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|model| model["object"] == "model" && model["id"].is_string())
    );
}

#[tokio::test]
async fn h2c_clients_are_served() {
    let upstream = FakeUpstream::start().await.unwrap();
    let h2: HttpClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let request = Request::post(format!("{}/chat/completions", upstream.base_url()))
        .header("authorization", "Bearer sk-test")
        .body(Full::new(Bytes::from(hello(false).to_string())))
        .unwrap();
    let response = h2.request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        json_of(&body)["choices"][0]["message"]["content"],
        "echo: hello big world"
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let upstream = FakeUpstream::start().await.unwrap();
    let addr = upstream.addr();
    assert_eq!(upstream.base_url(), format!("http://{addr}/v1"));
    upstream.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Kills the child process when the test ends, even on a failed assertion.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves() {
    use std::io::BufRead;
    let mut child = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_fake-upstream"))
            .args(["--api-key", "sk-bin", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));
    let request = Request::post(format!("{url}/v1/chat/completions"))
        .header("authorization", "Bearer sk-bin")
        .body(Full::new(Bytes::from(hello(false).to_string())))
        .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
