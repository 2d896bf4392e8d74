//! Streams on their way to the client.
//!
//! Two paths:
//! - **pass-through** when client and upstream speak the same protocol and no guardrail
//!   watches the stream: upstream chunks are forwarded as they arrive, byte for byte, while a
//!   tap decodes the events to learn the usage and whether the stream completed;
//! - **translation** otherwise: upstream events are decoded to canonical parts, run through
//!   the stream guards, and encoded in the client's protocol.
//!
//! Either way a stream that breaks, stalls past the idle timeout or ends before its
//! protocol's final event is closed with the client protocol's own error event, never a
//! silent truncation.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bitrouter_core::{
    AnswerStream, ByteStream, PartStream, Protocol, ProviderError, StreamGuard, StreamPart, Usage,
    Verdict,
};
use bitrouter_protocols::{
    ErrorInfo, SseDecoder, SseEvent, StreamDecoder, StreamEncoder, StreamOptions, stream_decoder,
    stream_encoder, write_event,
};
use bytes::{Bytes, BytesMut};
use futures::{FutureExt, Stream, StreamExt};

/// How a stream ended, for the logs (and later the ledger).
#[derive(Debug, Clone, Default)]
pub struct StreamOutcome {
    /// The last usage the upstream reported.
    pub usage: Option<Usage>,
    /// Whether the upstream finished the stream properly.
    pub completed: bool,
    /// What went wrong, if something did.
    pub error: Option<String>,
    /// Time from the relay's start to the first chunk sent.
    pub first_chunk: Option<Duration>,
    /// Time spent waiting for the upstream's next chunk.
    pub upstream_wait: Duration,
}

/// Called once when the stream ends (or the client goes away).
pub type OnEnd = Box<dyn FnOnce(StreamOutcome) + Send>;

struct EndGuard {
    outcome: StreamOutcome,
    on_end: Option<OnEnd>,
    started: Instant,
}

impl EndGuard {
    fn new(on_end: OnEnd) -> Self {
        Self {
            outcome: StreamOutcome::default(),
            on_end: Some(on_end),
            started: Instant::now(),
        }
    }

    fn sent(&mut self) {
        if self.outcome.first_chunk.is_none() {
            self.outcome.first_chunk = Some(self.started.elapsed());
        }
    }

    fn usage(&mut self, u: &Usage) {
        self.outcome
            .usage
            .get_or_insert_with(Usage::default)
            .merge_max(u);
    }
}

impl Drop for EndGuard {
    // Runs on normal end and when the client disconnects and the body is dropped.
    fn drop(&mut self) {
        if let Some(f) = self.on_end.take() {
            if !self.outcome.completed && self.outcome.error.is_none() {
                self.outcome.error = Some("the client went away before the stream ended".into());
            }
            f(std::mem::take(&mut self.outcome));
        }
    }
}

fn error_event(encoder: &mut dyn StreamEncoder, status: u16, message: &str) -> Vec<u8> {
    let mut out = Vec::new();
    encoder.error(
        &ErrorInfo {
            status,
            message,
            code: None,
        },
        &mut out,
    );
    out
}

fn stream_error_status(e: &ProviderError) -> u16 {
    e.status().as_u16()
}

const TRUNCATED: &str = "the upstream ended the stream before it was complete";

/// Whether a pass-through stream's tap must decode this event: it may carry usage, end the
/// stream, or report an error. Content deltas (most events) need only be checked as JSON,
/// which costs a fraction of a decode.
fn carries_state(protocol: Protocol, ev: &SseEvent) -> bool {
    let has = |needle: &str| memchr::memmem::find(ev.data.as_bytes(), needle.as_bytes()).is_some();
    match protocol {
        Protocol::OpenaiChat => ev.data == "[DONE]" || has("\"usage\":{") || has("\"error\""),
        Protocol::AnthropicMessages => !matches!(
            ev.event.as_deref(),
            Some("content_block_delta" | "content_block_start" | "content_block_stop" | "ping")
        ),
        Protocol::OpenaiResponses => {
            !(has("\"type\":\"response.output_text.delta\"")
                || has("\"type\":\"response.function_call_arguments.delta\"")
                || has("\"type\":\"response.reasoning_summary_text.delta\""))
        }
        Protocol::GoogleGenerateContent => {
            has("finishReason") || has("usageMetadata") || has("\"error\"")
        }
    }
}

