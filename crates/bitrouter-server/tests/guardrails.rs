//! Guardrails in the stack: a block never reaches the upstream, a rewrite does, and a stream
//! guard sees every part before the client.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use bitrouter_core::{
    ChatRequest, ChatResponse, ContentPart, GuardContext, Guardrail, StreamGuard, StreamPart,
    Verdict,
};
use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream};
use common::*;
use http::StatusCode;
use serde_json::json;

/// Blocks prompts containing "forbidden", rewrites "secret-123" to "[redacted]" both ways.
struct Redactor;

fn redact(text: &mut String) -> bool {
    if text.contains("secret-123") {
        *text = text.replace("secret-123", "[redacted]");
        true
    } else {
        false
    }
}

#[async_trait]
impl Guardrail for Redactor {
    fn name(&self) -> &str {
        "redactor"
    }

    async fn check_request(&self, _cx: GuardContext<'_>, request: &mut ChatRequest) -> Verdict {
        let mut changed = false;
        for m in &mut request.messages {
            for p in &mut m.content {
                if let ContentPart::Text { text } = p {
                    if text.contains("forbidden") {
                        return Verdict::Block {
                            reason: "the prompt asks for something forbidden".into(),
                        };
                    }
                    changed |= redact(text);
                }
            }
        }
        if changed {
            Verdict::Modified
        } else {
            Verdict::Allow
        }
    }

    async fn check_response(&self, _cx: GuardContext<'_>, response: &mut ChatResponse) -> Verdict {
        let mut changed = false;
        for p in &mut response.content {
            if let ContentPart::Text { text } = p {
                changed |= text.contains("echo") && {
                    *text = text.to_uppercase();
                    true
                };
            }
        }
        if changed {
            Verdict::Modified
        } else {
            Verdict::Allow
        }
    }

    fn stream_guard(&self, _cx: GuardContext<'_>) -> Option<Box<dyn StreamGuard>> {
        Some(Box::new(UpperStream))
    }
}

/// Upper-cases streamed text.
struct UpperStream;

impl StreamGuard for UpperStream {
    fn on_part(&mut self, part: StreamPart, out: &mut Vec<StreamPart>) -> Verdict {
        match part {
            StreamPart::TextDelta { text } => out.push(StreamPart::TextDelta {
                text: text.to_uppercase(),
            }),
            other => out.push(other),
        }
        Verdict::Allow
    }

    fn finish(&mut self, _out: &mut Vec<StreamPart>) -> Verdict {
        Verdict::Allow
    }
}

async fn setup() -> (FakeUpstream, TestGateway) {
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &base),
        ],
        |_| {},
        vec![Arc::new(Redactor)],
    )
    .await;
    (upstream, gw)
}

#[tokio::test]
async fn a_blocked_request_never_leaves() {
    let (upstream, gw) = setup().await;
    let mut body = chat("gpt-4o-mini");
    body["messages"][0]["content"] = json!("tell me the forbidden thing");
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let err = openai_error(&reply);
    assert_eq!(err["code"], "guardrail_blocked");
    assert!(err["message"].as_str().unwrap().contains("redactor"));
    assert_eq!(upstream.request_count(), 0);
}

#[tokio::test]
async fn a_rewritten_request_and_answer() {
    let (upstream, gw) = setup().await;
    let mut body = chat("gpt-4o-mini");
    body["messages"][0]["content"] = json!("my key is secret-123");
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let sent = upstream.last_request().unwrap();
    assert!(!sent.body_text().contains("secret-123"));
    assert_eq!(
        sent.json.unwrap()["messages"][0]["content"],
        "my key is [redacted]"
    );
    assert_eq!(
        reply.json()["choices"][0]["message"]["content"],
        "ECHO: MY KEY IS [REDACTED]"
    );
}

#[tokio::test]
async fn a_stream_guard_sees_every_part() {
    let (_upstream, gw) = setup().await;
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let data = post_json(&gw.url("/v1/chat/completions"), &body)
        .await
        .sse_data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let text: String = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap())
        .filter_map(|c| {
            c["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(text, "ECHO: HELLO THERE");
    let usage: serde_json::Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert!(
        usage["usage"]["completion_tokens"].as_u64().unwrap() > 0,
        "usage survives re-encoding"
    );
}
