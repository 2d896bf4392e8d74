//! `bitrouter top` and `bitrouter status --watch`: the daemon's live view (`GET
//! /bitrouter/status`), redrawn every interval until Ctrl-C. On a terminal the screen is
//! cleared before each view (plain ANSI, no TUI); otherwise one view is printed per interval,
//! as many times as `--iterations` says.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::table::{Align, Table, usd};
use crate::{daemon, health, time_args};

/// `status` exits with this when no daemon runs.
const NOT_RUNNING: u8 = 3;
/// Clear the screen and put the cursor top left.
const CLEAR: &str = "\x1b[H\x1b[2J";

/// How often to redraw, how many times, in which form.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    pub interval: Duration,
    pub iterations: Option<u64>,
    pub json: bool,
}

/// `2s`, `1m`, `500ms`: at least 100 ms, so a typo cannot spin the daemon.
pub fn interval(text: &str) -> Result<Duration, String> {
    let parsed = match text.strip_suffix("ms") {
        Some(ms) => ms
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                format!("bad interval `{text}`: write a whole number of milliseconds, e.g. 500ms")
            })?,
        None => time_args::duration(text)?
            .to_std()
            .map_err(|_| format!("bad interval `{text}`: it must be positive, e.g. 2s"))?,
    };
    if parsed < Duration::from_millis(100) {
        return Err(format!(
            "interval `{text}` is too short: use 100ms or more, e.g. 2s"
        ));
    }
    Ok(parsed)
}

/// The daemon's live status, when it answers with one.
pub fn fetch(listen: SocketAddr) -> Option<Value> {
    health::get_path(listen, "/bitrouter/status", Duration::from_secs(2))
        .filter(|v| v.get("requests_per_minute").is_some())
}

