//! Decoding a Messages event stream into canonical stream parts.

use std::collections::HashMap;

use bitrouter_core::{FinishReason, Protocol, Signature, StreamPart, Usage};
use serde_json::Value;

use super::response::{decode_stop_reason, decode_usage};
use super::{Object, as_object, opt_str, opt_u64, req_str};
use crate::codec::StreamDecoder;
use crate::error::DecodeError;
use crate::sse::SseEvent;

/// What a content block carries, by its Anthropic index.
#[derive(Debug, Clone, Copy)]
enum Block {
    Text,
    Thinking,
    /// A tool call and its canonical ordinal.
    Tool(u32),
    /// A block this codec skips (server tools, redacted thinking already emitted whole).
    Other,
}

/// Turns `message_start` … `message_stop` into `Start`, deltas, `Usage` and `Finish`.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    started: bool,
    finished: bool,
    done: bool,
    blocks: HashMap<u64, Block>,
    tool_calls: u32,
    usage: Usage,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, id: &str, model: &str, out: &mut Vec<StreamPart>) {
        if !self.started {
            self.started = true;
            out.push(StreamPart::Start {
                id: id.to_owned(),
                model: model.to_owned(),
            });
        }
    }

    fn message_start(&mut self, o: &Object, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        let message = match o.get("message") {
            Some(m) => as_object(m, "message_start.message")?,
            None => return Err(DecodeError::new("message_start.message: required")),
        };
        let path = "message_start.message";
        let id = opt_str(message, "id", path)?.unwrap_or("msg_bitrouter");
        let model = opt_str(message, "model", path)?.unwrap_or_default();
        self.start(id, model, out);
        if let Some(u) = message.get("usage").filter(|u| !u.is_null()) {
            let usage = decode_usage(as_object(u, "message_start.message.usage")?, path)?;
            self.usage.merge_max(&usage);
            // Report the prompt's count now: a stream that ends early (the client leaves,
            // the upstream breaks) still has its input tokens on record.
            if self.usage.input_tokens > 0 {
                out.push(StreamPart::Usage(self.usage));
            }
        }
        Ok(())
    }

    fn block_start(&mut self, o: &Object, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        let path = "content_block_start";
        let index = block_index(o, path)?;
        let block = match o.get("content_block") {
            Some(b) => as_object(b, "content_block_start.content_block")?,
            None => {
                return Err(DecodeError::new(
                    "content_block_start.content_block: required",
                ));
            }
        };
        let path = "content_block_start.content_block";
        let kind = match req_str(block, "type", path)? {
            "text" => {
                push_text(out, opt_str(block, "text", path)?, false);
                Block::Text
            }
            "thinking" => {
                push_text(out, opt_str(block, "thinking", path)?, true);
                if let Some(sig) = opt_str(block, "signature", path)?.filter(|s| !s.is_empty()) {
                    out.push(StreamPart::ReasoningSignature {
                        signature: Signature::new(Protocol::AnthropicMessages, sig),
                    });
                }
                Block::Thinking
            }
            "redacted_thinking" => {
                out.push(StreamPart::ReasoningOpaque {
                    redacted: Some(req_str(block, "data", path)?.to_owned()),
                    encrypted: None,
                    id: None,
                });
                Block::Other
            }
            "tool_use" => {
                let ordinal = self.tool_calls;
                self.tool_calls += 1;
                out.push(StreamPart::ToolCallStart {
                    index: ordinal,
                    id: req_str(block, "id", path)?.to_owned(),
                    name: req_str(block, "name", path)?.to_owned(),
                    signature: None,
                });
                // The API sends `input: {}` and streams the arguments; a proxy may send them whole.
                if let Some(input) = block.get("input").and_then(Value::as_object)
                    && !input.is_empty()
                {
                    out.push(StreamPart::ToolCallDelta {
                        index: ordinal,
                        arguments: Value::Object(input.clone()).to_string(),
                    });
                }
                Block::Tool(ordinal)
            }
            _ => Block::Other,
        };
        self.blocks.insert(index, kind);
        Ok(())
    }

    fn block_delta(&mut self, o: &Object, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        let path = "content_block_delta";
        let index = block_index(o, path)?;
        let delta = match o.get("delta") {
            Some(d) => as_object(d, "content_block_delta.delta")?,
            None => return Err(DecodeError::new("content_block_delta.delta: required")),
        };
        let path = "content_block_delta.delta";
        let block = self.blocks.get(&index).copied();
        match req_str(delta, "type", path)? {
            "text_delta" => push_text(out, opt_str(delta, "text", path)?, false),
            "thinking_delta" => push_text(out, opt_str(delta, "thinking", path)?, true),
            "signature_delta" => {
                if let Some(sig) = opt_str(delta, "signature", path)? {
                    out.push(StreamPart::ReasoningSignature {
                        signature: Signature::new(Protocol::AnthropicMessages, sig),
                    });
                }
            }
            "input_json_delta" => {
                let Some(Block::Tool(ordinal)) = block else {
                    // Server-tool input: skipped like its block.
                    return Ok(());
                };
                let json = opt_str(delta, "partial_json", path)?.unwrap_or_default();
                if !json.is_empty() {
                    out.push(StreamPart::ToolCallDelta {
                        index: ordinal,
                        arguments: json.to_owned(),
                    });
                }
            }
            // citations_delta and types added later carry nothing canonical.
            _ => {}
        }
        Ok(())
    }

    fn message_delta(&mut self, o: &Object, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        if let Some(u) = o.get("usage").filter(|u| !u.is_null()) {
            let usage = decode_usage(as_object(u, "message_delta.usage")?, "message_delta.usage")?;
            self.usage.merge_max(&usage);
        }
        out.push(StreamPart::Usage(self.usage));
        let reason = match o.get("delta") {
            Some(d) => opt_str(as_object(d, "message_delta.delta")?, "stop_reason", "delta")?,
            None => None,
        };
        if let Some(reason) = reason {
            self.finish(decode_stop_reason(reason), out);
        }
        Ok(())
    }

    fn finish(&mut self, reason: FinishReason, out: &mut Vec<StreamPart>) {
        if !self.finished {
            self.finished = true;
            out.push(StreamPart::Finish { reason });
        }
    }
}

