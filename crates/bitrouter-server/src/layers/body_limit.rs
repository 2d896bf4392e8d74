//! [`BodyLimitLayer`]: refuses bodies over the limit, early when `content-length` says so and
//! while reading otherwise, with a 413 in the client's protocol shape.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body_util::Limited;
use tower::{Layer, Service};

use crate::body::Body;
use crate::endpoints::protocol_for_path;
use crate::error::GatewayError;

/// Limits request bodies to `limit` bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimitLayer {
    limit: usize,
}

impl BodyLimitLayer {
    /// A limit of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyLimit {
            limit: self.limit,
            inner,
        }
    }
}

/// The service [`BodyLimitLayer`] makes.
#[derive(Debug, Clone)]
pub struct BodyLimit<S> {
    limit: usize,
    inner: S,
}

impl<S, B> Service<Request<B>> for BodyLimit<S>
where
    S: Service<Request<Limited<B>>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let declared = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.limit as u64) {
            let res = GatewayError::PayloadTooLarge { limit: self.limit }
                .into_response(protocol_for_path(req.uri().path()));
            return Box::pin(async move { Ok(res) });
        }
        let limit = self.limit;
        Box::pin(self.inner.call(req.map(|b| Limited::new(b, limit))))
    }
}
