//! OpenTelemetry traces over OTLP/HTTP, end to end: BitRouter in front of fake upstreams
//! exports to a collector on 127.0.0.1:0 that decodes each `ExportTraceServiceRequest`
//! protobuf as the OTLP/HTTP specification describes it (POST `/v1/traces`,
//! `Content-Type: application/x-protobuf`).
//!
//! The tracing subscriber is process-wide, so this file is its own test binary with a single
//! test that installs it once.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitrouter_telemetry::otlp::{OtlpPipeline, OtlpSettings};
use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use bytes::Bytes;
use common::*;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode as Code};
use prost::Message;
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;

/// The W3C Trace Context specification's own examples of `traceparent`.
const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACEPARENT_STREAM: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const TRACEPARENT_FAILED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b8-01";

/// A span as the collector received it, with its resource's `service.name`.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    span: Span,
}

/// An OTLP/HTTP trace receiver.
struct Collector {
    addr: SocketAddr,
    spans: Arc<Mutex<Vec<Received>>>,
}

impl Collector {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let spans: Arc<Mutex<Vec<Received>>> = Arc::default();
        let store = spans.clone();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                let service = hyper::service::service_fn(move |req| receive(req, store.clone()));
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service),
                );
            }
        });
        Self { addr, spans }
    }

    fn spans(&self) -> Vec<Received> {
        self.spans.lock().unwrap().clone()
    }
}

async fn receive(
    req: Request<hyper::body::Incoming>,
    store: Arc<Mutex<Vec<Received>>>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    assert_eq!(req.method(), Method::POST);
    assert_eq!(req.uri().path(), "/v1/traces");
    assert_eq!(
        req.headers().get("content-type").unwrap(),
        "application/x-protobuf"
    );
    let body = req.into_body().collect().await?.to_bytes();
    let export = ExportTraceServiceRequest::decode(body).unwrap();
    let mut spans = store.lock().unwrap();
    for rs in export.resource_spans {
        let service = rs
            .resource
            .iter()
            .flat_map(|r| &r.attributes)
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| text(kv.value.as_ref()?.value.as_ref()?))
            .unwrap_or_default();
        for ss in rs.scope_spans {
            for span in ss.spans {
                spans.push(Received {
                    service: service.clone(),
                    span,
                });
            }
        }
    }
    // An empty ExportTraceServiceResponse: full success.
    let mut res = Response::new(Full::new(Bytes::new()));
    res.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/x-protobuf"),
    );
    Ok(res)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A span's attributes by key.
fn attrs(span: &Span) -> HashMap<String, Value> {
    span.attributes
        .iter()
        .filter_map(|kv| Some((kv.key.clone(), kv.value.as_ref()?.value.clone()?)))
        .collect()
}

fn string(span: &Span, key: &str) -> Option<String> {
    attrs(span).get(key).and_then(text)
}

fn int(span: &Span, key: &str) -> Option<i64> {
    match attrs(span).get(key) {
        Some(Value::IntValue(i)) => Some(*i),
        _ => None,
    }
}

/// The (trace id, parent span id) of a `traceparent`, in hex.
fn ids(traceparent: &str) -> (&str, &str) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    (parts[1], parts[2])
}

