//! The `Router` trait: which upstream targets serve a requested model, in order.

use std::sync::Arc;

use http::HeaderMap;
use serde::Serialize;

use crate::error::RouteError;
use crate::protocol::Protocol;

/// One place a call can be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The provider's id (`openai`, `openrouter`, a configured name).
    pub provider: Arc<str>,
    /// The model name the upstream expects.
    pub model: String,
    /// The protocol to speak to it.
    pub protocol: Protocol,
}

/// One step of a route, with why it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteStep {
    /// Where to send the call.
    #[serde(flatten)]
    pub target: Target,
    /// Why this target is in the chain, for `bitrouter route` and logs.
    pub reason: String,
}

/// The ordered targets for a call: the first is tried first, the rest are fallbacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutePlan {
    /// The model name as requested.
    pub requested: String,
    /// The chain, never empty.
    pub steps: Vec<RouteStep>,
}

/// The shape of a call, judged cheaply from its body, for routing rules and cost estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CallShape {
    /// The request offers tools.
    pub has_tools: bool,
    /// The request carries images.
    pub has_images: bool,
    /// An estimate of the prompt's tokens (about four bytes of body a token).
    pub input_tokens: u64,
    /// The client's output limit, when it set one.
    pub max_output_tokens: Option<u32>,
}

/// What a router sees of a call.
#[derive(Debug, Clone, Copy)]
pub struct RouteRequest<'a> {
    /// The model name the client asked for.
    pub model: &'a str,
    /// The protocol the client speaks.
    pub inbound: Protocol,
    /// Whether the client asked for a stream.
    pub stream: bool,
    /// The client's headers (for rules on e.g. `x-bitrouter-task`).
    pub headers: &'a HeaderMap,
    /// The call's shape.
    pub shape: CallShape,
}

/// Turns a requested model into an ordered list of targets.
///
/// Routing is synchronous and should be cheap: it runs on every call.
///
/// ```
/// use std::sync::Arc;
/// use bitrouter_core::{Protocol, RoutePlan, RouteRequest, RouteStep, Router, RouteError, Target};
///
/// /// Sends every model to one OpenAI-compatible upstream.
/// struct Everything;
///
/// impl Router for Everything {
///     fn route(&self, req: &RouteRequest<'_>) -> Result<RoutePlan, RouteError> {
///         if req.model.is_empty() {
///             return Err(RouteError::MissingModel);
///         }
///         Ok(RoutePlan {
///             requested: req.model.to_owned(),
///             steps: vec![RouteStep {
///                 target: Target {
///                     provider: Arc::from("local"),
///                     model: req.model.to_owned(),
///                     protocol: Protocol::OpenaiChat,
///                 },
///                 reason: "the only upstream".into(),
///             }],
///         })
///     }
///
///     fn active_providers(&self) -> Vec<String> {
///         vec!["local".into()]
///     }
/// }
///
/// let headers = http::HeaderMap::new();
/// let plan = Everything
///     .route(&RouteRequest { model: "llama3", inbound: Protocol::OpenaiChat, stream: false, headers: &headers, shape: Default::default() })
///     .unwrap();
/// assert_eq!(plan.steps[0].target.provider.as_ref(), "local");
/// ```
pub trait Router: Send + Sync {
    /// The ordered targets for this call.
    fn route(&self, request: &RouteRequest<'_>) -> Result<RoutePlan, RouteError>;

    /// The ids of the providers this router can send to, for error messages and listings.
    fn active_providers(&self) -> Vec<String>;
}

impl<R: Router + ?Sized> Router for Arc<R> {
    fn route(&self, request: &RouteRequest<'_>) -> Result<RoutePlan, RouteError> {
        (**self).route(request)
    }

    fn active_providers(&self) -> Vec<String> {
        (**self).active_providers()
    }
}
