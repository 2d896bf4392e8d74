//! Run with: cargo run -p bitrouter-examples --example embed_custom_provider
//!
//! Embeds BitRouter's call segment (auth → guardrails → routing with fallback → dispatch) in a
//! program of its own, with an in-process provider and BitRouter's catalog router, adds a tower
//! timeout around it, and sends one call through without any HTTP.
#![expect(clippy::print_stdout, reason = "an example prints what it did")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bitrouter_core::{
    ChatResponse, ContentPart, FinishReason, Protocol, Provider, ProviderError, ProviderRequest,
    ProviderResponse, RequestBody, ResponseBody, Usage, WireBody,
};
use bitrouter_router::{CatalogRouter, ProviderEntry, ProviderRole};
use bitrouter_server::{Gateway, ModelCall, ServerConfig};
use tower::{ServiceBuilder, ServiceExt};

/// A provider that answers in-process: think of a local model, or a test double.
struct Shouter;

#[async_trait]
impl Provider for Shouter {
    fn id(&self) -> &str {
        "shouter"
    }

    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        // Same protocol as the client: the body arrives as the client's bytes.
        let text = match &request.body {
            RequestBody::Wire(wire) => String::from_utf8_lossy(&wire.bytes).to_uppercase(),
            RequestBody::Canonical(c) => format!("{} MESSAGES", c.messages.len()),
        };
        Ok(ProviderResponse::Complete(ResponseBody::Canonical(
            Box::new(ChatResponse {
                id: format!("shout-{}", request.request_id),
                model: request.target.model,
                content: vec![ContentPart::Text { text }],
                finish_reason: FinishReason::Stop,
                usage: Usage {
                    input_tokens: 3,
                    output_tokens: 1,
                    ..Usage::default()
                },
                created: None,
            }),
        )))
    }
}

#[tokio::main]
async fn main() -> Result<(), tower::BoxError> {
    let router = CatalogRouter::new(vec![ProviderEntry {
        id: "shouter".into(),
        protocol: Protocol::OpenaiChat,
        more_protocols: Vec::new(),
        role: ProviderRole::Listed(vec!["loud-1".into()]),
    }]);
    let gateway = Gateway::new(
        ServerConfig::default(),
        Arc::new(router),
        vec![Arc::new(Shouter)],
        Vec::new(),
    );

    // BitRouter's call segment inside a stack of our own: a 5 s timeout on every call.
    let service = ServiceBuilder::new()
        .timeout(Duration::from_secs(5))
        .service(gateway.call_service());

    let body = br#"{"model":"loud-1","messages":[{"role":"user","content":"hi"}]}"#;
    let call = ModelCall {
        request_id: "example-1".into(),
        inbound: Protocol::OpenaiChat,
        model: "loud-1".into(),
        stream: false,
        body: RequestBody::Wire(WireBody {
            protocol: Protocol::OpenaiChat,
            bytes: bytes::Bytes::from_static(body),
        }),
        path_model: None,
        include_usage: false,
        headers: http::HeaderMap::new(),
        received: Instant::now(),
        shape: Default::default(),
        credential: None,
        grant: Default::default(),
    };
    let reply = service.oneshot(call).await?;
    println!("served by {}:{}", reply.target.provider, reply.target.model);
    if let ProviderResponse::Complete(ResponseBody::Canonical(answer)) = reply.response {
        println!("answer: {:?}", answer.content);
    }
    Ok(())
}