/// The upstream's chunks, with every chunk that has already arrived joined to the one
/// awaited (up to 64 KiB): one write to the client instead of one per event, and no waiting
/// for anything that has not arrived.
struct Coalesce {
    inner: ByteStream,
    /// An end or error met while joining, returned on the next call.
    deferred: Option<Option<Result<Bytes, ProviderError>>>,
}

const COALESCE_MAX: usize = 64 * 1024;

impl Coalesce {
    fn new(inner: ByteStream) -> Self {
        Self {
            inner,
            deferred: None,
        }
    }

    async fn next(&mut self) -> Option<Result<Bytes, ProviderError>> {
        if let Some(deferred) = self.deferred.take() {
            return deferred;
        }
        let first = match self.inner.next().await {
            Some(Ok(chunk)) => chunk,
            other => return other,
        };
        let mut joined: Option<BytesMut> = None;
        while joined.as_ref().map_or(first.len(), BytesMut::len) < COALESCE_MAX {
            match self.inner.next().now_or_never() {
                Some(Some(Ok(more))) => {
                    joined
                        .get_or_insert_with(|| BytesMut::from(&first[..]))
                        .extend_from_slice(&more);
                }
                Some(end_or_error) => {
                    self.deferred = Some(end_or_error);
                    break;
                }
                None => break,
            }
        }
        Some(Ok(joined.map_or(first, BytesMut::freeze)))
    }
}

