//! The spans a model call makes, named and filled after OpenTelemetry's GenAI semantic
//! conventions: a SERVER span per request ([`CallSpan`]) and a CLIENT span per upstream
//! attempt ([`AttemptSpan`]).
//!
//! Both use the target [`SPAN_TARGET`], which the log output turns off and the OTLP layer
//! alone turns on: with no exporter the spans are disabled at their call site, and nothing
//! here formats or allocates (every method checks [`tracing::Span::is_disabled`] first).

use std::sync::atomic::{AtomicBool, Ordering};

use bitrouter_core::{ProviderError, Usage};
use tracing::Span;
use tracing::field::Empty;

/// The `tracing` target of BitRouter's OpenTelemetry spans.
pub const SPAN_TARGET: &str = "bitrouter::otel";

/// At most this many bytes of a request body go on a span when content capture is on.
pub const CAPTURED_CONTENT_LIMIT: usize = 16 * 1024;

static CAPTURE_CONTENT: AtomicBool = AtomicBool::new(false);

/// Turns the capture of prompts on spans (`gen_ai.input.messages`) on or off, process-wide.
/// Off by default: prompts may hold secrets.
pub fn set_capture_content(on: bool) {
    CAPTURE_CONTENT.store(on, Ordering::Relaxed);
}

/// Whether prompts are captured on spans.
pub fn capture_content() -> bool {
    CAPTURE_CONTENT.load(Ordering::Relaxed)
}

/// OpenTelemetry attributes are signed: `tracing-opentelemetry` turns an unsigned field into
/// text, so counts are recorded as `i64`.
fn int(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// The span of one model call, from arrival until its answer (or stream) ended.
#[derive(Debug, Clone)]
pub struct CallSpan {
    span: Span,
}

impl CallSpan {
    /// Opens the span of a call; `headers` may carry a W3C `traceparent` to continue.
    pub fn start(request_id: &str, headers: &http::HeaderMap) -> Self {
        let span = tracing::info_span!(
            target: SPAN_TARGET,
            "chat",
            otel.name = Empty,
            otel.kind = "server",
            otel.status_code = Empty,
            gen_ai.operation.name = "chat",
            gen_ai.request.model = Empty,
            gen_ai.provider.name = Empty,
            gen_ai.response.model = Empty,
            gen_ai.usage.input_tokens = Empty,
            gen_ai.usage.output_tokens = Empty,
            gen_ai.usage.cache_read.input_tokens = Empty,
            gen_ai.usage.cache_creation.input_tokens = Empty,
            gen_ai.input.messages = Empty,
            http.response.status_code = Empty,
            error.type = Empty,
            bitrouter.request_id = request_id,
            bitrouter.streamed = Empty,
            bitrouter.fallbacks = Empty,
        );
        if !span.is_disabled() {
            crate::propagation::continue_trace(&span, headers);
        }
        Self { span }
    }

    /// The span itself, to instrument the call's future with.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// The call asked for `model`; `body` is the request as sent, captured (cut to
    /// [`CAPTURED_CONTENT_LIMIT`]) only when content capture is on.
    pub fn requested(&self, model: &str, streamed: bool, body: Option<&[u8]>) {
        if self.span.is_disabled() {
            return;
        }
        self.span.record("otel.name", format!("chat {model}"));
        self.span.record("gen_ai.request.model", model);
        self.span.record("bitrouter.streamed", streamed);
        if let Some(body) = body.filter(|_| capture_content()) {
            let cut = &body[..body.len().min(CAPTURED_CONTENT_LIMIT)];
            self.span.record(
                "gen_ai.input.messages",
                String::from_utf8_lossy(cut).as_ref(),
            );
        }
    }

    /// `provider` answered with `model` after `fallbacks` failed targets.
    pub fn served(&self, provider: &str, model: &str, fallbacks: usize) {
        if self.span.is_disabled() {
            return;
        }
        self.span.record("gen_ai.provider.name", provider);
        self.span.record("gen_ai.response.model", model);
        self.span.record("bitrouter.fallbacks", int(fallbacks));
    }

    /// The answer went out (for a stream: the stream ended) with this status and usage.
    pub fn finished(&self, status: u16, usage: Option<&Usage>) {
        if self.span.is_disabled() {
            return;
        }
        self.span
            .record("http.response.status_code", i64::from(status));
        if let Some(u) = usage {
            self.span
                .record("gen_ai.usage.input_tokens", int(u.input_tokens));
            self.span
                .record("gen_ai.usage.output_tokens", int(u.output_tokens));
            if u.cached_input_tokens > 0 {
                self.span.record(
                    "gen_ai.usage.cache_read.input_tokens",
                    int(u.cached_input_tokens),
                );
            }
            if u.cache_write_tokens > 0 {
                self.span.record(
                    "gen_ai.usage.cache_creation.input_tokens",
                    int(u.cache_write_tokens),
                );
            }
        }
    }

    /// The call failed: `error_type` is a low-cardinality label (`upstream_status`, `unknown_model`,
    /// `stream`, …), `status` the HTTP status the client got.
    pub fn failed(&self, status: u16, error_type: &str) {
        if self.span.is_disabled() {
            return;
        }
        self.span
            .record("http.response.status_code", i64::from(status));
        self.span.record("error.type", error_type);
        self.span.record("otel.status_code", "error");
    }
}

/// The span of one attempt at one upstream target, a child of the [`CallSpan`].
#[derive(Debug, Clone)]
pub struct AttemptSpan {
    span: Span,
}

impl AttemptSpan {
    /// Opens the span of an attempt at `provider` with its own model name.
    pub fn start(provider: &str, model: &str, attempt: usize) -> Self {
        let span = tracing::info_span!(
            target: SPAN_TARGET,
            "chat",
            otel.name = Empty,
            otel.kind = "client",
            otel.status_code = Empty,
            gen_ai.operation.name = "chat",
            gen_ai.provider.name = provider,
            gen_ai.request.model = model,
            http.response.status_code = Empty,
            error.type = Empty,
            bitrouter.attempt = int(attempt),
            bitrouter.outcome = Empty,
        );
        if !span.is_disabled() {
            span.record("otel.name", format!("chat {model}"));
        }
        Self { span }
    }

    /// The span itself, to instrument the attempt's future with.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// The attempt ended (and its span closes): `Ok` when the upstream answered, else its
    /// error and whether the next target is tried.
    pub fn ended(self, result: Result<(), &ProviderError>, falls_back: bool) {
        if self.span.is_disabled() {
            return;
        }
        match result {
            Ok(()) => self.span.record("bitrouter.outcome", "success"),
            Err(e) => {
                if let ProviderError::Status { status, .. } = e {
                    self.span
                        .record("http.response.status_code", i64::from(status.as_u16()));
                }
                self.span.record("error.type", e.kind());
                self.span.record("otel.status_code", "error");
                let outcome = if falls_back { "fallback" } else { "failed" };
                self.span.record("bitrouter.outcome", outcome)
            }
        };
    }
}
