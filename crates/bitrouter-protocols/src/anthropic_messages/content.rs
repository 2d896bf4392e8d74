//! Content blocks (`text`, `image`, `tool_use`, `tool_result`, `thinking`,
//! `redacted_thinking`) to canonical content parts and back.

use bitrouter_core::{
    ContentPart, ImageSource, Protocol, Reasoning, Signature, ToolCall, ToolResult,
};
use serde_json::{Value, json};

use super::{as_object, join, opt_bool, opt_str, req_str};
use crate::data_url;
use crate::error::{DecodeError, EncodeError};
use crate::signature_envelope::Sealed;

const ANTHROPIC: Protocol = Protocol::AnthropicMessages;

/// Decodes one content block; `Ok(None)` for a block type this codec does not know (the
/// caller decides whether that is an error).
pub(super) fn decode_block(block: &Value, path: &str) -> Result<Option<ContentPart>, DecodeError> {
    let o = as_object(block, path)?;
    let kind = req_str(o, "type", path)?;
    let part = match kind {
        "text" => ContentPart::Text {
            text: req_str(o, "text", path)?.to_owned(),
        },
        "image" => decode_image(o.get("source"), &join(path, "source"))?,
        "tool_use" => {
            let input = o.get("input").cloned().unwrap_or_else(|| json!({}));
            if !input.is_object() {
                return Err(DecodeError::new(format!(
                    "{}: expected an object",
                    join(path, "input")
                )));
            }
            ContentPart::ToolCall(ToolCall {
                id: req_str(o, "id", path)?.to_owned(),
                name: req_str(o, "name", path)?.to_owned(),
                arguments: input.to_string(),
                signature: None,
            })
        }
        "tool_result" => ContentPart::ToolResult(ToolResult {
            call_id: req_str(o, "tool_use_id", path)?.to_owned(),
            name: None,
            content: decode_result_content(o.get("content"), &join(path, "content"))?,
            is_error: opt_bool(o, "is_error", path)?.unwrap_or(false),
        }),
        "thinking" => {
            let text = req_str(o, "thinking", path)?.to_owned();
            // An empty signature is what this codec writes for reasoning that never had one.
            match opt_str(o, "signature", path)?.filter(|s| !s.is_empty()) {
                None => ContentPart::Reasoning(Reasoning {
                    text,
                    ..Reasoning::default()
                }),
                Some(sig) => match Sealed::from_client(sig, ANTHROPIC).into_reasoning(text) {
                    Ok(r) => ContentPart::Reasoning(r),
                    // A tool call's signature outside an assistant turn: kept as reasoning.
                    Err(signature) => ContentPart::Reasoning(Reasoning {
                        signature: Some(signature),
                        ..Reasoning::default()
                    }),
                },
            }
        }
        "redacted_thinking" => ContentPart::Reasoning(Reasoning {
            redacted: Some(req_str(o, "data", path)?.to_owned()),
            ..Reasoning::default()
        }),
        _ => return Ok(None),
    };
    Ok(Some(part))
}

/// The signature of the tool call that follows, when `block` is the empty thinking block this
/// codec writes before a `tool_use` whose call carries a foreign signature.
pub(super) fn call_signature(block: &Value) -> Option<Signature> {
    if block.get("type")?.as_str()? != "thinking" {
        return None;
    }
    match Sealed::unwrap(block.get("signature")?.as_str()?)? {
        Sealed::Call(signature) => Some(signature),
        _ => None,
    }
}

fn decode_image(source: Option<&Value>, path: &str) -> Result<ContentPart, DecodeError> {
    let source = source.ok_or_else(|| DecodeError::new(format!("{path}: required")))?;
    let o = as_object(source, path)?;
    let source = match req_str(o, "type", path)? {
        "base64" => ImageSource::Base64 {
            media_type: req_str(o, "media_type", path)?.to_owned(),
            data: req_str(o, "data", path)?.to_owned(),
        },
        "url" => ImageSource::Url {
            url: req_str(o, "url", path)?.to_owned(),
        },
        other => {
            return Err(DecodeError::new(format!(
                "{path}.type: image source `{other}` is not supported; use `base64` or `url`"
            )));
        }
    };
    Ok(ContentPart::Image {
        source,
        detail: None,
    })
}

/// A `tool_result`'s `content`: absent, a string, or text and image blocks.
fn decode_result_content(
    content: Option<&Value>,
    path: &str,
) -> Result<Vec<ContentPart>, DecodeError> {
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(vec![ContentPart::Text { text: text.clone() }]),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let p = format!("{path}[{i}]");
                match decode_block(b, &p)? {
                    Some(part @ (ContentPart::Text { .. } | ContentPart::Image { .. })) => Ok(part),
                    _ => Err(DecodeError::new(format!(
                        "{p}: a tool result holds only `text` and `image` blocks"
                    ))),
                }
            })
            .collect(),
        Some(_) => Err(DecodeError::new(format!(
            "{path}: expected a string or an array"
        ))),
    }
}

