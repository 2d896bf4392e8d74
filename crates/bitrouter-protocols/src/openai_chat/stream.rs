//! Streams of `chat.completion.chunk` events, ending with `data: [DONE]`.
//!
//! The decoder turns chunks into canonical parts; the encoder writes canonical parts from any
//! protocol as chunks, the way OpenAI does: a first chunk with `role: "assistant"`, one chunk
//! per delta, the `finish_reason` chunk, then (when the client asked for it) a usage chunk with
//! `choices: []`, then `[DONE]`.

use bitrouter_core::{FinishReason, StreamPart, Usage};
use serde::{Deserialize, Serialize};

use super::error::{ErrorBody, message_of};
use super::response::{WireUsage, finish_reason, finish_reason_name, now};
use crate::codec::{ErrorInfo, StreamDecoder, StreamEncoder, StreamOptions};
use crate::error::DecodeError;

#[derive(Debug, Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Vec<ToolCallDelta>,
}

#[derive(Debug, Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Debug, Default, Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// Decodes an upstream's Chat Completions stream.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    started: bool,
    finished: bool,
    done: bool,
    /// The wire `index` and id of each tool call started so far; the position is the
    /// canonical index.
    calls: Vec<(u32, String)>,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, id: Option<String>, model: Option<String>, out: &mut Vec<StreamPart>) {
        if !self.started {
            self.started = true;
            out.push(StreamPart::Start {
                id: id.unwrap_or_else(|| format!("chatcmpl-{}", now())),
                model: model.unwrap_or_default(),
            });
        }
    }

    fn finish(&mut self, wire: Option<&str>, out: &mut Vec<StreamPart>) {
        if !self.finished {
            self.finished = true;
            out.push(StreamPart::Finish {
                reason: finish_reason(wire, !self.calls.is_empty()),
            });
        }
    }

    fn tool_call(&mut self, delta: ToolCallDelta, out: &mut Vec<StreamPart>) {
        let wire_index = delta.index.unwrap_or(0);
        let function = delta.function.unwrap_or_default();
        // A new call: an unseen wire index, or a new id at a known one (some servers number
        // every parallel call 0).
        let known = self.calls.iter().rposition(|(i, _)| *i == wire_index);
        let index = match (known, delta.id.filter(|id| !id.is_empty())) {
            (Some(pos), None) => pos,
            (Some(pos), Some(id)) if self.calls[pos].1 == id => pos,
            (_, id) => {
                let pos = self.calls.len();
                let id = id.unwrap_or_else(|| format!("call_{pos}"));
                self.calls.push((wire_index, id.clone()));
                out.push(StreamPart::ToolCallStart {
                    index: ordinal(pos),
                    id,
                    name: function.name.clone().unwrap_or_default(),
                    signature: None,
                });
                pos
            }
        };
        if let Some(arguments) = function.arguments.filter(|a| !a.is_empty()) {
            out.push(StreamPart::ToolCallDelta {
                index: ordinal(index),
                arguments,
            });
        }
    }
}

fn ordinal(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

impl StreamDecoder for Decoder {
    fn decode(
        &mut self,
        event: &crate::sse::SseEvent,
        out: &mut Vec<StreamPart>,
    ) -> Result<(), DecodeError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            self.start(None, None, out);
            self.finish(None, out);
            return Ok(());
        }
        if data.is_empty() {
            return Ok(());
        }
        let value: serde_json::Value = serde_json::from_str(data)
            .map_err(|e| DecodeError::new(format!("chat completion chunk: {e}")))?;
        if value.get("error").is_some_and(|e| !e.is_null()) {
            let message = message_of(&value).unwrap_or_else(|| data.to_owned());
            return Err(DecodeError::new(format!("upstream error: {message}")));
        }
        let chunk: Chunk = serde_json::from_value(value)
            .map_err(|e| DecodeError::new(format!("chat completion chunk: {e}")))?;
        self.start(chunk.id, chunk.model, out);
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            let delta = choice.delta;
            if let Some(text) = delta.reasoning_content.or(delta.reasoning) {
                if !text.is_empty() {
                    out.push(StreamPart::ReasoningDelta { text });
                }
            }
            for text in [delta.content, delta.refusal].into_iter().flatten() {
                if !text.is_empty() {
                    out.push(StreamPart::TextDelta { text });
                }
            }
            for call in delta.tool_calls {
                self.tool_call(call, out);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish(Some(&reason), out);
            }
        }
        if let Some(usage) = chunk.usage {
            out.push(StreamPart::Usage(usage.to_usage()));
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.done
    }
}

#[derive(Debug, Serialize)]
struct OutChunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: Vec<OutChoice<'a>>,
    /// `null` on every chunk but the last when the client asked for usage, absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Option<WireUsage>>,
}

#[derive(Debug, Serialize)]
struct OutChoice<'a> {
    index: u32,
    delta: OutDelta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
struct OutDelta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<OutToolCall<'a>>,
}

#[derive(Debug, Serialize)]
struct OutToolCall<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: OutFunction<'a>,
}

#[derive(Debug, Serialize)]
struct OutFunction<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

