//! Findings: what a rule matched, reported without the matched text.

use std::sync::Mutex;

use crate::config::{Action, Location, Way};

/// One match of one rule in one call. It never holds the matched text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// BitRouter's id of the request.
    pub request_id: String,
    /// The rule's name.
    pub rule: String,
    /// What was found (`email`, `secrets/jwt`, `regex`, `deny`).
    pub detector: &'static str,
    /// What the rule did.
    pub action: Action,
    /// Whether the request or the answer held it.
    pub direction: Way,
    /// Where in the call.
    pub location: Location,
}

/// Where findings go: the ledger and the metrics. Called on the request path, so an
/// implementation should only hand the finding on (e.g. into a channel) and return.
pub trait FindingSink: Send + Sync + std::fmt::Debug {
    /// Takes one finding.
    fn record(&self, finding: Finding);
}

/// Drops every finding.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardFindings;

impl FindingSink for DiscardFindings {
    fn record(&self, _finding: Finding) {}
}

/// Keeps findings in memory, for tests and examples.
#[derive(Debug, Default)]
pub struct MemoryFindings {
    findings: Mutex<Vec<Finding>>,
}

impl MemoryFindings {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the findings so far, in the order recorded.
    pub fn findings(&self) -> Vec<Finding> {
        self.findings
            .lock()
            .map(|f| f.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }
}

impl FindingSink for MemoryFindings {
    fn record(&self, finding: Finding) {
        match self.findings.lock() {
            Ok(mut f) => f.push(finding),
            Err(poisoned) => poisoned.into_inner().push(finding),
        }
    }
}
