//! Upstream faults `errors.rs` does not cover: malformed event streams (pass-through and
//! translated), an answer larger than the server accepts, and slow-but-steady streams that
//! must not be cut by the idle timeout.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::time::Duration;

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

async fn openai_setup(idle: Duration) -> (FakeUpstream, TestGateway) {
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &base),
        ],
        |c| {
            c.timeouts.first_byte = Duration::from_secs(5);
            c.timeouts.idle = idle;
        },
        Vec::new(),
    )
    .await;
    (upstream, gw)
}

fn streamed_chat() -> Value {
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    body
}

#[tokio::test]
async fn malformed_sse_passed_through_ends_with_an_error_event_not_done() {
    let (upstream, gw) = openai_setup(Duration::from_secs(5)).await;
    upstream.push(Script::MalformedSse);
    let reply = post_json(&gw.url("/v1/chat/completions"), &streamed_chat()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let data = reply.sse_data();
    assert!(
        !data.iter().any(|d| d == "[DONE]"),
        "a broken stream must not look complete: {data:?}"
    );
    let first: Value = serde_json::from_str(&data[0]).unwrap();
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    let last: Value = serde_json::from_str(data.last().unwrap()).unwrap_or_else(|e| {
        panic!("the last event is JSON ({e}): {data:?}");
    });
    let message = last["error"]["message"].as_str().unwrap();
    assert!(message.contains("event"), "{last}");
    // Nothing of the unreadable event reaches the client.
    assert!(!data.iter().any(|d| d.contains("\"trunc")), "{data:?}");
}

#[tokio::test]
async fn malformed_sse_translated_ends_with_the_clients_error_event() {
    let (upstream, gw) = openai_setup(Duration::from_secs(5)).await;
    upstream.push(Script::MalformedSse);
    let body = json!({
        "model": "openai:gpt-4o-mini",
        "max_tokens": 64,
        "stream": true,
        "messages": [{"role": "user", "content": "hello"}]
    });
    let reply = send(
        Method::POST,
        &gw.url("/v1/messages"),
        &[
            ("content-type", "application/json"),
            ("x-api-key", "client-key"),
            ("anthropic-version", "2023-06-01"),
        ],
        serde_json::to_vec(&body).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut decoder = bitrouter_protocols::SseDecoder::new();
    let mut events = Vec::new();
    decoder.push(&reply.body, &mut events).unwrap();
    decoder.finish(&mut events);
    let names: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    assert_eq!(names.first(), Some(&"message_start"), "{names:?}");
    assert!(!names.contains(&"message_stop"), "{names:?}");
    let last = events.last().unwrap();
    assert_eq!(last.event.as_deref(), Some("error"), "{names:?}");
    let v: Value = serde_json::from_str(&last.data).unwrap();
    assert_eq!(v["type"], "error");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("chat completion chunk"), "{v}");
}

#[tokio::test]
async fn an_answer_larger_than_allowed_is_502_not_an_allocation() {
    let (upstream, gw) = openai_setup(Duration::from_secs(5)).await;
    // One body just over the 64 MiB cap on complete answers: valid JSON, so only the size
    // can be the reason it is refused.
    let cap = 64 * 1024 * 1024;
    let mut body = String::with_capacity(cap + 64);
    body.push_str("{\"pad\":\"");
    body.extend(std::iter::repeat_n('x', cap));
    body.push_str("\"}");
    upstream.push(Script::status(200, body));
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{}", reply.text());
    let err = openai_error(&reply);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("larger than 67108864 bytes"),
        "{err}"
    );
    // The gateway still serves.
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_slow_but_steady_stream_is_not_cut_by_the_idle_timeout() {
    // Each gap (250 ms) is under the idle timeout (600 ms); the whole stream (~2 s) is well
    // over it, so a timer that measured the whole stream instead of each gap would fail.
    let (upstream, gw) = openai_setup(Duration::from_millis(600)).await;
    upstream.push(Script::SlowStream {
        chunk_delay: Duration::from_millis(250),
        chunks: 8,
    });
    let reply = post_json(&gw.url("/v1/chat/completions"), &streamed_chat()).await;
    assert_eq!(reply.status, StatusCode::OK);
    let data = reply.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{data:?}");
    let text: String = data
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "tick0 tick1 tick2 tick3 tick4 tick5 tick6 tick7");
}

#[tokio::test]
async fn a_slow_but_steady_stream_is_not_cut_when_translated() {
    let (upstream, gw) = openai_setup(Duration::from_millis(600)).await;
    upstream.push(Script::SlowStream {
        chunk_delay: Duration::from_millis(250),
        chunks: 6,
    });
    let body = json!({
        "model": "openai:gpt-4o-mini",
        "max_tokens": 64,
        "stream": true,
        "messages": [{"role": "user", "content": "hello"}]
    });
    let reply = send(
        Method::POST,
        &gw.url("/v1/messages"),
        &[
            ("content-type", "application/json"),
            ("x-api-key", "client-key"),
            ("anthropic-version", "2023-06-01"),
        ],
        serde_json::to_vec(&body).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut decoder = bitrouter_protocols::SseDecoder::new();
    let mut events = Vec::new();
    decoder.push(&reply.body, &mut events).unwrap();
    decoder.finish(&mut events);
    let names: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    assert_eq!(names.last(), Some(&"message_stop"), "{names:?}");
    let text: String = events
        .iter()
        .filter(|e| e.event.as_deref() == Some("content_block_delta"))
        .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(text, "tick0 tick1 tick2 tick3 tick4 tick5");
}
