//! The device flow and the PKCE flows against the local authorization server, including each
//! error answer.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

use std::collections::HashMap;
use std::time::Duration;

use bitrouter_signin::test_util::{AuthServerConfig, DeviceOutcome, LocalAuthServer};
use bitrouter_signin::{
    AuthClient, LoginOptions, ManualClock, Prompt, SigninDef, SigninError, TokenStore, login,
    poll_device_token, request_device_code, start_pkce,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn def(id: &str, server: &LocalAuthServer, extra: &[(&str, String)]) -> SigninDef {
    let base = server.base_url();
    let up = id.to_ascii_uppercase();
    let mut vars: HashMap<String, String> = HashMap::from([
        (
            format!("BITROUTER_{up}_DEVICE_URL"),
            format!("{base}/device/code"),
        ),
        (format!("BITROUTER_{up}_TOKEN_URL"), format!("{base}/token")),
        (
            format!("BITROUTER_{up}_AUTHORIZE_URL"),
            format!("{base}/authorize"),
        ),
        (
            format!("BITROUTER_{up}_EXCHANGE_URL"),
            format!("{base}/copilot_internal/v2/token"),
        ),
        (format!("BITROUTER_{up}_USER_URL"), format!("{base}/user")),
    ]);
    for (k, v) in extra {
        vars.insert((*k).to_owned(), v.clone());
    }
    SigninDef::resolve(id, &|k| vars.get(k).cloned()).unwrap()
}

#[tokio::test]
async fn device_flow_honours_pending_and_slow_down() {
    let server = LocalAuthServer::start(AuthServerConfig::default())
        .await
        .unwrap();
    let cloud = def("bitrouter", &server, &[]);
    let client = AuthClient::new();
    let clock = ManualClock::new(1_000);
    let code = request_device_code(&cloud, &client).await.unwrap();
    assert_eq!(code.user_code, "WDJB-MJHT");
    assert_eq!(code.interval, 5);
    let c = poll_device_token(&cloud, &client, &clock, &code)
        .await
        .unwrap();
    assert_eq!(
        server.device_answers(),
        [
            "authorization_pending",
            "authorization_pending",
            "slow_down"
        ]
    );
    // Three polls at 5 s, then 5 s more for every later poll after slow_down.
    let secs: Vec<u64> = clock.sleeps().iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [5, 5, 5, 10]);
    assert_eq!(c.access_token, "at-1");
    assert_eq!(c.refresh_token.as_deref(), Some("rt-1"));
    assert_eq!(c.expires_at, Some(1_025 + 3600));
    assert_eq!(c.account.as_deref(), Some("dev@example.com"));
}

#[tokio::test]
async fn device_flow_error_answers() {
    for (outcome, expect) in [
        (DeviceOutcome::Expired, "expired"),
        (DeviceOutcome::Denied, "denied"),
    ] {
        let server = LocalAuthServer::start(AuthServerConfig {
            outcome,
            slow_down_once: false,
            pending_polls: 1,
            ..AuthServerConfig::default()
        })
        .await
        .unwrap();
        let cloud = def("bitrouter", &server, &[]);
        let client = AuthClient::new();
        let clock = ManualClock::new(0);
        let code = request_device_code(&cloud, &client).await.unwrap();
        let e = poll_device_token(&cloud, &client, &clock, &code)
            .await
            .unwrap_err();
        match (&e, expect) {
            (SigninError::Expired { .. }, "expired") | (SigninError::Denied { .. }, "denied") => {}
            _ => panic!("{outcome:?}: {e:?}"),
        }
        assert!(e.to_string().contains("bitrouter login bitrouter"), "{e}");
        assert_eq!(server.device_answers().len(), 2);
        assert!(server.grants().is_empty());
    }
}

#[tokio::test]
async fn device_flow_stops_when_the_code_lapses() {
    let server = LocalAuthServer::start(AuthServerConfig {
        pending_polls: 100,
        expires_in: 12,
        ..AuthServerConfig::default()
    })
    .await
    .unwrap();
    let cloud = def("bitrouter", &server, &[]);
    let client = AuthClient::new();
    let clock = ManualClock::new(0);
    let code = request_device_code(&cloud, &client).await.unwrap();
    let e = poll_device_token(&cloud, &client, &clock, &code)
        .await
        .unwrap_err();
    assert!(matches!(e, SigninError::Expired { .. }), "{e:?}");
    // Polled at 5 and 10 s; at 15 s the code had lapsed, so no third poll.
    assert_eq!(server.device_answers().len(), 2);
}

