//! [`InFlightLayer`]: counts HTTP requests in flight in a gauge, from arrival until the
//! response head is produced (streams are counted separately, until their last byte).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower::{Layer, Service};

use crate::metrics::Metrics;

/// Counts requests in flight.
#[derive(Debug, Clone)]
pub struct InFlightLayer {
    metrics: Arc<Metrics>,
}

impl InFlightLayer {
    /// Counts into `metrics`' `active_requests` gauge.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for InFlightLayer {
    type Service = InFlight<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InFlight {
            metrics: self.metrics.clone(),
            inner,
        }
    }
}

/// The service [`InFlightLayer`] makes.
#[derive(Debug, Clone)]
pub struct InFlight<S> {
    metrics: Arc<Metrics>,
    inner: S,
}

struct Count(Arc<Metrics>);

impl Drop for Count {
    fn drop(&mut self) {
        self.0.active_requests().dec();
    }
}

impl<S, R> Service<R> for InFlight<S>
where
    S: Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        self.metrics.active_requests().inc();
        let count = Count(self.metrics.clone());
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await;
            drop(count);
            res
        })
    }
}

#[cfg(test)]
mod tests {
    use tower::ServiceExt;
    use tower_test::mock;

    use super::*;

    #[tokio::test]
    async fn the_gauge_counts_while_a_request_is_in_flight() {
        let metrics = Arc::new(Metrics::new());
        let (inner, mut handle) = mock::pair::<(), ()>();
        let svc = InFlightLayer::new(metrics.clone()).layer(inner);
        let pending = tokio::spawn(svc.oneshot(()));
        let (_, respond) = handle.next_request().await.unwrap();
        assert_eq!(metrics.active_requests().get(), 1);
        respond.send_response(());
        pending.await.unwrap().unwrap();
        assert_eq!(metrics.active_requests().get(), 0);
    }
}