/// Forwards upstream chunks untouched (or re-framed event by event when the usage chunk the
/// client did not ask for must be dropped).
pub fn passthrough(
    protocol: Protocol,
    chunks: ByteStream,
    options: StreamOptions,
    on_end: OnEnd,
) -> impl Stream<Item = Bytes> + Send {
    struct State {
        protocol: Protocol,
        upstream: Coalesce,
        sse: SseDecoder,
        decoder: Box<dyn StreamDecoder>,
        encoder: Box<dyn StreamEncoder>,
        drop_usage_chunks: bool,
        events: Vec<SseEvent>,
        parts: Vec<StreamPart>,
        end: EndGuard,
        upstream_error: bool,
        done: bool,
        /// Raw bytes after the last event boundary, held until their event is whole.
        pending: BytesMut,
        /// The events already decoded from `pending`, to re-write if the stream breaks.
        unsent: Vec<SseEvent>,
    }

    impl State {
        /// Taps the completed events; returns the bytes to send when re-framing, or, when
        /// an event is unreadable, everything left to send: the whole events before it and
        /// the client protocol's error event (the stream is then over).
        fn tap(&mut self, held: bool) -> Result<Vec<u8>, Vec<u8>> {
            let mut reframed = Vec::new();
            let events = std::mem::take(&mut self.events);
            for (i, ev) in events.iter().enumerate() {
                self.parts.clear();
                let decoded = if carries_state(self.protocol, ev) {
                    self.decoder.decode(ev, &mut self.parts)
                } else {
                    // A content event: the client reads it as it is; it only has to be JSON.
                    serde_json::from_str::<serde::de::IgnoredAny>(&ev.data)
                        .map(|_| ())
                        .map_err(|e| bitrouter_protocols::DecodeError::new(e.to_string()))
                };
                if let Err(e) = decoded {
                    if serde_json::from_str::<serde::de::IgnoredAny>(&ev.data).is_err() {
                        // Not an event at all: the client must not get it, nor a `[DONE]`
                        // after it that would make the broken answer look complete.
                        let mut out = reframed;
                        if !self.drop_usage_chunks {
                            for before in self.unsent.iter().chain(&events[..i]) {
                                write_sse(&mut out, before);
                            }
                        }
                        let message =
                            format!("the upstream sent an unreadable event: {}", e.message);
                        out.extend_from_slice(&self.fail(502, &message));
                        return Err(out);
                    }
                    // The upstream's own error event reaches the client as it is.
                    self.upstream_error = true;
                    self.end.outcome.error = Some(e.message);
                }
                // A usage-only chunk yields its usage (and, when it is the first event the tap
                // decoded, the Start the decoder synthesises): nothing the client asked for.
                let mut usage_only = self.parts.iter().any(|p| matches!(p, StreamPart::Usage(_)));
                for p in &self.parts {
                    match p {
                        StreamPart::Usage(u) => self.end.usage(u),
                        StreamPart::Start { .. } => {}
                        _ => usage_only = false,
                    }
                }
                if self.drop_usage_chunks && !usage_only {
                    write_event(&mut reframed, ev.event.as_deref(), &ev.data);
                }
            }
            if held {
                self.unsent.extend(events);
            } else {
                self.unsent.clear();
                self.events = events;
                self.events.clear();
            }
            Ok(reframed)
        }

        /// Adds a raw chunk to what is held; returns the bytes that end on an event
        /// boundary (the chunk itself, without a copy, in the common case), or nothing
        /// while an event is still incomplete. Holding partial events costs the client
        /// nothing (it cannot use half an event) and means a broken event is never half
        /// sent.
        fn whole_events(&mut self, chunk: Bytes) -> Result<Bytes, Bytes> {
            let ends = |b: &[u8]| b.ends_with(b"\n\n") || b.ends_with(b"\r\n\r\n");
            if self.pending.is_empty() && ends(&chunk) {
                return Ok(chunk);
            }
            self.pending.extend_from_slice(&chunk);
            if ends(&self.pending) {
                return Ok(self.pending.split().freeze());
            }
            if self.pending.len() > MAX_HELD {
                let message = format!("the upstream sent an event larger than {MAX_HELD} bytes");
                return Err(self.fail(502, &message));
            }
            Ok(Bytes::new())
        }

        async fn next(&mut self) -> Option<Bytes> {
            while !self.done {
                let waited = Instant::now();
                let next = self.upstream.next().await;
                self.end.outcome.upstream_wait += waited.elapsed();
                match next {
                    Some(Ok(chunk)) => {
                        if self.sse.push(&chunk, &mut self.events).is_err() {
                            return Some(
                                self.fail(502, "the upstream sent an invalid event stream"),
                            );
                        }
                        let out = if self.drop_usage_chunks {
                            match self.tap(false) {
                                Ok(reframed) => Bytes::from(reframed),
                                Err(out) => return Some(Bytes::from(out)),
                            }
                        } else {
                            let whole = match self.whole_events(chunk) {
                                Ok(whole) => whole,
                                Err(error_event) => return Some(error_event),
                            };
                            let held = !self.pending.is_empty();
                            if let Err(out) = self.tap(held) {
                                return Some(Bytes::from(out));
                            }
                            whole
                        };
                        if !out.is_empty() {
                            self.end.sent();
                            return Some(out);
                        }
                    }
                    Some(Err(e)) => {
                        let mut out = self.unsent_events();
                        out.extend_from_slice(&self.fail(stream_error_status(&e), &e.to_string()));
                        return Some(Bytes::from(out));
                    }
                    None => {
                        self.sse.finish(&mut self.events);
                        let mut out = match self.tap(false) {
                            Err(out) => return Some(Bytes::from(out)),
                            Ok(reframed) => {
                                // A last event without its blank line is whole now;
                                // end it so nothing written after joins its data.
                                let mut out = self.pending.split().to_vec();
                                if !out.is_empty() && !out.ends_with(b"\n\n") {
                                    out.extend_from_slice(b"\n\n");
                                }
                                out.extend(reframed);
                                out
                            }
                        };
                        self.done = true;
                        if self.decoder.is_done() || self.upstream_error {
                            self.end.outcome.completed = !self.upstream_error;
                        } else {
                            self.end.outcome.error = Some(TRUNCATED.into());
                            out.extend(error_event(self.encoder.as_mut(), 502, TRUNCATED));
                        }
                        return (!out.is_empty()).then(|| Bytes::from(out));
                    }
                }
            }
            None
        }

        fn fail(&mut self, status: u16, message: &str) -> Bytes {
            self.done = true;
            self.end.outcome.error = Some(message.to_owned());
            Bytes::from(error_event(self.encoder.as_mut(), status, message))
        }

        /// The whole events held back while their chunk was incomplete, re-written.
        fn unsent_events(&mut self) -> Vec<u8> {
            let mut out = Vec::new();
            for ev in self.unsent.drain(..) {
                write_sse(&mut out, &ev);
            }
            self.pending.clear();
            out
        }
    }

    let state = State {
        protocol,
        upstream: Coalesce::new(chunks),
        sse: SseDecoder::new(),
        decoder: stream_decoder(protocol),
        encoder: stream_encoder(protocol, options),
        drop_usage_chunks: protocol == Protocol::OpenaiChat && !options.include_usage,
        events: Vec::new(),
        parts: Vec::new(),
        end: EndGuard::new(on_end),
        upstream_error: false,
        done: false,
        pending: BytesMut::new(),
        unsent: Vec::new(),
    };
    futures::stream::unfold(state, |mut s| async move { s.next().await.map(|b| (b, s)) })
}