#[tokio::test]
async fn pkce_paste_flow_checks_the_verifier() {
    let server = LocalAuthServer::start(AuthServerConfig::default())
        .await
        .unwrap();
    let codex = def("codex", &server, &[]);
    let client = AuthClient::new();
    let clock = ManualClock::new(50);
    let pending = start_pkce(&codex, false).await.unwrap();
    assert!(!pending.is_listening());
    assert!(pending.url().contains("codex_cli_simplified_flow=true"));
    assert!(
        pending
            .url()
            .contains("redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback")
    );
    let redirected = server.approve(pending.url());
    let code = pending.code(async { Some(redirected) }).await.unwrap();
    let c = pending
        .exchange(&codex, &client, &clock, &code)
        .await
        .unwrap();
    assert_eq!(c.access_token, "at-1");
    assert_eq!(c.account_id.as_deref(), Some("acct-test"));
    assert_eq!(c.expires_at, Some(3650));

    // A code approved for one login, redeemed with another login's verifier.
    let first = start_pkce(&codex, false).await.unwrap();
    let second = start_pkce(&codex, false).await.unwrap();
    let redirected = server.approve(first.url());
    let code = first.code(async { Some(redirected) }).await.unwrap();
    let e = second
        .exchange(&codex, &client, &clock, &code)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SigninError::OAuth { code, .. } if code == "invalid_grant"),
        "{e:?}"
    );
    // The same state check applies to what is pasted.
    let third = start_pkce(&codex, false).await.unwrap();
    let foreign = server.approve(first.url());
    let e = third.code(async { Some(foreign) }).await.unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
    assert_eq!(server.grants(), ["authorization_code"]);
    assert_eq!(
        server.token_content_types(),
        ["application/x-www-form-urlencoded"; 2]
    );
}

#[tokio::test]
async fn pkce_loopback_listener_receives_the_redirect() {
    let server = LocalAuthServer::start(AuthServerConfig::default())
        .await
        .unwrap();
    let uri = (
        "BITROUTER_CODEX_REDIRECT_URI",
        "http://127.0.0.1:0/auth/callback".to_owned(),
    );
    let codex = def("codex", &server, &[uri]);
    let pending = start_pkce(&codex, true).await.unwrap();
    assert!(pending.is_listening());
    let port: u16 = pending
        .redirect_uri()
        .trim_start_matches("http://127.0.0.1:")
        .trim_end_matches("/auth/callback")
        .parse()
        .unwrap();
    assert_ne!(port, 0);
    let redirected = server.approve(pending.url());
    let browser = tokio::spawn(async move {
        // A stray request first, then the redirect.
        let stray = get(port, "/favicon.ico").await;
        assert!(stray.starts_with("HTTP/1.1 404"), "{stray}");
        let target = redirected.trim_start_matches(&format!("http://127.0.0.1:{port}"));
        get(port, target).await
    });
    let code = pending.code(std::future::pending()).await.unwrap();
    assert_eq!(code, "code-1");
    assert!(browser.await.unwrap().starts_with("HTTP/1.1 200"));
    let c = pending
        .exchange(&codex, &AuthClient::new(), &ManualClock::new(0), &code)
        .await
        .unwrap();
    assert_eq!(c.access_token, "at-1");
}

async fn get(port: u16, target: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn claude_exchanges_with_a_json_body_and_code_hash_state() {
    let server = LocalAuthServer::start(AuthServerConfig::default())
        .await
        .unwrap();
    let claude = def("claude", &server, &[]);
    let store_dir = tempfile::tempdir().unwrap();
    let store = TokenStore::in_home(store_dir.path());
    let server_ref = &server;
    let shown = std::sync::Mutex::new(None::<String>);
    let c = login(
        &claude,
        &store,
        LoginOptions {
            client: &AuthClient::new(),
            clock: &ManualClock::new(0),
            listen: true,
        },
        |p| {
            let Prompt::Browser { url, listening } = p else {
                panic!("{p:?}")
            };
            assert!(!listening, "Claude's redirect is not loopback");
            *shown.lock().unwrap() = Some(url.clone());
        },
        || async {
            let url = shown.lock().unwrap().clone().unwrap();
            assert!(url.contains("code=true"), "{url}");
            // Anthropic's callback page shows `code#state`.
            let redirected = server_ref.approve(&url);
            let q = redirected.split_once('?').unwrap().1;
            let code = q.split('&').next().unwrap().trim_start_matches("code=");
            let state = q.split('&').nth(1).unwrap().trim_start_matches("state=");
            Some(format!("{code}#{state}\n"))
        },
    )
    .await
    .unwrap();
    assert_eq!(c.access_token, "at-1");
    assert_eq!(store.get("claude").unwrap().unwrap(), c);
    assert_eq!(server.token_content_types(), ["application/json"]);
}

#[tokio::test]
async fn copilot_login_exchanges_the_github_token() {
    let server = LocalAuthServer::start(AuthServerConfig {
        copilot_api: "http://127.0.0.1:7/copilot/".into(),
        ..AuthServerConfig::default()
    })
    .await
    .unwrap();
    let copilot = def("copilot", &server, &[]);
    let store_dir = tempfile::tempdir().unwrap();
    let store = TokenStore::in_home(store_dir.path());
    let mut prompt = None;
    let c = login(
        &copilot,
        &store,
        LoginOptions {
            client: &AuthClient::new(),
            clock: &ManualClock::new(0),
            listen: false,
        },
        |p| prompt = Some(p.clone()),
        || async { None },
    )
    .await
    .unwrap();
    let Some(Prompt::Device { user_code, .. }) = prompt else {
        panic!("{prompt:?}")
    };
    assert_eq!(user_code, "WDJB-MJHT");
    assert_eq!(c.access_token, "cop-1");
    assert_eq!(
        c.refresh_token.as_deref(),
        Some("at-1"),
        "the GitHub token renews"
    );
    assert_eq!(c.api_base.as_deref(), Some("http://127.0.0.1:7/copilot"));
    assert_eq!(c.account.as_deref(), Some("octocat"));
    assert_eq!(server.exchanges(), 1);
    assert_eq!(store.get("copilot").unwrap().unwrap().access_token, "cop-1");
}
