//! Fakes the provider tests need beyond `bitrouter-test-support`'s one-protocol upstreams:
//!
//! - [`MultiProtocol`]: one base serving several protocols, as OpenCode Zen does
//!   (`/v1/chat/completions`, `/v1/responses`, `/v1/messages`, `/v1/models/{m}:generateContent`),
//!   by forwarding each path to a one-protocol fake (which checks that protocol's auth and body).
//! - [`LocalServer`]: an Ollama / LM Studio stand-in that wants no key and lists its models at
//!   `GET /v1/models`, in OpenAI's list shape (Ollama's OpenAI-compatible `/v1/models`,
//!   docs.ollama.com/openai; LM Studio's `/v1/models`), and answers Chat Completions with the
//!   body of OpenAI's reference example (platform.openai.com/docs/api-reference/chat/create).
//! - [`hanging_listener`]: accepts connections and never answers.

#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on unexpected input"
)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bitrouter_test_support::{FakeProtocol, FakeUpstream};
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Serves `handler` on 127.0.0.1:0 until the test ends.
async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let handler = handler.clone();
                    async move { Ok::<_, Infallible>(handler(req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    addr
}

/// One base in front of four one-protocol fakes.
#[derive(Debug)]
pub struct MultiProtocol {
    pub addr: SocketAddr,
    pub chat: FakeUpstream,
    pub responses: FakeUpstream,
    pub messages: FakeUpstream,
    pub google: FakeUpstream,
}

impl MultiProtocol {
    /// Every fake expects `key`.
    pub async fn start(key: &str) -> Self {
        let start = |p| FakeUpstream::builder().protocol(p).api_key(key).start();
        let chat = start(FakeProtocol::OpenAiChat).await.unwrap();
        let responses = start(FakeProtocol::OpenAiResponses).await.unwrap();
        let messages = start(FakeProtocol::AnthropicMessages).await.unwrap();
        let google = start(FakeProtocol::GoogleGenerateContent).await.unwrap();
        let targets = Arc::new([
            chat.addr(),
            responses.addr(),
            messages.addr(),
            google.addr(),
        ]);
        let addr = serve(move |req| forward(req, Arc::clone(&targets))).await;
        Self {
            addr,
            chat,
            responses,
            messages,
            google,
        }
    }

    /// The base a gateway points at: `http://addr/v1`.
    pub fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

async fn forward(req: Request<Incoming>, targets: Arc<[SocketAddr; 4]>) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let path = parts.uri.path();
    let (target, new_path) = if path == "/v1/chat/completions" {
        (targets[0], path_and_query)
    } else if path == "/v1/responses" {
        (targets[1], path_and_query)
    } else if path == "/v1/messages" {
        (targets[2], path_and_query)
    } else if path.starts_with("/v1/models/") && path.contains(":") {
        // Google's fake lives under /v1beta.
        (targets[3], path_and_query.replacen("/v1/", "/v1beta/", 1))
    } else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::from_static(b"no such path")))
            .unwrap();
    };
    let body = body.collect().await.unwrap().to_bytes();
    let mut out = Request::builder()
        .method(parts.method)
        .uri(format!("http://{target}{new_path}"));
    for (k, v) in &parts.headers {
        if k != http::header::HOST {
            out = out.header(k, v);
        }
    }
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let res = client
        .request(out.body(Full::new(body)).unwrap())
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let mut back = Response::builder().status(parts.status);
    for (k, v) in &parts.headers {
        if k != http::header::TRANSFER_ENCODING && k != http::header::CONTENT_LENGTH {
            back = back.header(k, v);
        }
    }
    back.body(Full::new(body)).unwrap()
}

/// A request the local server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// An Ollama / LM Studio stand-in.
#[derive(Debug)]
pub struct LocalServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

const COMPLETION: &str = r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"llama3.2","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29}}"#;

const CHUNKS: &[&str] = &[
    r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"llama3.2","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
    r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"llama3.2","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}"#,
    r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"llama3.2","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#,
    r#"{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"llama3.2","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":1,"total_tokens":20}}"#,
];

impl LocalServer {
    /// Lists `models` and answers chat calls.
    pub async fn start(models: &'static [&'static str]) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = Arc::clone(&seen);
        let addr = serve(move |req: Request<Incoming>| {
            let log = Arc::clone(&log);
            async move {
                let (parts, body) = req.into_parts();
                let body = body.collect().await.unwrap().to_bytes();
                log.lock().unwrap().push(Seen {
                    method: parts.method.clone(),
                    path: parts.uri.path().to_owned(),
                    headers: parts.headers.clone(),
                    body: body.clone(),
                });
                match (parts.method, parts.uri.path()) {
                    (Method::GET, "/v1/models") => {
                        let data: Vec<_> = models
                            .iter()
                            .map(|m| serde_json::json!({"id": m, "object": "model", "created": 1, "owned_by": "library"}))
                            .collect();
                        json(serde_json::json!({"object": "list", "data": data}).to_string())
                    }
                    (Method::POST, "/v1/chat/completions") => {
                        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                        if v["stream"] == true {
                            let mut sse = String::new();
                            for c in CHUNKS {
                                sse.push_str(&format!("data: {c}\n\n"));
                            }
                            sse.push_str("data: [DONE]\n\n");
                            Response::builder()
                                .header("content-type", "text/event-stream")
                                .body(Full::new(Bytes::from(sse)))
                                .unwrap()
                        } else {
                            json(COMPLETION.to_owned())
                        }
                    }
                    _ => Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Full::new(Bytes::from_static(b"404 page not found")))
                        .unwrap(),
                }
            }
        })
        .await;
        Self { addr, seen }
    }

    pub fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn json(body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// A listener that accepts and never answers; the connections stay open while it lives.
pub async fn hanging_listener() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    addr
}