/// Redraws the live view until Ctrl-C or `iterations` views; exits 3 if no daemon runs.
pub fn run(watch: Watch) -> Result<ExitCode, String> {
    if daemon::running_listen()?.is_none() {
        println!("BitRouter is not running (start it with `bitrouter start`)");
        return Ok(ExitCode::from(NOT_RUNNING));
    }
    let tty = std::io::stdout().is_terminal() && !watch.json;
    let started = Instant::now();
    let mut shown = 0u64;
    loop {
        let live = daemon::running_listen()?.and_then(fetch);
        let text = match (&live, watch.json) {
            (Some(v), true) => v.to_string(),
            (None, true) => serde_json::json!({"running": false}).to_string(),
            (Some(v), false) => view(v),
            (None, false) => "BitRouter is not answering; waiting for it (Ctrl-C to quit)".into(),
        };
        let mut out = std::io::stdout().lock();
        let written = if tty {
            write!(
                out,
                "{CLEAR}{text}\nevery {}; Ctrl-C to quit\n",
                describe(watch.interval)
            )
        } else {
            writeln!(out, "{text}")
        };
        // A closed pipe (`| head`) ends the watch quietly.
        if written.and_then(|()| out.flush()).is_err() {
            return Ok(ExitCode::SUCCESS);
        }
        drop(out);
        shown += 1;
        if watch.iterations.is_some_and(|n| shown >= n) {
            return Ok(ExitCode::SUCCESS);
        }
        // Ticks from the start, so that slow answers do not make the view drift.
        let next = started
            + watch
                .interval
                .saturating_mul(u32::try_from(shown).unwrap_or(u32::MAX));
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

fn describe(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `3d 4h`, `1h 02m`, `5m 03s`, `42s`.
pub fn uptime(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s:02}s"),
        (0, _, _) => format!("{h}h {m:02}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// The human view of a live status.
pub fn view(v: &Value) -> String {
    let num = |k: &str| v[k].as_f64().unwrap_or(0.0);
    let int = |k: &str| v[k].as_u64().unwrap_or(0);
    let mut out = format!(
        "BitRouter {} (pid {}) on http://{}, up {}, {} reload{}\n",
        v["version"].as_str().unwrap_or("?"),
        int("pid"),
        v["listen"].as_str().unwrap_or("?"),
        uptime(int("uptime_seconds")),
        int("reloads"),
        if int("reloads") == 1 { "" } else { "s" },
    );
    out.push_str(&format!(
        "last minute: {} requests, {} failed ({:.1}%), {} tokens, {}\n",
        int("requests_per_minute"),
        int("errors_per_minute"),
        num("error_rate") * 100.0,
        int("tokens_per_minute"),
        usd(num("spend_last_minute_usd")),
    ));
    out.push_str(&format!(
        "spend today (UTC, since this process started): {}\n",
        usd(num("spend_today_usd"))
    ));
    let streams = v["active_streams"]
        .as_u64()
        .map_or(String::new(), |n| format!(", streams: {n}"));
    out.push_str(&format!(
        "in flight: requests: {}{streams}\n\n",
        int("active_requests")
    ));
    out.push_str(&providers(
        v["providers"].as_array().map_or(&[], Vec::as_slice),
    ));
    out
}

fn providers(list: &[Value]) -> String {
    if list.is_empty() {
        return "no active providers\n".into();
    }
    let mut t = Table::new(&[
        ("PROVIDER", Align::Left),
        ("CIRCUIT", Align::Left),
        ("FAILURES", Align::Right),
        ("LATENCY", Align::Right),
        ("ACCOUNTS", Align::Left),
    ]);
    for p in list {
        let circuit = match (p["circuit"].as_str(), p["open_for_secs"].as_u64()) {
            (Some("open"), Some(s)) => format!("open ({s}s left)"),
            (Some("half_open"), _) => "half open (probing)".into(),
            (Some(c), _) => c.to_owned(),
            (None, _) => "-".into(),
        };
        let latency = p["latency_ms"]
            .as_f64()
            .map_or_else(|| "-".into(), |ms| format!("{ms:.0} ms"));
        t.row(vec![
            p["id"].as_str().unwrap_or("?").to_owned(),
            circuit,
            p["consecutive_failures"].as_u64().unwrap_or(0).to_string(),
            latency,
            accounts(&p["accounts"]),
        ]);
    }
    t.render()
}

/// `2 ready`, `1 ready, 1 resting (30s)`, or `-` for a provider without accounts.
fn accounts(list: &Value) -> String {
    let Some(list) = list.as_array().filter(|l| !l.is_empty()) else {
        return "-".into();
    };
    let resting: Vec<String> = list
        .iter()
        .filter_map(|a| {
            let secs = a["cooling_down_secs"].as_u64()?;
            Some(format!("{} {secs}s", a["name"].as_str().unwrap_or("?")))
        })
        .collect();
    let ready = list.len() - resting.len();
    if resting.is_empty() {
        format!("{ready} ready")
    } else {
        format!("{ready} ready, resting: {}", resting.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_uptimes() {
        assert_eq!(interval("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(interval("500ms").unwrap(), Duration::from_millis(500));
        assert!(interval("10ms").unwrap_err().contains("too short"));
        assert!(interval("fast").is_err());
        assert_eq!(uptime(42), "42s");
        assert_eq!(uptime(303), "5m 03s");
        assert_eq!(uptime(3720), "1h 02m");
        assert_eq!(uptime(3 * 86_400 + 4 * 3600), "3d 4h");
    }

    #[test]
    fn the_view_shows_rates_spend_and_circuits() {
        let v = serde_json::json!({
            "version": "0.1.0", "pid": 7, "listen": "127.0.0.1:4356", "uptime_seconds": 65,
            "reloads": 1, "requests_per_minute": 10, "errors_per_minute": 1, "error_rate": 0.1,
            "tokens_per_minute": 1200, "spend_last_minute_usd": 0.002, "spend_today_usd": 1.5,
            "active_requests": 2, "active_streams": 1,
            "providers": [
                {"id": "openai", "circuit": "closed", "open_for_secs": null,
                 "consecutive_failures": 0, "latency_ms": 312.4,
                 "accounts": [{"name": "a", "cooling_down_secs": null},
                              {"name": "b", "cooling_down_secs": 30}]},
                {"id": "openrouter", "circuit": "open", "open_for_secs": 25,
                 "consecutive_failures": 5, "latency_ms": null, "accounts": null}
            ]
        });
        let text = view(&v);
        assert!(
            text.starts_with(
                "BitRouter 0.1.0 (pid 7) on http://127.0.0.1:4356, up 1m 05s, 1 reload\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("last minute: 10 requests, 1 failed (10.0%), 1200 tokens, $0.002000\n"),
            "{text}"
        );
        assert!(text.contains("spend today (UTC, since this process started): $1.50\n"));
        assert!(
            text.contains("in flight: requests: 2, streams: 1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "openai      closed                  0   312 ms  1 ready, resting: b 30s\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("openrouter  open (25s left)         5        -  -\n"),
            "{text}"
        );
    }
}
