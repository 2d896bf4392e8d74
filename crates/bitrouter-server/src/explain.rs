//! How a model name resolves, with what the running gateway knows of each target: price,
//! circuit state and latency, accounts resting. Served at `GET /bitrouter/route?model=…` and
//! computed locally by `bitrouter route` when no daemon runs.

use bitrouter_core::{CallShape, Protocol, RouteRequest};
use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::body::{Body, json as json_response};
use crate::gateway::Gateway;

/// The explanation of `model`'s route as JSON: `{requested, steps: [...]}` or
/// `{requested, error, active_providers}`.
pub fn explain_route(gateway: &Gateway, model: &str) -> Value {
    let headers = http::HeaderMap::new();
    let request = RouteRequest {
        model,
        inbound: Protocol::OpenaiChat,
        stream: false,
        headers: &headers,
        shape: CallShape::default(),
    };
    let router = gateway.router();
    let plan = match router.route(&request) {
        Ok(plan) => plan,
        Err(e) => {
            return json!({"requested": model, "error": e.to_string(), "active_providers": router.active_providers()});
        }
    };
    let steps: Vec<Value> = plan
        .steps
        .iter()
        .map(|step| {
            let t = &step.target;
            let http = gateway.http_providers().iter().find(|h| h.settings().id == t.provider);
            let price = gateway.prices().price(&t.provider, &t.model);
            json!({
                "provider": t.provider,
                "model": t.model,
                "protocol": t.protocol,
                "reason": step.reason,
                "api_base": http.map(|h| h.settings().api_base.clone()),
                "credentials": http.map(|h| h.settings().source.clone()),
                "accounts": http.map(|h| h.account_status()),
                "health": gateway.health().status(&t.provider),
                "price_per_million": price.map(|p| json!({"input": p.input, "cached_input": p.cached_input, "output": p.output})),
            })
        })
        .collect();
    json!({"requested": plan.requested, "steps": steps})
}

pub(crate) fn answer(gateway: &Gateway, query: Option<&str>) -> Response<Body> {
    let model = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("model="))
        .map(|m| {
            m.replace("%3A", ":")
                .replace("%3a", ":")
                .replace("%2F", "/")
                .replace("%2f", "/")
        })
        .unwrap_or_default();
    let value = explain_route(gateway, &model);
    let status = if value.get("error").is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    json_response(status, value.to_string())
}
