//! Guardrails from bitrouter.yaml on every client protocol's stream: a phrase split across
//! chunks is redacted, a blocked phrase ends the stream with the protocol's error event, and a
//! secret in a request is refused before it leaves.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

#[path = "conformance/client.rs"]
mod client;
mod common;

use std::path::Path;

use bitrouter_core::Protocol;
use bitrouter_server::{Gateway, ServerConfig};
use bitrouter_test_support::{FakeUpstream, Script};
use common::*;
use http::{Method, StatusCode};

async fn setup() -> (FakeUpstream, TestGateway) {
    let fake = FakeUpstream::start().await.unwrap();
    let yaml = format!(
        r#"
providers:
  up: {{ protocol: openai_chat, api_base: "{}", api_key: sk-test, models: [ test-model ] }}
guardrails:
  - name: no-plan
    detector: {{ deny: [ "top secret plan" ] }}
    direction: response
    action: redact
  - name: no-codes
    detector: {{ deny: [ "launch codes" ] }}
    direction: response
    action: block
  - name: no-aws-keys
    detector: {{ builtin: secrets }}
    direction: request
    action: block
"#,
        fake.base_url()
    );
    let file = bitrouter_config::parse(Path::new("bitrouter.yaml"), &yaml, &|_| None).unwrap();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let gw = Gateway::from_config(config, Some(&file), &|_| None).unwrap();
    (fake, serve(gw).await)
}

async fn post(
    gw: &TestGateway,
    protocol: Protocol,
    stream: bool,
    body: &serde_json::Value,
) -> Reply {
    send(
        Method::POST,
        &gw.url(&client::path(protocol, stream)),
        &[
            ("content-type", "application/json"),
            ("anthropic-version", "2023-06-01"),
        ],
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_phrase_split_across_chunks_is_redacted_in_every_protocol() {
    let (fake, gw) = setup().await;
    for protocol in Protocol::ALL {
        for stream in [true, false] {
            fake.push(Script::text("here is the top secret plan for today"));
            let reply = post(&gw, protocol, stream, &client::first_turn(protocol, stream)).await;
            assert_eq!(reply.status, StatusCode::OK, "{protocol}: {}", reply.text());
            let answer = if stream {
                client::read_stream(protocol, &reply.body)
            } else {
                client::read_answer(protocol, &reply.json())
            };
            assert_eq!(
                answer.text, "here is the [REDACTED:no-plan] for today",
                "{protocol} stream={stream}"
            );
        }
    }
    let metrics = get(&gw.url("/metrics")).await.text();
    assert!(
        metrics.contains(r#"bitrouter_guardrail_findings_total{rule="no-plan",action="redact"} 8"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_blocked_phrase_ends_each_protocols_stream_with_its_error_event() {
    let (fake, gw) = setup().await;
    for protocol in Protocol::ALL {
        fake.push(Script::text(
            "the launch codes are 0000 and more words follow here",
        ));
        let reply = post(&gw, protocol, true, &client::first_turn(protocol, true)).await;
        let text = reply.text();
        assert!(
            !text.contains("launch codes") && !text.contains("0000"),
            "{protocol}: {text}"
        );
        let ends_in_error = match protocol {
            Protocol::OpenaiChat => text.contains(r#""error""#) && !text.contains("[DONE]"),
            Protocol::OpenaiResponses => {
                text.contains("event: error") || text.contains("response.failed")
            }
            Protocol::AnthropicMessages => {
                text.contains("event: error") && !text.contains("message_stop")
            }
            Protocol::GoogleGenerateContent => text.contains(r#""error""#),
        };
        assert!(
            ends_in_error,
            "{protocol}: the stream ends with the protocol's error event:\n{text}"
        );
        assert!(
            text.contains("no-codes") || text.contains("guardrail"),
            "{protocol}: {text}"
        );
    }
}

#[tokio::test]
async fn a_secret_in_a_request_never_leaves() {
    let (fake, gw) = setup().await;
    let mut body = client::first_turn(Protocol::OpenaiChat, false);
    body["messages"][1]["content"] =
        serde_json::json!("my key is AKIAIOSFODNN7EXAMPLE please use it");
    let reply = post(&gw, Protocol::OpenaiChat, false, &body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let err = openai_error(&reply);
    assert_eq!(err["code"], "guardrail_blocked");
    assert!(
        !reply.text().contains("AKIAIOSFODNN7EXAMPLE"),
        "the block message never repeats the secret"
    );
    assert_eq!(fake.request_count(), 0);
}
