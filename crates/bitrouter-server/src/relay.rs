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
use bytes::Bytes;
use futures::{Stream, StreamExt};

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

/// Forwards upstream chunks untouched (or re-framed event by event when the usage chunk the
/// client did not ask for must be dropped).
pub fn passthrough(
    protocol: Protocol,
    chunks: ByteStream,
    options: StreamOptions,
    on_end: OnEnd,
) -> impl Stream<Item = Bytes> + Send {
    struct State {
        upstream: ByteStream,
        sse: SseDecoder,
        decoder: Box<dyn StreamDecoder>,
        encoder: Box<dyn StreamEncoder>,
        drop_usage_chunks: bool,
        events: Vec<SseEvent>,
        parts: Vec<StreamPart>,
        end: EndGuard,
        upstream_error: bool,
        done: bool,
    }

    impl State {
        /// Taps the completed events; returns the bytes to send when re-framing.
        fn tap(&mut self) -> Vec<u8> {
            let mut reframed = Vec::new();
            for ev in self.events.drain(..) {
                self.parts.clear();
                if let Err(e) = self.decoder.decode(&ev, &mut self.parts) {
                    // The upstream's own error event reaches the client as it is.
                    self.upstream_error = true;
                    self.end.outcome.error = Some(e.message);
                }
                let mut usage_only = !self.parts.is_empty();
                for p in &self.parts {
                    match p {
                        StreamPart::Usage(u) => self.end.usage(u),
                        _ => usage_only = false,
                    }
                }
                if self.drop_usage_chunks && !usage_only {
                    write_event(&mut reframed, ev.event.as_deref(), &ev.data);
                }
            }
            reframed
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
                        let reframed = self.tap();
                        let out = if self.drop_usage_chunks {
                            Bytes::from(reframed)
                        } else {
                            chunk
                        };
                        if !out.is_empty() {
                            self.end.sent();
                            return Some(out);
                        }
                    }
                    Some(Err(e)) => {
                        return Some(self.fail(stream_error_status(&e), &e.to_string()));
                    }
                    None => {
                        self.sse.finish(&mut self.events);
                        let mut out = self.tap();
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
    }

    let state = State {
        upstream: chunks,
        sse: SseDecoder::new(),
        decoder: stream_decoder(protocol),
        encoder: stream_encoder(protocol, options),
        drop_usage_chunks: protocol == Protocol::OpenaiChat && !options.include_usage,
        events: Vec::new(),
        parts: Vec::new(),
        end: EndGuard::new(on_end),
        upstream_error: false,
        done: false,
    };
    futures::stream::unfold(state, |mut s| async move { s.next().await.map(|b| (b, s)) })
}

/// Decodes any answer stream to canonical parts. A wire stream that ends before its
/// protocol's final event yields an error last.
pub fn canonical_parts(answer: AnswerStream) -> PartStream {
    let (protocol, chunks) = match answer {
        AnswerStream::Canonical(parts) => return parts,
        AnswerStream::Wire { protocol, chunks } => (protocol, chunks),
    };
    struct State {
        upstream: ByteStream,
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
        upstream: chunks,
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
            while !self.done && out.is_empty() {
                let waited = Instant::now();
                let next = self.parts.next().await;
                self.end.outcome.upstream_wait += waited.elapsed();
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
