//! ConverseStream events to canonical stream parts, following the Bedrock API reference page
//! `API_runtime_ConverseStreamOutput` and the event payloads it links
//! (`MessageStartEvent`, `ContentBlockStartEvent`, `ContentBlockDeltaEvent`,
//! `MessageStopEvent`, `ConverseStreamMetadataEvent`).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bitrouter_core::{PartStream, ProviderError, StreamPart, TimeoutPhase};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::Value;

use super::eventstream::{EventMessage, EventStreamDecoder};
use super::response::{anthropic_signature, finish_reason, usage};

/// Turns decoded event-stream messages into canonical parts.
#[derive(Debug)]
pub(crate) struct ConverseStreamMapper {
    id: String,
    model: String,
    started: bool,
    finished: bool,
    /// Converse content-block index to the tool call's ordinal.
    tools: HashMap<u64, u32>,
    next_tool: u32,
}

impl ConverseStreamMapper {
    pub(crate) fn new(id: String, model: String) -> Self {
        Self {
            id,
            model,
            started: false,
            finished: false,
            tools: HashMap::new(),
            next_tool: 0,
        }
    }

    fn start(&mut self, out: &mut Vec<StreamPart>) {
        if !self.started {
            self.started = true;
            out.push(StreamPart::Start {
                id: self.id.clone(),
                model: self.model.clone(),
            });
        }
    }

    /// Maps one message; an exception or error message becomes the error that ends the stream.
    pub(crate) fn map(
        &mut self,
        message: &EventMessage,
        out: &mut Vec<StreamPart>,
    ) -> Result<(), ProviderError> {
        match message.header_str(":message-type").unwrap_or("event") {
            "exception" => {
                let kind = message.header_str(":exception-type").unwrap_or("exception");
                let text = serde_json::from_slice::<Value>(&message.payload)
                    .ok()
                    .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
                    .unwrap_or_else(|| String::from_utf8_lossy(&message.payload).into_owned());
                return Err(ProviderError::Stream {
                    message: format!("Bedrock {kind}: {text}"),
                });
            }
            "error" => {
                let code = message.header_str(":error-code").unwrap_or("error");
                let text = message.header_str(":error-message").unwrap_or("");
                return Err(ProviderError::Stream {
                    message: format!("Bedrock {code}: {text}"),
                });
            }
            _ => {}
        }
        let event = message.header_str(":event-type").unwrap_or("");
        let payload: Value = serde_json::from_slice(&message.payload).map_err(|e| {
            ProviderError::InvalidResponse {
                message: format!("the `{event}` event's payload is not JSON: {e}"),
            }
        })?;
        self.start(out);
        let block = payload
            .get("contentBlockIndex")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        match event {
            "contentBlockStart" => {
                if let Some(tool) = payload.pointer("/start/toolUse") {
                    let index = self.tool_index(block);
                    out.push(StreamPart::ToolCallStart {
                        index,
                        id: text(tool, "toolUseId"),
                        name: text(tool, "name"),
                        signature: None,
                    });
                }
            }
            "contentBlockDelta" => self.delta(block, payload.get("delta"), out)?,
            "messageStop" => {
                self.finished = true;
                let stop = payload
                    .get("stopReason")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                out.push(StreamPart::Finish {
                    reason: finish_reason(stop),
                });
            }
            "metadata" => {
                if let Some(u) = payload.get("usage") {
                    out.push(StreamPart::Usage(usage(u)));
                }
            }
            // messageStart, contentBlockStop and events added later carry nothing to map.
            _ => {}
        }
        Ok(())
    }

