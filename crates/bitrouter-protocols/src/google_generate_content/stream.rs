//! `streamGenerateContent?alt=sse`: every `data:` event is a whole `GenerateContentResponse`
//! holding the next parts. Function calls arrive complete in one chunk; `usageMetadata` is
//! cumulative; the last chunk carries `finishReason`.

use bitrouter_core::{ContentPart, FinishReason, Protocol, StreamPart, Usage};
use serde_json::{Map, Value, json};

use super::error::error_value;
use super::field;
use super::parts::{CallIds, Reader, call_signature, decode_part};
use super::response::{
    encode_finish, encode_usage, finish_reason, first_candidate, mint_id, model_version,
    response_id, upstream_error, usage,
};
use crate::codec::{ErrorInfo, StreamDecoder, StreamEncoder, StreamOptions};
use crate::error::DecodeError;
use crate::signature_envelope::Sealed;
use crate::sse::SseEvent;

const GOOGLE: Protocol = Protocol::GoogleGenerateContent;

/// Decodes a Gemini SSE stream into canonical parts.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    started: bool,
    finished: bool,
    calls: u32,
    ids: CallIds,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }
}

impl StreamDecoder for Decoder {
    fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        let data = event.data.trim();
        if data.is_empty() {
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data).map_err(|e| {
            DecodeError::new(format!("a Gemini stream chunk is not valid JSON: {e}"))
        })?;
        let obj = chunk
            .as_object()
            .ok_or_else(|| DecodeError::new("a Gemini stream chunk is not a JSON object"))?;
        upstream_error(obj)?;
        if !self.started {
            self.started = true;
            out.push(StreamPart::Start {
                id: response_id(obj),
                model: model_version(obj),
            });
        }
        let candidate = first_candidate(obj);
        if let Some(parts) = candidate
            .and_then(|c| field(c, "content"))
            .and_then(Value::as_object)
            .and_then(|c| field(c, "parts"))
            .and_then(Value::as_array)
        {
            let mut decoded = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                let path = format!("candidates[0].content.parts[{i}]");
                decode_part(part, &path, &mut self.ids, false, &mut decoded)?;
            }
            for part in decoded {
                self.emit(part, out);
            }
        }
        if let Some(meta) = field(obj, "usageMetadata") {
            out.push(StreamPart::Usage(usage(meta)));
        }
        let reason = match candidate.and_then(|c| field(c, "finishReason")) {
            Some(r) => Some(finish_reason(r.as_str().unwrap_or("OTHER"), self.calls > 0)),
            None if candidate.is_none() && blocked(obj) => Some(FinishReason::ContentFilter),
            None => None,
        };
        if let Some(reason) = reason.filter(|_| !self.finished) {
            self.finished = true;
            out.push(StreamPart::Finish { reason });
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.finished
    }
}

impl Decoder {
    fn emit(&mut self, part: ContentPart, out: &mut Vec<StreamPart>) {
        match part {
            ContentPart::Text { text } => out.push(StreamPart::TextDelta { text }),
            ContentPart::Reasoning(r) => {
                if !r.text.is_empty() {
                    out.push(StreamPart::ReasoningDelta { text: r.text });
                }
                if let Some(signature) = r.signature {
                    out.push(StreamPart::ReasoningSignature { signature });
                }
            }
            ContentPart::ToolCall(call) => {
                let index = self.calls;
                self.calls += 1;
                out.push(StreamPart::ToolCallStart {
                    index,
                    id: call.id,
                    name: call.name,
                    signature: call.signature,
                });
                out.push(StreamPart::ToolCallDelta {
                    index,
                    arguments: call.arguments,
                });
            }
            // Images and the like have no stream part.
            ContentPart::Image { .. } | ContentPart::ToolResult(_) => {}
        }
    }
}

fn blocked(obj: &Map<String, Value>) -> bool {
    field(obj, "promptFeedback")
        .and_then(Value::as_object)
        .and_then(|f| field(f, "blockReason"))
        .is_some()
}

/// A tool call whose argument fragments are still arriving.
#[derive(Debug)]
struct PendingCall {
    index: u32,
    id: String,
    name: String,
    /// The `thoughtSignature` to write (Gemini's own bare, foreign ones enveloped).
    signature: Option<String>,
    arguments: String,
}

/// Writes canonical parts as a Gemini SSE stream. Tool calls are held until their arguments
/// are complete (at `Finish` or the end) and written whole; the last chunk, written by
/// `finish()` because usage may come after `Finish`, carries `finishReason` and
/// `usageMetadata`.
#[derive(Debug)]
pub(crate) struct Encoder {
    id: String,
    model: String,
    calls: Vec<PendingCall>,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
    in_reasoning: bool,
    done: bool,
}

impl Encoder {
    pub(crate) fn new(_options: StreamOptions) -> Self {
        Self {
            id: mint_id(),
            model: String::new(),
            calls: Vec::new(),
            finish: None,
            usage: None,
            in_reasoning: false,
            done: false,
        }
    }

