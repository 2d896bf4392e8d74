//! Misbehaving clients: one that disconnects mid-stream (the upstream call is dropped, the
//! partial usage still reaches the ledger) and one that trickles its headers (slowloris).
//! A body over the limit is covered in `errors.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bitrouter_core::Outcome;
use bitrouter_test_support::{DEFAULT_API_KEY, FakeProtocol, FakeUpstream, Script};
use common::*;
use http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Polls `/metrics` until `check` holds, for up to `limit`.
async fn metrics_until(gw: &TestGateway, limit: Duration, check: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = get(&gw.url("/metrics")).await.text();
        if check(&text) || started.elapsed() > limit {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Streams from a slow Anthropic upstream, hangs up after the first text delta, and returns
/// the gateway's metrics once the stream is reported, the time that took, and the outcomes.
async fn hang_up_mid_stream() -> (String, Duration, Vec<bitrouter_core::CallOutcome>) {
    let upstream = FakeUpstream::builder()
        .protocol(FakeProtocol::AnthropicMessages)
        .start()
        .await
        .unwrap();
    // 40 events 250 ms apart: the upstream would take ten seconds to finish.
    upstream.push(Script::SlowStream {
        chunk_delay: Duration::from_millis(250),
        chunks: 40,
    });
    let outcomes = Arc::new(Outcomes::default());
    let base = upstream.base_url();
    let gw = gateway_with_sink(
        &[
            ("ANTHROPIC_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_ANTHROPIC_API_BASE", &base),
        ],
        |_| {},
        outcomes.clone(),
    )
    .await;

    let body = serde_json::to_vec(&json!({
        "model": "anthropic:claude-haiku-4-5",
        "max_tokens": 256,
        "stream": true,
        "messages": [{"role": "user", "content": "count slowly"}]
    }))
    .unwrap();
    let mut conn = TcpStream::connect(gw.addr).await.unwrap();
    let head = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         x-api-key: client-key\r\nanthropic-version: 2023-06-01\r\ncontent-length: {}\r\n\r\n",
        gw.addr,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body).await.unwrap();
    // Read until the first text delta arrived, then hang up.
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("content_block_delta") {
        let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(
            n > 0,
            "the stream ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
    let hung_up = Instant::now();
    drop(conn);

    let gone = r#"bitrouter_requests_total{provider="anthropic",model="claude-haiku-4-5",inbound="anthropic_messages",upstream="anthropic_messages",status_class="2xx",outcome="client_gone"}"#;
    let text = metrics_until(&gw, Duration::from_secs(4), |t| {
        metric(t, gone) == Some(1.0) && metric(t, "bitrouter_active_streams ") == Some(0.0)
    })
    .await;
    assert_eq!(metric(&text, gone), Some(1.0), "{text}");
    (text, hung_up.elapsed(), outcomes.all())
}

#[tokio::test]
async fn a_client_gone_mid_stream_ends_the_upstream_call_and_is_reported() {
    let (text, after, all) = hang_up_mid_stream().await;
    assert_eq!(metric(&text, "bitrouter_active_streams "), Some(0.0));
    // Noticed within a few upstream events, not when the upstream would have finished (10 s):
    // the relay, and with it the upstream body, was dropped.
    assert!(after < Duration::from_secs(4), "{after:?}");
    assert_eq!(all.len(), 1, "{all:?}");
    let o = &all[0];
    assert_eq!(o.outcome, Outcome::ClientGone);
    assert!(o.streamed);
    assert!(
        o.error.as_deref().unwrap().contains("client went away"),
        "{o:?}"
    );
}

#[tokio::test]
async fn a_client_gone_mid_stream_keeps_the_partial_usage() {
    let (_, _, all) = hang_up_mid_stream().await;
    let o = &all[0];
    let usage = o
        .usage
        .unwrap_or_else(|| panic!("message_start's usage is kept: {o:?}"));
    assert_eq!(usage.input_tokens, 2, "the fake counts words: {usage:?}");
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &base),
        ],
        |c| c.header_read_timeout = Duration::from_secs(1),
        Vec::new(),
    )
    .await;

    let conn = TcpStream::connect(gw.addr).await.unwrap();
    let (mut read, mut write) = conn.into_split();
    let started = Instant::now();
    // One header byte every 200 ms, for up to ten seconds.
    let trickle = tokio::spawn(async move {
        let head = b"POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\nx-padding: ";
        write.write_all(head).await.unwrap();
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if write.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut buf)).await;
    let after = started.elapsed();
    trickle.abort();
    assert!(
        closed.is_ok(),
        "the connection was still open after 5 s: {}",
        String::from_utf8_lossy(&buf)
    );
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_secs(3),
        "closed after {after:?}"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "nothing but a timeout answer: {text}"
    );
    assert_eq!(upstream.request_count(), 0);
    // A well-behaved client is still served.
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::OK);
}
