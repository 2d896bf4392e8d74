//! `bitrouter route <model>`: how a model name resolves with the current environment.

use std::process::ExitCode;

use bitrouter_core::{Protocol, RouteRequest, Router};
use bitrouter_providers::from_env;
use bitrouter_server::catalog_router;

pub fn route(model: &str, json: bool) -> Result<ExitCode, String> {
    let settings = from_env(&|k| std::env::var(k).ok());
    let router = catalog_router(&settings);
    let headers = http::HeaderMap::new();
    let request = RouteRequest {
        model,
        inbound: Protocol::OpenaiChat,
        stream: false,
        headers: &headers,
        shape: Default::default(),
    };
    let plan = match router.route(&request) {
        Ok(plan) => plan,
        Err(e) if json => {
            println!(
                "{}",
                serde_json::json!({"requested": model, "error": e.to_string(), "active_providers": router.active_providers()})
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.to_string()),
    };
    let steps: Vec<serde_json::Value> = plan
        .steps
        .iter()
        .map(|step| {
            let s = settings.iter().find(|s| s.id == step.target.provider);
            serde_json::json!({
                "provider": step.target.provider,
                "model": step.target.model,
                "protocol": step.target.protocol,
                "api_base": s.map(|s| s.api_base.clone()),
                "credentials": s.map(|s| s.source.clone()),
                "reason": step.reason,
            })
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::json!({"requested": plan.requested, "steps": steps})
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", plan.requested);
    for (i, step) in steps.iter().enumerate() {
        let role = if i == 0 { "first" } else { "fallback" };
        println!(
            "  {}. [{role}] {}:{} via {} at {}\n     why: {}\n     credentials: {}",
            i + 1,
            step["provider"].as_str().unwrap_or_default(),
            step["model"].as_str().unwrap_or_default(),
            step["protocol"].as_str().unwrap_or_default(),
            step["api_base"].as_str().unwrap_or("?"),
            step["reason"].as_str().unwrap_or_default(),
            step["credentials"].as_str().unwrap_or("?"),
        );
    }
    Ok(ExitCode::SUCCESS)
}
