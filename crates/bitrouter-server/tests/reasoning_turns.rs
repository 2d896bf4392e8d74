//! Thinking across protocols, two turns: a client asks with reasoning on, the upstream thinks
//! and calls a tool, the client sends its answer back verbatim with the tool's result, and the
//! upstream accepts the second turn. The fakes enforce what the real APIs do: Anthropic wants
//! the signed thinking block back before tool results, Gemini 3 wants the function call's
//! thought signature back. A signature lost or mangled anywhere on the way is a 400.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::sync::Arc;

use bitrouter_core::{Protocol, Provider};
use bitrouter_providers::{AuthStyle, HttpProvider, ProviderSettings, Timeouts, UpstreamClient};
use bitrouter_router::{CatalogRouter, ProviderEntry, ProviderRole};
use bitrouter_server::{Gateway, ServerConfig};
use bitrouter_test_support::{DEFAULT_API_KEY, FakeProtocol, FakeUpstream, Script};
use common::*;
use http::{Method, StatusCode};
use serde_json::{Value, json};

async fn pair(upstream: Protocol, model: &str) -> (FakeUpstream, TestGateway) {
    let fake = FakeUpstream::builder()
        .protocol(FakeProtocol::from_name(upstream.as_str()).unwrap())
        .start()
        .await
        .unwrap();
    let auth = match upstream {
        Protocol::AnthropicMessages => AuthStyle::XApiKey,
        Protocol::GoogleGenerateContent => AuthStyle::XGoogApiKey,
        _ => AuthStyle::Bearer,
    };
    let settings =
        ProviderSettings::single_key("up", upstream, &fake.base_url(), auth, DEFAULT_API_KEY);
    let provider: Arc<dyn Provider> = Arc::new(HttpProvider::new(
        settings,
        UpstreamClient::new(Timeouts::default()),
    ));
    let router = CatalogRouter::new(vec![ProviderEntry {
        id: "up".into(),
        protocol: upstream,
        more_protocols: Vec::new(),
        role: ProviderRole::Listed(vec![model.into()]),
    }]);
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    (
        fake,
        serve(Gateway::new(
            config,
            Arc::new(router),
            vec![provider],
            Vec::new(),
        ))
        .await,
    )
}

fn schema() -> Value {
    json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
}

/// The first turn, reasoning on, one tool offered.
fn first_turn(client: Protocol, model: &str) -> (String, Value) {
    match client {
        Protocol::OpenaiChat => (
            "/v1/chat/completions".into(),
            json!({
                "model": model, "reasoning_effort": "low",
                "messages": [{"role": "user", "content": "weather in Paris?"}],
                "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": schema()}}]
            }),
        ),
        Protocol::OpenaiResponses => (
            "/v1/responses".into(),
            json!({
                "model": model, "reasoning": {"effort": "low", "summary": "auto"},
                "include": ["reasoning.encrypted_content"], "store": false,
                "input": [{"role": "user", "content": "weather in Paris?"}],
                "tools": [{"type": "function", "name": "get_weather", "parameters": schema()}]
            }),
        ),
        Protocol::AnthropicMessages => (
            "/v1/messages".into(),
            json!({
                "model": model, "max_tokens": 8000, "thinking": {"type": "enabled", "budget_tokens": 2048},
                "messages": [{"role": "user", "content": "weather in Paris?"}],
                "tools": [{"name": "get_weather", "input_schema": schema()}]
            }),
        ),
        Protocol::GoogleGenerateContent => (
            format!("/v1beta/models/{model}:generateContent"),
            json!({
                "contents": [{"role": "user", "parts": [{"text": "weather in Paris?"}]}],
                "tools": [{"functionDeclarations": [{"name": "get_weather", "parameters": schema()}]}],
                "generationConfig": {"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 2048}}
            }),
        ),
    }
}

/// The second turn as a client builds it: the first turn, the assistant's answer exactly as
/// received, and the tool's result.
fn second_turn(client: Protocol, mut body: Value, answer: &Value) -> Value {
    let result = "{\"temp_c\":21}";
    match client {
        Protocol::OpenaiChat => {
            let message = answer["choices"][0]["message"].clone();
            let id = message["tool_calls"][0]["id"].as_str().unwrap().to_owned();
            let messages = body["messages"].as_array_mut().unwrap();
            messages.push(message);
            messages.push(json!({"role": "tool", "tool_call_id": id, "content": result}));
        }
        Protocol::OpenaiResponses => {
            let output = answer["output"].as_array().unwrap().clone();
            let call_id = output
                .iter()
                .find(|i| i["type"] == "function_call")
                .unwrap()["call_id"]
                .clone();
            let input = body["input"].as_array_mut().unwrap();
            input.extend(output);
            input.push(
                json!({"type": "function_call_output", "call_id": call_id, "output": result}),
            );
        }
        Protocol::AnthropicMessages => {
            let content = answer["content"].clone();
            let id = content
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["type"] == "tool_use")
                .unwrap()["id"]
                .clone();
            let messages = body["messages"].as_array_mut().unwrap();
            messages.push(json!({"role": "assistant", "content": content}));
            messages.push(json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": result}]}));
        }
        Protocol::GoogleGenerateContent => {
            let content = answer["candidates"][0]["content"].clone();
            let contents = body["contents"].as_array_mut().unwrap();
            contents.push(content);
            contents.push(json!({"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp_c": 21}}}]}));
        }
    }
    body
}

async fn post(gw: &TestGateway, path: &str, body: &Value) -> Reply {
    send(
        Method::POST,
        &gw.url(path),
        &[
            ("content-type", "application/json"),
            ("anthropic-version", "2023-06-01"),
        ],
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

async fn two_turns(client: Protocol, upstream: Protocol, model: &str) {
    let label = format!("{client} -> {upstream}");
    let (fake, gw) = pair(upstream, model).await;
    fake.push(Script::tool_calls([("get_weather", r#"{"city":"Paris"}"#)]));
    let (path, body) = first_turn(client, model);
    let first = post(&gw, &path, &body).await;
    assert_eq!(first.status, StatusCode::OK, "{label}: {}", first.text());
    let sent_first = fake.last_request().unwrap().body_text();
    assert!(
        sent_first.contains("thinking") || sent_first.contains("includeThoughts"),
        "{label}: reasoning was requested upstream: {sent_first}"
    );

    let next = second_turn(client, body, &first.json());
    let second = post(&gw, &path, &next).await;
    assert_eq!(
        second.status,
        StatusCode::OK,
        "{label}: second turn refused: {}",
        second.text()
    );
    let sent = fake.last_request().unwrap().body_text();
    assert!(
        sent.contains("sig-"),
        "{label}: the upstream's signature came back: {sent}"
    );
    assert!(
        !sent.contains("brsig1"),
        "{label}: no envelope leaks upstream: {sent}"
    );
}

#[tokio::test]
async fn anthropic_thinking_survives_other_clients() {
    for client in [
        Protocol::OpenaiChat,
        Protocol::OpenaiResponses,
        Protocol::GoogleGenerateContent,
    ] {
        two_turns(client, Protocol::AnthropicMessages, "claude-sonnet-4-5").await;
    }
}

#[tokio::test]
async fn gemini_3_function_call_signatures_survive_other_clients() {
    for client in [
        Protocol::OpenaiChat,
        Protocol::OpenaiResponses,
        Protocol::AnthropicMessages,
    ] {
        two_turns(
            client,
            Protocol::GoogleGenerateContent,
            "gemini-3-pro-preview",
        )
        .await;
    }
}
