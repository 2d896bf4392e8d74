//! Asking upstreams which models they serve, at start-up: `GET {api_base}/models` on every
//! provider that wants it, all at once, each bounded by one deadline, so start-up waits at
//! most that long whatever the upstreams do.
//!
//! `Gateway::from_config` is synchronous and may run inside a runtime, so the calls run on a
//! thread of their own with a small current-thread runtime; the caller waits on a channel
//! with the deadline and leaves the thread behind if it is stuck (in DNS, say).

use std::sync::mpsc;
use std::time::Duration;

use bitrouter_core::Protocol;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, HeaderName, HeaderValue, USER_AGENT};
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use serde_json::Value;

use crate::builtin::AuthStyle;
use crate::client::{Timeouts, UpstreamClient};
use crate::settings::ProviderSettings;

/// The largest model list read.
const MAX_LIST: usize = 4 * 1024 * 1024;

/// One `GET …/models` to make.
#[derive(Debug, Clone)]
pub struct ModelQuery {
    /// The URL, e.g. `http://127.0.0.1:11434/v1/models`.
    pub url: String,
    /// Headers to send (auth, `anthropic-version`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// How long it may take.
    pub timeout: Duration,
}

impl ModelQuery {
    /// The query for a provider: `{api_base}/models` with its first key in its auth style.
    pub fn for_settings(settings: &ProviderSettings, timeout: Duration) -> Self {
        let mut headers = Vec::new();
        let key = settings
            .accounts
            .first()
            .map(|a| a.api_key.as_str())
            .unwrap_or_default();
        if !key.is_empty() {
            let auth = match settings.auth.for_protocol(settings.protocol) {
                AuthStyle::Bearer | AuthStyle::PerProtocol => {
                    (AUTHORIZATION, format!("Bearer {key}"))
                }
                AuthStyle::XApiKey => (HeaderName::from_static("x-api-key"), key.to_owned()),
                AuthStyle::XGoogApiKey => {
                    (HeaderName::from_static("x-goog-api-key"), key.to_owned())
                }
            };
            if let Ok(mut v) = HeaderValue::from_str(&auth.1) {
                v.set_sensitive(true);
                headers.push((auth.0, v));
            }
        }
        if settings.protocol == Protocol::AnthropicMessages {
            headers.push((
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static("2023-06-01"),
            ));
        }
        Self {
            url: format!("{}/models", settings.api_base),
            headers,
            timeout,
        }
    }
}

/// Makes every query at once and returns, within the longest query timeout, each one's model
/// ids or why it has none. A query not answered in time reports a timeout.
pub fn list_models(queries: Vec<ModelQuery>) -> Vec<Result<Vec<String>, String>> {
    let n = queries.len();
    let deadline = queries.iter().map(|q| q.timeout).max().unwrap_or_default();
    let timed_out = || {
        (0..n)
            .map(|_| Err(format!("no answer within {} ms", deadline.as_millis())))
            .collect()
    };
    if n == 0 {
        return Vec::new();
    }
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("bitrouter-discovery".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let results = rt.block_on(run(queries));
            let _ = tx.send(results);
            // Never wait for a resolver thread still stuck in DNS.
            rt.shutdown_background();
        });
    if spawned.is_err() {
        return timed_out();
    }
    // A little slack for the thread to start and hand the results over.
    rx.recv_timeout(deadline + Duration::from_millis(50))
        .unwrap_or_else(|_| timed_out())
}

async fn run(queries: Vec<ModelQuery>) -> Vec<Result<Vec<String>, String>> {
    // A client of its own: its pooled connections die with this runtime. The per-query
    // timeout below bounds every phase.
    let client = UpstreamClient::new(Timeouts::default());
    let calls = queries.into_iter().map(|q| {
        let client = client.clone();
        async move {
            tokio::time::timeout(q.timeout, fetch(&client, &q))
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {} ms", q.timeout.as_millis())))
        }
    });
    futures::future::join_all(calls).await
}

