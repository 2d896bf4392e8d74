//! Rules on the call's shape, virtual models and their strategies, and the cost cap.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "tests fail on unexpected input"
)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bitrouter_config::pricing::PriceTable;
use bitrouter_core::{CallShape, Protocol, RouteError, RouteRequest, Router};
use bitrouter_router::{
    BreakerSettings, CatalogRouter, HealthBook, PolicyRouter, ProviderEntry, ProviderRole, Vendor,
};

fn catalog() -> CatalogRouter {
    let e = |id: &str, role| ProviderEntry {
        id: id.into(),
        protocol: Protocol::OpenaiChat,
        more_protocols: vec![],
        role,
    };
    CatalogRouter::new(vec![
        e("openai", ProviderRole::Vendor(Vendor::Openai)),
        e("anthropic", ProviderRole::Vendor(Vendor::Anthropic)),
        e("local", ProviderRole::Listed(vec!["llama3.2".into()])),
    ])
    .with_known_inactive(["google".to_owned()])
}

fn router(yaml: &str, health: Option<HealthBook>) -> PolicyRouter {
    let file = bitrouter_config::parse(Path::new("bitrouter.yaml"), yaml, &|_| None).unwrap();
    let cfg = file.config;
    let prices = PriceTable::with_overrides(&cfg.pricing).unwrap();
    PolicyRouter::new(
        catalog(),
        cfg.models.iter().map(|(k, v)| (k.to_owned(), v.clone())),
        cfg.routing.rules.clone(),
        prices,
        health,
    )
}

fn chain_with(
    r: &PolicyRouter,
    model: &str,
    shape: CallShape,
    headers: &http::HeaderMap,
) -> Result<Vec<String>, RouteError> {
    let req = RouteRequest {
        model,
        inbound: Protocol::OpenaiChat,
        stream: false,
        headers,
        shape,
    };
    r.route(&req).map(|p| {
        p.steps
            .iter()
            .map(|s| format!("{}:{}", s.target.provider, s.target.model))
            .collect()
    })
}

fn chain(r: &PolicyRouter, model: &str) -> Vec<String> {
    chain_with(r, model, CallShape::default(), &http::HeaderMap::new()).unwrap()
}

const MODELS: &str = r#"
models:
  fast:
    route: [ "anthropic:claude-haiku-4-5", "openai:gpt-4o-mini" ]
  spread:
    route: [ "openai:gpt-4o-mini", "anthropic:claude-haiku-4-5", "local:llama3.2" ]
    strategy: round_robin
  thrifty:
    route: [ "openai:gpt-4o", "anthropic:claude-haiku-4-5", "openai:gpt-4o-mini" ]
    strategy: cheapest
  capped:
    route: [ "openai:gpt-4o", "openai:gpt-4o-mini" ]
    max_cost_usd: 0.001
  nested:
    route: [ "google:gemini-2.5-flash", "fast" ]
  quick:
    route: [ "openai:gpt-4o", "anthropic:claude-haiku-4-5" ]
    strategy: fastest
routing:
  rules:
    - match: { has_images: true }
      route_to: "openai:gpt-4o"
    - match: { header: { x-bitrouter-task: summarize } }
      route_to: fast
    - match: { model: "big-*", min_input_tokens: 1000 }
      route_to: "anthropic:claude-sonnet-4-5"
"#;

#[test]
fn a_virtual_model_falls_back_in_order_and_nests() {
    let r = router(MODELS, None);
    assert_eq!(
        chain(&r, "fast"),
        ["anthropic:claude-haiku-4-5", "openai:gpt-4o-mini"]
    );
    // google is not active: its entry is left out, the nested model still serves.
    assert_eq!(
        chain(&r, "nested"),
        ["anthropic:claude-haiku-4-5", "openai:gpt-4o-mini"]
    );
    assert_eq!(
        chain(&r, "gpt-4o"),
        ["openai:gpt-4o"],
        "names that are not virtual go to the catalog"
    );
}

