//! Metrics and traces for BitRouter.
//!
//! [`Metrics`] is an [`OutcomeSink`](bitrouter_core::OutcomeSink): the server reports each
//! call's [`CallOutcome`](bitrouter_core::CallOutcome) once, and the counters and histograms
//! move (requests, durations, time to first token, upstream time, BitRouter's own overhead,
//! tokens, cost, fallbacks), exposed in the Prometheus text format. [`InFlightLayer`] is the
//! tower layer that keeps the in-flight gauge. Labels are low-cardinality: provider, upstream
//! model, protocols, status class and outcome; never request ids or keys.
//!
//! [`CallSpan`] and [`AttemptSpan`] are the `tracing` spans of a model call and of each
//! upstream attempt, named after OpenTelemetry's GenAI semantic conventions. They cost a
//! disabled call site unless an exporter consumes them: with the `otlp` feature,
//! `otlp::OtlpPipeline` sends them to a collector over OTLP/HTTP.
//!
//! | feature | what it adds |
//! | --- | --- |
//! | `otlp` | the `otlp` module: OpenTelemetry trace export over OTLP/HTTP (protobuf), and W3C `traceparent` continuation |

mod in_flight;
mod metrics;
#[cfg(feature = "otlp")]
pub mod otlp;
mod propagation;
mod spans;

pub use in_flight::{InFlight, InFlightLayer};
pub use metrics::{Metrics, StreamGuard};
pub use spans::{
    AttemptSpan, CAPTURED_CONTENT_LIMIT, CallSpan, SPAN_TARGET, capture_content,
    set_capture_content,
};