fn block_index(o: &Object, path: &str) -> Result<u64, DecodeError> {
    opt_u64(o, "index", path)?
        .ok_or_else(|| DecodeError::new(format!("{path}.index: required integer is missing")))
}

fn push_text(out: &mut Vec<StreamPart>, text: Option<&str>, reasoning: bool) {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return;
    };
    out.push(if reasoning {
        StreamPart::ReasoningDelta {
            text: text.to_owned(),
        }
    } else {
        StreamPart::TextDelta {
            text: text.to_owned(),
        }
    });
}

impl StreamDecoder for Decoder {
    fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        if self.done {
            return Ok(());
        }
        let value: Value = serde_json::from_str(&event.data).map_err(|e| {
            DecodeError::new(format!("stream event: invalid JSON from the upstream: {e}"))
        })?;
        let o = as_object(&value, "stream event")?;
        let kind = match o.get("type").and_then(Value::as_str) {
            Some(kind) => kind,
            None => event.event.as_deref().unwrap_or_default(),
        };
        match kind {
            "ping" => return Ok(()),
            "error" => {
                self.done = true;
                let error = o.get("error");
                let field = |k: &str| error.and_then(|e| e.get(k)).and_then(Value::as_str);
                return Err(DecodeError::new(format!(
                    "upstream stream error ({}): {}",
                    field("type").unwrap_or("error"),
                    field("message").unwrap_or("no message")
                )));
            }
            "message_start" => return self.message_start(o, out),
            _ => {}
        }
        // An event before `message_start` still needs a `Start` first.
        self.start("msg_bitrouter", "", out);
        match kind {
            "content_block_start" => self.block_start(o, out),
            "content_block_delta" => self.block_delta(o, out),
            "message_delta" => self.message_delta(o, out),
            "message_stop" => {
                self.done = true;
                self.finish(FinishReason::Stop, out);
                Ok(())
            }
            // content_block_stop carries nothing; unknown events are ignored as the API's
            // versioning policy asks.
            _ => Ok(()),
        }
    }

    fn is_done(&self) -> bool {
        self.done
    }
}
