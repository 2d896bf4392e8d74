//! Custom providers from `bitrouter.yaml` (OpenAI- and Anthropic-compatible bases), model
//! discovery with `discover_models`, and the local-server probe (Ollama, LM Studio): what
//! they list, what reaches them, and that an upstream that hangs does not slow start-up.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;
mod providers_fake;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use bitrouter_server::{Gateway, ServerConfig};
use bitrouter_test_support::{FakeProtocol, FakeUpstream};
use common::*;
use http::{Method, StatusCode};
use providers_fake::{LocalServer, hanging_listener};
use serde_json::json;

fn from_config(yaml: &str, env: &[(&str, &str)]) -> Gateway {
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

async fn model_ids(gw: &TestGateway) -> Vec<String> {
    let reply = get(&gw.url("/v1/models")).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_openai_compatible_with_discovery() {
    let up = FakeUpstream::builder()
        .api_key("ds-key")
        .start()
        .await
        .unwrap();
    let yaml = format!(
        "providers:\n  deepseek:\n    protocol: openai_chat\n    api_base: {}\n    api_key: ds-key\n    models: [deepseek-chat]\n    discover_models: true\n    headers:\n      x-custom: yes-1\n",
        up.base_url()
    );
    let gw = serve(from_config(&yaml, &[("BITROUTER_NO_LOCAL_PROBE", "1")])).await;
    let ids = model_ids(&gw).await;
    for m in [
        "deepseek:deepseek-chat",
        "deepseek:gpt-4o-mini",
        "deepseek:fake-model",
    ] {
        assert!(ids.contains(&m.to_owned()), "{m} missing from {ids:?}");
    }
    for stream in [false, true] {
        let body = json!({"model": "fake-model", "stream": stream,
                          "messages": [{"role": "user", "content": "hello there"}]});
        let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let seen = up.last_request().unwrap();
        assert_eq!(seen.method, Method::POST);
        assert_eq!(seen.path, "/v1/chat/completions");
        assert_eq!(seen.header("authorization"), Some("Bearer ds-key"));
        assert_eq!(seen.header("x-custom"), Some("yes-1"));
        let sent = seen.json.unwrap();
        assert_eq!(
            sent["model"], "fake-model",
            "a discovered model routes by its bare name"
        );
        assert_eq!(sent["stream"].as_bool().unwrap_or(false), stream);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_anthropic_compatible_with_discovery() {
    let up = FakeUpstream::builder()
        .protocol(FakeProtocol::AnthropicMessages)
        .api_key("mm-key")
        .start()
        .await
        .unwrap();
    let yaml = format!(
        "providers:\n  minimax:\n    protocol: anthropic_messages\n    api_base: {}\n    api_key: mm-key\n    discover_models: true\n",
        up.base_url()
    );
    let gw = serve(from_config(&yaml, &[("BITROUTER_NO_LOCAL_PROBE", "1")])).await;
    let ids = model_ids(&gw).await;
    assert!(
        ids.contains(&"minimax:claude-haiku-4-5-20251001".to_owned()),
        "{ids:?}"
    );
    for stream in [false, true] {
        let body = json!({"model": "minimax:fake-model", "stream": stream, "max_tokens": 32,
                          "messages": [{"role": "user", "content": "hello there"}]});
        let reply = post_json(&gw.url("/v1/messages"), &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let seen = up.last_request().unwrap();
        assert_eq!(seen.method, Method::POST);
        assert_eq!(seen.path, "/v1/messages");
        assert_eq!(seen.header("x-api-key"), Some("mm-key"));
        assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
        let sent = seen.json.unwrap();
        assert_eq!(sent["model"], "fake-model");
        assert_eq!(sent["max_tokens"], 32);
        assert_eq!(sent["stream"].as_bool().unwrap_or(false), stream);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_that_hangs_or_fails_is_bounded_and_not_fatal() {
    let hang = hanging_listener().await;
    let yaml = format!(
        "providers:\n  slow:\n    protocol: openai_chat\n    api_base: http://{hang}/v1\n    models: [m1]\n    discover_models: true\n  gone:\n    protocol: openai_chat\n    api_base: http://127.0.0.1:9/v1\n    discover_models: true\n"
    );
    let started = Instant::now();
    let gw = serve(from_config(&yaml, &[("BITROUTER_NO_LOCAL_PROBE", "1")])).await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1900), "start-up took {took:?}");
    let ids = model_ids(&gw).await;
    assert!(
        ids.contains(&"slow:m1".to_owned()),
        "configured models stay: {ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ollama_and_lmstudio_are_found_and_called_without_a_key() {
    let ollama = LocalServer::start(&["llama3.2:latest", "qwen2.5-coder:7b"]).await;
    let lmstudio = LocalServer::start(&["qwen3-8b"]).await;
    let (ob, lb) = (ollama.base(), lmstudio.base());
    let gw = gateway(&[
        ("BITROUTER_OLLAMA_API_BASE", &ob),
        ("BITROUTER_LMSTUDIO_API_BASE", &lb),
    ])
    .await;
    let ids = model_ids(&gw).await;
    for m in [
        "ollama:llama3.2:latest",
        "ollama:qwen2.5-coder:7b",
        "lmstudio:qwen3-8b",
    ] {
        assert!(ids.contains(&m.to_owned()), "{m} missing from {ids:?}");
    }
    let probe = &ollama.seen()[0];
    assert_eq!(
        (probe.method.clone(), probe.path.as_str()),
        (Method::GET, "/v1/models")
    );
    for stream in [false, true] {
        // A bare name with a colon routes to the server that lists it.
        let body = json!({"model": "llama3.2:latest", "stream": stream,
                          "messages": [{"role": "user", "content": "hi"}]});
        let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let text = if stream {
            reply.sse_data().join("")
        } else {
            reply.text()
        };
        assert!(text.contains("Hello"), "{text}");
        let seen = ollama.seen().last().unwrap().clone();
        assert_eq!(seen.method, Method::POST);
        assert_eq!(seen.path, "/v1/chat/completions");
        assert!(seen.headers.get("authorization").is_none());
        let sent: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
        assert_eq!(sent["model"], "llama3.2:latest");
        assert_eq!(sent["stream"].as_bool().unwrap_or(false), stream);
    }
    let body =
        json!({"model": "lmstudio:qwen3-8b", "messages": [{"role": "user", "content": "hi"}]});
    let reply = post_json(&gw.url("/v1/chat/completions"), &body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(lmstudio.seen().last().unwrap().path, "/v1/chat/completions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_local_server_costs_at_most_the_probe_timeout() {
    let hang = hanging_listener().await;
    let base = format!("http://{hang}/v1");
    let started = Instant::now();
    let gw = gateway(&[
        ("BITROUTER_OLLAMA_API_BASE", &base),
        ("BITROUTER_LMSTUDIO_API_BASE", &base),
    ])
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_millis(700), "start-up took {took:?}");
    let ids = model_ids(&gw).await;
    assert!(
        !ids.iter()
            .any(|m| m.starts_with("ollama:") || m.starts_with("lmstudio:")),
        "{ids:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_can_be_switched_off() {
    let ollama = LocalServer::start(&["llama3.2:latest"]).await;
    let base = ollama.base();
    let gw = gateway(&[
        ("BITROUTER_OLLAMA_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    assert!(ollama.seen().is_empty());
    assert!(
        !model_ids(&gw)
            .await
            .iter()
            .any(|m| m.starts_with("ollama:"))
    );
}