/// The most raw bytes held back waiting for an event's end (as much as the SSE decoder
/// accepts in one line).
const MAX_HELD: usize = 16 * 1024 * 1024;

/// Writes a decoded event back as server-sent event text; multi-line data keeps its lines.
fn write_sse(out: &mut Vec<u8>, ev: &SseEvent) {
    if let Some(name) = &ev.event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
    }
    for line in ev.data.split('\n') {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
}

/// Decodes any answer stream to canonical parts. A wire stream that ends before its
/// protocol's final event yields an error last.
pub fn canonical_parts(answer: AnswerStream) -> PartStream {
    let (protocol, chunks) = match answer {
        AnswerStream::Canonical(parts) => return parts,
        AnswerStream::Wire { protocol, chunks } => (protocol, chunks),
    };
    struct State {
        upstream: Coalesce,
        sse: SseDecoder,
        decoder: Box<dyn StreamDecoder>,
        events: Vec<SseEvent>,
        queue: VecDeque<Result<StreamPart, ProviderError>>,
        done: bool,
    }
    impl State {
        fn decode_events(&mut self) {
            let mut parts = Vec::new();
            for ev in self.events.drain(..) {
                match self.decoder.decode(&ev, &mut parts) {
                    Ok(()) => self.queue.extend(parts.drain(..).map(Ok)),
                    Err(e) => {
                        self.queue.extend(parts.drain(..).map(Ok));
                        self.queue
                            .push_back(Err(ProviderError::Stream { message: e.message }));
                        self.done = true;
                        return;
                    }
                }
            }
        }

        async fn next(&mut self) -> Option<Result<StreamPart, ProviderError>> {
            loop {
                if let Some(item) = self.queue.pop_front() {
                    return Some(item);
                }
                if self.done {
                    return None;
                }
                match self.upstream.next().await {
                    Some(Ok(chunk)) => {
                        if self.sse.push(&chunk, &mut self.events).is_err() {
                            self.done = true;
                            return Some(Err(ProviderError::InvalidResponse {
                                message: "the upstream sent an invalid event stream".into(),
                            }));
                        }
                        self.decode_events();
                    }
                    Some(Err(e)) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                    None => {
                        self.sse.finish(&mut self.events);
                        self.decode_events();
                        if !self.done && !self.decoder.is_done() {
                            self.queue.push_back(Err(ProviderError::Stream {
                                message: TRUNCATED.into(),
                            }));
                        }
                        self.done = true;
                    }
                }
            }
        }
    }
    let state = State {
        upstream: Coalesce::new(chunks),
        sse: SseDecoder::new(),
        decoder: stream_decoder(protocol),
        events: Vec::new(),
        queue: VecDeque::new(),
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut s| async move {
        s.next().await.map(|p| (p, s))
    }))
}

