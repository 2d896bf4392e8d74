//! [`Endpoints`]: the HTTP-facing service that matches paths, reads and checks bodies, hands
//! model calls to the call segment, and answers health and listing requests itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bitrouter_core::{Protocol, RequestBody, RouteError, WireBody};
use bitrouter_protocols::{StreamOptions, peek_body};
use bitrouter_telemetry::CallSpan;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError};
use tower::ServiceExt;
use tracing::Instrument;

use crate::body::{Body, json};
use crate::call::ModelCall;
use crate::error::GatewayError;
use crate::gateway::{CallService, GatewayInfo};
use crate::layers::dispatch::HOP_HEADER;
use crate::live::{Active, LiveGateway};
use crate::relay::StreamOutcome;
use crate::reply::{self, COST_HEADER, ClientSide, OVERHEAD_HEADER};
use crate::report::{ReplyFacts, Report};
use crate::{count_tokens, explain, listing, status};

/// The header carrying BitRouter's request id.
pub const REQUEST_ID_HEADER: &str = "x-bitrouter-request-id";

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Health,
    /// `GET /v1/models`: OpenAI's list shape, or Anthropic's when `anthropic-version` is sent.
    Models,
    /// `GET /v1beta/models`: Google's list shape.
    GoogleModels,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
    /// `GET /bitrouter/route?model=…`: how a model resolves, with health and accounts.
    Route,
    /// `GET /metrics`: Prometheus text exposition.
    Metrics,
    /// `GET /bitrouter/status`: the live view `bitrouter status` and `top` print.
    Status,
    /// A model call.
    Model(Route),
    NotFound,
}

/// Where a model call came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub protocol: Protocol,
    /// The model named in the path (Google).
    pub path_model: Option<String>,
    /// The path asked for a stream (Google `:streamGenerateContent`).
    pub path_stream: bool,
    /// Google `:streamGenerateContent` without `alt=sse` streams a JSON array.
    pub json_array: bool,
}

impl Route {
    fn body(protocol: Protocol) -> Self {
        Self {
            protocol,
            path_model: None,
            path_stream: false,
            json_array: false,
        }
    }
}

/// `/v1/chat/completions` and `/chat/completions` are the same endpoint: clients set the
/// base URL with or without `/v1`.
fn strip_version(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    match path.strip_prefix("/v1") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    }
}

pub(crate) fn classify(path: &str, query: Option<&str>) -> Endpoint {
    if let Some(rest) = path.strip_prefix("/v1beta") {
        return google(rest, query);
    }
    match strip_version(path) {
        "/health" | "/healthz" => Endpoint::Health,
        "/bitrouter/route" => Endpoint::Route,
        "/bitrouter/status" => Endpoint::Status,
        "/metrics" => Endpoint::Metrics,
        "/models" => Endpoint::Models,
        "/chat/completions" => Endpoint::Model(Route::body(Protocol::OpenaiChat)),
        "/responses" => Endpoint::Model(Route::body(Protocol::OpenaiResponses)),
        "/messages" => Endpoint::Model(Route::body(Protocol::AnthropicMessages)),
        "/messages/count_tokens" => Endpoint::CountTokens,
        // Google clients may also use /v1/models/{model}:generateContent.
        other if other.starts_with("/models/") && other.contains(':') => google(other, query),
        _ => Endpoint::NotFound,
    }
}

/// `/models`, `/models/{model}:generateContent`, `/models/{model}:streamGenerateContent`.
fn google(rest: &str, query: Option<&str>) -> Endpoint {
    let rest = rest.trim_end_matches('/');
    if rest == "/models" {
        return Endpoint::GoogleModels;
    }
    let Some(call) = rest.strip_prefix("/models/") else {
        return Endpoint::NotFound;
    };
    // The method follows the last colon: a model may itself hold one (`openai:gpt-4o`).
    let Some((model, method)) = call.rsplit_once(':') else {
        return Endpoint::NotFound;
    };
    let model = percent_decode(model);
    let sse = query.is_some_and(|q| q.split('&').any(|kv| kv == "alt=sse"));
    let (path_stream, json_array) = match method {
        "generateContent" => (false, false),
        "streamGenerateContent" => (true, !sse),
        _ => return Endpoint::NotFound,
    };
    Endpoint::Model(Route {
        protocol: Protocol::GoogleGenerateContent,
        path_model: Some(model),
        path_stream,
        json_array,
    })
}

