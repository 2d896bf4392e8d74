//! A gateway assembled from bitrouter.yaml: accounts spread round-robin, a resting account
//! skipped and back, virtual models falling back, and a reload under load losing nothing.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bitrouter_server::{Gateway, ServerConfig};
use bitrouter_test_support::{FakeUpstream, Script};
use common::*;
use http::StatusCode;

fn gateway_from(yaml: &str, env: &[(&str, &str)]) -> Gateway {
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let read = |k: &str| map.get(k).cloned();
    let file = bitrouter_config::parse(Path::new("bitrouter.yaml"), yaml, &read).unwrap();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    file.validate(config.listen).unwrap();
    Gateway::from_config(config, Some(&file), &read).unwrap()
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
async fn round_robin_spreads_calls_evenly_over_accounts() {
    let fake = FakeUpstream::builder()
        .api_key("key-a")
        .start()
        .await
        .unwrap();
    fake.also_accept_key("key-b");
    fake.also_accept_key("key-c");
    let yaml = format!(
        r#"
providers:
  work:
    kind: openai
    api_base: "{}"
    accounts: [ {{ api_key: "${{KEY_A}}" }}, {{ api_key: "${{KEY_B}}" }}, {{ api_key: "key-c" }} ]
    strategy: round_robin
"#,
        fake.base_url()
    );
    let gw = serve(gateway_from(
        &yaml,
        &[("KEY_A", "key-a"), ("KEY_B", "key-b")],
    ))
    .await;
    for _ in 0..9 {
        let reply = post_json(&gw.url("/v1/chat/completions"), &chat("work:gpt-4o-mini")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    }
    let seen = keys_seen(&fake);
    for key in ["key-a", "key-b", "key-c"] {
        assert_eq!(seen.iter().filter(|k| *k == key).count(), 3, "{seen:?}");
    }
}

#[tokio::test]
async fn a_rate_limited_account_rests_then_comes_back() {
    let fake = FakeUpstream::builder()
        .api_key("key-a")
        .start()
        .await
        .unwrap();
    fake.also_accept_key("key-b");
    let yaml = format!(
        "providers:\n  work:\n    kind: openai\n    api_base: \"{}\"\n    accounts: [ {{ api_key: key-a }}, {{ api_key: key-b }} ]\n",
        fake.base_url()
    );
    let gw = serve(gateway_from(&yaml, &[])).await;
    fake.push(Script::Status {
        status: 429,
        body: r#"{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#.into(),
        headers: vec![("retry-after".into(), "1".into())],
    });
    for _ in 0..2 {
        let reply = post_json(&gw.url("/v1/chat/completions"), &chat("work:gpt-4o-mini")).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    // key-a was limited once, key-b served that call and the next one while key-a rested.
    assert_eq!(keys_seen(&fake), ["key-a", "key-b", "key-b"]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    post_json(&gw.url("/v1/chat/completions"), &chat("work:gpt-4o-mini")).await;
    assert_eq!(
        keys_seen(&fake).last().map(String::as_str),
        Some("key-a"),
        "back after Retry-After"
    );
}

#[tokio::test]
async fn a_virtual_model_falls_back_across_providers() {
    let a = FakeUpstream::start().await.unwrap();
    let b = FakeUpstream::start().await.unwrap();
    let yaml = format!(
        r#"
providers:
  primary: {{ protocol: openai_chat, api_base: "{}", api_key: sk-test, models: [ m1 ] }}
  backup: {{ protocol: openai_chat, api_base: "{}", api_key: sk-test, models: [ m2 ] }}
models:
  smart:
    route: [ "primary:m1", "backup:m2" ]
"#,
        a.base_url(),
        b.base_url()
    );
    let gw = serve(gateway_from(&yaml, &[])).await;
    a.push(Script::status(
        503,
        r#"{"error":{"message":"down","type":"server_error","param":null,"code":null}}"#,
    ));
    let reply = post_json(&gw.url("/v1/chat/completions"), &chat("smart")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-bitrouter-provider"), Some("backup"));
    assert_eq!(b.last_request().unwrap().json.unwrap()["model"], "m2");
    let models = get(&gw.url("/v1/models")).await.json();
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "smart"),
        "{models}"
    );
}

#[tokio::test]
async fn a_reload_under_load_loses_no_request() {
    let a = FakeUpstream::start().await.unwrap();
    let b = FakeUpstream::start().await.unwrap();
    let yaml = |base: &str| {
        format!(
            "providers:\n  up: {{ protocol: openai_chat, api_base: \"{base}\", api_key: sk-test, models: [ m ] }}\n"
        )
    };
    let gw = gateway_from(&yaml(&a.base_url()), &[]);
    let server = gw.bind().await.unwrap();
    let live = server.live();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let url = format!("http://{addr}/v1/chat/completions");
    let mut clients = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        clients.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..40 {
                statuses.push(post_json(&url, &chat("up:m")).await.status);
            }
            statuses
        }));
    }
    // Swap the configuration back and forth while the clients run.
    for i in 0..20 {
        let base = if i % 2 == 0 {
            b.base_url()
        } else {
            a.base_url()
        };
        live.replace(gateway_from(&yaml(&base), &[]));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut total = 0;
    for c in clients {
        for status in c.await.unwrap() {
            assert_eq!(status, StatusCode::OK);
            total += 1;
        }
    }
    assert_eq!(total, 320);
    assert_eq!(
        a.request_count() + b.request_count(),
        320,
        "every request reached an upstream once"
    );
    assert!(
        a.request_count() > 0 && b.request_count() > 0,
        "both configurations served"
    );
    assert_eq!(live.reloads(), 20);
    let health = get(&format!("http://{addr}/health")).await.json();
    assert_eq!(health["reloads"], 20);
    let _ = tx.send(());
    task.await.unwrap();
}

#[tokio::test]
async fn the_route_endpoint_explains_with_health_and_accounts() {
    let fake = FakeUpstream::start().await.unwrap();
    let yaml = format!(
        "providers:\n  up: {{ protocol: openai_chat, api_base: \"{}\", api_key: sk-test, models: [ gpt-4o-mini ] }}\n",
        fake.base_url()
    );
    let gw = serve(gateway_from(&yaml, &[])).await;
    let v = get(&gw.url("/bitrouter/route?model=up%3Agpt-4o-mini"))
        .await
        .json();
    let step = &v["steps"][0];
    assert_eq!(step["provider"], "up");
    assert_eq!(step["health"]["circuit"], "closed");
    assert_eq!(step["accounts"][0]["name"], "api_key");
    assert_eq!(step["price_per_million"]["input"], 0.15);
    let missing = get(&gw.url("/bitrouter/route?model=nope")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json()["error"].as_str().unwrap().contains("nope"));
}
