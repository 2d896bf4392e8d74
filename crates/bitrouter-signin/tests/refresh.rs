//! `SignedInProvider` against fake upstreams: refresh before expiry, and 401 -> refresh ->
//! one retry.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

use std::collections::HashMap;
use std::sync::Arc;

use bitrouter_core::{
    Protocol, Provider, ProviderError, ProviderRequest, ProviderResponse, RequestBody, Target,
    WireBody,
};
use bitrouter_providers::{Timeouts, UpstreamClient};
use bitrouter_signin::test_util::{AuthServerConfig, LocalAuthServer};
use bitrouter_signin::{Credential, ManualClock, SignedInProvider, SigninDef, TokenStore};
use bitrouter_test_support::{FakeProtocol, FakeUpstream};

const NOW: u64 = 1_700_000_000;

fn def(id: &str, server: &LocalAuthServer, api_base: &str) -> SigninDef {
    let up = id.to_ascii_uppercase();
    let vars: HashMap<String, String> = HashMap::from([
        (
            format!("BITROUTER_{up}_TOKEN_URL"),
            format!("{}/token", server.base_url()),
        ),
        (
            format!("BITROUTER_{up}_EXCHANGE_URL"),
            format!("{}/copilot_internal/v2/token", server.base_url()),
        ),
        (format!("BITROUTER_{up}_API_BASE"), api_base.to_owned()),
    ]);
    SigninDef::resolve(id, &|k| vars.get(k).cloned()).unwrap()
}

fn stored(access: &str, refresh: &str, expires_at: u64) -> Credential {
    Credential {
        access_token: access.into(),
        refresh_token: Some(refresh.into()),
        expires_at: Some(expires_at),
        account: Some("dev@example.com".into()),
        account_id: None,
        api_base: None,
        signed_in_at: NOW - 10,
    }
}

fn request(protocol: Protocol, body: &str) -> ProviderRequest {
    ProviderRequest {
        request_id: "r1".into(),
        target: Target {
            provider: "signin".into(),
            model: "gpt-4o-mini".into(),
            protocol,
        },
        body: RequestBody::Wire(WireBody {
            protocol,
            bytes: body.to_owned().into(),
        }),
        stream: false,
        headers: http::HeaderMap::new(),
    }
}

const CHAT: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;

async fn setup(
    id: &str,
    protocol: FakeProtocol,
    upstream_key: &str,
    credential: Credential,
) -> (
    LocalAuthServer,
    FakeUpstream,
    TokenStore,
    SignedInProvider,
    tempfile::TempDir,
) {
    let server = LocalAuthServer::start(AuthServerConfig::default())
        .await
        .unwrap();
    server.accept_refresh_token("rt-seed");
    server.accept_access_token("gh-seed");
    let upstream = FakeUpstream::builder()
        .protocol(protocol)
        .api_key(upstream_key)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = TokenStore::in_home(dir.path());
    store.put(id, credential).unwrap();
    let provider = SignedInProvider::new(
        def(id, &server, &upstream.base_url()),
        store.clone(),
        UpstreamClient::new(Timeouts::default()),
    )
    .with_clock(Arc::new(ManualClock::new(NOW)));
    (server, upstream, store, provider, dir)
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_once() {
    let (server, upstream, store, provider, _dir) = setup(
        "bitrouter",
        FakeProtocol::OpenAiChat,
        "at-1",
        stored("old", "rt-seed", NOW + 3600),
    )
    .await;
    let answer = provider
        .send(request(Protocol::OpenaiChat, CHAT))
        .await
        .unwrap();
    assert!(
        matches!(answer, ProviderResponse::Complete(_)),
        "{answer:?}"
    );
    let seen: Vec<_> = upstream
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(seen, ["Bearer old", "Bearer at-1"]);
    assert_eq!(server.grants(), ["refresh_token"]);
    let now_stored = store.get("bitrouter").unwrap().unwrap();
    assert_eq!(now_stored.access_token, "at-1");
    assert_eq!(now_stored.refresh_token.as_deref(), Some("rt-1"), "rotated");
    assert_eq!(now_stored.account.as_deref(), Some("dev@example.com"));

    // The next call uses the new token at once.
    provider
        .send(request(Protocol::OpenaiChat, CHAT))
        .await
        .unwrap();
    assert_eq!(upstream.request_count(), 3);
    assert_eq!(server.grants().len(), 1);
}

#[tokio::test]
async fn a_second_401_is_returned_not_retried_again() {
    let (server, upstream, _store, provider, _dir) = setup(
        "bitrouter",
        FakeProtocol::OpenAiChat,
        "never-issued",
        stored("old", "rt-seed", NOW + 3600),
    )
    .await;
    let e = provider
        .send(request(Protocol::OpenaiChat, CHAT))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Status { status, .. } if status.as_u16() == 401),
        "{e:?}"
    );
    assert_eq!(upstream.request_count(), 2, "one retry only");
    assert_eq!(server.grants(), ["refresh_token"]);
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_for_login() {
    let (server, upstream, _store, provider, _dir) = setup(
        "codex",
        FakeProtocol::OpenAiResponses,
        "at-1",
        stored("old", "rt-seed", NOW + 3600),
    )
    .await;
    server.revoke_refresh_tokens();
    let body = r#"{"model":"gpt-5","input":"hi"}"#;
    let e = provider
        .send(request(Protocol::OpenaiResponses, body))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("bitrouter login codex"), "{e}");
    assert!(e.is_retryable(), "fallback may move on");
    assert_eq!(upstream.request_count(), 1);
}

#[tokio::test]
async fn refreshes_before_expiry_without_a_failed_call() {
    let (server, upstream, store, provider, _dir) = setup(
        "codex",
        FakeProtocol::OpenAiResponses,
        "at-1",
        // 30 s left, inside the default 120 s margin.
        stored("old", "rt-seed", NOW + 30),
    )
    .await;
    let body = r#"{"model":"gpt-5","input":"hi"}"#;
    provider
        .send(request(Protocol::OpenaiResponses, body))
        .await
        .unwrap();
    let reqs = upstream.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header("authorization"), Some("Bearer at-1"));
    assert_eq!(reqs[0].header("chatgpt-account-id"), Some("acct-test"));
    assert_eq!(reqs[0].header("originator"), Some("codex_cli_rs"));
    assert_eq!(reqs[0].path, "/v1/responses");
    assert_eq!(server.grants(), ["refresh_token"]);
    assert_eq!(
        store.get("codex").unwrap().unwrap().expires_at,
        Some(NOW + 3600)
    );
}

#[tokio::test]
async fn copilot_refreshes_by_exchanging_the_github_token() {
    let (server, upstream, store, provider, _dir) = setup(
        "copilot",
        FakeProtocol::OpenAiChat,
        "cop-1",
        stored("cop-old", "gh-seed", NOW + 3600),
    )
    .await;
    provider
        .send(request(Protocol::OpenaiChat, CHAT))
        .await
        .unwrap();
    let reqs = upstream.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].header("authorization"), Some("Bearer cop-1"));
    assert_eq!(reqs[1].header("editor-version"), Some("vscode/1.99.3"));
    assert_eq!(
        reqs[1].header("copilot-integration-id"),
        Some("vscode-chat")
    );
    assert_eq!(server.exchanges(), 1);
    let c = store.get("copilot").unwrap().unwrap();
    assert_eq!(c.access_token, "cop-1");
    assert_eq!(c.refresh_token.as_deref(), Some("gh-seed"));
}
