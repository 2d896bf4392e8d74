//! Continuing a caller's trace: the W3C `traceparent` (and `tracestate`) of an incoming
//! request become the parent of the request's span.
//!
//! Without the `otlp` feature nothing reads the headers: there is no trace to continue.

use tracing::Span;

/// Makes the trace in `headers` (W3C Trace Context) the parent of `span`, when there is a
/// valid one and an OpenTelemetry layer records the span. A missing or malformed
/// `traceparent` leaves `span` the root of a new trace.
#[cfg(feature = "otlp")]
pub(crate) fn continue_trace(span: &Span, headers: &http::HeaderMap) {
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    if !headers.contains_key("traceparent") {
        return;
    }
    let propagator = opentelemetry_sdk::propagation::TraceContextPropagator::new();
    let parent = propagator.extract(&opentelemetry_http::HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        // Fails only when no OpenTelemetry layer records this span: nothing to continue then.
        let _ = span.set_parent(parent);
    }
}

#[cfg(not(feature = "otlp"))]
pub(crate) fn continue_trace(_span: &Span, _headers: &http::HeaderMap) {}
