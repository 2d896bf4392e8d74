//! Decoding an upstream's Responses event stream into canonical parts.

use std::collections::HashSet;

use bitrouter_core::{ContentPart, StreamPart};
use serde_json::Value;

use super::input::decode_reasoning_item;
use super::mint_response_id;
use super::output::{OutputFacts, decode_output, decode_usage, finish_reason};
use super::response::failure_message;
use crate::codec::StreamDecoder;
use crate::error::DecodeError;
use crate::sse::SseEvent;

/// A function call item seen in the stream.
#[derive(Debug)]
struct ToolSlot {
    key: String,
    output_index: Option<u64>,
}

/// Turns `response.*` events into canonical parts. Tool calls are numbered in the order their
/// `response.output_item.added` events arrive; encrypted reasoning arrives with the reasoning
/// item's `response.output_item.done`.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    started: bool,
    done: bool,
    tools: Vec<ToolSlot>,
    /// Items (by key) that produced deltas, so their `.done` events add nothing.
    streamed: HashSet<String>,
    /// The reasoning item and summary part the last summary delta belonged to.
    summary_at: Option<(String, u64)>,
    saw_items: bool,
    facts: OutputFacts,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, response: Option<&Value>, out: &mut Vec<StreamPart>) {
        if self.started {
            return;
        }
        self.started = true;
        let field = |k: &str| {
            response
                .and_then(|r| r[k].as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        out.push(StreamPart::Start {
            id: field("id").unwrap_or_else(mint_response_id),
            model: field("model").unwrap_or_else(|| "unknown".to_owned()),
        });
    }

    /// The tool index of a function call item, starting it when it is new.
    fn tool_index(
        &mut self,
        key: &str,
        output_index: Option<u64>,
        item: Option<&Value>,
        out: &mut Vec<StreamPart>,
    ) -> u32 {
        let found = self.tools.iter().position(|t| {
            t.key == key || (output_index.is_some() && t.output_index == output_index)
        });
        if let Some(i) = found {
            return i as u32;
        }
        let index = self.tools.len() as u32;
        self.tools.push(ToolSlot {
            key: key.to_owned(),
            output_index,
        });
        self.facts.has_tool_calls = true;
        let field = |k: &str| {
            item.and_then(|i| i[k].as_str())
                .unwrap_or_default()
                .to_owned()
        };
        out.push(StreamPart::ToolCallStart {
            index,
            id: field("call_id"),
            name: field("name"),
            signature: None,
        });
        index
    }

    fn item_added(&mut self, item: &Value, key: &str, oi: Option<u64>, out: &mut Vec<StreamPart>) {
        if item["type"] == "function_call" {
            let index = self.tool_index(key, oi, Some(item), out);
            // Some servers send the whole arguments with the item.
            if let Some(args) = item["arguments"].as_str().filter(|a| !a.is_empty()) {
                self.streamed.insert(key.to_owned());
                out.push(StreamPart::ToolCallDelta {
                    index,
                    arguments: args.to_owned(),
                });
            }
        }
    }

    /// A finished item: adds what its deltas did not carry.
    fn item_done(
        &mut self,
        item: &Value,
        key: &str,
        oi: Option<u64>,
        out: &mut Vec<StreamPart>,
    ) -> Result<(), DecodeError> {
        let streamed = self.streamed.contains(key);
        match item["type"].as_str() {
            Some("function_call") => {
                let index = self.tool_index(key, oi, Some(item), out);
                if let Some(args) = item["arguments"]
                    .as_str()
                    .filter(|a| !a.is_empty() && !streamed)
                {
                    out.push(StreamPart::ToolCallDelta {
                        index,
                        arguments: args.to_owned(),
                    });
                }
            }
            Some("message") if !streamed => {
                let mut facts = OutputFacts::default();
                for part in decode_output(std::slice::from_ref(item), &mut facts)? {
                    if let ContentPart::Text { text } = part {
                        out.push(StreamPart::TextDelta { text });
                    }
                }
                self.facts.refused |= facts.refused;
            }
            Some("reasoning") => {
                let Value::Object(obj) = item else {
                    return Ok(());
                };
                let reasoning = decode_reasoning_item(obj, "item")?;
                if !streamed && !reasoning.text.is_empty() {
                    out.push(StreamPart::ReasoningDelta {
                        text: reasoning.text,
                    });
                }
                if reasoning.encrypted.is_some() {
                    out.push(StreamPart::ReasoningOpaque {
                        redacted: None,
                        encrypted: reasoning.encrypted,
                        id: reasoning.id,
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `response.completed` / `response.incomplete`: usage and the finish reason, and the
    /// whole output when the server streamed no items.
    fn finished(&mut self, response: &Value, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        let output = response["output"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if self.saw_items {
            for item in output {
                self.facts.has_tool_calls |= item["type"] == "function_call";
            }
        } else {
            for part in decode_output(output, &mut self.facts)? {
                match part {
                    ContentPart::Text { text } => out.push(StreamPart::TextDelta { text }),
                    ContentPart::ToolCall(call) => {
                        let item = serde_json::json!({"call_id": call.id, "name": call.name});
                        let index = self.tool_index(&call.id, None, Some(&item), out);
                        out.push(StreamPart::ToolCallDelta {
                            index,
                            arguments: call.arguments,
                        });
                    }
                    ContentPart::Reasoning(r) => {
                        if !r.text.is_empty() {
                            out.push(StreamPart::ReasoningDelta { text: r.text });
                        }
                        if r.encrypted.is_some() {
                            out.push(StreamPart::ReasoningOpaque {
                                redacted: None,
                                encrypted: r.encrypted,
                                id: r.id,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        if response["usage"].is_object() {
            out.push(StreamPart::Usage(decode_usage(&response["usage"])));
        }
        out.push(StreamPart::Finish {
            reason: finish_reason(response, &self.facts),
        });
        self.done = true;
        Ok(())
    }
}

/// The key of the item an event is about: its id, or its position when it has none.
fn item_key(item_id: Option<&str>, output_index: Option<u64>) -> String {
    match item_id {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => format!("#{}", output_index.unwrap_or(0)),
    }
}

impl StreamDecoder for Decoder {
    fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        if event.data.trim() == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let data: Value = serde_json::from_str(&event.data).map_err(|e| {
            DecodeError::new(format!("Responses stream event is not valid JSON: {e}"))
        })?;
        let kind = data["type"]
            .as_str()
            .or(event.event.as_deref())
            .unwrap_or_default();
        match kind {
            "error" => {
                self.done = true;
                let message = data["error"]["message"]
                    .as_str()
                    .or(data["message"].as_str())
                    .unwrap_or("the upstream sent an error event without a message");
                return Err(DecodeError::new(message));
            }
            "response.failed" => {
                self.done = true;
                return Err(DecodeError::new(failure_message(&data)));
            }
            _ => {}
        }
        self.start(data.get("response"), out);

        let oi = data["output_index"].as_u64();
        let item = &data["item"];
        let key = item_key(data["item_id"].as_str().or(item["id"].as_str()), oi);
        match kind {
            "response.output_item.added" => {
                self.saw_items = true;
                self.item_added(item, &key, oi, out);
            }
            "response.output_item.done" => {
                self.saw_items = true;
                self.item_done(item, &key, oi, out)?;
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                self.saw_items = true;
                self.facts.refused |= kind == "response.refusal.delta";
                self.streamed.insert(key);
                if let Some(text) = data["delta"].as_str().filter(|t| !t.is_empty()) {
                    out.push(StreamPart::TextDelta {
                        text: text.to_owned(),
                    });
                }
            }
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                self.saw_items = true;
                let part = data["summary_index"]
                    .as_u64()
                    .or(data["content_index"].as_u64())
                    .unwrap_or(0);
                // Summary parts are joined by blank lines, as in a complete answer.
                if let Some((item, at)) = &self.summary_at {
                    if *item == key && *at != part {
                        out.push(StreamPart::ReasoningDelta {
                            text: "\n\n".to_owned(),
                        });
                    }
                }
                self.summary_at = Some((key.clone(), part));
                self.streamed.insert(key);
                if let Some(text) = data["delta"].as_str().filter(|t| !t.is_empty()) {
                    out.push(StreamPart::ReasoningDelta {
                        text: text.to_owned(),
                    });
                }
            }
            "response.function_call_arguments.delta" => {
                self.saw_items = true;
                let index = self.tool_index(&key, oi, None, out);
                self.streamed.insert(key);
                if let Some(args) = data["delta"].as_str().filter(|a| !a.is_empty()) {
                    out.push(StreamPart::ToolCallDelta {
                        index,
                        arguments: args.to_owned(),
                    });
                }
            }
            "response.function_call_arguments.done" => {
                let index = self.tool_index(&key, oi, None, out);
                if let Some(args) = data["arguments"].as_str().filter(|a| !a.is_empty()) {
                    if self.streamed.insert(key) {
                        out.push(StreamPart::ToolCallDelta {
                            index,
                            arguments: args.to_owned(),
                        });
                    }
                }
            }
            "response.completed" | "response.incomplete" => {
                self.finished(&data["response"], out)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.done
    }
}
