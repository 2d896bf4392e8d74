//! [`GuardrailLayer`]: runs the configured guardrails on the request before routing, on a
//! complete answer, and attaches their stream guards to a streamed one.
//!
//! With no guardrails configured the layer adds nothing: the body stays in its wire form and
//! same-protocol calls pass through untouched.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bitrouter_core::{
    GuardContext, Guardrail, ProviderResponse, RequestBody, ResponseBody, Verdict,
};
use bitrouter_protocols::{RequestContext, decode_request, decode_response};
use tower::{Layer, Service};

use crate::call::{CallReply, ModelCall};
use crate::error::GatewayError;

/// Applies guardrails, in order.
#[derive(Clone, Default)]
pub struct GuardrailLayer {
    guardrails: Arc<[Arc<dyn Guardrail>]>,
}

impl std::fmt::Debug for GuardrailLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self
            .guardrails
            .iter()
            .map(|g| g.name().to_owned())
            .collect();
        f.debug_struct("GuardrailLayer")
            .field("guardrails", &names)
            .finish()
    }
}

impl GuardrailLayer {
    /// Applies these guardrails.
    pub fn new(guardrails: Vec<Arc<dyn Guardrail>>) -> Self {
        Self {
            guardrails: guardrails.into(),
        }
    }
}

impl<S> Layer<S> for GuardrailLayer {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Guarded {
            guardrails: self.guardrails.clone(),
            inner,
        }
    }
}

/// The service [`GuardrailLayer`] makes.
#[derive(Clone)]
pub struct Guarded<S> {
    guardrails: Arc<[Arc<dyn Guardrail>]>,
    inner: S,
}

impl<S> std::fmt::Debug for Guarded<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded").finish_non_exhaustive()
    }
}

impl<S> Service<ModelCall> for Guarded<S>
where
    S: Service<ModelCall, Response = CallReply, Error = GatewayError> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = CallReply;
    type Error = GatewayError;
    type Future = Pin<Box<dyn Future<Output = Result<CallReply, GatewayError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut call: ModelCall) -> Self::Future {
        if self.guardrails.is_empty() {
            return Box::pin(self.inner.call(call));
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guardrails = self.guardrails.clone();
        Box::pin(async move {
            let mut request = match &call.body {
                RequestBody::Canonical(c) => (**c).clone(),
                RequestBody::Wire(wire) => {
                    let cx = RequestContext {
                        path_model: call.path_model.as_deref(),
                        path_stream: call.stream,
                    };
                    decode_request(wire.protocol, &wire.bytes, &cx)
                        .map_err(|e| GatewayError::BadRequest { message: e.message })?
                }
            };
            let request_id = call.request_id.clone();
            let model = call.model.clone();
            let (key, user) = {
                let grant = call
                    .grant
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                (
                    grant.as_ref().map(|g| g.key_id.clone()),
                    grant.as_ref().map(|g| g.user_id.clone()),
                )
            };
            let cx = GuardContext {
                request_id: &request_id,
                model: &model,
                inbound: call.inbound,
                key: key.as_deref(),
                user: user.as_deref(),
            };
            let mut modified = false;
            for g in guardrails.iter() {
                match g.check_request(cx, &mut request).await {
                    Verdict::Allow => {}
                    Verdict::Modified => modified = true,
                    Verdict::Block { reason } => {
                        return Err(GatewayError::Blocked {
                            guardrail: g.name().to_owned(),
                            reason,
                        });
                    }
                }
            }
            if modified {
                call.body = RequestBody::Canonical(Box::new(request));
            }
            let mut reply = inner.call(call).await?;
            reply.response = match reply.response {
                ProviderResponse::Complete(body) => ProviderResponse::Complete(
                    check_answer(&guardrails, cx, body, &reply.target.provider).await?,
                ),
                stream @ ProviderResponse::Stream(_) => {
                    for g in guardrails.iter() {
                        if let Some(sg) = g.stream_guard(cx) {
                            reply.stream_guards.push(sg);
                        }
                    }
                    stream
                }
            };
            Ok(reply)
        })
    }
}

async fn check_answer(
    guardrails: &[Arc<dyn Guardrail>],
    cx: GuardContext<'_>,
    body: ResponseBody,
    provider: &Arc<str>,
) -> Result<ResponseBody, GatewayError> {
    let (mut answer, original) = match body {
        ResponseBody::Canonical(c) => (*c, None),
        ResponseBody::Wire(wire) => {
            let answer = decode_response(wire.protocol, &wire.bytes).map_err(|e| {
                GatewayError::Upstream {
                    provider: provider.clone(),
                    error: bitrouter_core::ProviderError::InvalidResponse { message: e.message },
                }
            })?;
            (answer, Some(wire))
        }
    };
    let mut modified = false;
    for g in guardrails {
        match g.check_response(cx, &mut answer).await {
            Verdict::Allow => {}
            Verdict::Modified => modified = true,
            Verdict::Block { reason } => {
                return Err(GatewayError::Blocked {
                    guardrail: g.name().to_owned(),
                    reason,
                });
            }
        }
    }
    Ok(match original {
        Some(wire) if !modified => ResponseBody::Wire(wire),
        _ => ResponseBody::Canonical(Box::new(answer)),
    })
}
