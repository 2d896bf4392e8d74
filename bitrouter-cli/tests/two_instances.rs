//! Two real `bitrouter serve` processes sharing one PostgreSQL and one Redis enforce one
//! budget between them, not one each. Runs when BITROUTER_TEST_POSTGRES_URL and
//! BITROUTER_TEST_REDIS_URL are set (CI sets them); each run uses a fresh database.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use sea_orm::{ConnectionTrait, Database};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, _) = rest.split_once('/').unwrap_or((rest, ""));
    format!("{scheme}://{authority}/{database}")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn post(port: u16, key: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_budget() {
    let (Ok(pg), Ok(redis)) = (
        std::env::var("BITROUTER_TEST_POSTGRES_URL"),
        std::env::var("BITROUTER_TEST_REDIS_URL"),
    ) else {
        eprintln!(
            "skipped: two processes on PostgreSQL + Redis (set BITROUTER_TEST_POSTGRES_URL and BITROUTER_TEST_REDIS_URL)"
        );
        return;
    };
    let database = format!("bitrouter_two_{:016x}", rand::random::<u64>());
    let admin = Database::connect(pg.as_str()).await.unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {database}"))
        .await
        .unwrap();
    let db_url = with_database(&pg, &database);

    let upstream = FakeUpstream::start().await.unwrap();
    // Every answer takes a while, so all calls are in flight together.
    upstream.set_default(Script::Delay(
        Duration::from_millis(500),
        Box::new(Script::Echo),
    ));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bitrouter.yaml");
    std::fs::write(
        &config,
        format!(
            "database: {{ url: \"{db_url}\" }}\nlimits: {{ redis_url: \"{redis}\" }}\nproviders:\n  up: {{ protocol: openai_chat, api_base: \"{}\", api_key: {DEFAULT_API_KEY}, models: [ gpt-4o-mini ] }}\n",
            upstream.base_url()
        ),
    )
    .unwrap();
    let bitrouter = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bitrouter"));
        c.args(args)
            .arg("-c")
            .arg(&config)
            .env_clear()
            .env("BITROUTER_HOME", dir.path())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn");
        c
    };
    // gpt-4o-mini reserves about 1000 output tokens x $0.60/M = $0.0006 per call: room for 5.
    let out = bitrouter(&[
        "key",
        "create",
        "--user",
        "team",
        "--budget-usd",
        "0.0033",
        "--budget-period",
        "day",
        "--json",
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = created["secret"].as_str().unwrap().to_owned();

    let ports = [free_port(), free_port()];
    let _servers: Vec<Server> = ports
        .iter()
        .map(|p| {
            Server(
                bitrouter(&["serve", "--listen", &format!("127.0.0.1:{p}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    for p in ports {
        while TcpStream::connect(("127.0.0.1", p)).is_err() {
            assert!(Instant::now() < deadline, "server on {p} did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    let body = r#"{"model":"up:gpt-4o-mini","max_tokens":1000,"messages":[{"role":"user","content":"hi"}]}"#;
    let calls: Vec<_> = (0..50)
        .map(|i| {
            let key = key.clone();
            let port = ports[i % 2];
            std::thread::spawn(move || post(port, &key, body))
        })
        .collect();
    let statuses: Vec<u16> = calls.into_iter().map(|c| c.join().unwrap()).collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let over = statuses.iter().filter(|s| **s == 402).count();
    assert!(
        (1..=5).contains(&ok),
        "one budget across both processes: {ok} ran ({statuses:?})"
    );
    assert_eq!(ok + over, 50, "{statuses:?}");

    drop(_servers);
    let drop_db = format!("DROP DATABASE {database} WITH (FORCE)");
    admin.execute_unprepared(&drop_db).await.unwrap();
}
