//! Each built-in API-key provider, zero-config from its environment variables, through the
//! real server to a fake upstream: the path, method, auth and provider headers, and the body,
//! for a plain and a streamed call.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;
mod providers_fake;

use bitrouter_test_support::{FakeProtocol, FakeUpstream, RecordedRequest};
use common::*;
use http::{Method, StatusCode};
use providers_fake::MultiProtocol;
use serde_json::{Value, json};

/// How a client calls: the path and the body for `model`.
#[derive(Clone, Copy, Debug)]
enum Client {
    Chat,
    Responses,
    Messages,
    Google,
}

fn request(client: Client, model: &str, stream: bool) -> (String, Value) {
    match client {
        Client::Chat => (
            "/v1/chat/completions".into(),
            json!({"model": model, "stream": stream,
                   "messages": [{"role": "user", "content": "hello there"}]}),
        ),
        Client::Responses => (
            "/v1/responses".into(),
            json!({"model": model, "stream": stream, "input": "hello there"}),
        ),
        Client::Messages => (
            "/v1/messages".into(),
            json!({"model": model, "stream": stream, "max_tokens": 64,
                   "messages": [{"role": "user", "content": "hello there"}]}),
        ),
        Client::Google => {
            let method = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            (
                format!("/v1beta/models/{model}:{method}"),
                json!({"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]}),
            )
        }
    }
}

/// Calls the gateway and checks the answer says `echo: hello there` in the client's protocol.
async fn call(
    gw: &TestGateway,
    client: Client,
    model: &str,
    stream: bool,
    headers: &[(&str, &str)],
) {
    let (path, body) = request(client, model, stream);
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let reply = send(Method::POST, &gw.url(&path), &all, body.to_string()).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{client:?} {model}: {}",
        reply.text()
    );
    let text = if stream {
        reply.sse_data().join("")
    } else {
        reply.text()
    };
    assert!(
        text.contains("echo") && text.contains("there"),
        "{client:?} {model} stream={stream}: {text}"
    );
}

/// The upstream saw a POST to `path` with `stream` in the body (or the URL, for Google).
fn check_call(seen: &RecordedRequest, path: &str, model: Option<&str>, stream: bool) {
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.path, path);
    let body = seen.json.clone().unwrap();
    if let Some(model) = model {
        assert_eq!(body["model"], model, "{body}");
        assert_eq!(body["stream"].as_bool().unwrap_or(false), stream, "{body}");
    } else {
        assert_eq!(seen.query.as_deref(), stream.then_some("alt=sse"));
        assert_eq!(
            body["contents"][0]["parts"][0]["text"], "hello there",
            "{body}"
        );
    }
}

