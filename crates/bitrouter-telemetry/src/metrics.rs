//! The metric families and how an outcome moves them.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bitrouter_core::{CallOutcome, OutcomeSink};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    provider: String,
    model: String,
    inbound: &'static str,
    upstream: &'static str,
    status_class: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OverheadLabels {
    inbound: &'static str,
    /// `true` when the call was translated between protocols.
    translated: &'static str,
    streamed: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    provider: String,
    model: String,
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CostLabels {
    provider: String,
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    rule: String,
    action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NameLabels {
    name: String,
}

/// Every metric BitRouter exposes.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<CallLabels, Counter>,
    duration: Family<ProviderLabels, Histogram>,
    ttft: Family<ProviderLabels, Histogram>,
    upstream: Family<ProviderLabels, Histogram>,
    overhead: Family<OverheadLabels, Histogram>,
    tokens: Family<TokenLabels, Counter>,
    cost: Family<CostLabels, Counter<f64, AtomicU64>>,
    fallbacks: Family<ProviderLabels, Counter>,
    active_requests: Gauge,
    active_streams: Gauge,
    guardrail_rejections: Family<NameLabels, Counter>,
    guardrail_findings: Family<FindingLabels, Counter>,
    auth_rejections: Family<NameLabels, Counter>,
    ledger_queue: Gauge,
    ledger_dropped: Gauge,
}

fn seconds_buckets() -> impl Iterator<Item = f64> {
    // 1 ms to ~65 s.
    exponential_buckets(0.001, 2.0, 17)
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every family.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("bitrouter");
        let requests = Family::<CallLabels, Counter>::default();
        registry.register(
            "requests",
            "Model calls by provider, model, protocols, status class and outcome",
            requests.clone(),
        );
        let duration = Family::<ProviderLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(seconds_buckets())
        });
        registry.register(
            "request_duration_seconds",
            "Time from a call's arrival to its last byte",
            duration.clone(),
        );
        let ttft = Family::<ProviderLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(seconds_buckets())
        });
        registry.register(
            "time_to_first_token_seconds",
            "Time from a streamed call's arrival to its first byte",
            ttft.clone(),
        );
        let upstream = Family::<ProviderLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(seconds_buckets())
        });
        registry.register(
            "upstream_duration_seconds",
            "Time spent waiting on the upstream",
            upstream.clone(),
        );
        // 20 µs to ~160 ms: the overhead is meant to be tiny.
        let overhead = Family::<OverheadLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.00002, 2.0, 14))
        });
        registry.register(
            "overhead_seconds",
            "BitRouter's own time per call: the total minus the time waiting on upstreams",
            overhead.clone(),
        );
        let tokens = Family::<TokenLabels, Counter>::default();
        registry.register("tokens", "Tokens by provider, model and kind (input, cached_input, cache_write, output, reasoning)", tokens.clone());
        let cost = Family::<CostLabels, Counter<f64, AtomicU64>>::default();
        registry.register(
            "cost_usd",
            "Spend in US dollars at catalog or configured prices",
            cost.clone(),
        );
        let fallbacks = Family::<ProviderLabels, Counter>::default();
        registry.register(
            "fallbacks",
            "Targets that failed or were skipped before another served, by provider",
            fallbacks.clone(),
        );
        let active_requests = Gauge::default();
        registry.register(
            "active_requests",
            "HTTP requests in flight",
            active_requests.clone(),
        );
        let active_streams = Gauge::default();
        registry.register(
            "active_streams",
            "Streamed answers in flight",
            active_streams.clone(),
        );
        let guardrail_rejections = Family::<NameLabels, Counter>::default();
        registry.register(
            "guardrail_rejections",
            "Calls or streams a guardrail blocked, by guardrail",
            guardrail_rejections.clone(),
        );
        let guardrail_findings = Family::<FindingLabels, Counter>::default();
        registry.register(
            "guardrail_findings",
            "Guardrail matches by rule and action (inspect, redact, block)",
            guardrail_findings.clone(),
        );
        let auth_rejections = Family::<NameLabels, Counter>::default();
        registry.register(
            "auth_rejections",
            "Requests refused by key checks, by reason",
            auth_rejections.clone(),
        );
        let ledger_queue = Gauge::default();
        registry.register(
            "ledger_queue_depth",
            "Ledger records waiting to be written",
            ledger_queue.clone(),
        );
        let ledger_dropped = Gauge::default();
        registry.register(
            "ledger_dropped",
            "Ledger records dropped because the buffer was full (monotonic)",
            ledger_dropped.clone(),
        );
        Self {
            registry,
            requests,
            duration,
            ttft,
            upstream,
            overhead,
            tokens,
            cost,
            fallbacks,
            active_requests,
            active_streams,
            guardrail_rejections,
            guardrail_findings,
            auth_rejections,
            ledger_queue,
            ledger_dropped,
        }
    }

    /// Every metric in the Prometheus text format 0.0.4 (what `promtool check metrics` and
    /// every scraper accept).
    pub fn encode(&self) -> String {
        let mut open = String::new();
        if prometheus_client::encoding::text::encode(&mut open, &self.registry).is_err() {
            let _ = writeln!(open, "# encoding failed");
        }
        to_prometheus_text(&open)
    }

    /// The in-flight request gauge (for [`InFlightLayer`](crate::InFlightLayer)).
    pub fn active_requests(&self) -> &Gauge {
        &self.active_requests
    }

    /// Counts a streamed answer as in flight until the guard drops.
    pub fn stream_started(self: &Arc<Self>) -> StreamGuard {
        self.active_streams.inc();
        StreamGuard(self.clone())
    }

    /// A guardrail refused a call or ended a stream.
    pub fn guardrail_rejected(&self, guardrail: &str) {
        self.guardrail_rejections
            .get_or_create(&NameLabels {
                name: guardrail.to_owned(),
            })
            .inc();
    }

    /// A guardrail rule matched (labels are the configured rule names: few by design).
    pub fn guardrail_finding(&self, rule: &str, action: &str) {
        self.guardrail_findings
            .get_or_create(&FindingLabels {
                rule: rule.to_owned(),
                action: action.to_owned(),
            })
            .inc();
    }

    /// Key checks refused a request (`missing_key`, `revoked`, `over_budget`, …).
    pub fn auth_rejected(&self, reason: &str) {
        self.auth_rejections
            .get_or_create(&NameLabels {
                name: reason.to_owned(),
            })
            .inc();
    }

    /// The ledger's queue depth and its total of dropped records.
    pub fn ledger(&self, queue_depth: u64, dropped: u64) {
        self.ledger_queue
            .set(i64::try_from(queue_depth).unwrap_or(i64::MAX));
        self.ledger_dropped
            .set(i64::try_from(dropped).unwrap_or(i64::MAX));
    }
}

