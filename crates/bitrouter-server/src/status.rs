//! `GET /bitrouter/status`: a live view of the running gateway — identity and uptime, the
//! last minute's calls, today's spend, what is in flight, and each provider's health.
//! `bitrouter status` and `bitrouter top` print it.

use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::body::{Body, json as json_response};
use crate::gateway::Gateway;

/// The status of `gateway` as JSON; `reloads` is the count of configuration reloads.
///
/// ```json
/// {"status": "ok", "version": "0.1.0", "pid": 4242, "uptime_seconds": 3600,
///  "listen": "127.0.0.1:4356", "reloads": 0,
///  "requests_per_minute": 12, "errors_per_minute": 1, "error_rate": 0.083,
///  "tokens_per_minute": 3400, "spend_last_minute_usd": 0.004, "spend_today_usd": 1.25,
///  "active_requests": 0, "active_streams": 2,
///  "providers": [{"id": "openai", "circuit": "closed", "open_for_secs": null,
///                 "consecutive_failures": 0, "latency_ms": 312.5,
///                 "accounts": [{"name": "default", "cooling_down_secs": null}],
///                 "accounts_resting": 0}]}
/// ```
pub fn status_json(gateway: &Gateway, reloads: u64) -> Value {
    let info = gateway.info();
    let observers = gateway.observers();
    let mut value = json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "pid": std::process::id(),
        "uptime_seconds": info.started.elapsed().as_secs(),
        "listen": info.listen.get().map(ToString::to_string),
        "reloads": reloads,
    });
    if let (Value::Object(map), Ok(Value::Object(totals))) =
        (&mut value, serde_json::to_value(observers.recent.totals()))
    {
        map.extend(totals);
        // The status request itself is in flight while it is answered: leave it out.
        let requests = observers.metrics.active_requests().get().saturating_sub(1);
        map.insert("active_requests".into(), json!(requests.max(0)));
        if let Some(streams) = gauge(&observers.metrics.encode(), "bitrouter_active_streams") {
            map.insert("active_streams".into(), json!(streams));
        }
        map.insert("providers".into(), providers(gateway));
    }
    value
}

/// Each active provider's circuit, latency and accounts.
fn providers(gateway: &Gateway) -> Value {
    let ids = &gateway.info().providers;
    let list: Vec<Value> = ids
        .iter()
        .map(|id| {
            let health = gateway.health().status(id);
            let accounts = gateway
                .http_providers()
                .iter()
                .find(|h| &*h.settings().id == id.as_str())
                .map(|h| h.account_status());
            let resting = accounts
                .as_ref()
                .map(|a| a.iter().filter(|s| s.cooling_down_secs.is_some()).count());
            json!({
                "id": id,
                "circuit": health.circuit,
                "open_for_secs": health.open_for_secs,
                "consecutive_failures": health.consecutive_failures,
                "latency_ms": health.latency_ms,
                "accounts": accounts,
                "accounts_resting": resting,
            })
        })
        .collect();
    Value::Array(list)
}

/// A gauge's value from the text exposition: the one metric the status reads that has no
/// accessor of its own. Read once per status request, never on the call path.
fn gauge(text: &str, name: &str) -> Option<i64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

pub(crate) fn answer(gateway: &Gateway, reloads: u64) -> Response<Body> {
    json_response(StatusCode::OK, status_json(gateway, reloads).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_gauge_and_not_its_longer_namesakes() {
        let text = "# TYPE bitrouter_active_streams gauge\n\
                    bitrouter_active_streams_extra 9\n\
                    bitrouter_active_streams 3\n";
        assert_eq!(gauge(text, "bitrouter_active_streams"), Some(3));
        assert_eq!(gauge(text, "bitrouter_missing"), None);
    }
}
