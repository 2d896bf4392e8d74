//! Helpers shared by the fake-upstream integration tests: a plain hyper client, request
//! shortcuts and SSE parsing.
#![allow(
    dead_code,
    reason = "each test file uses a different subset of these helpers"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns fail the test on an unexpected error"
)]

use bitrouter_test_support::FakeUpstream;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

pub async fn send(
    upstream: &FakeUpstream,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> hyper::Response<Incoming> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", upstream.addr()))
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    client().request(request).await.unwrap()
}

/// POST a chat completion with the right key and read the whole answer.
pub async fn chat(upstream: &FakeUpstream, body: &Value) -> (StatusCode, HeaderMap, Bytes) {
    let response = send(
        upstream,
        Method::POST,
        "/v1/chat/completions",
        Some("sk-test"),
        &body.to_string(),
    )
    .await;
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

pub fn json_of(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &Bytes) -> Vec<String> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\n\n"), "every event ends with a blank line");
    text.split("\n\n")
        .filter(|event| !event.is_empty())
        .map(|event| event.strip_prefix("data: ").unwrap().to_owned())
        .collect()
}

/// The chunks of a stream that must end in `[DONE]`.
pub fn chunks_until_done(body: &Bytes) -> Vec<Value> {
    let mut data = sse_data(body);
    assert_eq!(data.pop().as_deref(), Some("[DONE]"));
    data.iter()
        .map(|chunk| serde_json::from_str(chunk).unwrap())
        .collect()
}

pub fn hello(stream: bool) -> Value {
    json!({
        "model": "gpt-4o-mini",
        "stream": stream,
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": "hello big world"}
        ]
    })
}

/// Reassemble streamed tool calls per index, checking the opening-delta rules on the way.
pub fn reassemble_tool_calls(chunks: &[Value]) -> Vec<(String, String, String)> {
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut argument_deltas: Vec<usize> = Vec::new();
    for chunk in chunks {
        let Some(deltas) = chunk["choices"][0]["delta"]["tool_calls"].as_array() else {
            continue;
        };
        for delta in deltas {
            let index = usize::try_from(delta["index"].as_u64().unwrap()).unwrap();
            if index == calls.len() {
                assert_eq!(
                    delta["type"], "function",
                    "the opening delta carries the type"
                );
                let id = delta["id"].as_str().unwrap().to_owned();
                let name = delta["function"]["name"].as_str().unwrap().to_owned();
                calls.push((id, name, String::new()));
                argument_deltas.push(0);
            } else {
                assert_eq!(
                    index + 1,
                    calls.len(),
                    "indices go 0, 1, … without returning"
                );
                assert!(delta.get("id").is_none() && delta.get("type").is_none());
                assert!(delta["function"].get("name").is_none());
            }
            let piece = delta["function"]["arguments"].as_str().unwrap();
            if !piece.is_empty() {
                argument_deltas[index] += 1;
            }
            calls[index].2.push_str(piece);
        }
    }
    assert!(
        argument_deltas.iter().all(|count| *count > 1),
        "arguments are split over several deltas: {argument_deltas:?}"
    );
    calls
}

/// Read a body frame by frame until it ends or fails; the data received and whether it failed.
pub async fn read_until_end(response: hyper::Response<Incoming>) -> (Vec<u8>, bool) {
    let mut body = response.into_body();
    let mut data = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                data.extend_from_slice(frame.data_ref().map_or(&[][..], |bytes| &bytes[..]))
            }
            Err(_) => return (data, true),
        }
    }
    (data, false)
}

/// Send `body` with exactly the given headers (plus `content-type: application/json`) and read
/// the whole answer.
pub async fn exchange(
    upstream: &FakeUpstream,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, HeaderMap, Bytes) {
    let response = open(upstream, method, path_and_query, headers, body).await;
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

/// Send `body` with exactly the given headers (plus `content-type: application/json`); the
/// response with its body unread.
pub async fn open(
    upstream: &FakeUpstream,
    method: Method,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> hyper::Response<Incoming> {
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{}{path_and_query}", upstream.addr()))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    client().request(request).await.unwrap()
}

/// The events of a stream written as `event: NAME\ndata: JSON\n\n`, checking that each
/// event's name equals its data's `type`.
pub fn named_events(body: &Bytes) -> Vec<(String, Value)> {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\n\n"), "every event ends with a blank line");
    text.split("\n\n")
        .filter(|event| !event.is_empty())
        .map(|event| {
            let (name, data) = event.split_once('\n').unwrap();
            let name = name.strip_prefix("event: ").unwrap().to_owned();
            let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(
                data["type"],
                name.as_str(),
                "event name and data type agree"
            );
            (name, data)
        })
        .collect()
}

/// A child process killed when the test ends, however it ends.
pub struct ChildGuard(pub std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _killed = self.0.kill();
        let _reaped = self.0.wait();
    }
}

/// Start the `fake-upstream` binary with `args`; the guard and the URL it prints.
pub async fn spawn_binary(args: &[&str]) -> (ChildGuard, String) {
    use std::io::BufRead;
    let mut child = ChildGuard(
        std::process::Command::new(env!("CARGO_BIN_EXE_fake-upstream"))
            .args(args)
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
    (child, url)
}

/// POST `body` to an absolute URL with the given headers; status and body.
pub async fn post_url(url: &str, headers: &[(&str, &str)], body: &str) -> (StatusCode, Bytes) {
    let mut request = Request::post(url).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap();
    let (parts, body) = client().request(request).await.unwrap().into_parts();
    (parts.status, body.collect().await.unwrap().to_bytes())
}