/// The encoder writes OpenMetrics, where a counter family `x` has samples `x_total`; the
/// Prometheus text format names the family `x_total` too, and has no `# EOF`.
fn to_prometheus_text(open: &str) -> String {
    let counters: std::collections::HashSet<&str> = open
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open.len() + 64);
    for line in open.lines() {
        if line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            (counters.contains(name) && !name.ends_with("_total"))
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Keeps a stream counted in `active_streams` until dropped.
#[derive(Debug)]
pub struct StreamGuard(Arc<Metrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.active_streams.dec();
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        400..=499 => "4xx",
        500..=599 => "5xx",
        _ => "other",
    }
}

impl OutcomeSink for Metrics {
    fn record(&self, o: &CallOutcome) {
        let provider = o.provider.clone().unwrap_or_else(|| "none".to_owned());
        let model = o
            .upstream_model
            .clone()
            .unwrap_or_else(|| "none".to_owned());
        self.requests
            .get_or_create(&CallLabels {
                provider: provider.clone(),
                model: model.clone(),
                inbound: o.inbound.as_str(),
                upstream: o.upstream.map_or("none", |p| p.as_str()),
                status_class: status_class(o.status),
                outcome: o.outcome.as_str(),
            })
            .inc();
        let by_provider = ProviderLabels {
            provider: provider.clone(),
        };
        self.duration
            .get_or_create(&by_provider)
            .observe(o.latency.as_secs_f64());
        if let Some(t) = o.time_to_first_token {
            self.ttft
                .get_or_create(&by_provider)
                .observe(t.as_secs_f64());
        }
        if o.provider.is_some() {
            self.upstream
                .get_or_create(&by_provider)
                .observe(o.upstream_time.as_secs_f64());
            self.overhead
                .get_or_create(&OverheadLabels {
                    inbound: o.inbound.as_str(),
                    translated: if o.upstream.is_some_and(|u| u != o.inbound) {
                        "true"
                    } else {
                        "false"
                    },
                    streamed: if o.streamed { "true" } else { "false" },
                })
                .observe(o.overhead().as_secs_f64());
        }
        if let Some(u) = o.usage {
            for (kind, n) in [
                ("input", u.input_tokens),
                ("cached_input", u.cached_input_tokens),
                ("cache_write", u.cache_write_tokens),
                ("output", u.output_tokens),
                ("reasoning", u.reasoning_tokens),
            ] {
                if n > 0 {
                    self.tokens
                        .get_or_create(&TokenLabels {
                            provider: provider.clone(),
                            model: model.clone(),
                            kind,
                        })
                        .inc_by(n);
                }
            }
        }
        if let Some(c) = o.cost_usd.filter(|c| *c > 0.0) {
            self.cost
                .get_or_create(&CostLabels { provider, model })
                .inc_by(c);
        }
        for p in &o.failed_providers {
            self.fallbacks
                .get_or_create(&ProviderLabels {
                    provider: p.clone(),
                })
                .inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bitrouter_core::{Outcome, Protocol, Usage};

    use super::*;

    #[test]
    fn an_outcome_moves_the_counters() {
        let m = Metrics::new();
        let outcome = CallOutcome {
            request_id: "r".into(),
            key_id: None,
            user_id: None,
            requested_model: "gpt-4o-mini".into(),
            provider: Some("openai".into()),
            upstream_model: Some("gpt-4o-mini".into()),
            inbound: Protocol::AnthropicMessages,
            upstream: Some(Protocol::OpenaiChat),
            status: 200,
            outcome: Outcome::Success,
            error_kind: None,
            error: None,
            usage: Some(Usage {
                input_tokens: 10,
                output_tokens: 5,
                ..Usage::default()
            }),
            cost_usd: Some(0.25),
            latency: Duration::from_millis(30),
            time_to_first_token: None,
            upstream_time: Duration::from_millis(29),
            streamed: false,
            fallbacks: 1,
            failed_providers: vec!["anthropic".into()],
        };
        m.record(&outcome);
        m.record(&outcome);
        let text = m.encode();
        assert!(text.contains(r#"bitrouter_requests_total{provider="openai",model="gpt-4o-mini",inbound="anthropic_messages",upstream="openai_chat",status_class="2xx",outcome="success"} 2"#), "{text}");
        assert!(
            text.contains(
                r#"bitrouter_tokens_total{provider="openai",model="gpt-4o-mini",kind="input"} 20"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"bitrouter_cost_usd_total{provider="openai",model="gpt-4o-mini"} 0.5"#),
            "{text}"
        );
        assert!(
            text.contains(r#"bitrouter_fallbacks_total{provider="anthropic"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"bitrouter_overhead_seconds_count{inbound="anthropic_messages",translated="true",streamed="false"} 2"#), "{text}");
    }
}
