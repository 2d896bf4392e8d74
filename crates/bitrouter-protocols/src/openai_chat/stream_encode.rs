//! Writing canonical parts from any protocol as a Chat Completions stream, the way OpenAI
//! does: a first chunk with `role: "assistant"` and empty content, one chunk per delta, the
//! `finish_reason` chunk, then (when the client asked for it) a usage chunk with
//! `choices: []`, then `data: [DONE]`. Every chunk repeats the `id`, `created` and `model`.
//!
//! Reasoning also goes out as OpenRouter `reasoning_details` deltas, one `index` per reasoning
//! block (text fragments, then the signature that closes the block), so that a client merging
//! them by index holds the signatures the next turn needs.

use bitrouter_core::{FinishReason, Reasoning, StreamPart, Usage};
use serde::Serialize;
use serde_json::Value;

use super::error::ErrorBody;
use super::reasoning_details::{call_entry, reasoning_entries};
use super::response::{WireUsage, finish_reason_name, now};
use super::stream::ordinal;
use crate::codec::{ErrorInfo, StreamEncoder, StreamOptions};

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
    reasoning_details: Vec<Value>,
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
    /// The `reasoning_details` index of the reasoning block being written, if one is open.
    reasoning_block: Option<usize>,
    /// The next `reasoning_details` index.
    next_detail: usize,
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
            reasoning_block: None,
            next_detail: 0,
        }
    }

    /// The `reasoning_details` entries for `reasoning`, at the open block's index (or a new
    /// one); `open` says whether the block stays open for more text after it.
    fn details(&mut self, reasoning: &Reasoning, open: bool) -> Vec<Value> {
        let index = match self.reasoning_block {
            Some(index) => index,
            None => {
                self.next_detail += 1;
                self.next_detail - 1
            }
        };
        self.reasoning_block = open.then_some(index);
        let mut entries = Vec::new();
        reasoning_entries(reasoning, index, &mut entries);
        entries
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
        if !matches!(
            part,
            StreamPart::ReasoningDelta { .. } | StreamPart::ReasoningSignature { .. }
        ) {
            self.reasoning_block = None;
        }
        match part {
            StreamPart::TextDelta { text } if !text.is_empty() => {
                let delta = OutDelta {
                    content: Some(text),
                    ..OutDelta::default()
                };
                self.chunk(delta, None, out);
            }
            StreamPart::ReasoningDelta { text } if !text.is_empty() => {
                let reasoning = Reasoning {
                    text: text.clone(),
                    ..Reasoning::default()
                };
                let delta = OutDelta {
                    reasoning_content: Some(text),
                    reasoning_details: self.details(&reasoning, true),
                    ..OutDelta::default()
                };
                self.chunk(delta, None, out);
            }
            StreamPart::ReasoningSignature { signature } => {
                let reasoning = Reasoning {
                    signature: Some(signature.clone()),
                    ..Reasoning::default()
                };
                let delta = OutDelta {
                    reasoning_details: self.details(&reasoning, false),
                    ..OutDelta::default()
                };
                self.chunk(delta, None, out);
            }
            StreamPart::ReasoningOpaque {
                redacted,
                encrypted,
                id,
            } => {
                let reasoning = Reasoning {
                    redacted: redacted.clone(),
                    encrypted: encrypted.clone(),
                    id: id.clone(),
                    ..Reasoning::default()
                };
                let delta = OutDelta {
                    reasoning_details: self.details(&reasoning, false),
                    ..OutDelta::default()
                };
                if !delta.reasoning_details.is_empty() {
                    self.chunk(delta, None, out);
                }
            }
            StreamPart::ToolCallStart {
                index,
                id,
                name,
                signature,
            } => {
                let details = match signature {
                    Some(signature) => {
                        self.next_detail += 1;
                        vec![call_entry(id, signature, self.next_detail - 1)]
                    }
                    None => Vec::new(),
                };
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
                let mut delta = tool_delta(call);
                delta.reasoning_details = details;
                self.chunk(delta, None, out);
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
