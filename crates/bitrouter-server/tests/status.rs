//! `GET /bitrouter/status` after successful and failed calls, and the Grafana dashboard in
//! `examples/` naming only metrics that `/metrics` serves.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up fails the test on unexpected input"
)]

mod common;

use bitrouter_test_support::{DEFAULT_API_KEY, FakeUpstream, Script};
use common::*;
use http::StatusCode;
use serde_json::{Value, json};

fn down() -> Script {
    Script::status(
        503,
        r#"{"error":{"message":"down","type":"server_error","param":null,"code":null}}"#,
    )
}

/// The sum of every sample of a counter family in a scrape.
fn family_sum(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn status_counts_the_last_minute_and_shows_an_open_circuit() {
    let openai = FakeUpstream::start().await.unwrap();
    let openrouter = FakeUpstream::start().await.unwrap();
    let (a, b) = (openai.base_url(), openrouter.base_url());
    let gw = gateway_with(
        &[
            ("OPENAI_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENAI_API_BASE", &a),
            ("OPENROUTER_API_KEY", DEFAULT_API_KEY),
            ("BITROUTER_OPENROUTER_API_BASE", &b),
        ],
        |c| {
            c.breaker.failures = 2;
            c.breaker.cooldown = std::time::Duration::from_secs(60);
        },
        Vec::new(),
    )
    .await;
    let url = gw.url("/v1/chat/completions");

    // Nothing yet.
    let before = get(&gw.url("/bitrouter/status")).await.json();
    assert_eq!(before["requests_per_minute"], 0);
    assert_eq!(before["error_rate"], 0.0);
    assert_eq!(before["spend_today_usd"], 0.0);

    // Two priced successes.
    let mut header_costs = 0.0;
    for _ in 0..2 {
        let reply = post_json(&url, &chat("gpt-4o-mini")).await;
        assert_eq!(reply.status, StatusCode::OK);
        header_costs += reply
            .header("x-bitrouter-cost-usd")
            .unwrap()
            .parse::<f64>()
            .unwrap();
    }
    // A rejection: the body names no model.
    let reply = post_json(
        &url,
        &json!({"messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // Every target fails: openai's first failure.
    openai.set_default(down());
    openrouter.push(down());
    let reply = post_json(&url, &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    // openai's second failure opens its circuit; the aggregator serves.
    let reply = post_json(&url, &chat("gpt-4o-mini")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-bitrouter-provider"), Some("openrouter"));

    let res = get(&gw.url("/bitrouter/status")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let s = res.json();
    assert_eq!(s["status"], "ok");
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s["pid"], std::process::id());
    assert_eq!(s["listen"], gw.addr.to_string());
    assert_eq!(s["reloads"], 0);
    assert_eq!(s["requests_per_minute"], 5);
    assert_eq!(s["errors_per_minute"], 2);
    assert!(
        (s["error_rate"].as_f64().unwrap() - 0.4).abs() < 1e-9,
        "{s}"
    );
    assert!(s["tokens_per_minute"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(
        s["active_requests"], 0,
        "the status request itself is left out"
    );
    assert_eq!(s["active_streams"], 0);

    let today = s["spend_today_usd"].as_f64().unwrap();
    assert!(today > 0.0, "{s}");
    assert!(today + 1e-6 >= header_costs, "{today} < {header_costs}");
    assert!((s["spend_last_minute_usd"].as_f64().unwrap() - today).abs() < 1e-12);
    // The same spend as the Prometheus counter.
    let metrics = get(&gw.url("/metrics")).await.text();
    let counted = family_sum(&metrics, "bitrouter_cost_usd_total");
    assert!((counted - today).abs() < 1e-9, "{counted} vs {today}");

    let providers = s["providers"].as_array().unwrap();
    let find = |id: &str| {
        providers
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {s}"))
    };
    let openai_status = find("openai");
    assert_eq!(openai_status["circuit"], "open");
    assert_eq!(openai_status["consecutive_failures"], 2);
    let open_for = openai_status["open_for_secs"].as_u64().unwrap();
    assert!((55..=60).contains(&open_for), "{open_for}");
    assert!(openai_status["latency_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(
        openai_status["accounts"][0]["cooling_down_secs"],
        Value::Null
    );
    assert_eq!(openai_status["accounts_resting"], 0);
    let aggregator = find("openrouter");
    assert_eq!(aggregator["circuit"], "closed");
    assert_eq!(aggregator["open_for_secs"], Value::Null);
    assert_eq!(aggregator["consecutive_failures"], 0);
}

#[tokio::test]
async fn the_window_and_todays_spend_survive_a_reload() {
    let upstream = FakeUpstream::start().await.unwrap();
    let base = upstream.base_url();
    let env = [
        ("OPENAI_API_KEY", DEFAULT_API_KEY),
        ("BITROUTER_OPENAI_API_BASE", base.as_str()),
    ];
    let build = || {
        let config = bitrouter_server::ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..bitrouter_server::ServerConfig::default()
        };
        bitrouter_server::Gateway::from_env(config, &|k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    };
    let server = build().bind().await.unwrap();
    let live = server.live();
    let addr = server.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let reply = post_json(
        &format!("http://{addr}/v1/chat/completions"),
        &chat("gpt-4o-mini"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let spent = get(&format!("http://{addr}/bitrouter/status")).await.json()["spend_today_usd"]
        .as_f64()
        .unwrap();
    assert!(spent > 0.0);

    live.replace(build());
    let s = get(&format!("http://{addr}/bitrouter/status")).await.json();
    assert_eq!(s["reloads"], 1);
    assert_eq!(s["requests_per_minute"], 1);
    assert_eq!(s["spend_today_usd"].as_f64(), Some(spent));
    let _ = tx.send(());
    task.await.unwrap();
}

#[tokio::test]
async fn only_get_is_served() {
    let gw = gateway(&[("OPENAI_API_KEY", DEFAULT_API_KEY)]).await;
    let reply = post_json(&gw.url("/bitrouter/status"), &json!({})).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// A gateway from a file (the built-in openai provider and a `backup`, a virtual model `chat`
/// that falls back from one to the other, a blocking guardrail) with virtual keys required;
/// the key to call it with.
struct Full {
    gw: TestGateway,
    key: String,
    primary: FakeUpstream,
    _backup: FakeUpstream,
    _db: tempfile::TempDir,
}

async fn full_gateway() -> Full {
    let primary = FakeUpstream::start().await.unwrap();
    let backup = FakeUpstream::start().await.unwrap();
    let yaml = format!(
        r#"
providers:
  openai: {{ api_base: "{}", api_key: {DEFAULT_API_KEY} }}
  backup: {{ protocol: openai_chat, api_base: "{}", api_key: {DEFAULT_API_KEY}, models: [ gpt-4o-mini ] }}
models:
  chat: {{ route: [ "openai:gpt-4o-mini", "backup:gpt-4o-mini" ] }}
guardrails:
  - name: no-plans
    detector: {{ deny: [ "top secret plan" ] }}
    direction: request
    action: block
"#,
        primary.base_url(),
        backup.base_url()
    );
    let file =
        bitrouter_config::parse(std::path::Path::new("bitrouter.yaml"), &yaml, &|_| None).unwrap();
    let config = bitrouter_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..bitrouter_server::ServerConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bitrouter.db").display()
    );
    let storage = bitrouter_storage::Storage::connect(&url).await.unwrap();
    let (_, key) = storage
        .create_key(bitrouter_storage::NewKey {
            user_id: "alice".into(),
            name: None,
            limits: bitrouter_storage::KeyLimits::default(),
        })
        .await
        .unwrap();
    let keys = std::sync::Arc::new(bitrouter_server::KeyAuthority::new(
        storage,
        std::sync::Arc::new(bitrouter_limits::MemoryLimiter::new()),
        true,
        None,
    ));
    let gw = bitrouter_server::Gateway::from_config(config, Some(&file), &|_| None)
        .unwrap()
        .with_keys(keys);
    Full {
        gw: serve(gw).await,
        key,
        primary,
        _backup: backup,
        _db: dir,
    }
}

/// Every `bitrouter_*` name in the expressions of a dashboard panel or variable.
fn metric_names(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr" | "query", Value::String(expr)) => {
                        let mut rest = expr.as_str();
                        while let Some(at) = rest.find("bitrouter_") {
                            let tail = &rest[at..];
                            let end = tail
                                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                                .unwrap_or(tail.len());
                            out.push(tail[..end].to_owned());
                            rest = &tail[end..];
                        }
                    }
                    _ => metric_names(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| metric_names(v, out)),
        _ => {}
    }
}

/// Whether a scrape has a sample of `name`, or declares it (a family with no sample yet).
fn served(text: &str, name: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
            || l.strip_prefix("# TYPE ")
                .and_then(|l| l.strip_prefix(name))
                .is_some_and(|rest| rest.starts_with(' '))
    })
}

#[tokio::test]
async fn the_grafana_dashboard_names_only_served_metrics() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/grafana-dashboard.json"
    );
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
    // A Prometheus data source chosen on import, used by every panel.
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(variables.iter().any(|v| v["name"] == "datasource"
        && v["type"] == "datasource"
        && v["query"] == "prometheus"));
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 12, "{} panels", panels.len());
    for p in panels.iter().filter(|p| p["type"] != "row") {
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{}", p["title"]);
        assert!(
            p["targets"].as_array().is_some_and(|t| !t.is_empty()),
            "{}",
            p["title"]
        );
    }

    // Every family gets a sample: a priced call, a stream, a fallback, a guardrail block, a
    // call without a key.
    // Bound, not `..`: the backup fake and the database must live until the end.
    let Full {
        gw,
        key,
        primary,
        _backup,
        _db,
    } = full_gateway().await;
    let url = gw.url("/v1/chat/completions");
    let call = |body: Value, key: Option<String>| {
        let url = url.clone();
        async move {
            let auth = key.map(|k| format!("Bearer {k}"));
            let mut headers = vec![("content-type", "application/json")];
            if let Some(a) = &auth {
                headers.push(("authorization", a.as_str()));
            }
            send(
                http::Method::POST,
                &url,
                &headers,
                serde_json::to_vec(&body).unwrap(),
            )
            .await
        }
    };
    let k = || Some(key.clone());
    assert_eq!(call(chat("gpt-4o-mini"), k()).await.status, StatusCode::OK);
    let mut streamed = chat("gpt-4o-mini");
    streamed["stream"] = json!(true);
    assert_eq!(call(streamed, k()).await.status, StatusCode::OK);
    primary.push(down());
    let fell_back = call(chat("chat"), k()).await;
    assert_eq!(
        fell_back.header("x-bitrouter-provider"),
        Some("backup"),
        "{}",
        fell_back.text()
    );
    let mut secret = chat("gpt-4o-mini");
    secret["messages"][0]["content"] = json!("here is the top secret plan");
    assert!(call(secret, k()).await.status.is_client_error());
    assert_eq!(
        call(chat("gpt-4o-mini"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let scrape = get(&gw.url("/metrics")).await.text();

    let mut names = Vec::new();
    metric_names(&dashboard, &mut names);
    names.sort();
    names.dedup();
    assert!(names.len() >= 12, "{names:?}");
    let missing: Vec<&String> = names.iter().filter(|n| !served(&scrape, n)).collect();
    assert!(missing.is_empty(), "not in /metrics: {missing:?}\n{scrape}");
}
