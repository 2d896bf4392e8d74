//! [`Endpoints`]: the HTTP-facing service that matches paths, reads and checks bodies, hands
//! model calls to the call segment, and answers health and listing requests itself.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bitrouter_core::{Protocol, RequestBody, RouteError, WireBody};
use bitrouter_protocols::{StreamOptions, peek_body};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, LengthLimitError};
use tower::ServiceExt;

use crate::body::{Body, json};
use crate::call::ModelCall;
use crate::error::GatewayError;
use crate::gateway::{CallService, GatewayInfo};
use crate::layers::dispatch::HOP_HEADER;
use crate::relay::StreamOutcome;
use crate::reply::{self, ClientSide};

/// The header carrying BitRouter's request id.
pub const REQUEST_ID_HEADER: &str = "x-bitrouter-request-id";

/// What a path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Health,
    Models,
    Model(Protocol),
    NotFound,
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

pub(crate) fn classify(path: &str) -> Endpoint {
    match strip_version(path) {
        "/health" | "/healthz" => Endpoint::Health,
        "/models" => Endpoint::Models,
        "/chat/completions" => Endpoint::Model(Protocol::OpenaiChat),
        _ => Endpoint::NotFound,
    }
}

/// The protocol to answer errors in, judged from the path alone.
pub(crate) fn protocol_for_path(path: &str) -> Protocol {
    let p = strip_version(path);
    if p.starts_with("/messages") {
        Protocol::AnthropicMessages
    } else if p.starts_with("/responses") {
        Protocol::OpenaiResponses
    } else if path.starts_with("/v1beta") {
        Protocol::GoogleGenerateContent
    } else {
        Protocol::OpenaiChat
    }
}

/// Answers HTTP requests; model calls go to the call segment.
#[derive(Clone)]
pub struct Endpoints {
    call: CallService,
    info: Arc<GatewayInfo>,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints").finish_non_exhaustive()
    }
}

impl Endpoints {
    /// Endpoints over a call segment.
    pub fn new(call: CallService, info: Arc<GatewayInfo>) -> Self {
        Self { call, info }
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
        let call = self.call.clone();
        let info = self.info.clone();
        Box::pin(async move {
            let path = req.uri().path().to_owned();
            let res = match (classify(&path), req.method()) {
                (Endpoint::Health, &Method::GET) => json(StatusCode::OK, info.health_json()),
                (Endpoint::Models, &Method::GET) => json(StatusCode::OK, info.models_json()),
                (Endpoint::Model(protocol), &Method::POST) => model_call(call, &info, protocol, req).await,
                (Endpoint::NotFound, _) => GatewayError::NotFound {
                    message: format!(
                        "no endpoint at `{path}`; BitRouter serves POST /v1/chat/completions, GET /v1/models and GET /health"
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
    call: CallService,
    info: &GatewayInfo,
    protocol: Protocol,
    req: Request<B>,
) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    match prepare(info, protocol, req).await {
        Ok(model_call) => {
            let request_id = model_call.request_id.clone();
            let model = model_call.model.clone();
            let received = model_call.received;
            let options = StreamOptions {
                include_usage: model_call.include_usage,
            };
            match call.oneshot(model_call).await {
                Ok(reply) => {
                    let provider = reply.target.provider.clone();
                    let upstream_model = reply.target.model.clone();
                    let log_id = request_id.clone();
                    let on_end = Box::new(move |outcome: StreamOutcome| {
                        tracing::info!(
                            request_id = %log_id,
                            provider = %provider,
                            model = %upstream_model,
                            completed = outcome.completed,
                            input_tokens = outcome.usage.map(|u| u.input_tokens),
                            output_tokens = outcome.usage.map(|u| u.output_tokens),
                            error = outcome.error.as_deref(),
                            elapsed_ms = received.elapsed().as_millis() as u64,
                            "stream ended"
                        );
                    });
                    let client = ClientSide {
                        protocol,
                        options,
                        on_end,
                    };
                    reply::render(reply, client).unwrap_or_else(|e| e.into_response(protocol))
                }
                Err(e) => {
                    tracing::info!(request_id = %request_id, model = %model, error = %e, kind = e.label(), "call failed");
                    e.into_response(protocol)
                }
            }
        }
        Err(e) => e.into_response(protocol),
    }
}

/// Reads and checks the body far enough to route the call.
async fn prepare<B>(
    info: &GatewayInfo,
    protocol: Protocol,
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
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            let e: BoxError = e.into();
            if e.downcast_ref::<LengthLimitError>().is_some() {
                return Err(GatewayError::PayloadTooLarge {
                    limit: info.body_limit,
                });
            }
            return Err(GatewayError::BadRequest {
                message: format!("could not read the request body: {e}"),
            });
        }
    };
    let peek = peek_body(&bytes).map_err(|e| GatewayError::BadRequest { message: e.message })?;
    let model = peek.model.clone().ok_or(RouteError::MissingModel)?;
    let include_usage = peek.span("stream_options").is_some_and(|span| {
        serde_json::from_slice::<serde_json::Value>(&bytes[span])
            .is_ok_and(|v| v.get("include_usage") == Some(&serde_json::Value::Bool(true)))
    });
    let request_id = parts
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .into();
    Ok(ModelCall {
        request_id,
        inbound: protocol,
        model,
        stream: peek.stream,
        body: RequestBody::Wire(WireBody { protocol, bytes }),
        path_model: None,
        include_usage,
        headers: parts.headers,
        received,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_and_without_v1() {
        assert_eq!(
            classify("/v1/chat/completions"),
            Endpoint::Model(Protocol::OpenaiChat)
        );
        assert_eq!(
            classify("/chat/completions"),
            Endpoint::Model(Protocol::OpenaiChat)
        );
        assert_eq!(
            classify("/chat/completions/"),
            Endpoint::Model(Protocol::OpenaiChat)
        );
        assert_eq!(classify("/v1/models"), Endpoint::Models);
        assert_eq!(classify("/health"), Endpoint::Health);
        assert_eq!(classify("/v1x/models"), Endpoint::NotFound);
        assert_eq!(
            protocol_for_path("/v1/messages"),
            Protocol::AnthropicMessages
        );
        assert_eq!(
            protocol_for_path("/v1beta/models/x:generateContent"),
            Protocol::GoogleGenerateContent
        );
    }
}
