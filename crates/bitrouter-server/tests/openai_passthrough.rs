//! OpenAI client -> BitRouter -> OpenAI-compatible fake upstream, same protocol: bodies pass
//! through faithfully, streams arrive chunk by chunk, headers say who served the call.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::StatusCode;
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

#[tokio::test]
async fn plain_completion_passes_through_with_unknown_fields() {
    let (upstream, gw) = setup().await;
    let mut body = chat("openai:gpt-4o-mini");
    body["x_vendor_extension"] = json!({"keep": [1, 2, 3]});
    body["temperature"] = json!(0.25);
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let v = reply.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "echo: hello there");
    // Response fields BitRouter does not model survive.
    assert!(v["system_fingerprint"].is_string(), "{v}");
    assert!(v["service_tier"].is_string(), "{v}");
    assert_eq!(reply.header("x-bitrouter-provider"), Some("openai"));
    assert_eq!(reply.header("x-bitrouter-model"), Some("gpt-4o-mini"));
    assert!(
        reply
            .header("x-bitrouter-request-id")
            .is_some_and(|id| id.starts_with("req_"))
    );
    assert!(
        reply.header("content-length").is_some(),
        "small answers go out with a length"
    );

    let seen = upstream.last_request().unwrap();
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {DEFAULT_API_KEY}").as_str())
    );
    let sent = seen.json.unwrap();
    assert_eq!(
        sent["model"], "gpt-4o-mini",
        "the provider prefix is stripped"
    );
    assert_eq!(sent["x_vendor_extension"], json!({"keep": [1, 2, 3]}));
    assert_eq!(sent["temperature"], 0.25);
    assert!(seen.headers.get("x-bitrouter-hop").is_some());
}

#[tokio::test]
async fn the_client_credentials_never_reach_the_upstream() {
    let (upstream, gw) = setup().await;
    post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    let seen = upstream.last_request().unwrap();
    assert!(!seen.body_text().contains("client-secret"));
    assert_ne!(seen.header("authorization"), Some("Bearer client-secret"));
}

#[tokio::test]
async fn base_url_with_or_without_v1() {
    let (_upstream, gw) = setup().await;
    for path in ["/v1/chat/completions", "/chat/completions"] {
        let reply = post_json(&gw.url(path), &chat("gpt-4o-mini")).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    }
    for path in ["/v1/models", "/models"] {
        let v = get(&gw.url(path)).await.json();
        assert_eq!(v["object"], "list", "{path}");
        let ids: Vec<&str> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["id"].as_str())
            .collect();
        assert!(
            ids.contains(&"gpt-4o-mini") && ids.contains(&"openai:gpt-4o-mini"),
            "{ids:?}"
        );
    }
    let health = get(&gw.url("/health")).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json()["providers"], json!(["openai"]));
}

#[tokio::test]
async fn stream_without_usage_request_hides_the_usage_chunk_but_asks_upstream_for_it() {
    let (upstream, gw) = setup().await;
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let data = reply.sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<serde_json::Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert!(
        chunks
            .iter()
            .all(|c| !c["choices"].as_array().unwrap().is_empty()),
        "no usage-only chunk"
    );
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "echo: hello there");
    let sent = upstream.last_request().unwrap().json.unwrap();
    assert_eq!(sent["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn stream_with_usage_request_keeps_the_usage_chunk_verbatim() {
    let (_upstream, gw) = setup().await;
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let data = post_json(&gw.url("/v1/chat/completions"), &body)
        .await
        .sse_data();
    let usage_chunk: serde_json::Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(usage_chunk["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert!(
        usage_chunk["system_fingerprint"].is_string(),
        "unknown chunk fields survive"
    );
}

#[tokio::test]
async fn streamed_parallel_tool_calls_keep_their_indices() {
    let (upstream, gw) = setup().await;
    upstream.push(Script::tool_calls([
        ("get_weather", r#"{"city":"Paris"}"#),
        ("get_time", r#"{"tz":"Europe/Paris"}"#),
    ]));
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    body["tools"] = json!([
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}
    ]);
    let data = post_json(&gw.url("/v1/chat/completions"), &body)
        .await
        .sse_data();
    let mut args = [String::new(), String::new()];
    let mut finish = None;
    for d in &data[..data.len() - 1] {
        let c: serde_json::Value = serde_json::from_str(d).unwrap();
        if let Some(calls) = c["choices"][0]["delta"]["tool_calls"].as_array() {
            for call in calls {
                let i = call["index"].as_u64().unwrap() as usize;
                args[i].push_str(call["function"]["arguments"].as_str().unwrap_or(""));
            }
        }
        if let Some(f) = c["choices"][0]["finish_reason"].as_str() {
            finish = Some(f.to_owned());
        }
    }
    assert_eq!(args, [r#"{"city":"Paris"}"#, r#"{"tz":"Europe/Paris"}"#]);
    assert_eq!(finish.as_deref(), Some("tool_calls"));
}

#[tokio::test]
async fn chunks_are_forwarded_as_they_arrive() {
    use http_body_util::BodyExt;
    let (upstream, gw) = setup().await;
    upstream.push(Script::SlowStream {
        chunk_delay: std::time::Duration::from_millis(150),
        chunks: 4,
    });
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    let req = http::Request::post(gw.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            serde_json::to_vec(&body).unwrap(),
        )))
        .unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let res = client.request(req).await.unwrap();
    let mut body = res.into_body();
    // The upstream pauses between chunks: a relay that buffered the stream would deliver it
    // in one piece, ours delivers the first chunk before the end exists.
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let first = String::from_utf8_lossy(&first).into_owned();
    assert!(
        first.contains("chat.completion.chunk") && !first.contains("[DONE]"),
        "{first}"
    );
    let mut frames = 1;
    while let Some(f) = body.frame().await {
        f.unwrap();
        frames += 1;
    }
    assert!(frames >= 3, "chunks arrive separately, got {frames} frames");
}
