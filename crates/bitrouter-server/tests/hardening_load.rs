//! 10,000 concurrent client connections on 127.0.0.1 without running out of file
//! descriptors: every request is answered (or refused cleanly), and the gateway still
//! answers `/health` with all of them open.
//!
//! The clients run in a child process (this test binary, re-run on the ignored
//! `load_client` test) so the gateway's process holds only its own sockets: 10,000 accepted
//! connections plus the pooled upstream ones.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 10_000;
/// Connections opened (and requests sent) at once.
const BATCH: usize = 500;
/// File descriptors each process needs: the larger side holds the 10,000 sockets, plus the
/// upstream pool and some slack.
const FDS_NEEDED: u64 = 13_000;
const TARGET_VAR: &str = "BITROUTER_LOAD_TARGET";

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?;
    if soft == "unlimited" {
        return Some(u64::MAX);
    }
    soft.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_connections() {
    match open_files_limit() {
        Some(limit) if limit >= FDS_NEEDED => {}
        other => {
            eprintln!(
                "skipped: needs an open-files limit of {FDS_NEEDED} (ulimit -n), have {other:?}"
            );
            return;
        }
    }
    let upstream = FakeUpstream::builder()
        .record_requests(false)
        .start()
        .await
        .unwrap();
    upstream.set_default(Script::Delay(
        Duration::from_millis(20),
        Box::new(Script::Echo),
    ));
    let base = upstream.base_url();
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &base),
        ],
        // Idle keep-alive connections must outlive the test.
        |c| c.header_read_timeout = Duration::from_secs(120),
        Vec::new(),
    )
    .await;

    let exe = std::env::current_exe().unwrap();
    let addr = gw.addr.to_string();
    let started = Instant::now();
    let (report, mut child) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(exe)
            .args(["load_client", "--exact", "--ignored", "--nocapture"])
            .env(TARGET_VAR, addr)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let report = stderr
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("LOAD "))
            .unwrap_or_else(|| panic!("the client process reported nothing"));
        (report, child)
    })
    .await
    .unwrap();
    let field = |name: &str| -> usize {
        report
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {report}"))
    };
    let (ok, refused, open) = (field("ok"), field("refused"), field("open"));
    assert_eq!(
        ok + refused,
        CONNECTIONS,
        "every request answered or refused: {report}"
    );
    assert_eq!(refused, 0, "{report}");
    assert_eq!(open, CONNECTIONS, "{report}");

    // With all 10,000 connections still open, the gateway answers.
    let health = get(&gw.url("/health")).await;
    assert_eq!(health.status, StatusCode::OK);
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let metrics = get(&gw.url("/metrics")).await.text();
    assert_eq!(metric(&metrics, "bitrouter_active_requests "), Some(1.0));

    // Closing stdin lets the client process drop its connections and exit.
    drop(child.stdin.take());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let health = get(&gw.url("/health")).await;
    assert_eq!(health.status, StatusCode::OK);
}

/// One request on a fresh connection; the connection is returned open when answered 200.
async fn one_call(target: &str, body: &[u8]) -> Result<TcpStream, std::io::Error> {
    let mut conn = TcpStream::connect(target).await?;
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {target}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body).await?;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the answer"));
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                if !text.starts_with("HTTP/1.1 200") {
                    return Err(std::io::Error::other(text[..end].to_owned()));
                }
                return Ok(conn);
            }
        }
    }
}

/// The client half of [`ten_thousand_concurrent_connections`], run in a child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the client half of ten_thousand_concurrent_connections, run by it"]
async fn load_client() {
    let Ok(target) = std::env::var(TARGET_VAR) else {
        return;
    };
    let body = serde_json::to_vec(&chat("gpt-4o-mini")).unwrap();
    let mut open = Vec::with_capacity(CONNECTIONS);
    let (mut refused, mut failed) = (0usize, Vec::new());
    for _ in 0..CONNECTIONS / BATCH {
        let calls: Vec<_> = (0..BATCH)
            .map(|_| {
                let (target, body) = (target.clone(), body.clone());
                tokio::spawn(async move {
                    tokio::time::timeout(Duration::from_secs(20), one_call(&target, &body)).await
                })
            })
            .collect();
        for call in calls {
            match call.await.unwrap() {
                Ok(Ok(conn)) => open.push(conn),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => refused += 1,
                Ok(Err(e)) => failed.push(e.to_string()),
                Err(_) => failed.push("timed out".into()),
            }
        }
    }
    failed.truncate(5);
    eprintln!(
        "LOAD ok={} refused={refused} open={} failed={failed:?}",
        open.len(),
        open.len()
    );
    // Hold every connection open until the parent has checked the gateway.
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await
    .unwrap();
    drop(open);
    let _ = std::io::stderr().flush();
}
