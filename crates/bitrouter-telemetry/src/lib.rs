//! Metrics for BitRouter, in the Prometheus text exposition format.
//!
//! [`Metrics`] is an [`OutcomeSink`](bitrouter_core::OutcomeSink): the server reports each
//! call's [`CallOutcome`](bitrouter_core::CallOutcome) once, and the counters and histograms
//! move (requests, durations, time to first token, upstream time, BitRouter's own overhead,
//! tokens, cost, fallbacks). [`InFlightLayer`] is the tower layer that keeps the in-flight
//! gauge. Labels are low-cardinality: provider, upstream model, protocols, status class and
//! outcome; never request ids or keys.

mod in_flight;
mod metrics;

pub use in_flight::{InFlight, InFlightLayer};
pub use metrics::{Metrics, StreamGuard};
