//! Reporting each call once, when it ends: a [`CallOutcome`] to every sink (metrics, ledger)
//! and one log line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bitrouter_config::pricing::PriceTable;
use bitrouter_core::{CallOutcome, Outcome, OutcomeSink, Protocol, Target, Usage};
use bitrouter_telemetry::Metrics;

use crate::call::{CallReply, FailedAttempt};
use crate::error::GatewayError;
use crate::keys::GrantSlot;
use crate::recent::RecentCalls;
use crate::relay::StreamOutcome;

/// Where outcomes go; kept across reloads so counters never reset.
#[derive(Clone)]
pub struct Observers {
    /// The Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Further sinks (the ledger).
    pub sinks: Vec<Arc<dyn OutcomeSink>>,
    /// The ledger's queue depth and drops, read at each scrape.
    pub ledger: Option<bitrouter_storage::LedgerHandle>,
    /// The last minute of calls and today's spend, for `GET /bitrouter/status`.
    pub recent: Arc<RecentCalls>,
}

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observers")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl Default for Observers {
    fn default() -> Self {
        Self {
            metrics: Arc::new(Metrics::new()),
            sinks: Vec::new(),
            ledger: None,
            recent: Arc::new(RecentCalls::new()),
        }
    }
}

impl Observers {
    fn emit(&self, outcome: &CallOutcome) {
        self.metrics.record(outcome);
        self.recent.record(outcome);
        for s in &self.sinks {
            s.record(outcome);
        }
        match outcome.outcome {
            Outcome::Success => tracing::info!(
                request_id = %outcome.request_id,
                model = %outcome.requested_model,
                provider = outcome.provider.as_deref(),
                upstream_model = outcome.upstream_model.as_deref(),
                status = outcome.status,
                input_tokens = outcome.usage.map(|u| u.input_tokens),
                output_tokens = outcome.usage.map(|u| u.output_tokens),
                cost_usd = outcome.cost_usd,
                latency_ms = outcome.latency.as_secs_f64() * 1000.0,
                overhead_ms = outcome.overhead().as_secs_f64() * 1000.0,
                streamed = outcome.streamed,
                fallbacks = outcome.fallbacks,
                "call"
            ),
            _ => tracing::info!(
                request_id = %outcome.request_id,
                model = %outcome.requested_model,
                provider = outcome.provider.as_deref(),
                status = outcome.status,
                outcome = outcome.outcome.as_str(),
                error_kind = outcome.error_kind.as_deref(),
                error = outcome.error.as_deref(),
                latency_ms = outcome.latency.as_secs_f64() * 1000.0,
                "call failed"
            ),
        }
    }
}

/// What is known of a call from its arrival, to report it however it ends.
#[derive(Clone)]
pub(crate) struct Report {
    pub(crate) observers: Observers,
    pub(crate) prices: Arc<PriceTable>,
    pub(crate) request_id: String,
    pub(crate) requested_model: String,
    pub(crate) inbound: Protocol,
    pub(crate) received: Instant,
    pub(crate) streamed: bool,
    /// The virtual key's grant, once the auth layer admitted the call.
    pub(crate) grant: GrantSlot,
}

impl Report {
    /// Names the key and user on the outcome and settles the key's reservation with what
    /// the call actually used.
    fn settle(&self, o: &mut CallOutcome) {
        let mut slot = self
            .grant
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(grant) = slot.as_mut() {
            o.key_id = Some(grant.key_id.clone());
            o.user_id = Some(grant.user_id.clone());
            let tokens = o.usage.map_or(0, |u| u.total_tokens());
            grant.settle(tokens, o.cost_usd.unwrap_or(0.0));
        }
    }

    fn base(&self, status: u16, outcome: Outcome) -> CallOutcome {
        CallOutcome {
            request_id: self.request_id.clone(),
            key_id: None,
            user_id: None,
            requested_model: self.requested_model.clone(),
            provider: None,
            upstream_model: None,
            inbound: self.inbound,
            upstream: None,
            status,
            outcome,
            error_kind: None,
            error: None,
            usage: None,
            cost_usd: None,
            latency: self.received.elapsed(),
            time_to_first_token: None,
            upstream_time: Duration::ZERO,
            streamed: self.streamed,
            fallbacks: 0,
            failed_providers: Vec::new(),
        }
    }

