//! Several keys for one provider against a real fake upstream: a rejected key rests and the
//! next one serves; a rate-limited key rests for the upstream's Retry-After.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

use bitrouter_core::{
    Protocol, Provider, ProviderError, ProviderRequest, ProviderResponse, RequestBody, Target,
    WireBody,
};
use bitrouter_providers::{
    Account, AccountStrategy, AuthStyle, HttpProvider, ProviderSettings, Timeouts, UpstreamClient,
};
use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};

fn provider(base: &str, keys: &[&str], strategy: AccountStrategy) -> HttpProvider {
    let mut s = ProviderSettings::single_key(
        "acct",
        Protocol::OpenaiChat,
        base,
        AuthStyle::Bearer,
        "unused",
    );
    s.accounts = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Account {
            name: format!("#{}", i + 1),
            api_key: (*k).to_owned(),
        })
        .collect();
    s.strategy = strategy;
    HttpProvider::new(s, UpstreamClient::new(Timeouts::default()))
}

fn request() -> ProviderRequest {
    let bytes =
        bytes::Bytes::from_static(br#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#);
    ProviderRequest {
        request_id: "t".into(),
        target: Target {
            provider: "acct".into(),
            model: "m".into(),
            protocol: Protocol::OpenaiChat,
        },
        body: RequestBody::Wire(WireBody {
            protocol: Protocol::OpenaiChat,
            bytes,
        }),
        stream: false,
        headers: http::HeaderMap::new(),
    }
}

fn keys_seen(fake: &FakeUpstream) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| {
            r.header("authorization")
                .unwrap()
                .trim_start_matches("Bearer ")
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_rejected_key_rests_and_the_next_serves() {
    let fake = FakeUpstream::start().await.unwrap();
    let p = provider(
        &fake.base_url(),
        &["sk-revoked", DEFAULT_API_KEY],
        AccountStrategy::Failover,
    );
    assert!(matches!(
        p.send(request()).await.unwrap(),
        ProviderResponse::Complete(_)
    ));
    assert!(matches!(
        p.send(request()).await.unwrap(),
        ProviderResponse::Complete(_)
    ));
    // The revoked key was tried once, then skipped while it rests.
    assert_eq!(
        keys_seen(&fake),
        ["sk-revoked", DEFAULT_API_KEY, DEFAULT_API_KEY]
    );
    let status = p.account_status();
    assert!(
        status[0].cooling_down_secs.is_some() && status[1].cooling_down_secs.is_none(),
        "{status:?}"
    );
}

#[tokio::test]
async fn rate_limited_accounts_rest_for_retry_after_then_all_resting_is_a_429() {
    let fake = FakeUpstream::start().await.unwrap();
    let limited = || {
        Script::Status {
        status: 429,
        body: r#"{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#.into(),
        headers: vec![("retry-after".into(), "30".into())],
    }
    };
    fake.push(limited());
    fake.push(limited());
    let p = provider(
        &fake.base_url(),
        &[DEFAULT_API_KEY, DEFAULT_API_KEY],
        AccountStrategy::Failover,
    );
    let err = p.send(request()).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Status { status, .. } if status == 429),
        "{err:?}"
    );
    assert_eq!(fake.request_count(), 2, "both accounts tried once");
    // Both rest now: no upstream call, a 429 saying when to come back.
    let err = p.send(request()).await.unwrap_err();
    match err {
        ProviderError::Status {
            status,
            retry_after,
            body,
            ..
        } => {
            assert_eq!(status, 429);
            assert!(retry_after.unwrap().as_secs() >= 29);
            assert!(String::from_utf8_lossy(&body).contains("resting"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn a_server_error_is_not_an_account_problem() {
    let fake = FakeUpstream::start().await.unwrap();
    fake.push(Script::status(
        500,
        r#"{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"#,
    ));
    let p = provider(
        &fake.base_url(),
        &[DEFAULT_API_KEY, DEFAULT_API_KEY],
        AccountStrategy::Failover,
    );
    let err = p.send(request()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Status { status, .. } if status == 500));
    assert_eq!(
        fake.request_count(),
        1,
        "the provider is down, not the account: routing decides"
    );
    assert!(
        p.account_status()
            .iter()
            .all(|a| a.cooling_down_secs.is_none())
    );
}
