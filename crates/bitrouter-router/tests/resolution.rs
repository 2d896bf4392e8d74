use bitrouter_core::{Protocol, RouteError, RouteRequest, Router};
use bitrouter_router::{CatalogRouter, ProviderEntry, ProviderRole, Vendor};

fn entry(id: &str, protocol: Protocol, role: ProviderRole) -> ProviderEntry {
    ProviderEntry {
        id: id.into(),
        protocol,
        more_protocols: vec![],
        role,
    }
}

fn router(with_openai: bool) -> CatalogRouter {
    let mut providers = Vec::new();
    if with_openai {
        providers.push(entry(
            "openai",
            Protocol::OpenaiChat,
            ProviderRole::Vendor(Vendor::Openai),
        ));
    }
    providers.push(entry(
        "local",
        Protocol::OpenaiChat,
        ProviderRole::Listed(vec!["llama3.2:1b".into()]),
    ));
    providers.push(entry(
        "openrouter",
        Protocol::OpenaiChat,
        ProviderRole::Aggregator,
    ));
    CatalogRouter::new(providers).with_known_inactive(["anthropic".to_owned()])
}

fn chain(r: &CatalogRouter, model: &str) -> Result<Vec<String>, RouteError> {
    let headers = http::HeaderMap::new();
    let req = RouteRequest {
        model,
        inbound: Protocol::OpenaiChat,
        stream: false,
        headers: &headers,
        shape: Default::default(),
    };
    r.route(&req).map(|p| {
        p.steps
            .iter()
            .map(|s| format!("{}:{}", s.target.provider, s.target.model))
            .collect()
    })
}

#[test]
fn provider_prefix_routes_directly() {
    assert_eq!(
        chain(&router(true), "openai:gpt-4o-mini").unwrap(),
        ["openai:gpt-4o-mini"]
    );
    assert_eq!(
        chain(&router(true), "openrouter:meta-llama/llama-3.1-8b").unwrap(),
        ["openrouter:meta-llama/llama-3.1-8b"]
    );
}

#[test]
fn bare_name_prefers_the_vendor_then_the_aggregator() {
    assert_eq!(
        chain(&router(true), "gpt-4o-mini").unwrap(),
        ["openai:gpt-4o-mini", "openrouter:openai/gpt-4o-mini"]
    );
    assert_eq!(
        chain(&router(false), "gpt-4o-mini").unwrap(),
        ["openrouter:openai/gpt-4o-mini"]
    );
    assert_eq!(
        chain(&router(false), "claude-sonnet-4-5").unwrap(),
        ["openrouter:anthropic/claude-sonnet-4-5"]
    );
}

#[test]
fn a_colon_inside_a_model_name_is_not_a_provider() {
    assert_eq!(
        chain(&router(true), "llama3.2:1b").unwrap(),
        ["local:llama3.2:1b"]
    );
}

#[test]
fn inactive_provider_is_named_in_the_error() {
    let err = chain(&router(true), "anthropic:claude-haiku-4-5").unwrap_err();
    assert_eq!(
        err,
        RouteError::UnknownProvider {
            provider: "anthropic".into(),
            active: vec!["openai".into(), "local".into(), "openrouter".into()],
        }
    );
}

#[test]
fn unknown_models_list_active_providers() {
    let only_openai = CatalogRouter::new(vec![entry(
        "openai",
        Protocol::OpenaiChat,
        ProviderRole::Vendor(Vendor::Openai),
    )]);
    let err = chain(&only_openai, "mistral-large").unwrap_err();
    assert!(
        err.to_string().contains("active providers: openai"),
        "{err}"
    );
    assert_eq!(
        chain(&only_openai, "  ").unwrap_err(),
        RouteError::MissingModel
    );
    assert!(matches!(
        chain(&only_openai, "openai:").unwrap_err(),
        RouteError::UnknownModel { .. }
    ));
    let none = CatalogRouter::new(vec![]);
    assert!(
        chain(&none, "gpt-4o")
            .unwrap_err()
            .to_string()
            .contains("OPENAI_API_KEY")
    );
}

#[test]
fn a_client_reaches_a_second_protocol_of_the_same_upstream_untranslated() {
    let r = CatalogRouter::new(vec![ProviderEntry {
        id: "openai".into(),
        protocol: Protocol::OpenaiChat,
        more_protocols: vec![Protocol::OpenaiResponses],
        role: ProviderRole::Vendor(Vendor::Openai),
    }]);
    let headers = http::HeaderMap::new();
    let protocol_for = |inbound| {
        let req = RouteRequest {
            model: "gpt-4o",
            inbound,
            stream: false,
            headers: &headers,
            shape: Default::default(),
        };
        r.route(&req).unwrap().steps[0].target.protocol
    };
    assert_eq!(
        protocol_for(Protocol::OpenaiResponses),
        Protocol::OpenaiResponses
    );
    assert_eq!(protocol_for(Protocol::OpenaiChat), Protocol::OpenaiChat);
    assert_eq!(
        protocol_for(Protocol::AnthropicMessages),
        Protocol::OpenaiChat
    );
}