/// Who reads the encoded blocks: Anthropic itself checks reasoning signatures, a client does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reader {
    /// The upstream API: reasoning without a signature or redacted data is dropped.
    Upstream,
    /// A client: such reasoning is shown as a thinking block with an empty signature.
    Client,
}

/// Encodes one canonical part as content blocks appended to `out`; nothing when it is dropped
/// (empty text, reasoning Anthropic cannot take back).
///
/// For the upstream, reasoning goes only with Anthropic's own proof (a signature of origin
/// Anthropic, or redacted data). For a client, a foreign proof travels enveloped in the
/// thinking block's `signature`, and a tool call's foreign signature in an empty thinking block
/// just before its `tool_use` (see [`call_signature`]), so that the next turn restores them.
pub(super) fn encode_part(
    part: &ContentPart,
    reader: Reader,
    path: &str,
    out: &mut Vec<Value>,
) -> Result<(), EncodeError> {
    let block = match part {
        ContentPart::Text { text } if text.is_empty() => return Ok(()),
        ContentPart::Text { text } => json!({"type": "text", "text": text}),
        ContentPart::Image { source, .. } => encode_image(source),
        ContentPart::ToolCall(call) => {
            if let (Reader::Client, Some(signature)) = (reader, &call.signature) {
                let token = Sealed::Call(signature.clone()).wrap();
                out.push(json!({"type": "thinking", "thinking": "", "signature": token}));
            }
            json!({
                "type": "tool_use",
                "id": tool_id(&call.id),
                "name": call.name,
                "input": tool_input(call, path)?,
            })
        }
        ContentPart::ToolResult(result) => encode_tool_result(result, path)?,
        ContentPart::Reasoning(r) => match (reader, Sealed::of_reasoning(r)) {
            (_, Some(Sealed::Redacted(data))) => {
                json!({"type": "redacted_thinking", "data": data})
            }
            (Reader::Upstream, Some(Sealed::Reasoning(s))) if s.origin == ANTHROPIC => {
                json!({"type": "thinking", "thinking": r.text, "signature": s.value})
            }
            (Reader::Upstream, _) => return Ok(()),
            (Reader::Client, Some(sealed)) => {
                let token = sealed.token_for(ANTHROPIC);
                json!({"type": "thinking", "thinking": r.text, "signature": token})
            }
            (Reader::Client, None) if !r.text.is_empty() => {
                json!({"type": "thinking", "thinking": r.text, "signature": ""})
            }
            (Reader::Client, None) => return Ok(()),
        },
    };
    out.push(block);
    Ok(())
}

fn encode_image(source: &ImageSource) -> Value {
    let source = match source {
        ImageSource::Url { url } => match data_url::parse(url) {
            Some((media_type, data)) => {
                json!({"type": "base64", "media_type": media_type, "data": data})
            }
            None => json!({"type": "url", "url": url}),
        },
        ImageSource::Base64 { media_type, data } => {
            json!({"type": "base64", "media_type": media_type, "data": data})
        }
    };
    json!({"type": "image", "source": source})
}

/// A tool call id Anthropic accepts (`^[a-zA-Z0-9_-]+$`): ids minted by other translators
/// may hold other characters (a Gemini function name with a dot), so they are replaced with
/// `_` in the call and its result alike.
fn tool_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A tool call's JSON-text arguments as the `input` object Anthropic wants.
pub(super) fn tool_input(call: &ToolCall, path: &str) -> Result<Value, EncodeError> {
    if call.arguments.trim().is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_str::<Value>(&call.arguments) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(EncodeError::new(format!(
            "{path}: the arguments of tool call `{}` ({}) are not a JSON object, which Anthropic \
             requires as `input`",
            call.name, call.id
        ))),
        Err(e) => Err(EncodeError::new(format!(
            "{path}: the arguments of tool call `{}` ({}) are not valid JSON: {e}",
            call.name, call.id
        ))),
    }
}

fn encode_tool_result(result: &ToolResult, path: &str) -> Result<Value, EncodeError> {
    let mut block = json!({"type": "tool_result", "tool_use_id": tool_id(&result.call_id)});
    let mut blocks = Vec::new();
    for part in &result.content {
        if matches!(part, ContentPart::Text { .. } | ContentPart::Image { .. }) {
            encode_part(part, Reader::Upstream, path, &mut blocks)?;
        }
    }
    match blocks.as_slice() {
        [] => {}
        [only] if only["type"] == "text" => block["content"] = only["text"].clone(),
        _ => block["content"] = Value::Array(blocks),
    }
    if result.is_error {
        block["is_error"] = Value::Bool(true);
    }
    Ok(block)
}