#[test]
fn round_robin_rotates_the_first_target() {
    let r = router(MODELS, None);
    let firsts: Vec<String> = (0..6).map(|_| chain(&r, "spread")[0].clone()).collect();
    assert_eq!(
        firsts,
        [
            "openai:gpt-4o-mini",
            "anthropic:claude-haiku-4-5",
            "local:llama3.2",
            "openai:gpt-4o-mini",
            "anthropic:claude-haiku-4-5",
            "local:llama3.2"
        ]
    );
}

#[test]
fn cheapest_orders_by_estimated_cost() {
    let r = router(MODELS, None);
    let shape = CallShape {
        input_tokens: 2000,
        max_output_tokens: Some(500),
        ..CallShape::default()
    };
    // gpt-4o-mini ($0.15/$0.60) < claude-haiku-4-5 ($1/$5) < gpt-4o ($2.50/$10)
    assert_eq!(
        chain_with(&r, "thrifty", shape, &http::HeaderMap::new()).unwrap(),
        [
            "openai:gpt-4o-mini",
            "anthropic:claude-haiku-4-5",
            "openai:gpt-4o"
        ]
    );
}

#[test]
fn the_cost_cap_skips_expensive_targets_and_explains_when_none_fit() {
    let r = router(MODELS, None);
    let small = CallShape {
        input_tokens: 100,
        max_output_tokens: Some(100),
        ..CallShape::default()
    };
    // gpt-4o: 100*2.5e-6 + 100*1e-5 = $0.00125 > cap; gpt-4o-mini: $0.000075 fits.
    assert_eq!(
        chain_with(&r, "capped", small, &http::HeaderMap::new()).unwrap(),
        ["openai:gpt-4o-mini"]
    );
    let huge = CallShape {
        input_tokens: 100_000,
        max_output_tokens: Some(4000),
        ..CallShape::default()
    };
    let err = chain_with(&r, "capped", huge, &http::HeaderMap::new()).unwrap_err();
    assert!(matches!(err, RouteError::OverCostCap { .. }), "{err:?}");
    assert!(err.to_string().contains("max_cost_usd of $0.001"), "{err}");
}

#[test]
fn shape_rules_pick_the_model() {
    let r = router(MODELS, None);
    let none = http::HeaderMap::new();
    let images = CallShape {
        has_images: true,
        ..CallShape::default()
    };
    assert_eq!(
        chain_with(&r, "gpt-4o-mini", images, &none).unwrap(),
        ["openai:gpt-4o"]
    );
    let mut task = http::HeaderMap::new();
    task.insert("x-bitrouter-task", "summarize".parse().unwrap());
    assert_eq!(
        chain_with(&r, "gpt-4o-mini", CallShape::default(), &task).unwrap(),
        ["anthropic:claude-haiku-4-5", "openai:gpt-4o-mini"]
    );
    let long = CallShape {
        input_tokens: 5000,
        ..CallShape::default()
    };
    assert_eq!(
        chain_with(&r, "big-job", long, &none).unwrap(),
        ["anthropic:claude-sonnet-4-5"]
    );
    let short = CallShape {
        input_tokens: 10,
        ..CallShape::default()
    };
    assert!(
        chain_with(&r, "big-job", short, &none).is_err(),
        "the token condition must hold too"
    );
    let reasons = r
        .route(&RouteRequest {
            model: "gpt-4o-mini",
            inbound: Protocol::OpenaiChat,
            stream: false,
            headers: &none,
            shape: images,
        })
        .unwrap();
    assert!(
        reasons.steps[0]
            .reason
            .starts_with("routing rule #1 matched"),
        "{}",
        reasons.steps[0].reason
    );
}

#[test]
fn fastest_puts_the_lowest_latency_first() {
    let health = HealthBook::new(
        [Arc::from("openai"), Arc::from("anthropic")],
        BreakerSettings::default(),
    );
    health.record_success("openai", Duration::from_millis(300));
    health.record_success("anthropic", Duration::from_millis(40));
    let r = router(MODELS, Some(health));
    assert_eq!(
        chain(&r, "quick"),
        ["anthropic:claude-haiku-4-5", "openai:gpt-4o"]
    );
}
