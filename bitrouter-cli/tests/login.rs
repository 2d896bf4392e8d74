//! The real binary's `login`, `logout`, `auth` and `providers list` against the local
//! authorization server on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use bitrouter_signin::test_util::{AuthServerConfig, DeviceOutcome, LocalAuthServer};

fn command(home: &Path, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bitrouter"));
    cmd.args(args)
        .env_clear()
        .env("BITROUTER_HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run(home: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    command(home, env, args).output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

fn quick_device(outcome: DeviceOutcome) -> AuthServerConfig {
    AuthServerConfig {
        pending_polls: 1,
        slow_down_once: false,
        interval: 1,
        outcome,
        ..AuthServerConfig::default()
    }
}

fn cloud_env(server: &LocalAuthServer) -> Vec<(&'static str, String)> {
    let base = server.base_url();
    vec![
        (
            "BITROUTER_BITROUTER_DEVICE_URL",
            format!("{base}/device/code"),
        ),
        ("BITROUTER_BITROUTER_TOKEN_URL", format!("{base}/token")),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_login_whoami_providers_list_logout() {
    let server = LocalAuthServer::start(quick_device(DeviceOutcome::Grant))
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut env = cloud_env(&server);
    let out = run(
        home.path(),
        &env,
        &["auth", "login", "--cloud-url", "http://127.0.0.1:1"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("code: WDJB-MJHT"), "{stdout}");
    assert!(
        stdout.contains(&format!("{}/device", server.base_url())),
        "{stdout}"
    );
    assert!(stdout.contains("as dev@example.com"), "{stdout}");
    assert_eq!(server.device_answers(), ["authorization_pending"]);

    let file = home.path().join("credentials.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    let who = json(&run(home.path(), &env, &["auth", "whoami", "--json"]));
    assert_eq!(who["signed_in"], true);
    assert_eq!(who["account"], "dev@example.com");
    let left = who["expires_in_secs"].as_i64().unwrap();
    assert!((3500..=3600).contains(&left), "{left}");

    env.push(("OPENAI_API_KEY", "sk-a".into()));
    let list = json(&run(home.path(), &env, &["providers", "list", "--json"]));
    let by_id = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing: {list}"))
            .clone()
    };
    let ids: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "openai",
            "anthropic",
            "google",
            "openrouter",
            "opencode",
            "opencode-go",
            "bedrock",
            "copilot",
            "codex",
            "claude",
            "bitrouter"
        ]
    );
    let openai = by_id("openai");
    assert_eq!(
        (openai["state"].as_str(), openai["active"].as_bool()),
        (Some("active"), Some(true))
    );
    assert_eq!(openai["reason"], "key from OPENAI_API_KEY");
    let anthropic = by_id("anthropic");
    assert_eq!(anthropic["state"], "inactive");
    assert_eq!(anthropic["reason"], "set ANTHROPIC_API_KEY to switch it on");
    let cloud = by_id("bitrouter");
    assert_eq!(cloud["state"], "active");
    assert_eq!(cloud["account"], "dev@example.com");
    let reason = cloud["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("signed in as dev@example.com, token expires in "),
        "{reason}"
    );
    let codex = by_id("codex");
    assert_eq!(codex["state"], "inactive");
    assert_eq!(codex["reason"], "run `bitrouter login codex` to sign in");
    assert_eq!(by_id("bedrock")["kind"], "reserved");

    let out = run(home.path(), &env, &["auth", "logout"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(home.path(), &env, &["auth", "whoami"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bitrouter auth login"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn device_login_reports_denied_and_expired() {
    for (outcome, words) in [
        (DeviceOutcome::Denied, "denied"),
        (DeviceOutcome::Expired, "expired"),
    ] {
        let server = LocalAuthServer::start(quick_device(outcome)).await.unwrap();
        let home = tempfile::tempdir().unwrap();
        let out = run(home.path(), &cloud_env(&server), &["login", "bitrouter"]);
        assert!(!out.status.success(), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(words), "{}", text(&out));
        assert!(!home.path().join("credentials.json").exists());
    }
}

fn codex_env(server: &LocalAuthServer) -> Vec<(&'static str, String)> {
    let base = server.base_url();
    vec![
        ("BITROUTER_CODEX_AUTHORIZE_URL", format!("{base}/authorize")),
        ("BITROUTER_CODEX_TOKEN_URL", format!("{base}/token")),
        (
            "BITROUTER_CODEX_REDIRECT_URI",
            "http://127.0.0.1:0/auth/callback".into(),
        ),
    ]
}

/// Reads stdout lines until the authorization URL.
fn authorize_url(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> String {
    for line in lines {
        let line = line.unwrap();
        if let Some(url) = line.trim().strip_prefix("http") {
            return format!("http{url}");
        }
    }
    panic!("no URL printed");
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_login_by_paste() {
    let server = LocalAuthServer::start(AuthServerConfig::default())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut child = command(
        home.path(),
        &codex_env(&server),
        &["login", "codex", "--no-listen"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = authorize_url(&mut lines);
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let redirected = server.approve(&url);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{redirected}").unwrap();
    drop(stdin);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}\n{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("Signed in to ChatGPT Codex")),
        "{rest:?}"
    );
    assert_eq!(server.grants(), ["authorization_code"]);
    let stored = std::fs::read_to_string(home.path().join("credentials.json")).unwrap();
    assert!(stored.contains("\"access_token\": \"at-1\""), "{stored}");
}

#[tokio::test(flavor = "multi_thread")]
async fn codex_login_by_loopback_redirect() {
    let server = LocalAuthServer::start(AuthServerConfig::default())
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut child = command(home.path(), &codex_env(&server), &["login", "codex"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = authorize_url(&mut lines);
    let redirected = server.approve(&url);
    let rest = redirected.trim_start_matches("http://");
    let (authority, target) = rest.split_once('/').unwrap();
    let mut browser = std::net::TcpStream::connect(authority).unwrap();
    write!(
        browser,
        "GET /{target} HTTP/1.1\r\nhost: {authority}\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    browser.read_to_string(&mut page).unwrap();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let status = child.wait().unwrap();
    assert!(status.success());
    assert_eq!(server.grants(), ["authorization_code"]);
}

#[test]
fn providers_list_reports_expired_and_unsafe_files() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("credentials.json");
    std::fs::write(
        &file,
        r#"{"version":1,"providers":{
            "claude":{"access_token":"a","expires_at":1000,"account":"me@example.com"},
            "codex":{"access_token":"b","refresh_token":"r","expires_at":1000}}}"#,
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let list = json(&run(home.path(), &[], &["providers", "list", "--json"]));
    let find = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(find("claude")["state"], "needs_login");
    assert_eq!(find("claude")["active"], false);
    assert!(
        find("claude")["reason"]
            .as_str()
            .unwrap()
            .contains("run `bitrouter login claude`")
    );
    assert_eq!(find("codex")["state"], "expired");
    assert_eq!(find("codex")["active"], true);

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let list = json(&run(home.path(), &[], &["providers", "list", "--json"]));
    let codex = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "codex")
        .unwrap()
        .clone();
    assert_eq!(codex["state"], "error");
    assert!(
        codex["reason"].as_str().unwrap().contains("chmod 600"),
        "{codex}"
    );
}
