//! The `Provider` trait: one call against one upstream target.

use std::sync::Arc;

use async_trait::async_trait;

use crate::call::{ProviderRequest, ProviderResponse};
use crate::error::ProviderError;

/// Performs one call against one upstream target, streaming or not.
///
/// A provider receives the body either in the client's wire format or canonical
/// ([`RequestBody`](crate::RequestBody)); when the wire format is the target's protocol it
/// should forward it untouched but for the model name and authentication. It answers with
/// wire bytes or canonical types, whichever is natural; the server translates for the client.
///
/// Fallback is not the provider's business: it returns errors whose
/// [`is_retryable`](ProviderError::is_retryable) tells the router layer what to do.
///
/// ```
/// use async_trait::async_trait;
/// use bitrouter_core::*;
///
/// /// Answers every call with "pong", canonically.
/// struct Pong;
///
/// #[async_trait]
/// impl Provider for Pong {
///     fn id(&self) -> &str {
///         "pong"
///     }
///
///     async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
///         let answer = ChatResponse {
///             id: format!("pong-{}", request.request_id),
///             model: request.target.model.clone(),
///             content: vec![ContentPart::Text { text: "pong".into() }],
///             finish_reason: FinishReason::Stop,
///             usage: Usage { input_tokens: 1, output_tokens: 1, ..Usage::default() },
///             created: None,
///         };
///         Ok(ProviderResponse::Complete(ResponseBody::Canonical(Box::new(answer))))
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let request = ProviderRequest {
///     request_id: "r1".into(),
///     target: Target { provider: "pong".into(), model: "p-1".into(), protocol: Protocol::OpenaiChat },
///     body: RequestBody::Canonical(Box::new(ChatRequest::default())),
///     stream: false,
///     headers: http::HeaderMap::new(),
/// };
/// match Pong.send(request).await.unwrap() {
///     ProviderResponse::Complete(ResponseBody::Canonical(r)) => assert_eq!(r.id, "pong-r1"),
///     other => panic!("unexpected {other:?}"),
/// }
/// # });
/// ```
#[async_trait]
pub trait Provider: Send + Sync {
    /// The provider's id, as routes name it.
    fn id(&self) -> &str;

    /// Sends the call and returns the answer, or the start of a stream when
    /// `request.stream` is set.
    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError>;
}

#[async_trait]
impl<P: Provider + ?Sized> Provider for Arc<P> {
    fn id(&self) -> &str {
        (**self).id()
    }

    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        (**self).send(request).await
    }
}
