//! Writing canonical stream parts as a Messages event stream for a client.
//!
//! Anthropic content blocks cannot interleave: one block is open at a time and each has its
//! own increasing index. Text, reasoning and tool calls from other protocols may interleave,
//! so the encoder switches blocks when the kind of part changes. A tool call that starts while
//! another is streaming is buffered and written whole once the streaming one ends, so that
//! argument fragments of parallel calls never land in the wrong block. Fragments for a tool
//! call whose block was already closed cannot be placed anywhere and are dropped (no
//! upstream sends them).
//!
//! Foreign reasoning proofs travel enveloped in `signature_delta`s (see
//! [`crate::signature_envelope`]); a tool call's foreign signature in an empty thinking block
//! written just before its `tool_use` block.

use std::collections::HashSet;

use bitrouter_core::{FinishReason, Protocol, StreamPart, Usage};
use serde_json::{Value, json};

use super::error::error_value;
use super::response::{encode_stop_reason, encode_usage};
use crate::codec::{ErrorInfo, StreamEncoder, StreamOptions};
use crate::signature_envelope::Sealed;
use crate::sse::write_event;

/// The block being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    /// A thinking block, and whether its signature has been written (which ends it).
    Thinking {
        signed: bool,
    },
    /// A tool call, by canonical index.
    Tool(u32),
}

/// A tool call waiting for the streaming one to end.
#[derive(Debug)]
struct PendingTool {
    index: u32,
    id: String,
    name: String,
    arguments: String,
    /// The enveloped signature of the call, written before it.
    signature: Option<String>,
}

/// Writes `message_start`, content blocks, `message_delta` and `message_stop`.
#[derive(Debug, Default)]
pub(crate) struct Encoder {
    started: bool,
    closed: bool,
    next_block: u32,
    open: Option<Open>,
    pending: Vec<PendingTool>,
    tools_seen: HashSet<u32>,
    usage: Usage,
    reason: Option<FinishReason>,
}

impl Encoder {
    pub(crate) fn new(_options: StreamOptions) -> Self {
        Self::default()
    }

    fn start(&mut self, id: &str, model: &str, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        let message = json!({
            "id": if id.is_empty() { "msg_bitrouter" } else { id },
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": encode_usage(&self.usage),
        });
        event(out, json!({"type": "message_start", "message": message}));
    }

    fn open_block(&mut self, block: Value, kind: Open, out: &mut Vec<u8>) {
        event(
            out,
            json!({"type": "content_block_start", "index": self.next_block, "content_block": block}),
        );
        self.next_block += 1;
        self.open = Some(kind);
    }

    fn delta(&self, delta: Value, out: &mut Vec<u8>) {
        let index = self.next_block.saturating_sub(1);
        event(
            out,
            json!({"type": "content_block_delta", "index": index, "delta": delta}),
        );
    }

    fn close_block(&mut self, out: &mut Vec<u8>) {
        if self.open.take().is_some() {
            let index = self.next_block.saturating_sub(1);
            event(out, json!({"type": "content_block_stop", "index": index}));
        }
    }

    /// Closes the open block and writes the buffered tool calls, before a different kind of
    /// block opens.
    fn switch(&mut self, out: &mut Vec<u8>) {
        self.close_block(out);
        for tool in std::mem::take(&mut self.pending) {
            self.open_tool(&tool.id, &tool.name, tool.index, tool.signature, out);
            if !tool.arguments.is_empty() {
                self.delta(
                    json!({"type": "input_json_delta", "partial_json": tool.arguments}),
                    out,
                );
            }
            self.close_block(out);
        }
    }

    fn open_tool(
        &mut self,
        id: &str,
        name: &str,
        index: u32,
        signature: Option<String>,
        out: &mut Vec<u8>,
    ) {
        if let Some(token) = signature {
            self.signed_empty_thinking(token, out);
        }
        let block = json!({"type": "tool_use", "id": id, "name": name, "input": {}});
        self.open_block(block, Open::Tool(index), out);
    }

    /// A whole thinking block with no text that carries `token` as its signature.
    fn signed_empty_thinking(&mut self, token: String, out: &mut Vec<u8>) {
        self.open_block(
            json!({"type": "thinking", "thinking": ""}),
            Open::Thinking { signed: true },
            out,
        );
        self.delta(json!({"type": "signature_delta", "signature": token}), out);
        self.close_block(out);
    }

