//! How the fake upstream treats requests: auth, validation, routes, recording, transports.

mod common;

use bitrouter_test_support::{FakeUpstream, Script};
use bytes::Bytes;
use common::*;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

#[tokio::test]
async fn missing_or_wrong_key_is_401_invalid_api_key() {
    let upstream = FakeUpstream::start().await.unwrap();
    let body = hello(false).to_string();
    for key in [None, Some("sk-wrong-key-123")] {
        let response = send(&upstream, Method::POST, "/v1/chat/completions", key, &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let error = json_of(&response.into_body().collect().await.unwrap().to_bytes());
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(error["error"]["code"], "invalid_api_key");
        assert_eq!(error["error"]["param"], Value::Null);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("API key")
        );
    }
    let upstream = upstream.with_api_key("sk-other");
    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        &body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-other"),
        &body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn invalid_bodies_are_400_naming_the_field() {
    let upstream = FakeUpstream::start().await.unwrap();
    let call = |id: &str| json!({"id": id, "type": "function", "function": {"name": "f", "arguments": "{}"}});
    let user = json!({"role": "user", "content": "hi"});
    let cases: Vec<(Value, Option<&str>, Option<&str>)> = vec![
        (json!("not an object"), Some("body"), Some("invalid_type")),
        (
            json!({"messages": [user]}),
            Some("model"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": 5, "messages": [user]}),
            Some("model"),
            Some("invalid_type"),
        ),
        (
            json!({"model": "m"}),
            Some("messages"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": []}),
            Some("messages"),
            Some("empty_array"),
        ),
        (
            json!({"model": "m", "messages": [{"content": "x"}]}),
            Some("messages[0].role"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]}),
            Some("messages[0].role"),
            Some("invalid_value"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": 7}]}),
            Some("messages[0].content"),
            Some("invalid_type"),
        ),
        (
            json!({"model": "m", "messages": [{"role": "user"}]}),
            Some("messages[0].content"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "stream": "yes", "messages": [user]}),
            Some("stream"),
            Some("invalid_type"),
        ),
        (
            json!({"model": "m", "stream_options": {"include_usage": true}, "messages": [user]}),
            Some("stream_options"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "tool", "tool_call_id": "call_1", "content": "r"}]}),
            Some("messages[1].role"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1")]}, {"role": "tool", "content": "r"}]}),
            Some("messages[2].tool_call_id"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1")]}, {"role": "tool", "tool_call_id": "call_9", "content": "r"}]}),
            Some("messages[2].tool_call_id"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1"), call("call_2")]}, {"role": "tool", "tool_call_id": "call_1", "content": "r"}, user]}),
            Some("messages[3].role"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [call("call_1")]}]}),
            Some("messages[1].tool_calls"),
            None,
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"arguments": "{}"}}]}]}),
            Some("messages[1].tool_calls[0].function.name"),
            Some("missing_required_parameter"),
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": [{"id": "c", "type": "magic", "function": {"name": "f", "arguments": "{}"}}]}]}),
            Some("messages[1].tool_calls[0].type"),
            Some("invalid_value"),
        ),
        (
            json!({"model": "m", "messages": [user, {"role": "assistant", "tool_calls": []}]}),
            Some("messages[1].tool_calls"),
            Some("empty_array"),
        ),
    ];
    upstream.push(Script::text("kept for the first valid request"));
    for (body, param, code) in cases {
        let (status, _, answer) = chat(&upstream, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error = json_of(&answer);
        assert_eq!(error["error"]["type"], "invalid_request_error", "{body}");
        assert_eq!(error["error"]["param"].as_str(), param, "{body}");
        assert_eq!(error["error"]["code"].as_str(), code, "{body}");
    }
    let response = send(
        &upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        "{not json",
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = json_of(&response.into_body().collect().await.unwrap().to_bytes());
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("could not parse the JSON body")
    );

    // Rejected requests left the queued script for the first valid one.
    assert_eq!(upstream.pending_scripts(), 1);
    let (status, _, answer) = chat(&upstream, &hello(false)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json_of(&answer)["choices"][0]["message"]["content"],
        "kept for the first valid request"
    );
}