async fn fetch(client: &UpstreamClient, query: &ModelQuery) -> Result<Vec<String>, String> {
    let mut builder = Request::builder()
        .method(Method::GET)
        .uri(&query.url)
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, concat!("bitrouter/", env!("CARGO_PKG_VERSION")));
    for (k, v) in &query.headers {
        builder = builder.header(k, v);
    }
    let request = builder
        .body(Full::new(Bytes::new()))
        .map_err(|e| format!("`{}` is not a valid URL: {e}", query.url))?;
    let response = client
        .inner
        .request(request)
        .await
        .map_err(|e| format!("cannot reach {}: {e}", query.url))?;
    let status = response.status();
    let body = http_body_util::Limited::new(response.into_body(), MAX_LIST)
        .collect()
        .await
        .map_err(|e| format!("reading the model list failed: {e}"))?
        .to_bytes();
    if !status.is_success() {
        return Err(format!(
            "{} answered {status}: {}",
            query.url,
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    let json: Value = serde_json::from_slice(&body)
        .map_err(|e| format!("{} answered something other than JSON: {e}", query.url))?;
    model_ids(&json).ok_or_else(|| {
        format!(
            "{} answered JSON without a `data` or `models` list of models",
            query.url
        )
    })
}

/// The model ids of a list in OpenAI's or Anthropic's shape (`data[].id`), Ollama's
/// (`models[].name`) or Google's (`models[].name` as `models/<id>`).
pub(crate) fn model_ids(json: &Value) -> Option<Vec<String>> {
    if let Some(data) = json.get("data").and_then(Value::as_array) {
        return Some(
            data.iter()
                .filter_map(|m| m.get("id").and_then(Value::as_str))
                .map(str::to_owned)
                .collect(),
        );
    }
    let models = json.get("models").and_then(Value::as_array)?;
    Some(
        models
            .iter()
            .filter_map(|m| {
                m.get("name")
                    .or_else(|| m.get("model"))
                    .and_then(Value::as_str)
            })
            .map(|n| n.strip_prefix("models/").unwrap_or(n).to_owned())
            .collect(),
    )
}

/// How long discovery of a configured provider's models may take at start-up.
pub const DISCOVERY_TIMEOUT: Duration = Duration::from_millis(1500);

/// At start-up, in one bounded round: adds the models of the providers named in `discover`
/// (those configured with `discover_models: true`) to their listed models, and adds the
/// local servers (Ollama, LM Studio) that answer, unless a provider already has their id.
/// Failures are logged; nothing here stops the start.
pub fn discover_models(
    settings: &mut Vec<ProviderSettings>,
    discover: &[&str],
    env: &dyn Fn(&str) -> Option<String>,
) {
    let wanted: Vec<usize> = (0..settings.len())
        .filter(|i| discover.contains(&settings[*i].id.as_ref()))
        .collect();
    let locals: Vec<ProviderSettings> = crate::local::candidates(env)
        .into_iter()
        .filter(|l| !settings.iter().any(|s| s.id == l.id))
        .collect();
    let queries: Vec<ModelQuery> = wanted
        .iter()
        .map(|i| ModelQuery::for_settings(&settings[*i], DISCOVERY_TIMEOUT))
        .chain(
            locals
                .iter()
                .map(|l| ModelQuery::for_settings(l, crate::local::PROBE_TIMEOUT)),
        )
        .collect();
    if queries.is_empty() {
        return;
    }
    let mut results = list_models(queries).into_iter();
    for i in wanted {
        let s = &mut settings[i];
        match results.next() {
            Some(Ok(models)) => {
                tracing::info!(provider = %s.id, count = models.len(), "discovered models");
                for m in models {
                    if !s.models.contains(&m) {
                        s.models.push(m);
                    }
                }
            }
            Some(Err(e)) => tracing::warn!(
                provider = %s.id,
                "model discovery failed, serving the configured models only: {e}"
            ),
            None => {}
        }
    }
    for mut local in locals {
        match results.next() {
            Some(Ok(models)) => {
                tracing::info!(provider = %local.id, base = %local.api_base, count = models.len(), "local model server found");
                local.models = models;
                settings.push(local);
            }
            // Not running is the usual case: no warning.
            Some(Err(e)) => tracing::debug!(provider = %local.id, "no local model server: {e}"),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_each_list_shape() {
        let openai = json!({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]});
        assert_eq!(model_ids(&openai).unwrap(), ["gpt-4o"]);
        let anthropic =
            json!({"data": [{"type": "model", "id": "claude-sonnet-4-5"}], "has_more": false});
        assert_eq!(model_ids(&anthropic).unwrap(), ["claude-sonnet-4-5"]);
        let ollama = json!({"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest"}]});
        assert_eq!(model_ids(&ollama).unwrap(), ["llama3.2:latest"]);
        let google = json!({"models": [{"name": "models/gemini-2.5-pro"}]});
        assert_eq!(model_ids(&google).unwrap(), ["gemini-2.5-pro"]);
        assert_eq!(model_ids(&json!({"error": "x"})), None);
    }

    #[test]
    fn nothing_listening_is_an_error_not_a_wait() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let started = std::time::Instant::now();
        let out = list_models(vec![ModelQuery {
            url: format!("http://{addr}/v1/models"),
            headers: Vec::new(),
            timeout: Duration::from_millis(300),
        }]);
        assert!(started.elapsed() < Duration::from_millis(400));
        assert!(
            out[0].as_ref().unwrap_err().contains("cannot reach"),
            "{out:?}"
        );
    }
}
