//! `start`, `stop`, `restart` and `status`: the background proxy, tracked by a state file
//! (`$BITROUTER_HOME/bitrouter.pid`, JSON) that the daemon writes once it listens and
//! removes when it exits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use crate::{JsonArg, health, home, settings, top};

/// Set by `start` for the child: where to write the state file.
const STATE_VAR: &str = "BITROUTER_DAEMON_STATE";
/// `status` exits with this when no daemon runs (as LSB init scripts do).
const NOT_RUNNING: u8 = 3;

#[derive(Debug, Serialize, Deserialize)]
struct State {
    pid: u32,
    listen: SocketAddr,
    started_at: u64,
    log: Option<PathBuf>,
    /// The configuration file named with `-c`, so that `reload` checks the same one.
    #[serde(default)]
    config: Option<PathBuf>,
}

/// The state file of a running daemon; removed when dropped, i.e. when the server returns.
#[derive(Debug)]
pub struct PidFile(PathBuf);

impl PidFile {
    /// Writes the state file when this process was started by `bitrouter start`.
    pub fn write_if_daemon(
        listen: SocketAddr,
        config: Option<&Path>,
    ) -> Result<Option<PidFile>, String> {
        let Some(path) = std::env::var_os(STATE_VAR).map(PathBuf::from) else {
            return Ok(None);
        };
        let state = State {
            pid: std::process::id(),
            listen,
            started_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            log: home::log_file().ok(),
            config: config.map(Path::to_path_buf),
        };
        let text = serde_json::to_string(&state).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Some(PidFile(path)))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn read_state(path: &Path) -> Option<State> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Alive and not a zombie.
fn alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if kill(Pid::from_raw(raw), None).is_err() {
        return false;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// The running daemon, if any; a stale state file (its process gone) is removed.
fn running() -> Result<Option<State>, String> {
    let path = home::state_file()?;
    match read_state(&path) {
        Some(state) if alive(state.pid) => Ok(Some(state)),
        Some(_) => {
            let _ = std::fs::remove_file(&path);
            Ok(None)
        }
        None => Ok(None),
    }
}

fn print(json: bool, value: serde_json::Value, text: &str) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

/// The listen address of the running daemon, if one runs.
pub fn running_listen() -> Result<Option<SocketAddr>, String> {
    Ok(running()?.map(|s| s.listen))
}

pub fn start(
    config: Option<&Path>,
    listen: Option<SocketAddr>,
    allow_open: bool,
    json: bool,
) -> Result<ExitCode, String> {
    let listen = settings::listen(listen, config)?;
    // Refuse a bad file here, with its errors, rather than in the daemon's log.
    settings::load(config, listen)?;
    if let Some(state) = running()? {
        print(
            json,
            serde_json::json!({"running": true, "already": true, "pid": state.pid, "listen": state.listen}),
            &format!(
                "BitRouter is already running (pid {}) on http://{}",
                state.pid, state.listen
            ),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let state_path = home::state_file()?;
    let log_path = home::log_file()?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the bitrouter binary: {e}"))?;
    let mut child = {
        use std::os::unix::process::CommandExt as _;
        let mut args = vec![
            "serve".to_owned(),
            "--listen".to_owned(),
            listen.to_string(),
        ];
        if allow_open {
            args.push("--allow-open".to_owned());
        }
        if let Some(path) = config {
            let absolute =
                std::fs::canonicalize(path).map_err(|e| format!("{}: {e}", path.display()))?;
            args.push("-c".to_owned());
            args.push(absolute.display().to_string());
        }
        Command::new(exe)
            .args(&args)
            .env(STATE_VAR, &state_path)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group: a Ctrl-C in this terminal does not reach the daemon.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start the daemon: {e}"))?
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the daemon exited ({status}) before it answered; the end of {}:\n{}",
                log_path.display(),
                tail(&log_path, 10)
            ));
        }
        if read_state(&state_path).is_some()
            && health::get(listen, Duration::from_millis(500)).is_some()
        {
            print(
                json,
                serde_json::json!({"running": true, "pid": child.id(), "listen": listen, "log": log_path}),
                &format!(
                    "BitRouter started (pid {}) on http://{listen}\nlog: {}",
                    child.id(),
                    log_path.display()
                ),
            );
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
    Err(format!(
        "the daemon did not answer on http://{listen} within 15 s; see {}",
        log_path.display()
    ))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub fn stop(timeout: u64, json: bool) -> Result<ExitCode, String> {
    let Some(state) = running()? else {
        print(
            json,
            serde_json::json!({"running": false, "stopped": false}),
            "BitRouter is not running",
        );
        return Ok(ExitCode::SUCCESS);
    };
    let pid = Pid::from_raw(i32::try_from(state.pid).map_err(|e| e.to_string())?);
    kill(pid, Signal::SIGTERM).map_err(|e| format!("cannot signal pid {}: {e}", state.pid))?;
    let state_path = home::state_file()?;
    let deadline = Instant::now() + Duration::from_secs(timeout);
    while alive(state.pid) && state_path.exists() {
        if Instant::now() >= deadline {
            return Err(format!(
                "BitRouter (pid {}) is still finishing in-flight requests after {timeout} s; \
                 wait longer with --timeout, or `kill -9 {}`",
                state.pid, state.pid
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    print(
        json,
        serde_json::json!({"running": false, "stopped": true, "pid": state.pid}),
        &format!("BitRouter stopped (pid {})", state.pid),
    );
    Ok(ExitCode::SUCCESS)
}

pub fn restart(
    config: Option<&Path>,
    listen: Option<SocketAddr>,
    allow_open: bool,
    json: bool,
) -> Result<ExitCode, String> {
    if running()?.is_some() {
        stop(630, json)?;
    }
    start(config, listen, allow_open, json)
}

/// Checks the configuration file first (a bad one is refused here, with its errors), then
/// asks the daemon to reload with SIGHUP and waits until it says it did.
pub fn reload(config: Option<&Path>, json: JsonArg) -> Result<ExitCode, String> {
    let Some(state) = running()? else {
        return Err(
            "BitRouter is not running: nothing to reload (start it with `bitrouter start`)".into(),
        );
    };
    let config = config.map(Path::to_path_buf).or(state.config.clone());
    settings::load(config.as_deref(), state.listen)?;
    let before = health::get(state.listen, Duration::from_secs(2))
        .and_then(|h| h["reloads"].as_u64())
        .unwrap_or(0);
    let pid = Pid::from_raw(i32::try_from(state.pid).map_err(|e| e.to_string())?);
    kill(pid, Signal::SIGHUP).map_err(|e| format!("cannot signal pid {}: {e}", state.pid))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let now =
            health::get(state.listen, Duration::from_secs(2)).and_then(|h| h["reloads"].as_u64());
        if now.is_some_and(|n| n > before) {
            print(
                json.json,
                serde_json::json!({"reloaded": true, "pid": state.pid, "reloads": now}),
                &format!("BitRouter (pid {}) reloaded its configuration", state.pid),
            );
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "BitRouter (pid {}) did not confirm the reload; see its log",
        state.pid
    ))
}

/// Whether the daemon runs and, when it answers, its live view (`GET /bitrouter/status`).
pub fn status(json: JsonArg) -> Result<ExitCode, String> {
    let Some(state) = running()? else {
        print(
            json.json,
            serde_json::json!({"running": false}),
            "BitRouter is not running (start it with `bitrouter start`)",
        );
        return Ok(ExitCode::from(NOT_RUNNING));
    };
    let health = health::get(state.listen, Duration::from_secs(2));
    let live = health.as_ref().and_then(|_| top::fetch(state.listen));
    let value = serde_json::json!({
        "running": true,
        "pid": state.pid,
        "listen": state.listen,
        "responding": health.is_some(),
        "uptime_seconds": health.as_ref().and_then(|h| h.get("uptime_seconds")).cloned(),
        "version": health.as_ref().and_then(|h| h.get("version")).cloned(),
        "providers": health.as_ref().and_then(|h| h.get("providers")).cloned(),
        "log": state.log,
        "live": live,
    });
    let text = match (&health, &live) {
        (_, Some(live)) => format!(
            "{}
log: {}",
            top::view(live).trim_end(),
            state
                .log
                .as_ref()
                .map_or_else(|| "-".into(), |p| p.display().to_string())
        ),
        (Some(h), None) => format!(
            "BitRouter is running (pid {}) on http://{}\nuptime: {} s\nproviders: {}",
            state.pid,
            state.listen,
            h["uptime_seconds"],
            h["providers"]
                .as_array()
                .map(|a| a
                    .iter()
                    .filter_map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", "))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "none".into())
        ),
        (None, _) => format!(
            "BitRouter (pid {}) is running on http://{} but not answering",
            state.pid, state.listen
        ),
    };
    print(json.json, value, &text);
    Ok(ExitCode::SUCCESS)
}