/// Runs canonical parts through the stream guards and encodes them in the client's protocol.
pub fn translate(
    parts: PartStream,
    client: Protocol,
    options: StreamOptions,
    guards: Vec<Box<dyn StreamGuard>>,
    on_end: OnEnd,
) -> impl Stream<Item = Bytes> + Send {
    struct State {
        parts: PartStream,
        encoder: Box<dyn StreamEncoder>,
        guards: Vec<Box<dyn StreamGuard>>,
        end: EndGuard,
        done: bool,
    }

    impl State {
        /// Runs one part (or the end, when `part` is `None`) through every guard in turn.
        fn guard(&mut self, part: Option<StreamPart>) -> Result<Vec<StreamPart>, String> {
            let mut current: Vec<StreamPart> = part.into_iter().collect();
            let ending = current.is_empty();
            for g in &mut self.guards {
                let mut next = Vec::new();
                for p in current {
                    if let Verdict::Block { reason } = g.on_part(p, &mut next) {
                        return Err(reason);
                    }
                }
                if ending {
                    if let Verdict::Block { reason } = g.finish(&mut next) {
                        return Err(reason);
                    }
                }
                current = next;
            }
            Ok(current)
        }

        fn emit(&mut self, parts: &[StreamPart], out: &mut Vec<u8>) {
            for p in parts {
                if let StreamPart::Usage(u) = p {
                    self.end.usage(u);
                }
                self.encoder.encode(p, out);
            }
        }

        async fn next(&mut self) -> Option<Bytes> {
            let mut out = Vec::new();
            while !self.done && (out.is_empty() || out.len() < COALESCE_MAX) {
                // Wait only while nothing is ready to send; then take what has arrived.
                let next = if out.is_empty() {
                    let waited = Instant::now();
                    let next = self.parts.next().await;
                    self.end.outcome.upstream_wait += waited.elapsed();
                    next
                } else {
                    match self.parts.next().now_or_never() {
                        Some(next) => next,
                        None => break,
                    }
                };
                match next {
                    Some(Ok(part)) => match self.guard(Some(part)) {
                        Ok(parts) => self.emit(&parts, &mut out),
                        Err(reason) => self.block(&reason, &mut out),
                    },
                    Some(Err(e)) => {
                        self.done = true;
                        let message = e.to_string();
                        self.encoder.error(
                            &ErrorInfo {
                                status: stream_error_status(&e),
                                message: &message,
                                code: None,
                            },
                            &mut out,
                        );
                        self.end.outcome.error = Some(message);
                    }
                    None => {
                        self.done = true;
                        match self.guard(None) {
                            Ok(parts) => {
                                self.emit(&parts, &mut out);
                                self.encoder.finish(&mut out);
                                self.end.outcome.completed = true;
                            }
                            Err(reason) => self.block(&reason, &mut out),
                        }
                    }
                }
            }
            if out.is_empty() {
                return None;
            }
            self.end.sent();
            Some(Bytes::from(out))
        }

        fn block(&mut self, reason: &str, out: &mut Vec<u8>) {
            self.done = true;
            let message = format!("blocked by a guardrail: {reason}");
            self.encoder.error(
                &ErrorInfo {
                    status: 400,
                    message: &message,
                    code: Some("guardrail_blocked"),
                },
                out,
            );
            self.end.outcome.error = Some(message);
        }
    }

    let state = State {
        parts,
        encoder: stream_encoder(client, options),
        guards,
        end: EndGuard::new(on_end),
        done: false,
    };
    futures::stream::unfold(state, |mut s| async move { s.next().await.map(|b| (b, s)) })
}

