//! The conformance suite: every (client protocol, upstream protocol) pair, streaming and not,
//! with text, parallel tool calls and a tool-result turn, through the real server against
//! fake upstreams that validate what they receive the way the real APIs do (so a translation
//! bug is a 400 and a failed test).

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

#[path = "conformance/client.rs"]
mod client;
mod common;

use std::sync::Arc;

use bitrouter_core::{Protocol, Provider};
use bitrouter_providers::{AuthStyle, HttpProvider, ProviderSettings, Timeouts, UpstreamClient};
use bitrouter_router::{CatalogRouter, ProviderEntry, ProviderRole};
use bitrouter_server::{Gateway, ServerConfig};
use bitrouter_test_support::{DEFAULT_API_KEY, FakeProtocol, FakeUpstream, Script};
use client::*;
use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// A gateway whose only provider `up` speaks exactly `protocol` and serves `test-model`.
async fn pair(upstream: Protocol) -> (FakeUpstream, TestGateway) {
    let fake_protocol = FakeProtocol::from_name(upstream.as_str()).unwrap();
    let fake = FakeUpstream::builder()
        .protocol(fake_protocol)
        .start()
        .await
        .unwrap();
    let auth = match upstream {
        Protocol::OpenaiChat | Protocol::OpenaiResponses => AuthStyle::Bearer,
        Protocol::AnthropicMessages => AuthStyle::XApiKey,
        Protocol::GoogleGenerateContent => AuthStyle::XGoogApiKey,
    };
    let mut settings =
        ProviderSettings::single_key("up", upstream, &fake.base_url(), auth, DEFAULT_API_KEY);
    settings.source = "conformance".into();
    let provider: Arc<dyn Provider> = Arc::new(HttpProvider::new(
        settings,
        UpstreamClient::new(Timeouts::default()),
    ));
    let router = CatalogRouter::new(vec![ProviderEntry {
        id: "up".into(),
        protocol: upstream,
        more_protocols: Vec::new(),
        role: ProviderRole::Listed(vec![MODEL.into()]),
    }]);
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let gw = Gateway::new(config, Arc::new(router), vec![provider], Vec::new());
    (fake, serve(gw).await)
}

async fn call(gw: &TestGateway, client: Protocol, stream: bool, body: &Value) -> Answer {
    let headers: &[(&str, &str)] = match client {
        Protocol::AnthropicMessages => &[
            ("content-type", "application/json"),
            ("anthropic-version", "2023-06-01"),
        ],
        _ => &[("content-type", "application/json")],
    };
    let reply = send(
        Method::POST,
        &gw.url(&path(client, stream)),
        headers,
        serde_json::to_vec(body).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    if stream {
        assert_eq!(reply.header("content-type"), Some("text/event-stream"));
        read_stream(client, &reply.body)
    } else {
        read_answer(client, &reply.json())
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        _ => String::new(),
    }
}

/// The system prompt reached the upstream in its own protocol's place, and so did both tools.
fn check_upstream_request(upstream: Protocol, sent: &Value) {
    let (system, tools) = match upstream {
        Protocol::OpenaiChat => {
            let first = &sent["messages"][0];
            assert_eq!(first["role"], "system", "{sent}");
            (
                text_of(&first["content"]),
                sent["tools"].as_array().map_or(0, Vec::len),
            )
        }
        Protocol::OpenaiResponses => (
            text_of(&sent["instructions"]),
            sent["tools"].as_array().map_or(0, Vec::len),
        ),
        Protocol::AnthropicMessages => (
            text_of(&sent["system"]),
            sent["tools"].as_array().map_or(0, Vec::len),
        ),
        Protocol::GoogleGenerateContent => (
            text_of(&sent["systemInstruction"]["parts"]),
            sent["tools"][0]["functionDeclarations"]
                .as_array()
                .map_or(0, Vec::len),
        ),
    };
    assert_eq!(system, SYSTEM, "system prompt in its place: {sent}");
    assert_eq!(tools, 2, "both tools forwarded: {sent}");
}

fn expected_calls() -> Vec<(String, Value)> {
    vec![
        ("get_weather".into(), json!({"city": "Paris"})),
        ("get_time".into(), json!({"tz": "UTC"})),
    ]
}

async fn run_pair(client: Protocol, upstream: Protocol) {
    let (fake, gw) = pair(upstream).await;
    for stream in [false, true] {
        let label = format!("{client} -> {upstream}, stream={stream}");

        let a = call(&gw, client, stream, &first_turn(client, stream)).await;
        assert_eq!(a.text, format!("echo: {USER}"), "{label}: {a:?}");
        assert!(a.calls.is_empty(), "{label}: {a:?}");
        assert!(
            finish_is_stop(client, &a.finish),
            "{label}: finish {:?}",
            a.finish
        );
        assert!(
            a.input_tokens > 0 && a.output_tokens > 0,
            "{label}: usage lost: {a:?}"
        );
        check_upstream_request(
            upstream,
            fake.last_request().unwrap().json.as_ref().unwrap(),
        );

        fake.push(Script::tool_calls([
            ("get_weather", r#"{"city":"Paris"}"#),
            ("get_time", r#"{"tz":"UTC"}"#),
        ]));
        let a = call(&gw, client, stream, &first_turn(client, stream)).await;
        assert_eq!(a.calls, expected_calls(), "{label}: {a:?}");
        assert!(
            finish_is_tool_calls(client, &a.finish),
            "{label}: finish {:?}",
            a.finish
        );

        let mut next = tool_result_turn(client);
        if stream {
            next = merge(next, first_turn(client, true));
        }
        let a = call(&gw, client, stream, &next).await;
        assert!(
            a.text.starts_with("echo:"),
            "{label}: tool-result turn: {a:?}"
        );
    }
}

/// `base` with the stream flags of `streamed` (which has the same first turn).
fn merge(mut base: Value, streamed: Value) -> Value {
    for key in ["stream", "stream_options"] {
        if let Some(v) = streamed.get(key) {
            base[key] = v.clone();
        }
    }
    base
}

macro_rules! pairs {
    ($($name:ident: $client:ident -> $upstream:ident;)*) => {$(
        #[tokio::test]
        async fn $name() {
            run_pair(Protocol::$client, Protocol::$upstream).await;
        }
    )*};
}

pairs! {
    chat_to_chat: OpenaiChat -> OpenaiChat;
    chat_to_responses: OpenaiChat -> OpenaiResponses;
    chat_to_anthropic: OpenaiChat -> AnthropicMessages;
    chat_to_google: OpenaiChat -> GoogleGenerateContent;
    responses_to_chat: OpenaiResponses -> OpenaiChat;
    responses_to_responses: OpenaiResponses -> OpenaiResponses;
    responses_to_anthropic: OpenaiResponses -> AnthropicMessages;
    responses_to_google: OpenaiResponses -> GoogleGenerateContent;
    anthropic_to_chat: AnthropicMessages -> OpenaiChat;
    anthropic_to_responses: AnthropicMessages -> OpenaiResponses;
    anthropic_to_anthropic: AnthropicMessages -> AnthropicMessages;
    anthropic_to_google: AnthropicMessages -> GoogleGenerateContent;
    google_to_chat: GoogleGenerateContent -> OpenaiChat;
    google_to_responses: GoogleGenerateContent -> OpenaiResponses;
    google_to_anthropic: GoogleGenerateContent -> AnthropicMessages;
    google_to_google: GoogleGenerateContent -> GoogleGenerateContent;
}
