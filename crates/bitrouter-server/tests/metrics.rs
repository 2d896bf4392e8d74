//! `/metrics` moves as calls are made, and the overhead and cost headers go out.

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

/// The value of the first sample line starting with `prefix`.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {prefix}\n{text}"))
}

#[tokio::test]
async fn counters_move_as_calls_are_made() {
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let gw = gateway(&[
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", &base),
    ])
    .await;
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let overhead: f64 = reply
        .header("x-bitrouter-overhead-ms")
        .unwrap()
        .parse()
        .unwrap();
    assert!(overhead >= 0.0);
    let cost: f64 = reply
        .header("x-bitrouter-cost-usd")
        .unwrap()
        .parse()
        .unwrap();
    assert!(cost > 0.0, "gpt-4o-mini has a catalog price");

    let mut streamed = chat("gpt-4o-mini");
    streamed["stream"] = json!(true);
    post_json(&gw.url("/v1/chat/completions"), &streamed).await;
    post_json(&gw.url("/v1/chat/completions"), &chat("no-such-model")).await;
    upstream.push(Script::status(
        500,
        r#"{"error":{"message":"x","type":"server_error","param":null,"code":null}}"#,
    ));
    post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;

    let metrics = get(&gw.url("/metrics")).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.text();
    let ok = r#"bitrouter_requests_total{provider="openai",model="gpt-4o-mini",inbound="openai_chat",upstream="openai_chat",status_class="2xx",outcome="success"}"#;
    assert_eq!(sample(&text, ok), 2.0, "one complete and one streamed call");
    let rejected = r#"bitrouter_requests_total{provider="none",model="none",inbound="openai_chat",upstream="none",status_class="4xx",outcome="rejected"}"#;
    assert_eq!(sample(&text, rejected), 1.0);
    let failed = r#"bitrouter_requests_total{provider="openai",model="none",inbound="openai_chat",upstream="none",status_class="5xx",outcome="upstream_error"}"#;
    assert_eq!(sample(&text, failed), 1.0);
    assert!(
        sample(
            &text,
            r#"bitrouter_tokens_total{provider="openai",model="gpt-4o-mini",kind="input"}"#
        ) > 0.0
    );
    assert!(
        sample(
            &text,
            r#"bitrouter_cost_usd_total{provider="openai",model="gpt-4o-mini"}"#
        ) > 0.0
    );
    assert_eq!(
        sample(
            &text,
            r#"bitrouter_overhead_seconds_count{inbound="openai_chat",translated="false",streamed="true"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"bitrouter_time_to_first_token_seconds_count{provider="openai"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, "bitrouter_active_streams "),
        0.0,
        "the stream ended"
    );
    // The scrape itself is in flight while it renders.
    assert_eq!(sample(&text, "bitrouter_active_requests "), 1.0);
}

#[tokio::test]
async fn the_exposition_passes_promtool() {
    let Ok(found) = std::process::Command::new("promtool")
        .arg("--version")
        .output()
    else {
        eprintln!("skipped: promtool is not installed (Debian's prometheus package has it)");
        return;
    };
    assert!(found.status.success());
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let gw = gateway(&[
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", &base),
    ])
    .await;
    post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    post_json(&gw.url("/v1/chat/completions"), &chat("nope")).await;
    let text = get(&gw.url("/metrics")).await.text();
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{report}\n---\n{text}"
    );
}
