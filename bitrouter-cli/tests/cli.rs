//! The real `bitrouter` binary: route explanations, and the daemon's start/status/stop with a
//! graceful stop during a long stream.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};
use std::time::Duration;

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};

fn bitrouter(home: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bitrouter"));
    cmd.args(args)
        .env_clear()
        .env("BITROUTER_HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn json_out(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn route_explains_a_bare_name() {
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("OPENAI_API_KEY", "sk-a"),
        ("OPENROUTER_API_KEY", "sk-or"),
        ("BITROUTER_OPENAI_API_BASE", "http://127.0.0.1:9000/v1"),
        // Agent-side variable: must not be read as an upstream.
        ("OPENAI_BASE_URL", "http://127.0.0.1:4356/v1"),
    ];
    let out = bitrouter(home.path(), &env, &["route", "gpt-4o-mini", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_out(&out);
    assert_eq!(v["requested"], "gpt-4o-mini");
    let first = &v["steps"][0];
    assert_eq!(first["provider"], "openai");
    assert_eq!(first["model"], "gpt-4o-mini");
    assert_eq!(first["protocol"], "openai_chat");
    assert_eq!(first["api_base"], "http://127.0.0.1:9000/v1");
    assert_eq!(
        first["credentials"],
        "key from OPENAI_API_KEY, base from BITROUTER_OPENAI_API_BASE"
    );
    assert!(first["reason"].as_str().unwrap().contains("gpt-"));
    assert_eq!(v["steps"][1]["provider"], "openrouter");
    assert_eq!(v["steps"][1]["model"], "openai/gpt-4o-mini");

    let text = bitrouter(home.path(), &env, &["route", "gpt-4o-mini"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("1. [first] openai:gpt-4o-mini via openai_chat"),
        "{text}"
    );
    assert!(
        text.contains("2. [fallback] openrouter:openai/gpt-4o-mini"),
        "{text}"
    );
}

#[test]
fn route_of_an_unknown_model_fails_clearly() {
    let home = tempfile::tempdir().unwrap();
    let out = bitrouter(
        home.path(),
        &[("OPENAI_API_KEY", "sk-a")],
        &["route", "mystery-model", "--json"],
    );
    assert!(!out.status.success());
    let v = json_out(&out);
    assert!(
        v["error"].as_str().unwrap().contains("mystery-model"),
        "{v}"
    );
    assert_eq!(v["active_providers"], serde_json::json!(["openai"]));
    let out = bitrouter(home.path(), &[], &["route", "gpt-4o"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPENAI_API_KEY"));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends a streaming chat request over a raw socket and returns the whole HTTP response text.
fn stream_request(port: u16, body: &str) -> std::thread::JoinHandle<String> {
    let body = body.to_owned();
    std::thread::spawn(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_start_status_stop_lets_a_long_stream_finish() {
    let upstream = FakeUpstream::start().await.unwrap();
    upstream.push(Script::SlowStream {
        chunk_delay: Duration::from_millis(200),
        chunks: 8,
    });
    let home = tempfile::tempdir().unwrap();
    let base = upstream.base_url();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let env = [
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", base.as_str()),
    ];
    let home_path = home.path().to_owned();
    let run = move |args: Vec<String>| {
        let home = home_path.clone();
        let env = env.map(|(k, v)| (k, v.to_owned()));
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            bitrouter(&home, &env, &args)
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let out = run(args(&["start", "--listen", &listen, "--json"]))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "start failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = json_out(&out);
    assert_eq!(started["running"], true);
    let pid = started["pid"].as_u64().unwrap();

    let out = run(args(&["status", "--json"])).await.unwrap();
    assert!(out.status.success());
    let status = json_out(&out);
    assert_eq!(status["running"], true);
    assert_eq!(status["responding"], true);
    assert_eq!(status["pid"].as_u64(), Some(pid));
    assert_eq!(status["providers"], serde_json::json!(["openai"]));

    // A second start finds the running daemon instead of failing on the port.
    let again = json_out(
        &run(args(&["start", "--listen", &listen, "--json"]))
            .await
            .unwrap(),
    );
    assert_eq!(again["already"], true);

    // A long stream is in flight when the stop arrives; it must finish.
    let client = stream_request(
        port,
        r#"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
    );
    while upstream.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = run(args(&["stop", "--json"])).await.unwrap();
    assert!(
        out.status.success(),
        "stop failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_out(&out)["stopped"], true);
    let response = tokio::task::spawn_blocking(move || client.join().unwrap())
        .await
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("data: [DONE]"),
        "the stream was cut by the stop: {response}"
    );

    let out = run(args(&["status", "--json"])).await.unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json_out(&out)["running"], false);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the port is released"
    );
}

#[test]
fn serve_refuses_a_loop_to_itself() {
    let home = tempfile::tempdir().unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://localhost:{port}/v1");
    let out = bitrouter(
        home.path(),
        &[
            ("OPENAI_API_KEY", "sk-a"),
            ("BITROUTER_OPENAI_API_BASE", &base),
        ],
        &["serve", "--listen", &listen],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("would call BitRouter itself"), "{err}");
}
