//! Fallback from the vendor's own provider to an aggregator.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::StatusCode;

async fn setup() -> (FakeUpstream, FakeUpstream, TestGateway) {
    let openai = FakeUpstream::start().await.unwrap();
    let openrouter = FakeUpstream::start().await.unwrap();
    let (a, b) = (openai.base_url(), openrouter.base_url());
    let gw = gateway(&[
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", &a),
        ("OPENROUTER_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENROUTER_API_BASE", &b),
    ])
    .await;
    (openai, openrouter, gw)
}

#[tokio::test]
async fn server_errors_and_rate_limits_fall_back_to_the_aggregator() {
    for status in [500u16, 503, 429] {
        let (openai, openrouter, gw) = setup().await;
        openai.push(Script::status(
            status,
            r#"{"error":{"message":"busy","type":"server_error","param":null,"code":null}}"#,
        ));
        let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
        assert_eq!(reply.status, StatusCode::OK, "{status}: {}", reply.text());
        assert_eq!(reply.header("x-bitrouter-provider"), Some("openrouter"));
        assert_eq!(reply.header("x-bitrouter-attempts"), Some("2"));
        assert_eq!(openai.request_count(), 1);
        let sent = openrouter.last_request().unwrap().json.unwrap();
        assert_eq!(sent["model"], "openai/gpt-4o-mini");
    }
}

#[tokio::test]
async fn a_client_error_does_not_fall_back() {
    let (openai, openrouter, gw) = setup().await;
    openai.push(Script::status(
        400,
        r#"{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}"#,
    ));
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(openrouter.request_count(), 0);
}

#[tokio::test]
async fn when_every_target_fails_the_error_lists_each() {
    let (openai, openrouter, gw) = setup().await;
    openai.push(Script::status(
        500,
        r#"{"error":{"message":"openai broke","type":"server_error","param":null,"code":null}}"#,
    ));
    openrouter.push(Script::Status {
        status: 429,
        body: r#"{"error":{"message":"slow down","type":"rate_limit","param":null,"code":429}}"#
            .into(),
        headers: vec![("retry-after".into(), "3".into())],
    });
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header("retry-after"), Some("3"));
    let msg = openai_error(&reply)["message"].as_str().unwrap().to_owned();
    assert!(
        msg.contains("openai:gpt-4o-mini -> the upstream answered 500 Internal Server Error: openai broke")
            && msg.contains("openrouter:openai/gpt-4o-mini -> the upstream answered 429 Too Many Requests: slow down"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_stream_falls_back_before_its_first_byte() {
    let (openai, _openrouter, gw) = setup().await;
    openai.push(Script::status(502, "upstream gateway down"));
    let mut body = chat("gpt-4o-mini");
    body["stream"] = serde_json::json!(true);
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-bitrouter-provider"), Some("openrouter"));
    assert_eq!(reply.sse_data().last().map(String::as_str), Some("[DONE]"));
}

#[tokio::test]
async fn a_provider_that_keeps_failing_is_skipped_until_its_circuit_closes() {
    let openai = FakeUpstream::start().await.unwrap();
    let openrouter = FakeUpstream::start().await.unwrap();
    let (a, b) = (openai.base_url(), openrouter.base_url());
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &a),
            ("OPENROUTER_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENROUTER_API_BASE", &b),
        ],
        |c| {
            c.breaker.failures = 2;
            c.breaker.cooldown = std::time::Duration::from_secs(60);
        },
        Vec::new(),
    )
    .await;
    let down = || {
        Script::status(
            503,
            r#"{"error":{"message":"down","type":"server_error","param":null,"code":null}}"#,
        )
    };
    openai.set_default(down());
    for _ in 0..2 {
        let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
        assert_eq!(reply.header("x-bitrouter-provider"), Some("openrouter"));
    }
    assert_eq!(openai.request_count(), 2);
    // The circuit is open: openai is not even tried.
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-bitrouter-provider"), Some("openrouter"));
    assert_eq!(openai.request_count(), 2);

    // With the aggregator failing too, the error says why openai was skipped.
    openrouter.push(down());
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    let msg = openai_error(&reply)["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("circuit is open"), "{msg}");
}

#[tokio::test]
async fn when_every_circuit_is_open_the_first_target_is_still_tried() {
    let openai = FakeUpstream::start().await.unwrap();
    let a = openai.base_url();
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &a),
        ],
        |c| {
            c.breaker.failures = 1;
            c.breaker.cooldown = std::time::Duration::from_secs(60);
        },
        Vec::new(),
    )
    .await;
    openai.push(Script::status(
        500,
        r#"{"error":{"message":"blip","type":"server_error","param":null,"code":null}}"#,
    ));
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the only provider is tried despite its open circuit"
    );
    assert_eq!(openai.request_count(), 2);
}

/// A gateway whose `openai` upstream is `openai_base` and whose `openrouter` is a fake, with
/// a short first-byte timeout.
async fn with_bases(openai_base: &str, openrouter: &FakeUpstream) -> TestGateway {
    let b = openrouter.base_url();
    gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", openai_base),
            ("OPENROUTER_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENROUTER_API_BASE", &b),
        ],
        |c| c.timeouts.first_byte = std::time::Duration::from_millis(300),
        Vec::new(),
    )
    .await
}

#[tokio::test]
async fn every_trigger_falls_back() {
    // Connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let openrouter = FakeUpstream::start().await.unwrap();
    let gw = with_bases(&format!("http://127.0.0.1:{port}/v1"), &openrouter).await;
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(
        reply.header("x-bitrouter-provider"),
        Some("openrouter"),
        "connect error"
    );

    let quota = r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the API."}}"#;
    for (label, script) in [
        ("timeout", Script::Hang),
        (
            "408",
            Script::status(
                408,
                r#"{"error":{"message":"timeout","type":"timeout","param":null,"code":null}}"#,
            ),
        ),
        ("quota", Script::status(400, quota)),
        (
            "insufficient_quota 429",
            Script::status(
                429,
                r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
            ),
        ),
    ] {
        let openai = FakeUpstream::start().await.unwrap();
        let openrouter = FakeUpstream::start().await.unwrap();
        openai.push(script);
        let gw = with_bases(&openai.base_url(), &openrouter).await;
        let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text());
        assert_eq!(
            reply.header("x-bitrouter-provider"),
            Some("openrouter"),
            "{label}"
        );
        assert_eq!(openrouter.request_count(), 1, "{label}");
    }
}
