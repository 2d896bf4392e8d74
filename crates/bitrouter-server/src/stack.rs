//! Where the layers are put together, one function per segment.
//!
//! ```text
//! HTTP segment:  request id → tracing → body limit → Endpoints
//! call segment:  auth → guardrails → routing with fallback → dispatch → Provider
//! ```

use std::convert::Infallible;
use std::sync::Arc;

use bitrouter_telemetry::InFlightLayer;
use http::{HeaderName, Request, Response};
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::body::Body;
use crate::endpoints::{Endpoints, REQUEST_ID_HEADER};
use crate::gateway::{CallService, Gateway};
use crate::layers::auth::AuthLayer;
use crate::layers::body_limit::BodyLimitLayer;
use crate::layers::dispatch::Dispatch;
use crate::layers::guardrails::GuardrailLayer;
use crate::layers::routing::RoutingLayer;
use crate::live::LiveGateway;

/// The HTTP segment, type-erased, ready for hyper.
pub type HttpService =
    BoxCloneSyncService<Request<hyper::body::Incoming>, Response<Body>, Infallible>;

/// Mints `req_<32 hex>` ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeBitrouterRequestId;

impl MakeRequestId for MakeBitrouterRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = format!("req_{:032x}", rand::random::<u128>());
        http::HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The call segment.
pub(crate) fn call_segment(gw: &Gateway) -> CallService {
    let svc = ServiceBuilder::new()
        // Auth first: nothing is decoded or spent for a caller who may not call.
        .layer(match &gw.keys {
            Some(keys) => AuthLayer::with_keys(keys.clone(), gw.router.clone(), gw.prices.clone()),
            None => AuthLayer::pass_through(),
        })
        // Guardrails before routing, so a blocked request never reaches any upstream.
        .layer(GuardrailLayer::new(gw.all_guardrails()))
        // Routing walks the fallback chain; each attempt goes to the dispatcher.
        .layer(RoutingLayer::new(gw.router.clone(), gw.health.clone()))
        .service(Dispatch::new(gw.providers.clone(), &gw.info.instance_id));
    BoxCloneSyncService::new(svc)
}

/// The HTTP segment around the call segment.
pub fn http_service(live: Arc<LiveGateway>) -> HttpService {
    let header = HeaderName::from_static(REQUEST_ID_HEADER);
    let current = live.current();
    let body_limit = current.gateway.config.body_limit;
    let metrics = current.gateway.observers().metrics.clone();
    let endpoints = Endpoints::new(live);
    let svc = ServiceBuilder::new()
        // The id exists before anything logs, and goes back on every response.
        .layer(SetRequestIdLayer::new(
            header.clone(),
            MakeBitrouterRequestId,
        ))
        .layer(PropagateRequestIdLayer::new(header))
        .layer(TraceLayer::new_for_http())
        // In-flight counting covers everything after the id, errors included.
        .layer(InFlightLayer::new(metrics))
        // Oversized bodies are refused before they are read.
        .layer(BodyLimitLayer::new(body_limit))
        .service(endpoints);
    let svc = tower::ServiceExt::<Request<hyper::body::Incoming>>::map_response(
        svc,
        |res: Response<_>| res.map(http_body_util::BodyExt::boxed_unsync),
    );
    BoxCloneSyncService::new(svc)
}
