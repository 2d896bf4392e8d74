//! Each inbound protocol reaches an OpenAI Chat Completions upstream through translation, and
//! answers in its own shape (the full 16-pair suite is in `conformance.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::{Method, StatusCode};
use serde_json::json;

async fn setup() -> (FakeUpstream, TestGateway) {
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let gw = gateway(&[
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", &base),
    ])
    .await;
    (upstream, gw)
}

async fn post(url: &str, headers: &[(&str, &str)], body: serde_json::Value) -> Reply {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    send(Method::POST, url, &h, serde_json::to_vec(&body).unwrap()).await
}

#[tokio::test]
async fn anthropic_client_to_openai_upstream() {
    let (upstream, gw) = setup().await;
    let body = json!({
        "model": "openai:gpt-4o-mini",
        "max_tokens": 256,
        "system": "be brief",
        "messages": [{"role": "user", "content": "hello claude"}]
    });
    let headers = [
        ("x-api-key", "client-key"),
        ("anthropic-version", "2023-06-01"),
    ];
    let reply = post(&gw.url("/v1/messages"), &headers, body.clone()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let v = reply.json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["content"][0]["type"], "text");
    assert_eq!(v["content"][0]["text"], "echo: hello claude");
    assert_eq!(v["stop_reason"], "end_turn");
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
    let sent = upstream.last_request().unwrap();
    let sent_json = sent.json.clone().unwrap();
    assert_eq!(
        sent_json["messages"][0],
        json!({"role": "system", "content": "be brief"})
    );
    assert_eq!(sent_json["max_tokens"], 256);
    assert!(
        sent.header("anthropic-version").is_none(),
        "Anthropic headers stay off OpenAI upstreams"
    );

    let mut streamed = body;
    streamed["stream"] = json!(true);
    let reply = post(&gw.url("/v1/messages"), &headers, streamed).await;
    let mut decoder = bitrouter_protocols::SseDecoder::new();
    let mut events = Vec::new();
    decoder.push(&reply.body, &mut events).unwrap();
    let names: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(names.contains(&"content_block_delta") && names.contains(&"message_delta"));
}

#[tokio::test]
async fn anthropic_errors_come_back_in_anthropic_shape() {
    let (_upstream, gw) = setup().await;
    let reply = post(
        &gw.url("/v1/messages"),
        &[],
        json!({"model": "nope-model", "max_tokens": 5, "messages": []}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let v = reply.json();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "not_found_error");
}

#[tokio::test]
async fn google_client_to_openai_upstream_with_and_without_sse() {
    let (upstream, gw) = setup().await;
    upstream.push(Script::tool_calls([("get_weather", r#"{"city":"Paris"}"#)]));
    let body = json!({
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "contents": [{"role": "user", "parts": [{"text": "weather?"}]}],
        "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}]
    });
    let url = gw.url("/v1beta/models/openai:gpt-4o-mini:generateContent");
    let reply = post(&url, &[("x-goog-api-key", "client")], body.clone()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let v = reply.json();
    let call = &v["candidates"][0]["content"]["parts"][0]["functionCall"];
    assert_eq!(call["name"], "get_weather");
    assert_eq!(call["args"], json!({"city": "Paris"}));
    let sent = upstream.last_request().unwrap().json.unwrap();
    assert_eq!(
        sent["tools"][0]["function"]["parameters"]["type"], "object",
        "schema types lower-cased"
    );

    let url = gw.url("/v1beta/models/openai:gpt-4o-mini:streamGenerateContent?alt=sse");
    let reply = post(
        &url,
        &[],
        json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
    )
    .await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let text: String = reply
        .sse_data()
        .iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap())
        .filter_map(|c| {
            c["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "echo: hi");

    let url = gw.url("/v1beta/models/openai:gpt-4o-mini:streamGenerateContent");
    let reply = post(
        &url,
        &[],
        json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}),
    )
    .await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let chunks = reply.json();
    let chunks = chunks.as_array().unwrap();
    assert!(chunks.len() >= 2, "{chunks:?}");
    assert_eq!(
        chunks.last().unwrap()["candidates"][0]["finishReason"],
        "STOP"
    );
}

#[tokio::test]
async fn count_tokens_estimates_locally() {
    let (upstream, gw) = setup().await;
    let body = json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "a".repeat(400)}]});
    let reply = post(&gw.url("/v1/messages/count_tokens"), &[], body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["input_tokens"], 103);
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn listings_in_each_shape() {
    let (_upstream, gw) = setup().await;
    let anthropic = send(
        Method::GET,
        &gw.url("/v1/models"),
        &[("anthropic-version", "2023-06-01")],
        "",
    )
    .await
    .json();
    assert_eq!(anthropic["data"][0]["type"], "model");
    assert_eq!(anthropic["has_more"], false);
    let google = get(&gw.url("/v1beta/models")).await.json();
    assert!(
        google["models"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("models/")
    );
}
