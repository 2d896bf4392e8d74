//! [`FindingsRecorder`]: guardrail findings to the metrics and the ledger's findings table
//! (rule, action, direction; never the matched text).

use std::sync::Arc;

use bitrouter_guardrails::{Finding, FindingSink};
use bitrouter_storage::{GuardrailFinding, Storage};
use bitrouter_telemetry::Metrics;
use chrono::Utc;

/// Counts each finding and stores it off the request path.
#[derive(Debug, Clone)]
pub struct FindingsRecorder {
    storage: Option<Storage>,
    metrics: Arc<Metrics>,
}

impl FindingsRecorder {
    /// Findings go to `metrics` and, when given, to `storage`.
    pub fn new(storage: Option<Storage>, metrics: Arc<Metrics>) -> Self {
        Self { storage, metrics }
    }
}

impl FindingSink for FindingsRecorder {
    fn record(&self, finding: Finding) {
        self.metrics
            .guardrail_finding(&finding.rule, finding.action.as_str());
        let Some(storage) = self.storage.clone() else {
            return;
        };
        let row = GuardrailFinding {
            request_id: finding.request_id,
            rule: finding.rule,
            action: finding.action.as_str().to_owned(),
            direction: finding.direction.as_str().to_owned(),
            created_at: Utc::now(),
        };
        // Findings are rare; one small write each, never on the request's own path.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = storage.record_findings(&[row]).await {
                    tracing::warn!("a guardrail finding could not be stored: {e}");
                }
            });
        }
    }
}