/// Re-frames a stream of server-sent events whose data are JSON objects as one JSON array
/// (`[{…},\r\n{…}]`), the way Google streams `:streamGenerateContent` without `alt=sse`.
pub fn sse_to_json_array(
    events: impl Stream<Item = Bytes> + Send + 'static,
) -> impl Stream<Item = Bytes> + Send {
    struct State<S> {
        events: S,
        sse: SseDecoder,
        decoded: Vec<SseEvent>,
        first: bool,
        closed: bool,
    }
    impl<S: Stream<Item = Bytes> + Unpin> State<S> {
        fn frame(&mut self, out: &mut Vec<u8>) {
            for ev in self.decoded.drain(..) {
                out.extend_from_slice(if self.first { b"[" } else { b",\r\n" });
                self.first = false;
                out.extend_from_slice(ev.data.as_bytes());
            }
        }

        async fn next(&mut self) -> Option<Bytes> {
            while !self.closed {
                let mut out = Vec::new();
                match self.events.next().await {
                    Some(chunk) => {
                        // Our own encoders' output: lines are bounded, so this cannot fail.
                        let _ = self.sse.push(&chunk, &mut self.decoded);
                        self.frame(&mut out);
                    }
                    None => {
                        self.sse.finish(&mut self.decoded);
                        self.frame(&mut out);
                        out.extend_from_slice(if self.first { b"[]" } else { b"]" });
                        self.closed = true;
                    }
                }
                if !out.is_empty() {
                    return Some(Bytes::from(out));
                }
            }
            None
        }
    }
    let state = State {
        events: Box::pin(events),
        sse: SseDecoder::new(),
        decoded: Vec::new(),
        first: true,
        closed: false,
    };
    futures::stream::unfold(state, |mut s| async move { s.next().await.map(|b| (b, s)) })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    const ROLE: &str = r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"},"finish_reason":null}]}"#;

    /// Relays `chunks` as an OpenAI Chat stream whose client asked for usage (so bytes are
    /// forwarded raw), returning what the client got and the outcome.
    async fn relay(chunks: &[&str]) -> (String, StreamOutcome) {
        let items: Vec<Result<Bytes, ProviderError>> = chunks
            .iter()
            .map(|c| Ok(Bytes::copy_from_slice(c.as_bytes())))
            .collect();
        let ended = Arc::new(Mutex::new(None));
        let sink = ended.clone();
        let out: Vec<Bytes> = passthrough(
            Protocol::OpenaiChat,
            Box::pin(futures::stream::iter(items)),
            StreamOptions {
                include_usage: true,
            },
            Box::new(move |o| *sink.lock().unwrap() = Some(o)),
        )
        .collect()
        .await;
        let text = out.iter().map(|b| String::from_utf8_lossy(b)).collect();
        let outcome = ended.lock().unwrap().take().unwrap();
        (text, outcome)
    }

    #[tokio::test]
    async fn an_unreadable_event_split_across_chunks_is_never_half_sent() {
        let whole = format!("data: {ROLE}\n\n");
        let (first, rest) = whole.split_at(40);
        let broken = format!("{rest}data: {{\"choices\":[{{\"delta\":");
        let (text, outcome) = relay(&[first, &broken, "\"tr\n\n", "data: [DONE]\n\n"]).await;
        let mut sse = SseDecoder::new();
        let mut events = Vec::new();
        sse.push(text.as_bytes(), &mut events).unwrap();
        sse.finish(&mut events);
        assert_eq!(events.len(), 2, "{text}");
        assert_eq!(events[0].data, ROLE, "the whole event before the break");
        let err: serde_json::Value = serde_json::from_str(&events[1].data).unwrap();
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("unreadable event"),
            "{err}"
        );
        assert!(!outcome.completed);
    }

    #[tokio::test]
    async fn chunks_ending_on_event_boundaries_go_out_untouched() {
        let one = format!("data: {ROLE}\n\n");
        let (text, outcome) = relay(&[&one, ": keep-alive\n\n", "data: [DONE]\n\n"]).await;
        assert_eq!(text, format!("{one}: keep-alive\n\ndata: [DONE]\n\n"));
        assert!(outcome.completed, "{outcome:?}");
    }

    #[tokio::test]
    async fn a_last_event_without_its_blank_line_is_ended_before_the_error() {
        let (text, outcome) = relay(&[&format!("data: {ROLE}")]).await;
        assert!(text.starts_with(&format!("data: {ROLE}\n\n")), "{text}");
        assert!(text.contains(TRUNCATED), "{text}");
        assert!(!outcome.completed);
    }
}
