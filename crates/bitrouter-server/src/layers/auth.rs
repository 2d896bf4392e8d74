//! [`AuthLayer`]: where client credentials are checked. Today every request passes (the
//! proxy listens on loopback); virtual keys plug in here.

use std::task::{Context, Poll};

use tower::{Layer, Service};

use crate::call::ModelCall;

/// Checks the caller's credentials before anything else happens to the call.
#[derive(Debug, Clone, Default)]
pub struct AuthLayer {
    _private: (),
}

impl AuthLayer {
    /// Lets every request through.
    pub fn pass_through() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth { inner }
    }
}

/// The service [`AuthLayer`] makes.
#[derive(Debug, Clone)]
pub struct Auth<S> {
    inner: S,
}

impl<S: Service<ModelCall>> Service<ModelCall> for Auth<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: ModelCall) -> Self::Future {
        self.inner.call(call)
    }
}
