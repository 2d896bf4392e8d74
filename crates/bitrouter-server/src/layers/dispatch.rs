//! [`Dispatch`]: the innermost service, which hands a targeted call to its provider.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bitrouter_core::{
    Protocol, Provider, ProviderError, ProviderRequest, ProviderResponse, RequestBody,
};
use bitrouter_protocols::RequestContext;
use http::{HeaderMap, HeaderName, HeaderValue};
use tower::Service;

use crate::call::TargetedCall;

/// The header BitRouter adds to every upstream request, carrying its instance id, so that a
/// request arriving back at the same instance is recognised as a loop.
pub const HOP_HEADER: &str = "x-bitrouter-hop";

/// Client headers that reach an upstream speaking `protocol`; everything else (auth,
/// hop-by-hop, cookies, the client's own user agent) stays with BitRouter.
fn forwarded(protocol: Protocol) -> &'static [&'static str] {
    match protocol {
        Protocol::AnthropicMessages => &["anthropic-beta", "anthropic-version"],
        Protocol::OpenaiChat | Protocol::OpenaiResponses => {
            &["openai-beta", "http-referer", "x-title"]
        }
        Protocol::GoogleGenerateContent => &[],
    }
}

/// Providers by id.
pub type ProviderMap = HashMap<Arc<str>, Arc<dyn Provider>>;

/// Sends each targeted call to its provider.
#[derive(Clone)]
pub struct Dispatch {
    providers: Arc<ProviderMap>,
    hop: HeaderValue,
}

impl std::fmt::Debug for Dispatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<_> = self.providers.keys().collect();
        ids.sort();
        f.debug_struct("Dispatch").field("providers", &ids).finish()
    }
}

impl Dispatch {
    /// A dispatcher over these providers, marking upstream requests with `instance_id`.
    pub fn new(providers: Arc<ProviderMap>, instance_id: &str) -> Self {
        Self {
            providers,
            hop: HeaderValue::from_str(instance_id)
                .unwrap_or(HeaderValue::from_static("bitrouter")),
        }
    }
}

impl Service<TargetedCall> for Dispatch {
    type Response = ProviderResponse;
    type Error = ProviderError;
    type Future = Pin<Box<dyn Future<Output = Result<ProviderResponse, ProviderError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: TargetedCall) -> Self::Future {
        let provider = self.providers.get(&req.target.provider).cloned();
        let hop = self.hop.clone();
        Box::pin(async move {
            let Some(provider) = provider else {
                return Err(ProviderError::Config {
                    message: format!("no provider `{}` is registered", req.target.provider),
                });
            };
            let TargetedCall { call, target } = req;
            let mut headers = HeaderMap::new();
            for name in forwarded(target.protocol) {
                for v in call.headers.get_all(*name) {
                    headers.append(HeaderName::from_static(name), v.clone());
                }
            }
            headers.insert(HeaderName::from_static(HOP_HEADER), hop);
            let body = match call.body {
                // A body in another protocol is decoded here, where the URL's context is known.
                RequestBody::Wire(wire) if wire.protocol != target.protocol => {
                    let cx = RequestContext {
                        path_model: call.path_model.as_deref(),
                        path_stream: call.stream,
                    };
                    let canonical =
                        bitrouter_protocols::decode_request(wire.protocol, &wire.bytes, &cx)
                            .map_err(|e| ProviderError::Unsupported { message: e.message })?;
                    RequestBody::Canonical(Box::new(canonical))
                }
                other => other,
            };
            provider
                .send(ProviderRequest {
                    request_id: call.request_id.to_string(),
                    target,
                    body,
                    stream: call.stream,
                    headers,
                })
                .await
        })
    }
}