async fn fake(protocol: FakeProtocol, key: &str) -> FakeUpstream {
    FakeUpstream::builder()
        .protocol(protocol)
        .api_key(key)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn openai_chat_and_responses_with_org_and_project() {
    let chat = fake(FakeProtocol::OpenAiChat, "sk-oa").await;
    let base = chat.base_url();
    let gw = gateway(&[
        ("OPENAI_API_KEY", "sk-oa"),
        ("OPENAI_ORG_ID", "org-7"),
        ("OPENAI_PROJECT_ID", "proj-9"),
        ("BITROUTER_OPENAI_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    for stream in [false, true] {
        call(&gw, Client::Chat, "gpt-4o-mini", stream, &[]).await;
        let seen = chat.last_request().unwrap();
        check_call(&seen, "/v1/chat/completions", Some("gpt-4o-mini"), stream);
        assert_eq!(seen.header("authorization"), Some("Bearer sk-oa"));
        assert_eq!(seen.header("openai-organization"), Some("org-7"));
        assert_eq!(seen.header("openai-project"), Some("proj-9"));
    }

    let responses = fake(FakeProtocol::OpenAiResponses, "sk-oa").await;
    let base = responses.base_url();
    let gw = gateway(&[
        ("OPENAI_API_KEY", "sk-oa"),
        ("OPENAI_ORG_ID", "org-7"),
        ("BITROUTER_OPENAI_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    for stream in [false, true] {
        call(&gw, Client::Responses, "gpt-4o", stream, &[]).await;
        let seen = responses.last_request().unwrap();
        check_call(&seen, "/v1/responses", Some("gpt-4o"), stream);
        assert_eq!(seen.header("authorization"), Some("Bearer sk-oa"));
        assert_eq!(seen.header("openai-organization"), Some("org-7"));
        assert_eq!(seen.json.unwrap()["input"], "hello there");
    }
}

#[tokio::test]
async fn anthropic_key_version_and_beta_pass_through() {
    let up = fake(FakeProtocol::AnthropicMessages, "sk-ant").await;
    let base = up.base_url();
    let gw = gateway(&[
        ("ANTHROPIC_API_KEY", "sk-ant"),
        ("BITROUTER_ANTHROPIC_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    for stream in [false, true] {
        call(
            &gw,
            Client::Messages,
            "claude-haiku-4-5",
            stream,
            &[("anthropic-beta", "interleaved-thinking-2025-05-14")],
        )
        .await;
        let seen = up.last_request().unwrap();
        check_call(&seen, "/v1/messages", Some("claude-haiku-4-5"), stream);
        assert_eq!(seen.header("x-api-key"), Some("sk-ant"));
        assert_eq!(seen.header("authorization"), None);
        assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(
            seen.header("anthropic-beta"),
            Some("interleaved-thinking-2025-05-14")
        );
        assert_eq!(seen.json.unwrap()["max_tokens"], 64);
    }
    // A client's own version goes through.
    call(
        &gw,
        Client::Messages,
        "claude-haiku-4-5",
        false,
        &[("anthropic-version", "2023-01-01")],
    )
    .await;
    assert_eq!(
        up.last_request().unwrap().header("anthropic-version"),
        Some("2023-01-01")
    );
}

#[tokio::test]
async fn google_with_either_key_variable() {
    let up = fake(FakeProtocol::GoogleGenerateContent, "g-key").await;
    let base = up.base_url();
    for var in ["GEMINI_API_KEY", "GOOGLE_API_KEY"] {
        let gw = gateway(&[
            (var, "g-key"),
            ("BITROUTER_GOOGLE_API_BASE", &base),
            ("BITROUTER_NO_LOCAL_PROBE", "1"),
        ])
        .await;
        for stream in [false, true] {
            call(&gw, Client::Google, "gemini-2.5-flash", stream, &[]).await;
            let seen = up.last_request().unwrap();
            let method = if stream {
                "streamGenerateContent"
            } else {
                "generateContent"
            };
            check_call(
                &seen,
                &format!("/v1beta/models/gemini-2.5-flash:{method}"),
                None,
                stream,
            );
            assert_eq!(seen.header("x-goog-api-key"), Some("g-key"));
            assert_eq!(seen.header("authorization"), None);
        }
    }
}

#[tokio::test]
async fn openrouter_attribution_defaults_overrides_and_client_values() {
    let chat = fake(FakeProtocol::OpenAiChat, "sk-or").await;
    let base = chat.base_url();
    let gw = gateway(&[
        ("OPENROUTER_API_KEY", "sk-or"),
        ("BITROUTER_OPENROUTER_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    for stream in [false, true] {
        call(
            &gw,
            Client::Chat,
            "openrouter:openai/gpt-4o-mini",
            stream,
            &[],
        )
        .await;
        let seen = chat.last_request().unwrap();
        check_call(
            &seen,
            "/v1/chat/completions",
            Some("openai/gpt-4o-mini"),
            stream,
        );
        assert_eq!(seen.header("authorization"), Some("Bearer sk-or"));
        assert_eq!(
            seen.header("http-referer"),
            Some("https://github.com/bitrouter/bitrouter")
        );
        assert_eq!(seen.header("x-title"), Some("BitRouter"));
    }
    // The client's own attribution wins over ours.
    call(
        &gw,
        Client::Chat,
        "openrouter:openai/gpt-4o-mini",
        false,
        &[("http-referer", "https://my.app"), ("x-title", "My App")],
    )
    .await;
    let seen = chat.last_request().unwrap();
    assert_eq!(seen.header("http-referer"), Some("https://my.app"));
    assert_eq!(seen.header("x-title"), Some("My App"));
    assert_eq!(seen.headers.get_all("x-title").iter().count(), 1);

    // Responses, with the attribution from the environment.
    let responses = fake(FakeProtocol::OpenAiResponses, "sk-or").await;
    let base = responses.base_url();
    let gw = gateway(&[
        ("OPENROUTER_API_KEY", "sk-or"),
        ("OPENROUTER_HTTP_REFERER", "https://ops.example"),
        ("OPENROUTER_X_TITLE", "Ops"),
        ("BITROUTER_OPENROUTER_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    for stream in [false, true] {
        call(
            &gw,
            Client::Responses,
            "anthropic/claude-haiku-4-5",
            stream,
            &[],
        )
        .await;
        let seen = responses.last_request().unwrap();
        check_call(
            &seen,
            "/v1/responses",
            Some("anthropic/claude-haiku-4-5"),
            stream,
        );
        assert_eq!(seen.header("authorization"), Some("Bearer sk-or"));
        assert_eq!(seen.header("http-referer"), Some("https://ops.example"));
        assert_eq!(seen.header("x-title"), Some("Ops"));
    }
}

#[tokio::test]
async fn opencode_zen_sends_each_model_to_its_protocol() {
    let zen = MultiProtocol::start("oc-key").await;
    let base = zen.base();
    let gw = gateway(&[
        ("OPENCODE_API_KEY", "oc-key"),
        ("BITROUTER_OPENCODE_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    for stream in [false, true] {
        // Claude on Messages, reached from an OpenAI Chat client (translated).
        call(&gw, Client::Chat, "opencode:claude-haiku-4-5", stream, &[]).await;
        let seen = zen.messages.last_request().unwrap();
        check_call(&seen, "/v1/messages", Some("claude-haiku-4-5"), stream);
        assert_eq!(seen.header("x-api-key"), Some("oc-key"));
        assert_eq!(seen.header("authorization"), None);
        assert_eq!(seen.header("anthropic-version"), Some("2023-06-01"));

        // GPT on Responses, from a Chat client.
        call(&gw, Client::Chat, "opencode:gpt-5", stream, &[]).await;
        let seen = zen.responses.last_request().unwrap();
        check_call(&seen, "/v1/responses", Some("gpt-5"), stream);
        assert_eq!(seen.header("authorization"), Some("Bearer oc-key"));

        // Gemini on generateContent, from an Anthropic client.
        call(&gw, Client::Messages, "opencode:gemini-3-pro", stream, &[]).await;
        let seen = zen.google.last_request().unwrap();
        let method = if stream {
            "streamGenerateContent"
        } else {
            "generateContent"
        };
        check_call(
            &seen,
            &format!("/v1beta/models/gemini-3-pro:{method}"),
            None,
            stream,
        );
        assert_eq!(seen.header("x-goog-api-key"), Some("oc-key"));
        assert_eq!(seen.header("authorization"), None);

        // The rest on Chat Completions, even from a Messages client.
        call(&gw, Client::Messages, "opencode:kimi-k2", stream, &[]).await;
        let seen = zen.chat.last_request().unwrap();
        check_call(&seen, "/v1/chat/completions", Some("kimi-k2"), stream);
        assert_eq!(seen.header("authorization"), Some("Bearer oc-key"));
    }
    // Same protocol on both sides passes through; a listed model routes by its bare name.
    call(&gw, Client::Messages, "claude-haiku-4-5", false, &[]).await;
    assert_eq!(zen.messages.request_count(), 3);
}

#[tokio::test]
async fn opencode_go_minimax_on_messages_others_on_chat() {
    let go = MultiProtocol::start("oc-key").await;
    let base = go.base();
    let gw = gateway(&[
        ("OPENCODE_API_KEY", "oc-key"),
        // Zen is switched on by the same key; point it nowhere useful.
        ("BITROUTER_OPENCODE_API_BASE", "http://127.0.0.1:9/v1"),
        ("BITROUTER_OPENCODE_GO_API_BASE", &base),
        ("BITROUTER_NO_LOCAL_PROBE", "1"),
    ])
    .await;
    for stream in [false, true] {
        call(&gw, Client::Chat, "opencode-go:minimax-m2.5", stream, &[]).await;
        let seen = go.messages.last_request().unwrap();
        check_call(&seen, "/v1/messages", Some("minimax-m2.5"), stream);
        assert_eq!(seen.header("x-api-key"), Some("oc-key"));

        call(&gw, Client::Chat, "opencode-go:glm-5", stream, &[]).await;
        let seen = go.chat.last_request().unwrap();
        check_call(&seen, "/v1/chat/completions", Some("glm-5"), stream);
        assert_eq!(seen.header("authorization"), Some("Bearer oc-key"));
    }
}