    fn thinking(&mut self, out: &mut Vec<u8>) {
        if !matches!(self.open, Some(Open::Thinking { signed: false })) {
            self.switch(out);
            let block = json!({"type": "thinking", "thinking": ""});
            self.open_block(block, Open::Thinking { signed: false }, out);
        }
    }

    fn tool_start(
        &mut self,
        index: u32,
        id: &str,
        name: &str,
        signature: Option<String>,
        out: &mut Vec<u8>,
    ) {
        if !self.tools_seen.insert(index) {
            return;
        }
        if matches!(self.open, Some(Open::Tool(_))) {
            self.pending.push(PendingTool {
                index,
                id: id.to_owned(),
                name: name.to_owned(),
                arguments: String::new(),
                signature,
            });
        } else {
            self.switch(out);
            self.open_tool(id, name, index, signature, out);
        }
    }

    fn tool_delta(&mut self, index: u32, arguments: &str, out: &mut Vec<u8>) {
        if arguments.is_empty() {
            return;
        }
        if self.open == Some(Open::Tool(index)) {
            self.delta(
                json!({"type": "input_json_delta", "partial_json": arguments}),
                out,
            );
        } else if let Some(tool) = self.pending.iter_mut().find(|t| t.index == index) {
            tool.arguments.push_str(arguments);
        }
    }
}

/// Writes one event named after its `type`.
fn event(out: &mut Vec<u8>, data: Value) {
    let name = data["type"].as_str().unwrap_or("message").to_owned();
    write_event(out, Some(&name), &data.to_string());
}

impl StreamEncoder for Encoder {
    fn encode(&mut self, part: &StreamPart, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        if let StreamPart::Start { id, model } = part {
            self.start(id, model, out);
            return;
        }
        self.start("", "", out);
        match part {
            StreamPart::Start { .. } => {}
            StreamPart::TextDelta { text } if text.is_empty() => {}
            StreamPart::TextDelta { text } => {
                if self.open != Some(Open::Text) {
                    self.switch(out);
                    self.open_block(json!({"type": "text", "text": ""}), Open::Text, out);
                }
                self.delta(json!({"type": "text_delta", "text": text}), out);
            }
            StreamPart::ReasoningDelta { text } if text.is_empty() => {}
            StreamPart::ReasoningDelta { text } => {
                self.thinking(out);
                self.delta(json!({"type": "thinking_delta", "thinking": text}), out);
            }
            StreamPart::ReasoningSignature { signature } => {
                self.thinking(out);
                let token =
                    Sealed::Reasoning(signature.clone()).token_for(Protocol::AnthropicMessages);
                self.delta(json!({"type": "signature_delta", "signature": token}), out);
                self.open = Some(Open::Thinking { signed: true });
            }
            StreamPart::ReasoningOpaque {
                redacted: Some(data),
                ..
            } => {
                self.switch(out);
                let block = json!({"type": "redacted_thinking", "data": data});
                self.open_block(block, Open::Text, out);
                self.close_block(out);
            }
            // Responses encrypted reasoning travels enveloped in an empty thinking block.
            StreamPart::ReasoningOpaque {
                redacted: None,
                encrypted: Some(content),
                id,
            } => {
                self.switch(out);
                let sealed = Sealed::Encrypted {
                    id: id.clone(),
                    content: content.clone(),
                };
                self.signed_empty_thinking(sealed.wrap(), out);
            }
            StreamPart::ReasoningOpaque { .. } => {}
            StreamPart::ToolCallStart {
                index,
                id,
                name,
                signature,
            } => {
                let token = signature.clone().map(|s| Sealed::Call(s).wrap());
                self.tool_start(*index, id, name, token, out);
            }
            StreamPart::ToolCallDelta { index, arguments } => {
                self.tool_delta(*index, arguments, out);
            }
            StreamPart::Usage(usage) => self.usage = *usage,
            StreamPart::Finish { reason } => self.reason = Some(*reason),
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.start("", "", out);
        self.switch(out);
        self.closed = true;
        let reason = encode_stop_reason(
            self.reason.unwrap_or(FinishReason::Stop),
            !self.tools_seen.is_empty(),
        );
        event(
            out,
            json!({
                "type": "message_delta",
                "delta": {"stop_reason": reason, "stop_sequence": null},
                "usage": encode_usage(&self.usage),
            }),
        );
        event(out, json!({"type": "message_stop"}));
    }

    fn error(&mut self, error: &ErrorInfo<'_>, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.closed = true;
        write_event(out, Some("error"), &error_value(error).to_string());
    }
}
