//! The request's `input`: a string, or a list of items (messages, function calls and their
//! outputs, reasoning) regrouped into canonical messages.

use bitrouter_core::{ContentPart, ImageSource, Message, Reasoning, Role, ToolCall, ToolResult};
use serde_json::{Map, Value};

use crate::data_url;
use crate::error::DecodeError;
use crate::signature_envelope::Sealed;

/// Decodes `input` into messages. Consecutive assistant-side items (messages, reasoning,
/// function calls) become one assistant message; consecutive function call outputs one tool
/// message.
pub(super) fn decode_input(input: &Value) -> Result<Vec<Message>, DecodeError> {
    let items = match input {
        Value::String(text) => return Ok(vec![Message::text(Role::User, text.clone())]),
        Value::Array(items) => items,
        _ => {
            return Err(DecodeError::new(
                "input: expected a string or an array of input items",
            ));
        }
    };
    let mut messages: Vec<Message> = Vec::new();
    // A tool call's signature, from the reasoning item written before its function call.
    let mut call_signature = None;
    for (i, item) in items.iter().enumerate() {
        let path = format!("input[{i}]");
        let Value::Object(item) = item else {
            return Err(DecodeError::new(format!("{path}: expected an object")));
        };
        let kind = match item.get("type") {
            Some(Value::String(t)) => t.as_str(),
            None | Some(Value::Null) if item.contains_key("role") => "message",
            _ => {
                return Err(DecodeError::new(format!(
                    "{path}.type: required, expected `message`, `function_call`, \
                     `function_call_output` or `reasoning`"
                )));
            }
        };
        match kind {
            "message" => decode_message(item, &path, &mut messages)?,
            "function_call" => {
                let call = ToolCall {
                    id: required_str(item, "call_id", &path)?.to_owned(),
                    name: required_str(item, "name", &path)?.to_owned(),
                    arguments: optional_str(item, "arguments", &path)?
                        .unwrap_or_default()
                        .to_owned(),
                    signature: call_signature.take(),
                };
                push_to(&mut messages, Role::Assistant, ContentPart::ToolCall(call));
            }
            "function_call_output" => {
                let call_id = required_str(item, "call_id", &path)?.to_owned();
                let content = match item.get("output") {
                    Some(Value::String(text)) => vec![ContentPart::Text { text: text.clone() }],
                    Some(Value::Array(parts)) => decode_parts(parts, &format!("{path}.output"))?,
                    _ => {
                        return Err(DecodeError::new(format!(
                            "{path}.output: required, expected a string or an array"
                        )));
                    }
                };
                let name = tool_name(&messages, &call_id);
                let result = ToolResult {
                    call_id,
                    name,
                    content,
                    is_error: false,
                };
                push_to(&mut messages, Role::Tool, ContentPart::ToolResult(result));
            }
            "reasoning" => {
                let mut reasoning = decode_reasoning_item(item, &path)?;
                // An envelope in `encrypted_content` holds a proof from another protocol.
                if let Some(sealed) = reasoning.encrypted.as_deref().and_then(Sealed::unwrap) {
                    match sealed.into_reasoning(std::mem::take(&mut reasoning.text)) {
                        Ok(restored) => reasoning = restored,
                        Err(signature) => {
                            call_signature = Some(signature);
                            continue;
                        }
                    }
                }
                push_to(
                    &mut messages,
                    Role::Assistant,
                    ContentPart::Reasoning(reasoning),
                );
            }
            "item_reference" => {
                return Err(DecodeError::new(format!(
                    "{path}: item references point at state stored upstream, which BitRouter \
                     does not keep; send the item itself"
                )));
            }
            other => {
                return Err(DecodeError::new(format!(
                    "{path}.type: `{other}` items are not supported through BitRouter; \
                     expected `message`, `function_call`, `function_call_output` or `reasoning`"
                )));
            }
        }
    }
    Ok(messages)
}

/// A reasoning item: summaries joined by blank lines (or its `reasoning_text` content when it
/// has no summary), its encrypted content and id.
pub(super) fn decode_reasoning_item(
    item: &Map<String, Value>,
    path: &str,
) -> Result<Reasoning, DecodeError> {
    let mut text = joined_texts(item.get("summary"), "summary_text");
    if text.is_empty() {
        text = joined_texts(item.get("content"), "reasoning_text");
    }
    Ok(Reasoning {
        text,
        encrypted: optional_str(item, "encrypted_content", path)?.map(str::to_owned),
        id: optional_str(item, "id", path)?.map(str::to_owned),
        ..Reasoning::default()
    })
}

