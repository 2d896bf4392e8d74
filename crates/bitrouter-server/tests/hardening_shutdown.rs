//! A graceful shutdown under load: every stream in flight completes with its final event,
//! every call reaches the ledger before the server returns, and new connections are refused.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bitrouter_core::Outcome;
use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;

const STREAMS: usize = 24;

#[tokio::test]
async fn shutdown_under_load_completes_every_stream_and_flushes_the_ledger() {
    let upstream = FakeUpstream::start().await.unwrap();
    // Each answer: 8 events 150 ms apart, about a second in all.
    upstream.set_default(Script::SlowStream {
        chunk_delay: Duration::from_millis(150),
        chunks: 8,
    });
    let outcomes = Arc::new(Outcomes::default());
    let base = upstream.base_url();
    let gw = gateway_with_sink(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &base),
        ],
        |c| c.drain_timeout = Duration::from_secs(20),
        outcomes.clone(),
    )
    .await;
    let url = gw.url("/v1/chat/completions");
    let addr = gw.addr;
    let mut body = chat("gpt-4o-mini");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let streams: Vec<_> = (0..STREAMS)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            tokio::spawn(async move { post_json(&url, &body).await })
        })
        .collect();
    // Wait until every call reached the upstream, so all are in flight.
    let started = Instant::now();
    while upstream.request_count() < STREAMS {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "calls did not start"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let stopping = tokio::spawn(gw.shutdown());
    // New connections are refused once the listener is closed (well before the streams end).
    let refused_at = Instant::now();
    loop {
        assert!(
            refused_at.elapsed() < Duration::from_millis(500),
            "still accepting connections after the shutdown signal"
        );
        match TcpStream::connect(addr).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            // Queued by the kernel just before the listener closed: reset, never served.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("unexpected connect error: {e}"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
    assert!(
        outcomes.all().len() < STREAMS,
        "the streams ended too soon to test anything"
    );

    for handle in streams {
        let reply = handle.await.unwrap();
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
    tokio::time::timeout(Duration::from_secs(20), stopping)
        .await
        .unwrap()
        .unwrap();
    // Every call reached the ledger, with its usage, by the time the server returned.
    let all = outcomes.all();
    assert_eq!(all.len(), STREAMS);
    for o in &all {
        assert_eq!(o.outcome, Outcome::Success, "{o:?}");
        assert!(o.usage.is_some_and(|u| u.output_tokens == 8), "{o:?}");
    }
}
