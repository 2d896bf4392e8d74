//! Writing canonical parts as a Responses event stream: the full item lifecycle with
//! increasing `sequence_number`s, and a closing `response.completed` (or
//! `response.incomplete`) carrying the whole response, written in `finish()` because usage
//! may arrive after the finish reason.

use std::collections::HashMap;

use bitrouter_core::{FinishReason, Reasoning, Signature, StreamPart, ToolCall, Usage};
use serde_json::{Value, json};

use super::output::{
    ResponseHead, call_proof_item, function_call_item, item_id, message_item, reasoning_item,
    response_object, status_for, usage_json,
};
use super::{error_type, mint_response_id, now_secs};
use crate::codec::{ErrorInfo, StreamEncoder, StreamOptions};
use crate::sse::write_event;

#[derive(Debug)]
enum Kind {
    Message {
        text: String,
    },
    Reasoning {
        reasoning: Reasoning,
        summary_open: bool,
    },
    FunctionCall {
        call: ToolCall,
    },
    /// The reasoning item carrying the foreign signature of the function call after it.
    CallProof {
        signature: Signature,
    },
}

#[derive(Debug)]
struct Item {
    id: String,
    kind: Kind,
    done: bool,
}

impl Item {
    fn value(&self, status: &str) -> Value {
        match &self.kind {
            Kind::Message { text } => message_item(&self.id, text, status),
            Kind::Reasoning { reasoning, .. } => reasoning_item(&self.id, reasoning),
            Kind::FunctionCall { call } => function_call_item(&self.id, call, status),
            Kind::CallProof { signature } => call_proof_item(&self.id, signature),
        }
    }
}

/// Accumulates the answer while writing its events, so that the `.done` events and the final
/// response carry the complete text, arguments and items.
#[derive(Debug)]
pub(crate) struct Encoder {
    seq: u64,
    started: bool,
    closed: bool,
    id: String,
    model: String,
    created_at: u64,
    items: Vec<Item>,
    /// The open message or reasoning item (they stream one at a time).
    current: Option<usize>,
    /// Canonical tool index to item position (tool calls may interleave).
    tools: HashMap<u32, usize>,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
}

impl Encoder {
    pub(crate) fn new(_options: StreamOptions) -> Self {
        Self {
            seq: 0,
            started: false,
            closed: false,
            id: String::new(),
            model: String::new(),
            created_at: 0,
            items: Vec::new(),
            current: None,
            tools: HashMap::new(),
            finish: None,
            usage: None,
        }
    }

    fn emit(&mut self, out: &mut Vec<u8>, kind: &str, mut fields: Value) {
        fields["type"] = json!(kind);
        fields["sequence_number"] = json!(self.seq);
        self.seq += 1;
        write_event(out, Some(kind), &fields.to_string());
    }

    fn response(&self, status: &str, incomplete_details: Value, output: Vec<Value>) -> Value {
        let head = ResponseHead {
            id: &self.id,
            model: &self.model,
            created_at: self.created_at,
            status,
            incomplete_details,
        };
        let usage = self.usage.as_ref().map_or(Value::Null, usage_json);
        response_object(&head, output, usage)
    }

    fn start(&mut self, id: &str, model: &str, out: &mut Vec<u8>) {
        if self.started {
            return;
        }
        self.started = true;
        self.id = if id.is_empty() {
            mint_response_id()
        } else {
            id.to_owned()
        };
        self.model = model.to_owned();
        self.created_at = now_secs();
        let response = self.response("in_progress", Value::Null, Vec::new());
        self.emit(out, "response.created", json!({"response": response}));
        self.emit(out, "response.in_progress", json!({"response": response}));
    }

    /// Adds an item and writes its `response.output_item.added`.
    fn open(&mut self, prefix: &str, kind: Kind, out: &mut Vec<u8>) -> usize {
        let n = self.items.len();
        let id = match &kind {
            Kind::Reasoning { reasoning, .. } => reasoning.id.clone(),
            _ => None,
        }
        .unwrap_or_else(|| item_id(prefix, &self.id, n));
        self.items.push(Item {
            id,
            kind,
            done: false,
        });
        let item = self.items[n].value("in_progress");
        let item = match self.items[n].kind {
            Kind::Message { .. } => json!({"id": item["id"], "type": "message",
                "status": "in_progress", "role": "assistant", "content": []}),
            _ => item,
        };
        self.emit(
            out,
            "response.output_item.added",
            json!({"output_index": n, "item": item}),
        );
        n
    }

