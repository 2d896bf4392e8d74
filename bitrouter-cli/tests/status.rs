//! `bitrouter status` and `bitrouter top` against a daemon started with `bitrouter start`:
//! the live section of `status --json`, the human view, and `top --iterations`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};

fn bitrouter(home: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json_out(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            stdout(out),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A chat call over a raw socket; the status line.
fn chat(port: u16, model: &str) -> String {
    let body = format!(r#"{{"model":"{model}","messages":[{{"role":"user","content":"hi"}}]}}"#);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.lines().next().unwrap_or_default().to_owned()
}

/// Stops the daemon even when an assertion fails first.
struct Daemon {
    home: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        bitrouter(&self.home, &[], &["stop", "--json"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_top_show_the_live_view_of_a_running_daemon() {
    let upstream = FakeUpstream::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let env = vec![
        ("OPENAI_API_KEY", DEFAULT_API_KEY.to_owned()),
        ("BITROUTER_OPENAI_API_BASE", upstream.base_url()),
    ];
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let home_path = home.path().to_owned();
    let run = move |args: &[&str]| {
        let (home, env) = (home_path.clone(), env.clone());
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            bitrouter(&home, &env, &args)
        })
    };

    let out = run(&["start", "--listen", &listen, "--json"])
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _daemon = Daemon {
        home: home.path().to_owned(),
    };

    // One priced success and one upstream failure.
    let ok = tokio::task::spawn_blocking(move || chat(port, "gpt-4o-mini"));
    assert!(ok.await.unwrap().starts_with("HTTP/1.1 200"));
    upstream.push(Script::status(
        500,
        r#"{"error":{"message":"x","type":"server_error","param":null,"code":null}}"#,
    ));
    let failed = tokio::task::spawn_blocking(move || chat(port, "gpt-4o-mini"));
    assert!(failed.await.unwrap().starts_with("HTTP/1.1 500"));

    let out = run(&["status", "--json"]).await.unwrap();
    assert!(out.status.success());
    let status = json_out(&out);
    // The fields from before the live view are still there.
    assert_eq!(status["running"], true);
    assert_eq!(status["responding"], true);
    assert_eq!(status["providers"], serde_json::json!(["openai"]));
    assert!(status["uptime_seconds"].is_u64());
    let live = &status["live"];
    assert_eq!(live["pid"], status["pid"]);
    assert_eq!(live["listen"], listen.as_str());
    assert_eq!(live["requests_per_minute"], 2, "{live}");
    assert_eq!(live["errors_per_minute"], 1);
    assert_eq!(live["error_rate"], 0.5);
    assert!(live["tokens_per_minute"].as_u64().unwrap() > 0, "{live}");
    assert!(live["spend_today_usd"].as_f64().unwrap() > 0.0, "{live}");
    assert_eq!(live["providers"][0]["id"], "openai");
    assert_eq!(live["providers"][0]["circuit"], "closed");
    assert_eq!(live["providers"][0]["consecutive_failures"], 1);

    let out = run(&["status"]).await.unwrap();
    let text = stdout(&out);
    assert!(text.contains(&format!("on http://{listen}, up ")), "{text}");
    assert!(
        text.contains("last minute: 2 requests, 1 failed (50.0%)"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("openai") && l.contains("closed")),
        "{text}"
    );

    // Not a terminal: one plain view per interval, no screen clearing.
    let out = run(&["top", "--iterations", "2", "--interval", "200ms"])
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert_eq!(text.matches("last minute: 2 requests").count(), 2, "{text}");
    assert!(!text.contains('\x1b'), "{text:?}");
    let out = run(&[
        "status",
        "--watch",
        "--iterations",
        "2",
        "--interval",
        "200ms",
        "--json",
    ])
    .await
    .unwrap();
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|v| v["requests_per_minute"] == 2));

    let out = run(&["stop", "--json"]).await.unwrap();
    assert!(out.status.success());
    let out = run(&["top", "--iterations", "1"]).await.unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("not running"));
    let out = run(&["top", "--interval", "1ms"]).await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("too short"));
}
