//! Decoding an upstream's stream of `chat.completion.chunk` events, ending with
//! `data: [DONE]`, into canonical parts.
//!
//! Absorbs what OpenAI-compatible servers do differently: reasoning in `reasoning_content` or
//! `reasoning`, parallel tool calls all numbered 0 but each with its own id, `finish_reason:
//! "stop"` after tool calls, usage on any chunk, and Azure's leading chunk with empty
//! `choices`, `id` and `model`.

use bitrouter_core::StreamPart;
use serde::Deserialize;

use super::error::message_of;
use super::response::{WireUsage, finish_reason, now};
use crate::codec::StreamDecoder;
use crate::error::DecodeError;
use crate::sse::SseEvent;

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
        let function = delta.function.unwrap_or_default();
        // A new call: an unseen wire index, or a new id at a known one (some servers number
        // every parallel call 0). Without an index, a fragment belongs to the latest call.
        let (wire_index, known) = match delta.index {
            Some(i) => (i, self.calls.iter().rposition(|(w, _)| *w == i)),
            None => (ordinal(self.calls.len()), self.calls.len().checked_sub(1)),
        };
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

/// A position as a wire or canonical index.
pub(super) fn ordinal(pos: usize) -> u32 {
    u32::try_from(pos).unwrap_or(u32::MAX)
}

impl StreamDecoder for Decoder {
    fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
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
        if chunk.choices.is_empty() && chunk.usage.is_none() {
            // Azure's content-filter preamble: no answer in it, and blank id and model.
            return Ok(());
        }
        let id = chunk.id.filter(|id| !id.is_empty());
        self.start(id, chunk.model, out);
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