/// Writes canonical parts as a Chat Completions stream.
#[derive(Debug)]
pub(crate) struct Encoder {
    options: StreamOptions,
    id: String,
    model: String,
    created: u64,
    started: bool,
    finished: bool,
    closed: bool,
    usage: Option<Usage>,
    /// The canonical index of each tool call written so far; the position is the wire index.
    calls: Vec<u32>,
}

impl Encoder {
    pub(crate) fn new(options: StreamOptions) -> Self {
        Self {
            options,
            id: String::new(),
            model: String::new(),
            created: 0,
            started: false,
            finished: false,
            closed: false,
            usage: None,
            calls: Vec::new(),
        }
    }

    fn chunk(&self, delta: OutDelta<'_>, finish: Option<FinishReason>, out: &mut Vec<u8>) {
        let chunk = OutChunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices: vec![OutChoice {
                index: 0,
                delta,
                logprobs: None,
                finish_reason: finish.map(finish_reason_name),
            }],
            usage: self.options.include_usage.then_some(None),
        };
        write_json(out, &chunk);
    }

    /// The first chunk, `role: "assistant"` with empty content; synthesised when a delta
    /// arrives without a `Start`.
    fn ensure_started(&mut self, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        if self.id.is_empty() {
            self.id = format!("chatcmpl-{}", now());
        }
        self.created = now();
        let delta = OutDelta {
            role: Some("assistant"),
            content: Some(""),
            ..OutDelta::default()
        };
        self.chunk(delta, None, out);
    }

    fn wire_index(&mut self, index: u32) -> (u32, bool) {
        match self.calls.iter().position(|i| *i == index) {
            Some(pos) => (ordinal(pos), false),
            None => {
                self.calls.push(index);
                (ordinal(self.calls.len() - 1), true)
            }
        }
    }
}

impl StreamEncoder for Encoder {
    fn encode(&mut self, part: &StreamPart, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        if let StreamPart::Start { id, model } = part {
            if !self.started {
                self.id.clone_from(id);
                self.model.clone_from(model);
            }
            self.ensure_started(out);
            return;
        }
        if let StreamPart::Usage(usage) = part {
            self.usage = Some(*usage);
            return;
        }
        if self.finished {
            return;
        }
        self.ensure_started(out);
        match part {
            StreamPart::TextDelta { text } if !text.is_empty() => {
                let delta = OutDelta {
                    content: Some(text),
                    ..OutDelta::default()
                };
                self.chunk(delta, None, out);
            }
            StreamPart::ReasoningDelta { text } if !text.is_empty() => {
                let delta = OutDelta {
                    reasoning_content: Some(text),
                    ..OutDelta::default()
                };
                self.chunk(delta, None, out);
            }
            StreamPart::ToolCallStart {
                index, id, name, ..
            } => {
                let (wire, _) = self.wire_index(*index);
                let call = OutToolCall {
                    index: wire,
                    id: Some(id),
                    kind: Some("function"),
                    function: OutFunction {
                        name: Some(name),
                        arguments: "",
                    },
                };
                self.chunk(tool_delta(call), None, out);
            }
            StreamPart::ToolCallDelta { index, arguments } if !arguments.is_empty() => {
                let (wire, new) = self.wire_index(*index);
                // Arguments for a call that never started: open it so the client can attach them.
                let call = OutToolCall {
                    index: wire,
                    id: None,
                    kind: new.then_some("function"),
                    function: OutFunction {
                        name: None,
                        arguments,
                    },
                };
                self.chunk(tool_delta(call), None, out);
            }
            StreamPart::Finish { reason } => {
                self.finished = true;
                self.chunk(OutDelta::default(), Some(*reason), out);
            }
            // Signatures and opaque reasoning have no place in a Chat Completions stream.
            _ => {}
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.ensure_started(out);
        if !self.finished {
            self.finished = true;
            let reason = if self.calls.is_empty() {
                FinishReason::Stop
            } else {
                FinishReason::ToolCalls
            };
            self.chunk(OutDelta::default(), Some(reason), out);
        }
        if self.options.include_usage {
            if let Some(usage) = &self.usage {
                let chunk = OutChunk {
                    id: &self.id,
                    object: "chat.completion.chunk",
                    created: self.created,
                    model: &self.model,
                    choices: Vec::new(),
                    usage: Some(Some(WireUsage::from_usage(usage))),
                };
                write_json(out, &chunk);
            }
        }
        self.closed = true;
        out.extend_from_slice(b"data: [DONE]\n\n");
    }

    fn error(&mut self, error: &ErrorInfo<'_>, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.closed = true;
        write_json(out, &ErrorBody::new(error));
    }
}

fn tool_delta(call: OutToolCall<'_>) -> OutDelta<'_> {
    OutDelta {
        tool_calls: vec![call],
        ..OutDelta::default()
    }
}

/// Appends `data: <json>\n\n`; writes nothing if the value cannot be serialised.
fn write_json<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    out.extend_from_slice(b"data: ");
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        return;
    }
    out.extend_from_slice(b"\n\n");
}