/// Decodes `%XX` escapes (a `:` in a model name may arrive as `%3A`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The protocol to answer errors in, judged from the path alone.
pub(crate) fn protocol_for_path(path: &str) -> Protocol {
    let p = strip_version(path);
    if p.starts_with("/messages") {
        Protocol::AnthropicMessages
    } else if p.starts_with("/responses") {
        Protocol::OpenaiResponses
    } else if path.starts_with("/v1beta") || (p.starts_with("/models/") && p.contains(':')) {
        Protocol::GoogleGenerateContent
    } else {
        Protocol::OpenaiChat
    }
}

/// Answers HTTP requests; model calls go to the call segment of the gateway in force.
#[derive(Clone)]
pub struct Endpoints {
    live: Arc<LiveGateway>,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints").finish_non_exhaustive()
    }
}

impl Endpoints {
    /// Endpoints over a (reloadable) gateway.
    pub fn new(live: Arc<LiveGateway>) -> Self {
        Self { live }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<B> tower::Service<Request<B>> for Endpoints
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let live = self.live.clone();
        Box::pin(async move {
            let active = live.current();
            let info = active.info().clone();
            let call = active.call.clone();
            let path = req.uri().path().to_owned();
            let endpoint = classify(&path, req.uri().query());
            let res = match (endpoint, req.method()) {
                (Endpoint::Health, &Method::GET) => json(StatusCode::OK, info.health_json(live.reloads())),
                (Endpoint::Route, &Method::GET) => explain::answer(&active.gateway, req.uri().query()),
                (Endpoint::Models, &Method::GET) if req.headers().contains_key("anthropic-version") => {
                    json(StatusCode::OK, listing::anthropic(&info.models))
                }
                (Endpoint::Models, &Method::GET) => json(StatusCode::OK, listing::openai(&info.models)),
                (Endpoint::GoogleModels, &Method::GET) => json(StatusCode::OK, listing::google(&info.models)),
                (Endpoint::CountTokens, &Method::POST) => count_tokens::answer(&info, req).await,
                (Endpoint::Model(route), &Method::POST) => {
                    model_call(&active, call, &info, route, req).await
                }
                (Endpoint::Metrics, &Method::GET) => metrics(&active),
                (Endpoint::Status, &Method::GET) => status::answer(&active.gateway, live.reloads()),
                (Endpoint::NotFound, _) => GatewayError::NotFound {
                    message: format!(
                        "no endpoint at `{path}`; BitRouter serves POST /v1/chat/completions, /v1/responses, \
                         /v1/messages, /v1beta/models/{{model}}:generateContent, GET /v1/models and GET /health"
                    ),
                }
                .into_response(protocol_for_path(&path)),
                (_, method) => {
                    let mut res = GatewayError::BadRequest {
                        message: format!("method {method} is not allowed on `{path}`"),
                    }
                    .into_response(protocol_for_path(&path));
                    *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                    res
                }
            };
            Ok(res)
        })
    }
}