    /// The cost of `usage` at `target`'s price, when known.
    pub(crate) fn cost(&self, target: &Target, usage: Option<&Usage>) -> Option<f64> {
        let price = self.prices.price(&target.provider, &target.model)?;
        usage.map(|u| price.cost(u))
    }

    /// The call got no answer.
    pub(crate) fn failed(&self, error: &GatewayError) {
        let outcome = match error {
            GatewayError::Upstream { .. } | GatewayError::AllFailed { .. } => {
                Outcome::UpstreamError
            }
            _ => Outcome::Rejected,
        };
        let mut o = self.base(error.status().as_u16(), outcome);
        o.error_kind = Some(error.label().to_owned());
        o.error = Some(error.to_string());
        match error {
            GatewayError::Upstream { provider, .. } => o.provider = Some(provider.to_string()),
            GatewayError::AllFailed { attempts } => {
                o.failed_providers = attempts
                    .iter()
                    .map(|a| a.target.provider.to_string())
                    .collect();
                o.fallbacks = u32::try_from(attempts.len().saturating_sub(1)).unwrap_or(u32::MAX);
                if let Some(last) = attempts.last() {
                    o.provider = Some(last.target.provider.to_string());
                    o.upstream_model = Some(last.target.model.clone());
                    o.upstream = Some(last.target.protocol);
                }
            }
            GatewayError::Blocked { guardrail, .. } => {
                self.observers.metrics.guardrail_rejected(guardrail)
            }
            GatewayError::Auth { code, .. } => self.observers.metrics.auth_rejected(code),
            _ => {}
        }
        self.settle(&mut o);
        self.observers.emit(&o);
    }

    fn served(&self, o: &mut CallOutcome, target: &Target, failed: &[FailedAttempt]) {
        o.provider = Some(target.provider.to_string());
        o.upstream_model = Some(target.model.clone());
        o.upstream = Some(target.protocol);
        o.fallbacks = u32::try_from(failed.len()).unwrap_or(u32::MAX);
        o.failed_providers = failed
            .iter()
            .map(|a| a.target.provider.to_string())
            .collect();
    }

    /// A complete answer went out.
    pub(crate) fn complete(&self, reply: &ReplyFacts, usage: Option<Usage>) {
        let mut o = self.base(200, Outcome::Success);
        self.served(&mut o, &reply.target, &reply.failed);
        o.usage = usage;
        o.cost_usd = self.cost(&reply.target, usage.as_ref());
        o.upstream_time = reply.upstream_time;
        self.settle(&mut o);
        self.observers.emit(&o);
    }

    /// A stream ended (or its client went away).
    pub(crate) fn stream_ended(&self, reply: &ReplyFacts, end: &StreamOutcome) {
        let outcome = if end.completed {
            Outcome::Success
        } else if end
            .error
            .as_deref()
            .is_some_and(|e| e.contains("client went away"))
        {
            Outcome::ClientGone
        } else {
            Outcome::StreamError
        };
        let mut o = self.base(200, outcome);
        self.served(&mut o, &reply.target, &reply.failed);
        o.usage = end.usage;
        o.cost_usd = self.cost(&reply.target, end.usage.as_ref());
        o.upstream_time = reply.upstream_time + end.upstream_wait;
        // The relay starts when the head goes out; the first token is measured from arrival.
        o.time_to_first_token = end.first_chunk.map(|d| d + reply.head_after);
        if !end.completed {
            o.error_kind = Some("stream".into());
            o.error = end.error.clone();
            if end
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("blocked by a guardrail"))
            {
                // A stream guard's verdict carries a reason, not a name: one fixed label.
                self.observers.metrics.guardrail_rejected("stream_guard");
            }
        }
        self.settle(&mut o);
        self.observers.emit(&o);
    }
}

/// What a report needs of a reply, kept after the reply itself is consumed.
#[derive(Debug, Clone)]
pub(crate) struct ReplyFacts {
    pub(crate) target: Target,
    pub(crate) failed: Vec<FailedAttempt>,
    pub(crate) upstream_time: Duration,
    /// Time from arrival until the response head was ready.
    pub(crate) head_after: Duration,
}

impl ReplyFacts {
    pub(crate) fn of(reply: &CallReply, received: Instant) -> Self {
        Self {
            target: reply.target.clone(),
            failed: reply.failed.clone(),
            upstream_time: reply.upstream_time,
            head_after: received.elapsed(),
        }
    }
}
