//! OpenRouter's `reasoning_details` on assistant messages and stream deltas, which carry the
//! reasoning proofs Chat Completions has no field for, so that a client echoing its assistant
//! messages back gives them to the next turn.
//!
//! Entries follow OpenRouter's reasoning-tokens guide: `{"type": "reasoning.text", "text",
//! "signature", "format", "index"}` for (signed) reasoning text and `{"type":
//! "reasoning.encrypted", "data", "id", "format", "index"}` for opaque reasoning; a function
//! call's signature is a `reasoning.encrypted` entry whose `id` is the tool call's id.
//! Proofs are written as envelopes ([`crate::signature_envelope`]); read back, an envelope
//! restores its origin, and a bare value takes its origin from `format` (OpenRouter's own
//! answers), else Chat Completions.

use std::collections::HashMap;

use bitrouter_core::{ContentPart, Protocol, Reasoning, Signature};
use serde_json::{Value, json};

use crate::error::DecodeError;
use crate::signature_envelope::Sealed;

/// OpenRouter's `format` for each protocol's proofs.
fn format_of(origin: Protocol) -> &'static str {
    match origin {
        Protocol::AnthropicMessages => "anthropic-claude-v1",
        Protocol::GoogleGenerateContent => "google-gemini-v1",
        Protocol::OpenaiResponses => "openai-responses-v1",
        Protocol::OpenaiChat => "unknown",
    }
}

fn origin_of(format: Option<&str>) -> Protocol {
    match format {
        Some(f) if f.starts_with("anthropic-") => Protocol::AnthropicMessages,
        Some(f) if f.starts_with("google-") => Protocol::GoogleGenerateContent,
        Some(f) if f.starts_with("openai-responses-") => Protocol::OpenaiResponses,
        _ => Protocol::OpenaiChat,
    }
}

/// The entries for one reasoning part, the `index`th of its message.
pub(super) fn reasoning_entries(r: &Reasoning, index: usize, out: &mut Vec<Value>) {
    // Entries of one part share an id, so that a reader can join text and opaque data again.
    let id = r.id.clone().unwrap_or_else(|| format!("reasoning_{index}"));
    match Sealed::of_reasoning(r) {
        Some(Sealed::Reasoning(s)) => out.push(json!({
            "type": "reasoning.text", "text": r.text, "signature": Sealed::Reasoning(s.clone()).wrap(),
            "id": id, "format": format_of(s.origin), "index": index,
        })),
        Some(sealed @ (Sealed::Redacted(_) | Sealed::Encrypted { .. })) => {
            let origin = if matches!(sealed, Sealed::Redacted(_)) {
                Protocol::AnthropicMessages
            } else {
                Protocol::OpenaiResponses
            };
            if !r.text.is_empty() {
                out.push(json!({"type": "reasoning.text", "text": r.text, "id": id,
                    "format": format_of(origin), "index": index}));
            }
            out.push(json!({"type": "reasoning.encrypted", "data": sealed.wrap(), "id": id,
                "format": format_of(origin), "index": index}));
        }
        Some(Sealed::Call(_)) | None if r.text.is_empty() => {}
        Some(Sealed::Call(_)) | None => out.push(json!({
            "type": "reasoning.text", "text": r.text, "id": id, "format": "unknown",
            "index": index,
        })),
    }
}

/// The entry carrying a tool call's signature.
pub(super) fn call_entry(call_id: &str, signature: &Signature, index: usize) -> Value {
    json!({"type": "reasoning.encrypted", "data": Sealed::Call(signature.clone()).wrap(),
        "id": call_id, "format": format_of(signature.origin), "index": index})
}

/// What an assistant message's `reasoning_details` held.
#[derive(Debug, Default)]
pub(super) struct Details {
    /// Reasoning parts, in order.
    pub(super) reasoning: Vec<ContentPart>,
    /// Tool call signatures by call id; the one without an id goes to the first call.
    pub(super) calls: HashMap<Option<String>, Signature>,
}

/// Reads `reasoning_details` at `path`.
pub(super) fn decode_details(value: Value, path: &str) -> Result<Details, DecodeError> {
    let Value::Array(entries) = value else {
        return Err(DecodeError::new(format!("{path}: expected an array")));
    };
    let mut details = Details::default();
    let mut last_id: Option<String> = None;
    for (i, entry) in entries.into_iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Value::Object(o) = entry else {
            return Err(DecodeError::new(format!("{p}: expected an object")));
        };
        let text_of = |key: &str| o.get(key).and_then(Value::as_str).map(str::to_owned);
        let id = text_of("id");
        let origin = origin_of(o.get("format").and_then(Value::as_str));
        let kind = text_of("type").unwrap_or_default();
        match kind.as_str() {
            "reasoning.text" | "reasoning.summary" => {
                let key = if kind == "reasoning.text" {
                    "text"
                } else {
                    "summary"
                };
                let text = text_of(key).unwrap_or_default();
                let part = match text_of("signature").filter(|s| !s.is_empty()) {
                    Some(sig) => opened(&sig, origin, text),
                    None => Ok(Reasoning {
                        text,
                        ..Reasoning::default()
                    }),
                };
                push(&mut details, part, id.clone());
                last_id = id;
            }
            "reasoning.encrypted" => {
                let Some(data) = text_of("data") else {
                    return Err(DecodeError::new(format!("{p}.data: required string")));
                };
                // An opaque entry with the id of the text before it completes that reasoning.
                let joins = id.is_some() && id == last_id;
                let sealed =
                    Sealed::unwrap(&data).unwrap_or_else(|| bare_opaque(data, origin, id.clone()));
                match sealed.into_reasoning(String::new()) {
                    Ok(proof) if joins => join_last(&mut details, proof),
                    Ok(proof) => push(&mut details, Ok(proof), None),
                    Err(signature) => {
                        details.calls.insert(id.clone(), signature);
                    }
                }
                last_id = None;
            }
            _ => {}
        }
    }
    Ok(details)
}

/// A signature read from a client: an envelope, or a bare value of `origin`.
fn opened(value: &str, origin: Protocol, text: String) -> Result<Reasoning, Signature> {
    Sealed::unwrap(value)
        .unwrap_or_else(|| Sealed::Reasoning(Signature::new(origin, value)))
        .into_reasoning(text)
}

/// A bare `reasoning.encrypted` entry as OpenRouter writes them: Anthropic redacted thinking,
/// Responses encrypted content, or (with the call's id) a Gemini function call's signature.
fn bare_opaque(data: String, origin: Protocol, id: Option<String>) -> Sealed {
    match origin {
        Protocol::AnthropicMessages => Sealed::Redacted(data),
        Protocol::OpenaiResponses => Sealed::Encrypted { id, content: data },
        Protocol::GoogleGenerateContent => Sealed::Call(Signature::new(origin, data)),
        Protocol::OpenaiChat => Sealed::Reasoning(Signature::new(origin, data)),
    }
}

fn push(details: &mut Details, part: Result<Reasoning, Signature>, id: Option<String>) {
    match part {
        Ok(r) => details.reasoning.push(ContentPart::Reasoning(r)),
        Err(signature) => {
            details.calls.insert(id, signature);
        }
    }
}

fn join_last(details: &mut Details, proof: Reasoning) {
    if let Some(ContentPart::Reasoning(last)) = details.reasoning.last_mut() {
        last.signature = proof.signature;
        last.redacted = proof.redacted;
        last.encrypted = proof.encrypted;
        last.id = proof.id;
    }
}