    fn write(&self, candidate: Value, usage: Option<&Usage>, out: &mut Vec<u8>) {
        let mut chunk = Map::new();
        chunk.insert("candidates".into(), Value::Array(vec![candidate]));
        if let Some(usage) = usage {
            chunk.insert("usageMetadata".into(), encode_usage(usage));
        }
        chunk.insert("modelVersion".into(), Value::String(self.model.clone()));
        chunk.insert("responseId".into(), Value::String(self.id.clone()));
        write_data(out, &Value::Object(chunk));
    }

    fn parts(&self, parts: Vec<Value>, out: &mut Vec<u8>) {
        let candidate = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        self.write(candidate, None, out);
    }

    /// Writes the buffered tool calls as one chunk of `functionCall` parts.
    fn flush_calls(&mut self, out: &mut Vec<u8>) {
        if self.calls.is_empty() {
            return;
        }
        let mut calls = std::mem::take(&mut self.calls);
        calls.sort_by_key(|c| c.index);
        let mut parts = Vec::with_capacity(calls.len());
        for call in calls {
            let args = if call.arguments.trim().is_empty() {
                Value::Object(Map::new())
            } else {
                match serde_json::from_str::<Value>(&call.arguments) {
                    Ok(args @ Value::Object(_)) => args,
                    _ => {
                        let message = format!(
                            "the upstream's tool call `{}` ({}) has arguments that are not a \
                             JSON object",
                            call.name, call.id
                        );
                        let info = ErrorInfo {
                            status: 502,
                            message: &message,
                            code: None,
                        };
                        self.error(&info, out);
                        return;
                    }
                }
            };
            let mut part = Map::new();
            part.insert(
                "functionCall".into(),
                json!({"id": call.id, "name": call.name, "args": args}),
            );
            if let Some(sig) = call.signature {
                part.insert("thoughtSignature".into(), Value::String(sig));
            }
            parts.push(Value::Object(part));
        }
        self.parts(parts, out);
    }
}

/// One event the way Google writes them: `data: …` and a blank line, with CRLF line ends.
fn write_data(out: &mut Vec<u8>, value: &Value) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(value.to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
}

impl StreamEncoder for Encoder {
    fn encode(&mut self, part: &StreamPart, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        match part {
            StreamPart::Start { id, model } => {
                if !id.is_empty() {
                    self.id.clone_from(id);
                }
                self.model.clone_from(model);
            }
            StreamPart::TextDelta { text } => {
                self.in_reasoning = false;
                if !text.is_empty() {
                    self.parts(vec![json!({ "text": text })], out);
                }
            }
            StreamPart::ReasoningDelta { text } => {
                self.in_reasoning = true;
                if !text.is_empty() {
                    self.parts(vec![json!({ "text": text, "thought": true })], out);
                }
            }
            StreamPart::ReasoningSignature { signature } => {
                let token = Sealed::Reasoning(signature.clone()).token_for(GOOGLE);
                let part = if self.in_reasoning {
                    json!({"text": "", "thought": true, "thoughtSignature": token})
                } else {
                    json!({"text": "", "thoughtSignature": token})
                };
                self.parts(vec![part], out);
            }
            // Opaque reasoning from other vendors travels enveloped on an empty thought part.
            StreamPart::ReasoningOpaque {
                redacted,
                encrypted,
                id,
            } => {
                let sealed = match (redacted, encrypted) {
                    (Some(data), _) => Sealed::Redacted(data.clone()),
                    (None, Some(content)) => Sealed::Encrypted {
                        id: id.clone(),
                        content: content.clone(),
                    },
                    (None, None) => return,
                };
                let token = sealed.token_for(GOOGLE);
                let part = json!({"text": "", "thought": true, "thoughtSignature": token});
                self.parts(vec![part], out);
            }
            StreamPart::ToolCallStart {
                index,
                id,
                name,
                signature,
            } => {
                self.in_reasoning = false;
                self.calls.push(PendingCall {
                    index: *index,
                    id: id.clone(),
                    name: name.clone(),
                    signature: call_signature(signature.as_ref(), Reader::Client),
                    arguments: String::new(),
                });
            }
            StreamPart::ToolCallDelta { index, arguments } => {
                if let Some(call) = self.calls.iter_mut().find(|c| c.index == *index) {
                    call.arguments.push_str(arguments);
                }
            }
            StreamPart::Usage(usage) => self.usage = Some(*usage),
            StreamPart::Finish { reason } => {
                self.finish = Some(*reason);
                self.flush_calls(out);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        self.flush_calls(out);
        if self.done {
            return;
        }
        self.done = true;
        let reason = encode_finish(self.finish.unwrap_or_default());
        let candidate = json!({
            "content": {"role": "model", "parts": [{"text": ""}]},
            "finishReason": reason,
            "index": 0,
        });
        self.write(candidate, self.usage.as_ref(), out);
    }

    fn error(&mut self, error: &ErrorInfo<'_>, out: &mut Vec<u8>) {
        self.done = true;
        self.calls.clear();
        write_data(out, &error_value(error));
    }
}