async fn post(url: &str, traceparent: Option<&str>, body: &serde_json::Value) -> Reply {
    let mut headers = vec![
        ("content-type", "application/json"),
        ("authorization", "Bearer client-secret"),
    ];
    if let Some(tp) = traceparent {
        headers.push(("traceparent", tp));
    }
    send(
        Method::POST,
        url,
        &headers,
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// Waits until the collector holds at least `n` spans.
async fn wait_for(collector: &Collector, pipeline: &Arc<OtlpPipeline>, n: usize) -> Vec<Received> {
    for _ in 0..50 {
        let p = pipeline.clone();
        tokio::task::spawn_blocking(move || p.flush())
            .await
            .unwrap()
            .unwrap();
        let spans = collector.spans();
        if spans.len() >= n {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the collector got {:?}", collector.spans());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_one_trace_with_genai_attributes_and_attempt_spans() {
    let collector = Collector::start().await;
    let base = format!("http://{}", collector.addr);
    let settings = OtlpSettings::resolve(Some(&base), true, &|_| None).unwrap();
    let pipeline =
        Arc::new(OtlpPipeline::start(&settings, tokio::runtime::Handle::current()).unwrap());
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(pipeline.layer()))
        .unwrap();

    let openai = FakeUpstream::start().await.unwrap();
    let openrouter = FakeUpstream::start().await.unwrap();
    let (a, b) = (openai.base_url(), openrouter.base_url());
    let gw = gateway(&[
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", &a),
        ("OPENROUTER_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENROUTER_API_BASE", &b),
    ])
    .await;
    let url = gw.url("/v1/chat/completions");

    // 1. A fallback: OpenAI fails with a 500, OpenRouter answers.
    openai.push(Script::status(
        500,
        r#"{"error":{"message":"busy","type":"server_error","param":null,"code":null}}"#,
    ));
    let reply = post(&url, Some(TRACEPARENT), &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("x-bitrouter-attempts"), Some("2"));
    let usage = reply.json()["usage"].clone();
    let request_id = reply.header("x-bitrouter-request-id").unwrap().to_owned();

    // 2. A stream, whose usage is known only at its end.
    let mut streamed = chat("gpt-4o-mini");
    streamed["stream"] = json!(true);
    streamed["stream_options"] = json!({"include_usage": true});
    let stream_reply = post(&url, Some(TRACEPARENT_STREAM), &streamed).await;
    assert_eq!(
        stream_reply.status,
        StatusCode::OK,
        "{}",
        stream_reply.text()
    );
    let stream_usage = stream_reply
        .sse_data()
        .iter()
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .find(|c| c["usage"].is_object())
        .map(|c| c["usage"].clone())
        .unwrap();

    // 3. No traceparent: a trace of its own.
    let plain = post(&url, None, &chat("gpt-4o-mini")).await;
    assert_eq!(plain.status, StatusCode::OK);

    // 4. Every target fails.
    let busy = r#"{"error":{"message":"busy","type":"server_error","param":null,"code":null}}"#;
    openai.push(Script::status(503, busy));
    openrouter.push(Script::status(502, busy));
    let failed = post(&url, Some(TRACEPARENT_FAILED), &chat("gpt-4o-mini")).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY, "{}", failed.text());

    // 3 spans for the fallback call, 2 for the stream, 2 for the plain call, 3 for the failure.
    let spans = wait_for(&collector, &pipeline, 10).await;
    assert_eq!(spans.len(), 10, "{spans:#?}");
    assert!(spans.iter().all(|r| r.service == "bitrouter"));
    let mut traces: Vec<String> = spans.iter().map(|r| hex(&r.span.trace_id)).collect();
    traces.sort();
    traces.dedup();
    assert_eq!(traces.len(), 4, "one trace per request: {traces:?}");

    // The fallback call: the caller's trace, a SERVER span under the caller's span.
    let (trace, parent) = ids(TRACEPARENT);
    let in_trace: Vec<&Span> = spans
        .iter()
        .map(|r| &r.span)
        .filter(|s| hex(&s.trace_id) == trace)
        .collect();
    assert_eq!(in_trace.len(), 3, "{in_trace:#?}");
    let server: Vec<&&Span> = in_trace
        .iter()
        .filter(|s| s.kind == SpanKind::Server as i32)
        .collect();
    assert_eq!(server.len(), 1);
    let call = server[0];
    assert_eq!(hex(&call.parent_span_id), parent);
    assert_eq!(call.name, "chat gpt-4o-mini");
    assert_eq!(
        string(call, "gen_ai.operation.name").as_deref(),
        Some("chat")
    );
    assert_eq!(
        string(call, "gen_ai.request.model").as_deref(),
        Some("gpt-4o-mini")
    );
    assert_eq!(
        string(call, "gen_ai.provider.name").as_deref(),
        Some("openrouter")
    );
    assert_eq!(
        string(call, "gen_ai.response.model").as_deref(),
        Some("openai/gpt-4o-mini")
    );
    assert_eq!(
        int(call, "gen_ai.usage.input_tokens"),
        usage["prompt_tokens"].as_i64()
    );
    assert_eq!(
        int(call, "gen_ai.usage.output_tokens"),
        usage["completion_tokens"].as_i64()
    );
    assert!(int(call, "gen_ai.usage.output_tokens").unwrap() > 0);
    assert_eq!(int(call, "http.response.status_code"), Some(200));
    assert_eq!(int(call, "bitrouter.fallbacks"), Some(1));
    assert_eq!(
        string(call, "bitrouter.request_id").as_deref(),
        Some(request_id.as_str())
    );
    assert_eq!(string(call, "error.type"), None);
    // Content capture is on in this test: the prompt is on the span.
    assert!(
        string(call, "gen_ai.input.messages")
            .unwrap()
            .contains("hello there")
    );

    // One CLIENT span per upstream attempt, children of the call's span.
    let mut attempts: Vec<&&Span> = in_trace
        .iter()
        .filter(|s| s.kind == SpanKind::Client as i32)
        .collect();
    attempts.sort_by_key(|s| int(s, "bitrouter.attempt"));
    assert_eq!(attempts.len(), 2);
    for a in &attempts {
        assert_eq!(a.parent_span_id, call.span_id);
        assert_eq!(string(a, "gen_ai.operation.name").as_deref(), Some("chat"));
    }
    let (first, second) = (attempts[0], attempts[1]);
    assert_eq!(
        string(first, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        string(first, "gen_ai.request.model").as_deref(),
        Some("gpt-4o-mini")
    );
    assert_eq!(first.name, "chat gpt-4o-mini");
    assert_eq!(int(first, "http.response.status_code"), Some(500));
    assert_eq!(string(first, "error.type").as_deref(), Some("status"));
    assert_eq!(
        string(first, "bitrouter.outcome").as_deref(),
        Some("fallback")
    );
    assert_eq!(
        first.status.as_ref().map(|s| s.code),
        Some(Code::Error as i32)
    );
    assert_eq!(
        string(second, "gen_ai.provider.name").as_deref(),
        Some("openrouter")
    );
    assert_eq!(
        string(second, "gen_ai.request.model").as_deref(),
        Some("openai/gpt-4o-mini")
    );
    assert_eq!(
        string(second, "bitrouter.outcome").as_deref(),
        Some("success")
    );
    assert_eq!(string(second, "error.type"), None);
    assert!(first.end_time_unix_nano <= second.start_time_unix_nano);
    assert!(call.start_time_unix_nano <= first.start_time_unix_nano);
    assert!(second.end_time_unix_nano <= call.end_time_unix_nano);

    // The stream: its span carries the usage recorded when the stream ended.
    let (trace, parent) = ids(TRACEPARENT_STREAM);
    let in_trace: Vec<&Span> = spans
        .iter()
        .map(|r| &r.span)
        .filter(|s| hex(&s.trace_id) == trace)
        .collect();
    assert_eq!(in_trace.len(), 2, "{in_trace:#?}");
    let call = in_trace
        .iter()
        .find(|s| s.kind == SpanKind::Server as i32)
        .unwrap();
    let attempt = in_trace
        .iter()
        .find(|s| s.kind == SpanKind::Client as i32)
        .unwrap();
    assert_eq!(hex(&call.parent_span_id), parent);
    assert_eq!(attempt.parent_span_id, call.span_id);
    assert_eq!(
        attrs(call).get("bitrouter.streamed"),
        Some(&Value::BoolValue(true))
    );
    assert_eq!(
        string(call, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        int(call, "gen_ai.usage.input_tokens"),
        stream_usage["prompt_tokens"].as_i64()
    );
    assert_eq!(
        int(call, "gen_ai.usage.output_tokens"),
        stream_usage["completion_tokens"].as_i64()
    );
    assert!(int(call, "gen_ai.usage.output_tokens").unwrap() > 0);
    assert!(attempt.end_time_unix_nano <= call.end_time_unix_nano);

    // The call without traceparent roots a new trace.
    let roots: Vec<&Span> = spans
        .iter()
        .map(|r| &r.span)
        .filter(|s| s.kind == SpanKind::Server as i32 && s.parent_span_id.is_empty())
        .collect();
    assert_eq!(roots.len(), 1);
    let root_trace = hex(&roots[0].trace_id);
    assert_ne!(root_trace, ids(TRACEPARENT).0);
    assert_ne!(root_trace, ids(TRACEPARENT_STREAM).0);

    // The failure: the call span says why, each attempt says how it ended.
    let in_trace: Vec<&Span> = spans
        .iter()
        .map(|r| &r.span)
        .filter(|s| hex(&s.trace_id) == ids(TRACEPARENT_FAILED).0)
        .collect();
    assert_eq!(in_trace.len(), 3, "{in_trace:#?}");
    let call = in_trace
        .iter()
        .find(|s| s.kind == SpanKind::Server as i32)
        .unwrap();
    assert_eq!(
        string(call, "error.type").as_deref(),
        Some("all_targets_failed")
    );
    assert_eq!(int(call, "http.response.status_code"), Some(502));
    assert_eq!(
        call.status.as_ref().map(|s| s.code),
        Some(Code::Error as i32)
    );
    assert_eq!(string(call, "gen_ai.usage.input_tokens"), None);
    let mut outcomes: Vec<(Option<i64>, Option<String>, Option<i64>)> = in_trace
        .iter()
        .filter(|s| s.kind == SpanKind::Client as i32)
        .map(|s| {
            (
                int(s, "bitrouter.attempt"),
                string(s, "bitrouter.outcome"),
                int(s, "http.response.status_code"),
            )
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![
            (Some(1), Some("fallback".into()), Some(503)),
            (Some(2), Some("failed".into()), Some(502)),
        ]
    );

    gw.shutdown().await;
}
