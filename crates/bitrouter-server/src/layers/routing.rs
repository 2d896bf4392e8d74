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
use bitrouter_router::{Admission, HealthBook};
use bitrouter_telemetry::AttemptSpan;
use tower::{Layer, Service, ServiceExt};

use crate::call::{CallReply, FailedAttempt, ModelCall, StreamGuards, TargetedCall};
use crate::error::GatewayError;

/// Adds routing with fallback in front of a dispatcher.
///
/// Providers whose circuit is open ([`HealthBook`]) are skipped, unless every target of the
/// chain is: then the first is tried anyway, since refusing outright helps nobody.
#[derive(Clone)]
pub struct RoutingLayer {
    router: Arc<dyn Router>,
    health: HealthBook,
}

impl std::fmt::Debug for RoutingLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutingLayer").finish_non_exhaustive()
    }
}

impl RoutingLayer {
    /// Routes with `router`, keeping provider health in `health`.
    pub fn new(router: Arc<dyn Router>, health: HealthBook) -> Self {
        Self { router, health }
    }
}

impl<S> Layer<S> for RoutingLayer {
    type Service = Routing<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Routing {
            router: self.router.clone(),
            health: self.health.clone(),
            inner,
        }
    }
}

/// The service [`RoutingLayer`] makes: `ModelCall` in, the first successful target's reply out.
#[derive(Clone)]
pub struct Routing<S> {
    router: Arc<dyn Router>,
    health: HealthBook,
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
        let health = self.health.clone();
        Box::pin(async move {
            let plan = router.route(&RouteRequest {
                model: &call.model,
                inbound: call.inbound,
                stream: call.stream,
                headers: &call.headers,
                shape: call.shape,
            })?;
            let mut steps: Vec<_> = plan.steps.into_iter().map(|s| s.target).collect();
            let mut failed: Vec<FailedAttempt> = Vec::new();
            let admissions: Vec<Admission> =
                steps.iter().map(|t| health.admit(&t.provider)).collect();
            if admissions.iter().all(|a| matches!(a, Admission::Open(_))) {
                // Every circuit is open: try the first target rather than refuse the call.
                steps.truncate(1);
            } else {
                let mut kept = Vec::with_capacity(steps.len());
                for (target, admission) in steps.into_iter().zip(admissions) {
                    match admission {
                        Admission::Open(left) => failed.push(FailedAttempt {
                            error: ProviderError::Unavailable {
                                message: format!(
                                    "provider `{}` failed repeatedly; its circuit is open for {} s more",
                                    target.provider,
                                    left.as_secs() + 1
                                ),
                            },
                            target,
                        }),
                        Admission::Closed | Admission::Probe => kept.push(target),
                    }
                }
                steps = kept;
            }
            let mut first = true;
            let mut upstream_time = std::time::Duration::ZERO;
            let last = steps.len().saturating_sub(1);
            for (i, target) in steps.into_iter().enumerate() {
                let attempt = TargetedCall {
                    call: call.clone(),
                    target: target.clone(),
                };
                let started = std::time::Instant::now();
                // A child of the call's span, which the call's future runs in.
                let span = AttemptSpan::start(&target.provider, &target.model, i + 1);
                let result = if first {
                    first = false;
                    inner.call(attempt).await
                } else {
                    match inner.ready().await {
                        Ok(svc) => svc.call(attempt).await,
                        Err(e) => Err(e),
                    }
                };
                upstream_time += started.elapsed();
                let falls_back = matches!(&result, Err(e) if e.is_retryable() && i < last);
                span.ended(result.as_ref().map(|_| ()), falls_back);
                match &result {
                    Err(e) if e.is_retryable() => health.record_failure(&target.provider),
                    // Any answer, even a refusal of the request, shows the provider is up.
                    _ => health.record_success(&target.provider, started.elapsed()),
                }
                match result {
                    Ok(response) => {
                        return Ok(CallReply {
                            target,
                            response,
                            failed,
                            stream_guards: StreamGuards::default(),
                            upstream_time,
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use bitrouter_core::{
        Protocol, ProviderResponse, RequestBody, ResponseBody, RouteError, RoutePlan, RouteStep,
        Target, WireBody,
    };
    use bytes::Bytes;
    use http::StatusCode;
    use tower::ServiceExt;
    use tower_test::mock;

    use super::*;

    /// Routes every model to `a` then `b`.
    struct TwoTargets;

    impl Router for TwoTargets {
        fn route(&self, req: &RouteRequest<'_>) -> Result<RoutePlan, RouteError> {
            let step = |p: &str| RouteStep {
                target: Target {
                    provider: p.into(),
                    model: req.model.to_owned(),
                    protocol: Protocol::OpenaiChat,
                },
                reason: String::new(),
            };
            Ok(RoutePlan {
                requested: req.model.to_owned(),
                steps: vec![step("a"), step("b")],
            })
        }

        fn active_providers(&self) -> Vec<String> {
            vec!["a".into(), "b".into()]
        }
    }

    fn call() -> ModelCall {
        let bytes = Bytes::from_static(br#"{"model":"m","messages":[]}"#);
        ModelCall {
            request_id: "r".into(),
            inbound: Protocol::OpenaiChat,
            model: "m".into(),
            stream: false,
            body: RequestBody::Wire(WireBody {
                protocol: Protocol::OpenaiChat,
                bytes,
            }),
            path_model: None,
            include_usage: false,
            headers: http::HeaderMap::new(),
            received: Instant::now(),
            shape: Default::default(),
            credential: None,
            grant: Default::default(),
        }
    }

    fn ok() -> ProviderResponse {
        ProviderResponse::Complete(ResponseBody::Wire(WireBody {
            protocol: Protocol::OpenaiChat,
            bytes: Bytes::from_static(b"{}"),
        }))
    }

    fn status(code: u16) -> ProviderError {
        ProviderError::Status {
            status: StatusCode::from_u16(code).unwrap(),
            body: Bytes::new(),
            protocol: Protocol::OpenaiChat,
            retry_after: None,
        }
    }

    type Handle = mock::Handle<TargetedCall, ProviderResponse>;

    /// A mock dispatcher whose errors are the provider errors the test sends.
    fn routed() -> (
        Routing<
            impl Service<TargetedCall, Response = ProviderResponse, Error = ProviderError, Future: Send>
            + Clone
            + Send
            + 'static,
        >,
        Handle,
    ) {
        let (inner, handle) = mock::pair::<TargetedCall, ProviderResponse>();
        let inner = inner.map_err(|e: Box<dyn std::error::Error + Send + Sync>| match e
            .downcast::<ProviderError>()
        {
            Ok(e) => *e,
            Err(other) => ProviderError::Connect {
                message: other.to_string(),
            },
        });
        let health = HealthBook::new([Arc::from("a"), Arc::from("b")], Default::default());
        (
            RoutingLayer::new(Arc::new(TwoTargets), health).layer(inner),
            handle,
        )
    }

    #[tokio::test]
    async fn falls_back_in_order_on_a_retryable_error() {
        let (svc, mut handle) = routed();
        let pending = tokio::spawn(svc.oneshot(call()));
        let (first, respond) = handle.next_request().await.unwrap();
        assert_eq!(first.target.provider.as_ref(), "a");
        respond.send_error(status(503));
        let (second, respond) = handle.next_request().await.unwrap();
        assert_eq!(second.target.provider.as_ref(), "b");
        respond.send_response(ok());
        let reply = pending.await.unwrap().unwrap();
        assert_eq!(reply.target.provider.as_ref(), "b");
        assert_eq!(reply.failed.len(), 1);
    }

    #[tokio::test]
    async fn a_final_error_stops_the_chain() {
        let (svc, mut handle) = routed();
        let pending = tokio::spawn(svc.oneshot(call()));
        let (_, respond) = handle.next_request().await.unwrap();
        respond.send_error(status(400));
        let err = pending.await.unwrap().unwrap_err();
        assert!(
            matches!(err, GatewayError::Upstream { ref provider, .. } if provider.as_ref() == "a"),
            "{err:?}"
        );
        assert!(handle.next_request().await.is_none(), "no second attempt");
    }

    #[tokio::test]
    async fn readiness_comes_from_the_dispatcher() {
        let (mut svc, mut handle) = routed();
        let mut cx = Context::from_waker(futures::task::noop_waker_ref());
        handle.allow(0);
        assert!(
            svc.poll_ready(&mut cx).is_pending(),
            "backpressure propagates"
        );
        handle.allow(1);
        assert!(svc.poll_ready(&mut cx).is_ready());
    }
}