    /// The open message item, opening one (and closing an open reasoning item) if needed.
    fn message(&mut self, out: &mut Vec<u8>) -> usize {
        if let Some(n) = self.current {
            if matches!(self.items[n].kind, Kind::Message { .. }) {
                return n;
            }
        }
        self.close_current(out);
        let n = self.open(
            "msg",
            Kind::Message {
                text: String::new(),
            },
            out,
        );
        let id = self.items[n].id.clone();
        self.emit(
            out,
            "response.content_part.added",
            json!({"item_id": id,
            "output_index": n, "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []}}),
        );
        self.current = Some(n);
        n
    }

    /// The open reasoning item, opening one (and closing an open message) if needed.
    fn reasoning(&mut self, id: Option<String>, out: &mut Vec<u8>) -> usize {
        if let Some(n) = self.current {
            if matches!(self.items[n].kind, Kind::Reasoning { .. }) {
                return n;
            }
        }
        self.close_current(out);
        let reasoning = Reasoning {
            id,
            ..Reasoning::default()
        };
        let kind = Kind::Reasoning {
            reasoning,
            summary_open: false,
        };
        let n = self.open("rs", kind, out);
        self.current = Some(n);
        n
    }

    fn close_current(&mut self, out: &mut Vec<u8>) {
        if let Some(n) = self.current.take() {
            self.close(n, out);
        }
    }

    /// Writes an item's closing events with its complete content.
    fn close(&mut self, n: usize, out: &mut Vec<u8>) {
        if self.items[n].done {
            return;
        }
        self.items[n].done = true;
        let id = self.items[n].id.clone();
        match &self.items[n].kind {
            Kind::Message { text } => {
                let text = text.clone();
                self.emit(
                    out,
                    "response.output_text.done",
                    json!({"item_id": id,
                    "output_index": n, "content_index": 0, "text": text, "logprobs": []}),
                );
                self.emit(
                    out,
                    "response.content_part.done",
                    json!({"item_id": id,
                    "output_index": n, "content_index": 0,
                    "part": {"type": "output_text", "text": text, "annotations": []}}),
                );
            }
            Kind::Reasoning {
                reasoning,
                summary_open: true,
            } => {
                let text = reasoning.text.clone();
                self.emit(
                    out,
                    "response.reasoning_summary_text.done",
                    json!({"item_id": id,
                    "output_index": n, "summary_index": 0, "text": text}),
                );
                self.emit(
                    out,
                    "response.reasoning_summary_part.done",
                    json!({"item_id": id,
                    "output_index": n, "summary_index": 0,
                    "part": {"type": "summary_text", "text": text}}),
                );
            }
            Kind::Reasoning { .. } | Kind::CallProof { .. } => {}
            Kind::FunctionCall { call } => {
                let arguments = call.arguments.clone();
                self.emit(
                    out,
                    "response.function_call_arguments.done",
                    json!({"item_id": id,
                    "output_index": n, "arguments": arguments}),
                );
            }
        }
        let item = self.items[n].value("completed");
        self.emit(
            out,
            "response.output_item.done",
            json!({"output_index": n, "item": item}),
        );
    }

    fn close_all(&mut self, out: &mut Vec<u8>) {
        self.current = None;
        for n in 0..self.items.len() {
            self.close(n, out);
        }
    }

    fn tool_call_start(
        &mut self,
        index: u32,
        id: &str,
        name: &str,
        signature: Option<&Signature>,
        out: &mut Vec<u8>,
    ) -> usize {
        self.close_current(out);
        if let Some(signature) = signature {
            let kind = Kind::CallProof {
                signature: signature.clone(),
            };
            let n = self.open("rs", kind, out);
            self.close(n, out);
        }
        let call = ToolCall {
            id: id.to_owned(),
            name: name.to_owned(),
            arguments: String::new(),
            signature: None,
        };
        let n = self.open("fc", Kind::FunctionCall { call }, out);
        self.tools.insert(index, n);
        n
    }
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
            StreamPart::TextDelta { text } => {
                let n = self.message(out);
                if let Kind::Message { text: acc } = &mut self.items[n].kind {
                    acc.push_str(text);
                }
                let id = self.items[n].id.clone();
                self.emit(
                    out,
                    "response.output_text.delta",
                    json!({"item_id": id,
                    "output_index": n, "content_index": 0, "delta": text, "logprobs": []}),
                );
            }
            StreamPart::ReasoningDelta { text } => {
                let n = self.reasoning(None, out);
                let id = self.items[n].id.clone();
                let mut opened = false;
                if let Kind::Reasoning {
                    reasoning,
                    summary_open,
                } = &mut self.items[n].kind
                {
                    reasoning.text.push_str(text);
                    opened = !*summary_open;
                    *summary_open = true;
                }
                if opened {
                    self.emit(
                        out,
                        "response.reasoning_summary_part.added",
                        json!({
                        "item_id": id, "output_index": n, "summary_index": 0,
                        "part": {"type": "summary_text", "text": ""}}),
                    );
                }
                self.emit(
                    out,
                    "response.reasoning_summary_text.delta",
                    json!({"item_id": id,
                    "output_index": n, "summary_index": 0, "delta": text}),
                );
            }
            // A signature completes the reasoning item; it is written (enveloped) in the item's
            // `encrypted_content`.
            StreamPart::ReasoningSignature { signature } => {
                let n = self.reasoning(None, out);
                if let Kind::Reasoning { reasoning, .. } = &mut self.items[n].kind {
                    reasoning.signature = Some(signature.clone());
                }
                self.close_current(out);
            }
            StreamPart::ReasoningOpaque {
                redacted,
                encrypted,
                id,
            } => {
                if redacted.is_none() && encrypted.is_none() {
                    return;
                }
                let n = self.reasoning(encrypted.as_ref().and(id.clone()), out);
                if let Kind::Reasoning { reasoning, .. } = &mut self.items[n].kind {
                    reasoning.encrypted.clone_from(encrypted);
                    reasoning.redacted.clone_from(redacted);
                }
                // The opaque content completes a reasoning item.
                self.close_current(out);
            }
            StreamPart::ToolCallStart {
                index,
                id,
                name,
                signature,
            } => {
                if !self.tools.contains_key(index) {
                    self.tool_call_start(*index, id, name, signature.as_ref(), out);
                }
            }
            StreamPart::ToolCallDelta { index, arguments } => {
                let n = match self.tools.get(index) {
                    Some(n) => *n,
                    None => self.tool_call_start(*index, &format!("call_{index}"), "", None, out),
                };
                if let Kind::FunctionCall { call } = &mut self.items[n].kind {
                    call.arguments.push_str(arguments);
                }
                let id = self.items[n].id.clone();
                self.emit(
                    out,
                    "response.function_call_arguments.delta",
                    json!({
                    "item_id": id, "output_index": n, "delta": arguments}),
                );
            }
            StreamPart::Usage(usage) => self.usage = Some(*usage),
            StreamPart::Finish { reason } => {
                self.finish = Some(*reason);
                self.close_all(out);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.start("", "", out);
        self.close_all(out);
        self.closed = true;
        let (status, incomplete_details) = status_for(self.finish.unwrap_or_default());
        let output = self.items.iter().map(|i| i.value("completed")).collect();
        let response = self.response(status, incomplete_details, output);
        let kind = if status == "completed" {
            "response.completed"
        } else {
            "response.incomplete"
        };
        self.emit(out, kind, json!({"response": response}));
    }

    /// Writes an `error` event (with the fields both at the top level, as the reference
    /// documents, and under `error`, as OpenAI sends them), then `response.failed`.
    fn error(&mut self, error: &ErrorInfo<'_>, out: &mut Vec<u8>) {
        if self.closed {
            return;
        }
        self.closed = true;
        if !self.started {
            self.started = true;
            self.id = mint_response_id();
            self.created_at = now_secs();
        }
        let code = error.code.unwrap_or(error_type(error.status));
        self.emit(
            out,
            "error",
            json!({"code": code, "message": error.message, "param": null,
            "error": {"type": error_type(error.status), "code": code,
                "message": error.message, "param": null}}),
        );
        let output = self.items.iter().map(|i| i.value("incomplete")).collect();
        let mut response = self.response("failed", Value::Null, output);
        response["error"] = json!({"code": code, "message": error.message});
        self.emit(out, "response.failed", json!({"response": response}));
    }
}
