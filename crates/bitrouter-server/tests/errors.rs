//! Every bad input gets a clear error in the client's protocol shape with the right status.

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
use serde_json::json;

async fn setup() -> (FakeUpstream, TestGateway) {
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &base),
        ],
        |c| {
            c.body_limit = 64 * 1024;
            c.timeouts.first_byte = Duration::from_millis(400);
            c.timeouts.idle = Duration::from_millis(400);
        },
        Vec::new(),
    )
    .await;
    (upstream, gw)
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (upstream, gw) = setup().await;
    let reply = send(
        Method::POST,
        &gw.url("/v1/chat/completions"),
        &[],
        "{\"model\": \"gpt-4o\", ",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let err = openai_error(&reply);
    assert_eq!(err["type"], "invalid_request_error");
    assert!(
        err["message"].as_str().unwrap().contains("not valid JSON"),
        "{err}"
    );
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_400() {
    let (_upstream, gw) = setup().await;
    let reply = send(Method::POST, &gw.url("/v1/chat/completions"), &[], "[1,2]").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    openai_error(&reply);
}

#[tokio::test]
async fn missing_model_is_400() {
    let (_upstream, gw) = setup().await;
    let reply = post_json(&gw.url("/v1/chat/completions"), &json!({"messages": []})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        openai_error(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("names no model")
    );
}

#[tokio::test]
async fn unknown_model_is_404_naming_active_providers() {
    let (upstream, gw) = setup().await;
    let reply = post_json(
        &gw.url("/v1/chat/completions"),
        &chat("mistral-large-latest"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let err = openai_error(&reply);
    assert_eq!(err["type"], "not_found_error");
    assert_eq!(err["code"], "model_not_found");
    let msg = err["message"].as_str().unwrap();
    assert!(
        msg.contains("mistral-large-latest") && msg.contains("active providers: openai"),
        "{msg}"
    );
    let reply = post_json(
        &gw.url("/v1/chat/completions"),
        &chat("anthropic:claude-haiku-4-5"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        openai_error(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("`anthropic` is not active")
    );
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn body_over_the_limit_is_413_with_or_without_content_length() {
    let (upstream, gw) = setup().await;
    let mut body = chat("gpt-4o-mini");
    body["messages"][0]["content"] = json!("x".repeat(100 * 1024));
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(openai_error(&reply)["code"], "request_too_large");

    // Chunked, so no content-length: the limit bites while reading.
    let chunks: Vec<Result<hyper::body::Frame<bytes::Bytes>, std::convert::Infallible>> =
        serde_json::to_vec(&body)
            .unwrap()
            .chunks(8192)
            .map(|c| Ok(hyper::body::Frame::data(bytes::Bytes::copy_from_slice(c))))
            .collect();
    let stream_body = http_body_util::StreamBody::new(futures::stream::iter(chunks));
    let req = http::Request::post(gw.url("/v1/chat/completions"))
        .body(stream_body)
        .unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http();
    let res = client.request(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let (_upstream, gw) = setup().await;
    let reply = post_json(&gw.url("/v1/completion"), &chat("gpt-4o")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        openai_error(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("/v1/chat/completions")
    );
    let reply = get(&gw.url("/v1/chat/completions")).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    openai_error(&reply);
}

#[tokio::test]
async fn upstream_client_errors_pass_through_verbatim() {
    let (upstream, gw) = setup().await;
    let body = r#"{"error":{"message":"Invalid value for 'temperature'","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}"#;
    upstream.push(Script::status(400, body));
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.text(), body);
}

#[tokio::test]
async fn upstream_rate_limit_keeps_retry_after() {
    let (upstream, gw) = setup().await;
    upstream.push(Script::Status {
        status: 429,
        body: r#"{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#.into(),
        headers: vec![("retry-after".into(), "7".into())],
    });
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header("retry-after"), Some("7"));
    assert_eq!(openai_error(&reply)["code"], "rate_limit_exceeded");
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/v1");
    let gw = gateway(&[
        ("OPENAI_API_KEY", "sk-x"),
        ("BITROUTER_OPENAI_API_BASE", &base),
    ])
    .await;
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    let err = openai_error(&reply);
    assert_eq!(err["code"], "upstream_unreachable");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("could not reach the upstream"),
        "{err}"
    );
}

#[tokio::test]
async fn hanging_upstream_is_504() {
    let (upstream, gw) = setup().await;
    upstream.push(Script::Hang);
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::GATEWAY_TIMEOUT);
    let err = openai_error(&reply);
    assert_eq!(err["code"], "upstream_timeout");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("did not answer in time"),
        "{err}"
    );
}

#[tokio::test]
async fn malformed_upstream_json_is_502() {
    let (upstream, gw) = setup().await;
    upstream.push(Script::MalformedJson);
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(
        openai_error(&reply)["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
}

#[tokio::test]
async fn a_stream_cut_mid_way_ends_with_an_error_event() {
    let (upstream, gw) = setup().await;
    upstream.push(Script::DropMidStream { after_chunks: 2 });
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::OK);
    let data = reply.sse_data();
    assert!(!data.iter().any(|d| d == "[DONE]"), "{data:?}");
    let last: serde_json::Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert!(
        last["error"]["message"].is_string(),
        "the stream ends with an error event: {last}"
    );
}

#[tokio::test]
async fn a_stream_that_stalls_ends_with_an_error_event() {
    let (upstream, gw) = setup().await;
    upstream.push(Script::SlowStream {
        chunk_delay: Duration::from_secs(5),
        chunks: 3,
    });
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    let data = reply.sse_data();
    let last: serde_json::Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("idle between chunks"),
        "{last}"
    );
}

#[tokio::test]
async fn a_request_from_this_very_instance_is_a_loop() {
    let (upstream, gw) = setup().await;
    let body = serde_json::to_vec(&chat("gpt-4o-mini")).unwrap();
    let reply = send(
        Method::POST,
        &gw.url("/v1/chat/completions"),
        &[("x-bitrouter-hop", gw.instance_id.as_str())],
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::LOOP_DETECTED);
    assert_eq!(openai_error(&reply)["code"], "loop_detected");
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn a_base_pointing_at_bitrouter_itself_is_refused_at_start() {
    let env = [
        ("OPENAI_API_KEY", "sk-x"),
        ("BITROUTER_OPENAI_API_BASE", "http://localhost:4356/v1"),
    ];
    let map: std::collections::HashMap<_, _> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = bitrouter_server::ServerConfig::default();
    let err = bitrouter_server::Gateway::from_env(config, &|k| map.get(k).cloned()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("would call BitRouter itself") && msg.contains("BITROUTER_OPENAI_API_BASE"),
        "{msg}"
    );
}
