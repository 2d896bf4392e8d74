//! [`AuthLayer`]: virtual keys, first in the call segment. Without a [`KeyAuthority`] (no
//! database) every call passes; with one, a call needs a valid key once any key exists (or
//! always, with `auth.require_key`), may only call its key's models, and must fit its key's and
//! user's rate limits and budgets, counting calls in flight.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bitrouter_config::pricing::PriceTable;
use bitrouter_core::{RouteRequest, Router};
use bitrouter_limits::Estimate;
use bitrouter_router::{ASSUMED_OUTPUT_TOKENS, PolicyRouter};
use tower::{Layer, Service};

use crate::call::{CallReply, ModelCall};
use crate::error::GatewayError;
use crate::keys::KeyAuthority;

/// Checks the caller's key before anything else happens to the call.
#[derive(Clone, Default)]
pub struct AuthLayer {
    keys: Option<Arc<KeyAuthority>>,
    router: Option<Arc<dyn Router>>,
    prices: Arc<PriceTable>,
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("keys", &self.keys.is_some())
            .finish()
    }
}

impl AuthLayer {
    /// Lets every request through.
    pub fn pass_through() -> Self {
        Self::default()
    }

    /// Checks keys with `keys`; estimates a call's cost at the price of its first route
    /// target, for budget reservations.
    pub fn with_keys(
        keys: Arc<KeyAuthority>,
        router: Arc<dyn Router>,
        prices: Arc<PriceTable>,
    ) -> Self {
        Self {
            keys: Some(keys),
            router: Some(router),
            prices,
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            layer: self.clone(),
            inner,
        }
    }
}

/// The service [`AuthLayer`] makes.
#[derive(Clone)]
pub struct Auth<S> {
    layer: AuthLayer,
    inner: S,
}

impl<S> std::fmt::Debug for Auth<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl AuthLayer {
    /// Tokens (prompt estimate plus output limit) and cost at the first target's price.
    fn estimate(&self, call: &ModelCall) -> Estimate {
        let output = call
            .shape
            .max_output_tokens
            .unwrap_or(ASSUMED_OUTPUT_TOKENS);
        let tokens = call.shape.input_tokens + u64::from(output);
        let cost_usd = self
            .router
            .as_ref()
            .and_then(|r| {
                r.route(&RouteRequest {
                    model: &call.model,
                    inbound: call.inbound,
                    stream: call.stream,
                    headers: &call.headers,
                    shape: call.shape,
                })
                .ok()
            })
            .and_then(|plan| plan.steps.into_iter().next())
            .and_then(|s| self.prices.price(&s.target.provider, &s.target.model))
            .map_or(0.0, |p| PolicyRouter::estimate(&p, &call.shape));
        Estimate { tokens, cost_usd }
    }
}

impl<S> Service<ModelCall> for Auth<S>
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

    fn call(&mut self, call: ModelCall) -> Self::Future {
        let Some(keys) = self.layer.keys.clone() else {
            return Box::pin(self.inner.call(call));
        };
        let estimate = self.layer.estimate(&call);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let grant = keys
                .admit(call.credential.as_deref(), &call.model, estimate)
                .await?;
            if let Some(grant) = grant {
                *call
                    .grant
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(grant);
            }
            inner.call(call).await
        })
    }
}