fn joined_texts(parts: Option<&Value>, kind: &str) -> String {
    let Some(Value::Array(parts)) = parts else {
        return String::new();
    };
    let texts: Vec<&str> = parts
        .iter()
        .filter(|p| {
            p.get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| t == kind)
        })
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect();
    texts.join("\n\n")
}

fn decode_message(
    item: &Map<String, Value>,
    path: &str,
    messages: &mut Vec<Message>,
) -> Result<(), DecodeError> {
    let role = match required_str(item, "role", path)? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "system" | "developer" => Role::System,
        other => {
            return Err(DecodeError::new(format!(
                "{path}.role: unknown role `{other}`, expected `user`, `assistant`, `system` \
                 or `developer`"
            )));
        }
    };
    let content = match item.get("content") {
        Some(Value::String(text)) => vec![ContentPart::Text { text: text.clone() }],
        Some(Value::Array(parts)) => decode_parts(parts, &format!("{path}.content"))?,
        _ => {
            return Err(DecodeError::new(format!(
                "{path}.content: required, expected a string or an array"
            )));
        }
    };
    if role == Role::Assistant {
        for part in content {
            push_to(messages, Role::Assistant, part);
        }
    } else {
        messages.push(Message { role, content });
    }
    Ok(())
}

/// Content parts of a message or a function call output.
fn decode_parts(parts: &[Value], path: &str) -> Result<Vec<ContentPart>, DecodeError> {
    let mut out = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let path = format!("{path}[{i}]");
        let Value::Object(part) = part else {
            return Err(DecodeError::new(format!("{path}: expected an object")));
        };
        match part.get("type").and_then(Value::as_str) {
            Some("input_text") | Some("output_text") => out.push(ContentPart::Text {
                text: required_str(part, "text", &path)?.to_owned(),
            }),
            Some("refusal") => out.push(ContentPart::Text {
                text: required_str(part, "refusal", &path)?.to_owned(),
            }),
            Some("input_image") => out.push(decode_image(part, &path)?),
            Some(other) => {
                return Err(DecodeError::new(format!(
                    "{path}.type: `{other}` content is not supported through BitRouter; \
                     expected `input_text`, `input_image` or `output_text`"
                )));
            }
            None => return Err(DecodeError::new(format!("{path}.type: required"))),
        }
    }
    Ok(out)
}

fn decode_image(part: &Map<String, Value>, path: &str) -> Result<ContentPart, DecodeError> {
    let detail = optional_str(part, "detail", path)?.map(str::to_owned);
    let Some(url) = optional_str(part, "image_url", path)? else {
        return Err(DecodeError::new(if part.contains_key("file_id") {
            format!(
                "{path}.file_id: files stored at OpenAI cannot be sent to other upstreams; \
                 send the image as `image_url` (a URL or a data: URL)"
            )
        } else {
            format!("{path}.image_url: required, expected a URL or a data: URL")
        }));
    };
    let source = match data_url::parse(url) {
        Some((media_type, data)) => ImageSource::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        },
        None => ImageSource::Url {
            url: url.to_owned(),
        },
    };
    Ok(ContentPart::Image { source, detail })
}

/// Appends a part to the last message when it has this role, else to a new message.
fn push_to(messages: &mut Vec<Message>, role: Role, part: ContentPart) {
    match messages.last_mut() {
        Some(last) if last.role == role => last.content.push(part),
        _ => messages.push(Message {
            role,
            content: vec![part],
        }),
    }
}

/// The name of the earlier tool call with this id.
fn tool_name(messages: &[Message], call_id: &str) -> Option<String> {
    messages
        .iter()
        .rev()
        .flat_map(|m| m.content.iter())
        .find_map(|p| match p {
            ContentPart::ToolCall(call) if call.id == call_id => Some(call.name.clone()),
            _ => None,
        })
}

fn required_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a str, DecodeError> {
    optional_str(obj, key, path)?
        .ok_or_else(|| DecodeError::new(format!("{path}.{key}: required, expected a string")))
}

fn optional_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, DecodeError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(DecodeError::new(format!("{path}.{key}: expected a string"))),
    }
}
