//! Shared set-up for the server's end-to-end tests: a real gateway on 127.0.0.1:0 in front of
//! fake upstreams, and a small HTTP client.

#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on unexpected input"
)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bitrouter_core::Guardrail;
use bitrouter_server::{Gateway, ServerConfig};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::oneshot;

pub struct TestGateway {
    pub addr: SocketAddr,
    pub instance_id: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestGateway {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Signals a graceful shutdown and waits for the server to return.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A zero-config gateway reading only `env` (never the process environment).
pub async fn gateway(env: &[(&str, &str)]) -> TestGateway {
    gateway_with(env, |_| {}, Vec::new()).await
}

pub async fn gateway_with(
    env: &[(&str, &str)],
    tune: impl FnOnce(&mut ServerConfig),
    guardrails: Vec<Arc<dyn Guardrail>>,
) -> TestGateway {
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    tune(&mut config);
    let mut gw = Gateway::from_env(config, &|k| map.get(k).cloned()).unwrap();
    for g in guardrails {
        gw = gw.with_guardrail(g);
    }
    serve(gw).await
}

/// Serves an assembled gateway on its (test) listen address.
pub async fn serve(gw: Gateway) -> TestGateway {
    let instance_id = gw.info().instance_id.clone();
    let server = gw.bind().await.unwrap();
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    TestGateway {
        addr,
        instance_id,
        stop: Some(tx),
        task: Some(task),
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `data:` payloads of an SSE body, in order.
    pub fn sse_data(&self) -> Vec<String> {
        let mut decoder = bitrouter_protocols::SseDecoder::new();
        let mut events = Vec::new();
        decoder.push(&self.body, &mut events).unwrap();
        decoder.finish(&mut events);
        events.into_iter().map(|e| e.data).collect()
    }
}

fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

pub async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req.body(Full::new(body.into())).unwrap();
    let res = client().request(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn post_json(url: &str, body: &Value) -> Reply {
    send(
        Method::POST,
        url,
        &[
            ("content-type", "application/json"),
            ("authorization", "Bearer client-secret"),
        ],
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

pub async fn get(url: &str) -> Reply {
    send(Method::GET, url, &[], Bytes::new()).await
}

/// The OpenAI error object of a reply, checked for the documented shape.
pub fn openai_error(reply: &Reply) -> Value {
    let v = reply.json();
    let err = v
        .get("error")
        .unwrap_or_else(|| panic!("no `error` in {v}"));
    assert!(err["message"].is_string(), "error.message missing: {v}");
    assert!(err["type"].is_string(), "error.type missing: {v}");
    assert!(err.get("code").is_some(), "error.code missing: {v}");
    err.clone()
}

pub fn chat(model: &str) -> Value {
    serde_json::json!({
        "model": model,
        "messages": [{"role": "user", "content": "hello there"}],
    })
}

/// Every call outcome the gateway reports, as a ledger would receive them.
#[derive(Default)]
pub struct Outcomes(std::sync::Mutex<Vec<bitrouter_core::CallOutcome>>);

impl bitrouter_core::OutcomeSink for Outcomes {
    fn record(&self, outcome: &bitrouter_core::CallOutcome) {
        self.0.lock().unwrap().push(outcome.clone());
    }
}

impl Outcomes {
    /// The outcomes so far, oldest first.
    pub fn all(&self) -> Vec<bitrouter_core::CallOutcome> {
        self.0.lock().unwrap().clone()
    }
}

/// Like [`gateway_with`], with `sink` receiving every call outcome.
pub async fn gateway_with_sink(
    env: &[(&str, &str)],
    tune: impl FnOnce(&mut ServerConfig),
    sink: Arc<dyn bitrouter_core::OutcomeSink>,
) -> TestGateway {
    let map: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    tune(&mut config);
    let gw = Gateway::from_env(config, &|k| map.get(k).cloned())
        .unwrap()
        .with_sink(sink);
    serve(gw).await
}

/// The value of the first `/metrics` sample line starting with `prefix`, if any.
pub fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}
