//! Start-up time: spawn the server, poll `/health` every few hundred microseconds, stop it.

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Value, json};

use crate::client::{Connection, Target};

/// A port that was free a moment ago (bound to `127.0.0.1:0`, then released).
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|error| format!("cannot bind 127.0.0.1:0 to find a free port: {error}"))?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|error| format!("cannot read the bound port: {error}"))
}

/// Run `command` (with `{port}` replaced by a free port) `runs` times and time each start
/// until `GET /health` answers 200.
pub async fn measure(command: &[String], runs: usize, timeout: Duration) -> Result<Value, String> {
    let (program, args) = command.split_first().ok_or(
        "startup needs a command after `--`, e.g. -- bitrouter serve --listen 127.0.0.1:{port}",
    )?;
    let mut times_ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let target = Target::parse(
            &format!("http://{addr}/health"),
            Method::GET,
            &[],
            String::new(),
        )?;
        let args: Vec<String> = args
            .iter()
            .map(|arg| arg.replace("{port}", &port.to_string()))
            .collect();
        let started = Instant::now();
        let mut child = Command::new(program)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| format!("cannot start {program}: {error}"))?;
        let result = wait_healthy(&target, started, timeout).await;
        // SIGKILL: only start-up is measured here, not shutdown.
        let _killed = child.kill();
        let _reaped = child.wait();
        times_ms.push(result?.as_secs_f64() * 1e3);
    }
    let mut sorted = times_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied();
    Ok(json!({ "runs_ms": times_ms, "p50_ms": median, "max_ms": sorted.last() }))
}

async fn wait_healthy(
    target: &Target,
    started: Instant,
    timeout: Duration,
) -> Result<Duration, String> {
    loop {
        if let Ok(mut connection) = Connection::open(target).await
            && connection.exchange(target, Instant::now()).await.is_ok()
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > timeout {
            return Err(format!(
                "{} did not answer /health within {timeout:?}",
                target.addr
            ));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}