async fn model_call<B>(
    active: &Active,
    call: CallService,
    info: &GatewayInfo,
    route: Route,
    req: Request<B>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let protocol = route.protocol;
    let json_array = route.json_array;
    let received = std::time::Instant::now();
    let mut report = Report {
        observers: active.gateway.observers().clone(),
        prices: active.gateway.prices.clone(),
        request_id: req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        requested_model: String::new(),
        inbound: protocol,
        received,
        streamed: false,
        grant: Default::default(),
    };
    // SERVER span of the call; continues the caller's trace when it sent a `traceparent`.
    let span = CallSpan::start(&report.request_id, req.headers());
    let model_call = match prepare(info, route, req).await {
        Ok(c) => c,
        Err(e) => {
            span.failed(e.status().as_u16(), e.label());
            report.failed(&e);
            return e.into_response(protocol);
        }
    };
    let sent = match &model_call.body {
        RequestBody::Wire(w) => Some(&w.bytes[..]),
        _ => None,
    };
    span.requested(&model_call.model, model_call.stream, sent);
    report.requested_model = model_call.model.clone();
    report.grant = model_call.grant.clone();
    report.streamed = model_call.stream;
    let options = StreamOptions {
        include_usage: model_call.include_usage,
    };
    let reply = match call
        .oneshot(model_call)
        .instrument(span.span().clone())
        .await
    {
        Ok(reply) => reply,
        Err(e) => {
            span.failed(e.status().as_u16(), e.label());
            report.failed(&e);
            return e.into_response(protocol);
        }
    };
    let facts = ReplyFacts::of(&reply, received);
    span.served(
        &facts.target.provider,
        &facts.target.model,
        facts.failed.len(),
    );
    let streamed = matches!(reply.response, bitrouter_core::ProviderResponse::Stream(_));
    let on_end = {
        let (report, facts, span) = (report.clone(), facts.clone(), span.clone());
        let guard = streamed.then(|| report.observers.metrics.stream_started());
        Box::new(move |end: StreamOutcome| {
            // The span stays open until here: a stream's usage is known only at its end.
            span.finished(200, end.usage.as_ref());
            if !end.completed {
                span.failed(200, "stream");
            }
            report.stream_ended(&facts, &end);
            drop(guard);
        })
    };
    let client = ClientSide {
        protocol,
        options,
        json_array,
        on_end,
    };
    match reply::render(reply, client) {
        Ok(rendered) => {
            let mut res = rendered.response;
            let overhead = received.elapsed().saturating_sub(facts.upstream_time);
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&format!("{:.3}", overhead.as_secs_f64() * 1000.0))
            {
                h.insert(HeaderName::from_static(OVERHEAD_HEADER), v);
            }
            if !streamed {
                if let Some(cost) = report.cost(&facts.target, rendered.usage.as_ref()) {
                    if let Ok(v) = HeaderValue::from_str(&format!("{cost:.8}")) {
                        h.insert(HeaderName::from_static(COST_HEADER), v);
                    }
                }
                span.finished(200, rendered.usage.as_ref());
                report.complete(&facts, rendered.usage);
            }
            res
        }
        Err(e) => {
            span.failed(e.status().as_u16(), e.label());
            report.failed(&e);
            e.into_response(protocol)
        }
    }
}

fn metrics(active: &Active) -> Response<Body> {
    let observers = active.gateway.observers();
    let metrics = &observers.metrics;
    if let Some(ledger) = &observers.ledger {
        metrics.ledger(ledger.queue_depth(), ledger.dropped());
    }
    let mut res = Response::new(crate::body::full(metrics.encode()));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    res
}

/// Reads the body within the limit, or the error to answer with.
pub(crate) async fn read_body<B>(info: &GatewayInfo, body: B) -> Result<Bytes, GatewayError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    match body.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => {
            let e: BoxError = e.into();
            if e.downcast_ref::<LengthLimitError>().is_some() {
                Err(GatewayError::PayloadTooLarge {
                    limit: info.body_limit,
                })
            } else {
                Err(GatewayError::BadRequest {
                    message: format!("could not read the request body: {e}"),
                })
            }
        }
    }
}

