//! Each script kind: status, default, hang, delay, cut and slow streams, malformed bodies.

mod common;

use std::time::{Duration, Instant};

use bitrouter_test_support::fixtures::openai_chat as fixtures;
use bitrouter_test_support::{FakeUpstream, Script};
use common::*;
use http::{Method, StatusCode};
use serde_json::Value;

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
