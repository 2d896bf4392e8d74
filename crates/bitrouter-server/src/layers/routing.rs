//! [`RoutingLayer`]: resolves the requested model to a chain of targets and walks it,
//! falling back to the next target when one fails with a retryable error.
//!
//! A stream falls back only until the upstream accepts it: once a provider returns
//! [`ProviderResponse::Stream`](bitrouter_core::ProviderResponse::Stream) its bytes go to the
//! client and the chain is over.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bitrouter_core::{ProviderError, ProviderResponse, RouteRequest, Router};
use tower::{Layer, Service, ServiceExt};

use crate::call::{CallReply, FailedAttempt, ModelCall, StreamGuards, TargetedCall};
use crate::error::GatewayError;

/// Adds routing with fallback in front of a dispatcher.
#[derive(Clone)]
pub struct RoutingLayer {
    router: Arc<dyn Router>,
}

impl std::fmt::Debug for RoutingLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutingLayer").finish_non_exhaustive()
    }
}

impl RoutingLayer {
    /// Routes with `router`.
    pub fn new(router: Arc<dyn Router>) -> Self {
        Self { router }
    }
}

impl<S> Layer<S> for RoutingLayer {
    type Service = Routing<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Routing {
            router: self.router.clone(),
            inner,
        }
    }
}

/// The service [`RoutingLayer`] makes: `ModelCall` in, the first successful target's reply out.
#[derive(Clone)]
pub struct Routing<S> {
    router: Arc<dyn Router>,
    inner: S,
}

impl<S> std::fmt::Debug for Routing<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routing").finish_non_exhaustive()
    }
}

impl<S> Service<ModelCall> for Routing<S>
where
    S: Service<TargetedCall, Response = ProviderResponse, Error = ProviderError>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
{
    type Response = CallReply;
    type Error = GatewayError;
    type Future = Pin<Box<dyn Future<Output = Result<CallReply, GatewayError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| GatewayError::Internal {
                message: format!("dispatcher not ready: {e}"),
            })
    }

    fn call(&mut self, call: ModelCall) -> Self::Future {
        // The readied inner service serves the first attempt; a fresh clone stays behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let router = self.router.clone();
        Box::pin(async move {
            let plan = router.route(&RouteRequest {
                model: &call.model,
                inbound: call.inbound,
                stream: call.stream,
                headers: &call.headers,
            })?;
            let mut failed: Vec<FailedAttempt> = Vec::new();
            let last = plan.steps.len().saturating_sub(1);
            for (i, step) in plan.steps.into_iter().enumerate() {
                let target = step.target;
                let attempt = TargetedCall {
                    call: call.clone(),
                    target: target.clone(),
                };
                let result = if i == 0 {
                    inner.call(attempt).await
                } else {
                    match inner.ready().await {
                        Ok(svc) => svc.call(attempt).await,
                        Err(e) => Err(e),
                    }
                };
                match result {
                    Ok(response) => {
                        return Ok(CallReply {
                            target,
                            response,
                            failed,
                            stream_guards: StreamGuards::default(),
                        });
                    }
                    Err(error) if error.is_retryable() && i < last => {
                        tracing::warn!(
                            request_id = %call.request_id,
                            provider = %target.provider,
                            model = %target.model,
                            error = %error,
                            "target failed, falling back to the next"
                        );
                        failed.push(FailedAttempt { target, error });
                    }
                    Err(error) if failed.is_empty() || !error.is_retryable() => {
                        return Err(GatewayError::Upstream {
                            provider: target.provider,
                            error,
                        });
                    }
                    Err(error) => {
                        failed.push(FailedAttempt { target, error });
                        return Err(GatewayError::AllFailed { attempts: failed });
                    }
                }
            }
            Err(GatewayError::Internal {
                message: "the router returned an empty chain".into(),
            })
        })
    }
}