#[tokio::test]
async fn a_full_tool_conversation_with_unknown_fields_is_accepted() {
    let upstream = FakeUpstream::start().await.unwrap();
    let body = json!({
        "model": "m",
        "some_future_field": {"x": 1},
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "text", "text": "weather in"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_b", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_a", "content": [{"type": "text", "text": "rainy"}]},
            {"role": "user", "content": "thanks a lot"}
        ]
    });
    let (status, _, answer) = chat(&upstream, &body).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let answer = json_of(&answer);
    assert_eq!(
        answer["choices"][0]["message"]["content"],
        "echo: thanks a lot"
    );
    // Words: sys(1) + "weather in"(2) + sunny(1) + rainy(1) + "thanks a lot"(3).
    assert_eq!(answer["usage"]["prompt_tokens"], 8);
}

#[tokio::test]
async fn requests_are_recorded() {
    let upstream = FakeUpstream::start().await.unwrap();
    assert!(upstream.last_request().is_none());
    let body = hello(false).to_string();
    let request = Request::post(format!(
        "http://{}/v1/chat/completions?trace=1",
        upstream.addr()
    ))
    .header("authorization", "Bearer sk-test")
    .header("x-custom", "kept")
    .body(Full::new(Bytes::from(body.clone())))
    .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let _ = send(&upstream, Method::GET, "/v1/unknown", None, "").await;

    assert_eq!(upstream.request_count(), 2);
    let requests = upstream.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(first.method, Method::POST);
    assert_eq!(first.path, "/v1/chat/completions");
    assert_eq!(first.query.as_deref(), Some("trace=1"));
    assert_eq!(first.header("x-custom"), Some("kept"));
    assert_eq!(first.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(first.body_text(), body);
    assert_eq!(first.json.as_ref().unwrap()["model"], "gpt-4o-mini");
    let last = upstream.last_request().unwrap();
    assert_eq!(last.method, Method::GET);
    assert_eq!(last.path, "/v1/unknown");
    assert!(last.body.is_empty() && last.json.is_none());
}

#[tokio::test]
async fn unknown_routes_are_404_and_models_are_listed() {
    let upstream = FakeUpstream::start().await.unwrap();
    for (method, path) in [
        (Method::GET, "/v1/nope"),
        (Method::GET, "/v1/chat/completions"),
        (Method::POST, "/chat/completions"),
    ] {
        let response = send(&upstream, method.clone(), path, Some("sk-test"), "{}").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let error = json_of(&response.into_body().collect().await.unwrap().to_bytes());
        assert_eq!(
            error["error"]["message"],
            format!("Invalid URL ({method} {path})")
        );
        assert_eq!(error["error"]["type"], "invalid_request_error");
    }
    let response = send(&upstream, Method::GET, "/v1/models", None, "").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = send(&upstream, Method::GET, "/v1/models", Some("sk-test"), "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let models = json_of(&response.into_body().collect().await.unwrap().to_bytes());
    assert_eq!(models["object"], "list");
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|model| model["object"] == "model" && model["id"].is_string())
    );
}

#[tokio::test]
async fn h2c_clients_are_served() {
    let upstream = FakeUpstream::start().await.unwrap();
    let h2: HttpClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let request = Request::post(format!("{}/chat/completions", upstream.base_url()))
        .header("authorization", "Bearer sk-test")
        .body(Full::new(Bytes::from(hello(false).to_string())))
        .unwrap();
    let response = h2.request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        json_of(&body)["choices"][0]["message"]["content"],
        "echo: hello big world"
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let upstream = FakeUpstream::start().await.unwrap();
    let addr = upstream.addr();
    assert_eq!(upstream.base_url(), format!("http://{addr}/v1"));
    upstream.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

/// Kills the child process when the test ends, even on a failed assertion.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves() {
    use std::io::BufRead;
    let mut child = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_fake-upstream"))
            .args(["--api-key", "sk-bin", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));
    let request = Request::post(format!("{url}/v1/chat/completions"))
        .header("authorization", "Bearer sk-bin")
        .body(Full::new(Bytes::from(hello(false).to_string())))
        .unwrap();
    let response = client().request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