/// Reads and checks the body far enough to route the call.
async fn prepare<B>(
    info: &GatewayInfo,
    route: Route,
    req: Request<B>,
) -> Result<ModelCall, GatewayError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let received = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    if parts
        .headers
        .get(HOP_HEADER)
        .is_some_and(|v| v.as_bytes() == info.instance_id.as_bytes())
    {
        return Err(GatewayError::LoopDetected);
    }
    let bytes = read_body(info, body).await?;
    let peek = peek_body(&bytes).map_err(|e| GatewayError::BadRequest { message: e.message })?;
    let protocol = route.protocol;
    let (model, stream) = match route.path_model {
        Some(m) => (
            m.strip_prefix("models/").unwrap_or(&m).to_owned(),
            route.path_stream,
        ),
        None => (
            peek.model.clone().ok_or(RouteError::MissingModel)?,
            peek.stream,
        ),
    };
    if model.is_empty() {
        return Err(RouteError::MissingModel.into());
    }
    let include_usage = protocol == Protocol::OpenaiChat
        && peek.span("stream_options").is_some_and(|span| {
            serde_json::from_slice::<serde_json::Value>(&bytes[span])
                .is_ok_and(|v| v.get("include_usage") == Some(&serde_json::Value::Bool(true)))
        });
    let shape = crate::shape::of(&bytes, &peek);
    let credential = credential(&parts.headers, parts.uri.query());
    let request_id = parts
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .into();
    Ok(ModelCall {
        request_id,
        inbound: protocol,
        path_model: (protocol == Protocol::GoogleGenerateContent).then(|| model.clone()),
        model,
        stream,
        body: RequestBody::Wire(WireBody {
            protocol,
            bytes: bytes.clone(),
        }),
        include_usage,
        headers: parts.headers,
        shape,
        credential,
        grant: Default::default(),
        received,
    })
}

/// The credential a client sent, in any protocol's place for it.
fn credential(headers: &http::HeaderMap, query: Option<&str>) -> Option<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    header("authorization")
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
        })
        .or_else(|| header("x-api-key"))
        .or_else(|| header("x-goog-api-key"))
        .map(str::to_owned)
        .or_else(|| {
            query?
                .split('&')
                .find_map(|kv| kv.strip_prefix("key="))
                .map(str::to_owned)
        })
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(protocol: Protocol) -> Endpoint {
        Endpoint::Model(Route::body(protocol))
    }

    #[test]
    fn paths_with_and_without_v1() {
        assert_eq!(
            classify("/v1/chat/completions", None),
            model(Protocol::OpenaiChat)
        );
        assert_eq!(
            classify("/chat/completions", None),
            model(Protocol::OpenaiChat)
        );
        assert_eq!(
            classify("/chat/completions/", None),
            model(Protocol::OpenaiChat)
        );
        assert_eq!(
            classify("/v1/responses", None),
            model(Protocol::OpenaiResponses)
        );
        assert_eq!(
            classify("/v1/messages", None),
            model(Protocol::AnthropicMessages)
        );
        assert_eq!(
            classify("/messages", None),
            model(Protocol::AnthropicMessages)
        );
        assert_eq!(
            classify("/v1/messages/count_tokens", None),
            Endpoint::CountTokens
        );
        assert_eq!(classify("/v1/models", None), Endpoint::Models);
        assert_eq!(classify("/v1beta/models", None), Endpoint::GoogleModels);
        assert_eq!(classify("/health", None), Endpoint::Health);
        assert_eq!(classify("/bitrouter/status", None), Endpoint::Status);
        assert_eq!(classify("/v1x/models", None), Endpoint::NotFound);
        assert_eq!(
            protocol_for_path("/v1/messages"),
            Protocol::AnthropicMessages
        );
        assert_eq!(
            protocol_for_path("/v1beta/models/x:generateContent"),
            Protocol::GoogleGenerateContent
        );
    }

    #[test]
    fn google_paths() {
        let route = |path, query| match classify(path, query) {
            Endpoint::Model(r) => r,
            other => panic!("{path}: {other:?}"),
        };
        let r = route("/v1beta/models/gemini-2.5-flash:generateContent", None);
        assert_eq!(
            (r.path_model.as_deref(), r.path_stream, r.json_array),
            (Some("gemini-2.5-flash"), false, false)
        );
        let r = route(
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            Some("alt=sse"),
        );
        assert_eq!((r.path_stream, r.json_array), (true, false));
        let r = route(
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            Some("key=abc"),
        );
        assert_eq!((r.path_stream, r.json_array), (true, true));
        let r = route("/v1beta/models/openai%3Agpt-4o:generateContent", None);
        assert_eq!(r.path_model.as_deref(), Some("openai:gpt-4o"));
        let r = route("/v1beta/models/openai:gpt-4o:generateContent", None);
        assert_eq!(r.path_model.as_deref(), Some("openai:gpt-4o"));
        assert_eq!(
            classify("/v1beta/models/x:embedContent", None),
            Endpoint::NotFound
        );
    }
}