    fn delta(
        &mut self,
        block: u64,
        delta: Option<&Value>,
        out: &mut Vec<StreamPart>,
    ) -> Result<(), ProviderError> {
        let Some(delta) = delta else { return Ok(()) };
        if let Some(t) = delta.get("text").and_then(Value::as_str) {
            out.push(StreamPart::TextDelta { text: t.into() });
        } else if let Some(tool) = delta.get("toolUse") {
            let index = *self.tools.get(&block).ok_or_else(|| ProviderError::InvalidResponse {
                message: format!(
                    "a toolUse delta for content block {block} came before its contentBlockStart"
                ),
            })?;
            out.push(StreamPart::ToolCallDelta {
                index,
                arguments: text(tool, "input"),
            });
        } else if let Some(r) = delta.get("reasoningContent") {
            if let Some(t) = r.get("text").and_then(Value::as_str) {
                out.push(StreamPart::ReasoningDelta { text: t.into() });
            }
            if let Some(s) = r.get("signature").and_then(Value::as_str) {
                out.push(StreamPart::ReasoningSignature {
                    signature: anthropic_signature(s),
                });
            }
            if let Some(data) = r.get("redactedContent").and_then(Value::as_str) {
                out.push(StreamPart::ReasoningOpaque {
                    redacted: Some(data.into()),
                    encrypted: None,
                    id: None,
                });
            }
        }
        Ok(())
    }

    fn tool_index(&mut self, block: u64) -> u32 {
        let next = self.next_tool;
        let index = *self.tools.entry(block).or_insert(next);
        if index == next {
            self.next_tool += 1;
        }
        index
    }

    /// Checks the end of the stream: an answer without `messageStop` was cut off.
    pub(crate) fn end(&self) -> Result<(), ProviderError> {
        if self.finished {
            Ok(())
        } else {
            Err(ProviderError::Stream {
                message: "the ConverseStream answer ended before its messageStop event".into(),
            })
        }
    }
}

fn text(v: &Value, name: &str) -> String {
    v.get(name).and_then(Value::as_str).unwrap_or("").to_owned()
}

struct State {
    body: Incoming,
    decoder: EventStreamDecoder,
    mapper: ConverseStreamMapper,
    ready: VecDeque<StreamPart>,
    /// The error that ends the stream, delivered after the parts decoded before it.
    error: Option<ProviderError>,
    idle: Duration,
    done: bool,
}

/// The canonical parts of a ConverseStream body, with `idle` allowed between chunks.
pub(crate) fn part_stream(
    body: Incoming,
    mapper: ConverseStreamMapper,
    idle: Duration,
) -> PartStream {
    let state = State {
        body,
        decoder: EventStreamDecoder::new(),
        mapper,
        ready: VecDeque::new(),
        error: None,
        idle,
        done: false,
    };
    Box::pin(futures::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(part) = s.ready.pop_front() {
                return Some((Ok(part), s));
            }
            if let Some(e) = s.error.take() {
                return Some((Err(e), s));
            }
            if s.done {
                return None;
            }
            if let Err(e) = next_parts(&mut s).await {
                s.done = true;
                s.error = Some(e);
            }
        }
    }))
}

/// Maps every complete message buffered so far; `out` keeps the parts mapped before an error.
fn decode_ready(s: &mut State, out: &mut Vec<StreamPart>) -> Result<(), ProviderError> {
    while let Some(message) = s
        .decoder
        .next_message()
        .map_err(|e| ProviderError::Stream {
            message: e.to_string(),
        })?
    {
        s.mapper.map(&message, out)?;
    }
    Ok(())
}

/// Reads until at least one part is ready or the body ends.
async fn next_parts(s: &mut State) -> Result<(), ProviderError> {
    let mut parts = Vec::new();
    let decoded = decode_ready(s, &mut parts);
    let any = !parts.is_empty();
    s.ready.extend(parts);
    decoded?;
    if any {
        return Ok(());
    }
    let frame = tokio::time::timeout(s.idle, s.body.frame())
        .await
        .map_err(|_| ProviderError::Timeout {
            phase: TimeoutPhase::Idle,
            after: s.idle,
        })?;
    match frame {
        None => {
            s.done = true;
            if s.decoder.has_partial() {
                return Err(ProviderError::Stream {
                    message: "the upstream closed the stream in the middle of an event".into(),
                });
            }
            s.mapper.end()
        }
        Some(Err(e)) => Err(ProviderError::Stream {
            message: format!("the upstream connection broke mid-stream: {e}"),
        }),
        Some(Ok(frame)) => {
            if let Ok(data) = frame.into_data() {
                s.decoder.push(&data);
            }
            Ok(())
        }
    }
}
