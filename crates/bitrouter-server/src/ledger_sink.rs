//! [`LedgerSink`]: every call's outcome becomes one ledger row, queued without blocking; the
//! writer batches them into the database off the request path.

use bitrouter_core::{CallOutcome, OutcomeSink};
use bitrouter_storage::{LedgerHandle, LedgerRecord};
use chrono::Utc;

/// Queues one ledger row per call.
#[derive(Debug, Clone)]
pub struct LedgerSink {
    handle: LedgerHandle,
}

impl LedgerSink {
    /// Rows go to `handle`'s writer.
    pub fn new(handle: LedgerHandle) -> Self {
        Self { handle }
    }

    /// The writer's handle (queue depth, drops, flush on shutdown).
    pub fn handle(&self) -> &LedgerHandle {
        &self.handle
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl OutcomeSink for LedgerSink {
    fn record(&self, o: &CallOutcome) {
        let mut row = LedgerRecord::now(o.request_id.clone(), o.requested_model.clone());
        row.key_id = o.key_id.clone();
        row.user_id = o.user_id.clone();
        row.provider = o.provider.clone();
        row.upstream_model = o.upstream_model.clone();
        row.client_protocol = o.inbound.as_str().to_owned();
        row.upstream_protocol = o.upstream.map(|p| p.as_str().to_owned());
        row.status = o.status;
        row.error = o.error.clone();
        if let Some(u) = &o.usage {
            row.set_usage(u);
        }
        row.cost_usd = o.cost_usd.unwrap_or(0.0);
        row.latency_ms = millis(o.latency);
        row.ttft_ms = o.time_to_first_token.map(millis);
        row.streamed = o.streamed;
        row.fallback_attempts = o.fallbacks;
        row.created_at = Utc::now();
        // A full buffer is counted by the handle and shown in the metrics.
        let _ = self.handle.record(row);
    }
}
