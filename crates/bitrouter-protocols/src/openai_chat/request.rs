//! Decoding a client's Chat Completions request body into a [`ChatRequest`].
//!
//! The body is walked as a JSON tree, taking ownership of its strings, so that every error can
//! name the field that is wrong (`messages[1].content: expected a string or an array`).
//! `null` counts as absent everywhere, as it does for the API. Fields the canonical form has no
//! place for (`logprobs`, `metadata`, `store`, …) are ignored; features it cannot carry
//! (audio and file inputs, custom tools, `n` > 1) are rejected rather than silently lost.

use bitrouter_core::{
    ChatRequest, ContentPart, ImageSource, Message, Parameters, Reasoning, Role, ToolCall,
    ToolResult,
};
use serde_json::{Map, Value};

use super::options::{
    decode_reasoning, decode_response_format, decode_stop, decode_tool_choice, decode_tools,
};
use super::reasoning_details::decode_details;
use crate::codec::RequestContext;
use crate::data_url;
use crate::error::DecodeError;

pub(super) type Object = Map<String, Value>;

pub(crate) fn decode_request(
    body: &[u8],
    _cx: &RequestContext<'_>,
) -> Result<ChatRequest, DecodeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(mut body) = value else {
        return Err(DecodeError::new("request body: expected a JSON object"));
    };

    let model = take_string(&mut body, "", "model")?
        .ok_or_else(|| DecodeError::new("model: required; name the model to call"))?;
    let messages = match take(&mut body, "messages") {
        None => {
            return Err(DecodeError::new(
                "messages: required; send the conversation as an array of messages",
            ));
        }
        Some(Value::Array(items)) if items.is_empty() => {
            return Err(DecodeError::new("messages: must hold at least one message"));
        }
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, m)| decode_message(m, &format!("messages[{i}]")))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(DecodeError::new("messages: expected an array")),
    };

    if let Some(n) = take_u32(&mut body, "", "n")? {
        if n != 1 {
            return Err(DecodeError::new(format!(
                "n: only one choice per request is supported, got {n}; send separate requests"
            )));
        }
    }

    let tools = decode_tools(take(&mut body, "tools"))?;
    let tool_choice = take(&mut body, "tool_choice")
        .map(decode_tool_choice)
        .transpose()?;
    let completion_tokens = take_u32(&mut body, "", "max_completion_tokens")?;
    let max_tokens = take_u32(&mut body, "", "max_tokens")?;
    let params = Parameters {
        max_tokens: completion_tokens.or(max_tokens),
        temperature: take_f64(&mut body, "", "temperature")?,
        top_p: take_f64(&mut body, "", "top_p")?,
        top_k: None,
        stop: decode_stop(take(&mut body, "stop"))?,
        seed: take_i64(&mut body, "", "seed")?,
        presence_penalty: take_f64(&mut body, "", "presence_penalty")?,
        frequency_penalty: take_f64(&mut body, "", "frequency_penalty")?,
        parallel_tool_calls: take_bool(&mut body, "", "parallel_tool_calls")?,
        user: take_string(&mut body, "", "user")?,
    };
    let response_format = take(&mut body, "response_format")
        .map(decode_response_format)
        .transpose()?;
    let reasoning = decode_reasoning(&mut body)?;
    let stream = take_bool(&mut body, "", "stream")?.unwrap_or(false);

    Ok(ChatRequest {
        model,
        messages,
        tools,
        tool_choice,
        params,
        response_format,
        reasoning,
        stream,
    })
}

fn decode_message(value: Value, path: &str) -> Result<Message, DecodeError> {
    let Value::Object(mut obj) = value else {
        return Err(DecodeError::new(format!("{path}: expected an object")));
    };
    let role = take_string(&mut obj, path, "role")?
        .ok_or_else(|| DecodeError::new(format!("{path}.role: required")))?;
    let content = take(&mut obj, "content");
    let content_path = format!("{path}.content");
    match role.as_str() {
        "system" | "developer" => Ok(Message {
            role: Role::System,
            content: text_content(content, &content_path)?,
        }),
        "user" => Ok(Message {
            role: Role::User,
            content: user_content(content, &content_path)?,
        }),
        "assistant" => decode_assistant(obj, content, path),
        "tool" => {
            let call_id = take_string(&mut obj, path, "tool_call_id")?.ok_or_else(|| {
                DecodeError::new(format!(
                    "{path}.tool_call_id: required; name the tool call this result answers"
                ))
            })?;
            Ok(Message {
                role: Role::Tool,
                content: vec![ContentPart::ToolResult(ToolResult {
                    call_id,
                    name: None,
                    content: text_content(content, &content_path)?,
                    is_error: false,
                })],
            })
        }
        other => Err(DecodeError::new(format!(
            "{path}.role: unknown role `{other}`; expected system, developer, user, assistant or tool"
        ))),
    }
}

fn decode_assistant(
    mut obj: Object,
    content: Option<Value>,
    path: &str,
) -> Result<Message, DecodeError> {
    let mut parts = Vec::new();
    // DeepSeek and vLLM say `reasoning_content`, OpenRouter says `reasoning`.
    let reasoning = match take_string(&mut obj, path, "reasoning_content")? {
        Some(text) => Some(text),
        None => take_string(&mut obj, path, "reasoning")?,
    };
    // OpenRouter's `reasoning_details` hold the same text with its signatures, so they win.
    let mut details = match take(&mut obj, "reasoning_details") {
        Some(v) => decode_details(v, &format!("{path}.reasoning_details"))?,
        None => Default::default(),
    };
    if !details.reasoning.is_empty() {
        parts.append(&mut details.reasoning);
    } else if let Some(text) = reasoning.filter(|t| !t.is_empty()) {
        parts.push(ContentPart::Reasoning(Reasoning {
            text,
            ..Reasoning::default()
        }));
    }
    let content_path = format!("{path}.content");
    for part in text_content(content, &content_path)? {
        if !matches!(&part, ContentPart::Text { text } if text.is_empty()) {
            parts.push(part);
        }
    }
    match take(&mut obj, "tool_calls") {
        None => {}
        Some(Value::Array(calls)) => {
            for (i, call) in calls.into_iter().enumerate() {
                let call_path = format!("{path}.tool_calls[{i}]");
                let mut call = decode_tool_call(call, &call_path)?;
                call.signature = details.calls.remove(&Some(call.id.clone()));
                if i == 0 && call.signature.is_none() {
                    call.signature = details.calls.remove(&None);
                }
                parts.push(ContentPart::ToolCall(call));
            }
        }
        Some(_) => {
            return Err(DecodeError::new(format!(
                "{path}.tool_calls: expected an array"
            )));
        }
    }
    Ok(Message {
        role: Role::Assistant,
        content: parts,
    })
}

fn decode_tool_call(value: Value, path: &str) -> Result<ToolCall, DecodeError> {
    let Value::Object(mut obj) = value else {
        return Err(DecodeError::new(format!("{path}: expected an object")));
    };
    if let Some(kind) = take_string(&mut obj, path, "type")? {
        if kind != "function" {
            return Err(DecodeError::new(format!(
                "{path}.type: `{kind}` tool calls are not supported; only `function`"
            )));
        }
    }
    let id = take_string(&mut obj, path, "id")?
        .ok_or_else(|| DecodeError::new(format!("{path}.id: required")))?;
    let fn_path = format!("{path}.function");
    let Some(Value::Object(mut function)) = take(&mut obj, "function") else {
        return Err(DecodeError::new(format!(
            "{fn_path}: required; expected an object with `name` and `arguments`"
        )));
    };
    let name = take_string(&mut function, &fn_path, "name")?
        .ok_or_else(|| DecodeError::new(format!("{fn_path}.name: required")))?;
    let arguments = take_string(&mut function, &fn_path, "arguments")?.unwrap_or_default();
    Ok(ToolCall {
        id,
        name,
        arguments,
        signature: None,
    })
}

/// Content that may only hold text: a string, or an array of `text` (and `refusal`) parts.
fn text_content(content: Option<Value>, path: &str) -> Result<Vec<ContentPart>, DecodeError> {
    match content {
        None => Ok(Vec::new()),
        Some(Value::String(text)) => Ok(vec![ContentPart::Text { text }]),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let item_path = format!("{path}[{i}]");
                match decode_part(item, &item_path)? {
                    part @ ContentPart::Text { .. } => Ok(part),
                    _ => Err(DecodeError::new(format!(
                        "{item_path}.type: only text parts are allowed here"
                    ))),
                }
            })
            .collect(),
        Some(_) => Err(DecodeError::new(format!(
            "{path}: expected a string or an array"
        ))),
    }
}

/// User content: a string, or an array of `text` and `image_url` parts.
fn user_content(content: Option<Value>, path: &str) -> Result<Vec<ContentPart>, DecodeError> {
    match content {
        None => Err(DecodeError::new(format!("{path}: required"))),
        Some(Value::String(text)) => Ok(vec![ContentPart::Text { text }]),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| decode_part(item, &format!("{path}[{i}]")))
            .collect(),
        Some(_) => Err(DecodeError::new(format!(
            "{path}: expected a string or an array"
        ))),
    }
}

fn decode_part(value: Value, path: &str) -> Result<ContentPart, DecodeError> {
    let Value::Object(mut obj) = value else {
        return Err(DecodeError::new(format!("{path}: expected an object")));
    };
    let kind = take_string(&mut obj, path, "type")?
        .ok_or_else(|| DecodeError::new(format!("{path}.type: required")))?;
    match kind.as_str() {
        "text" | "refusal" => {
            let text = take_string(&mut obj, path, &kind)?
                .ok_or_else(|| DecodeError::new(format!("{path}.{kind}: required")))?;
            Ok(ContentPart::Text { text })
        }
        "image_url" => decode_image(take(&mut obj, "image_url"), &format!("{path}.image_url")),
        "input_audio" | "file" => Err(DecodeError::new(format!(
            "{path}.type: `{kind}` parts are not supported; send text or image_url parts"
        ))),
        other => Err(DecodeError::new(format!(
            "{path}.type: unknown content part type `{other}`; expected text or image_url"
        ))),
    }
}

fn decode_image(value: Option<Value>, path: &str) -> Result<ContentPart, DecodeError> {
    let (url, detail) = match value {
        // Some clients send the URL directly instead of `{ "url": … }`.
        Some(Value::String(url)) => (url, None),
        Some(Value::Object(mut obj)) => {
            let url = take_string(&mut obj, path, "url")?
                .ok_or_else(|| DecodeError::new(format!("{path}.url: required")))?;
            (url, take_string(&mut obj, path, "detail")?)
        }
        _ => {
            return Err(DecodeError::new(format!(
                "{path}: required; expected an object with `url`"
            )));
        }
    };
    let source = match data_url::parse(&url) {
        Some((media_type, data)) => ImageSource::Base64 {
            media_type: media_type.to_owned(),
            data: data.to_owned(),
        },
        None => ImageSource::Url { url },
    };
    Ok(ContentPart::Image { source, detail })
}

/// Removes a field, treating `null` as absent.
pub(super) fn take(obj: &mut Object, key: &str) -> Option<Value> {
    obj.remove(key).filter(|v| !v.is_null())
}

fn path_of(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn type_error(prefix: &str, key: &str, expected: &str) -> DecodeError {
    DecodeError::new(format!("{}: expected {expected}", path_of(prefix, key)))
}

pub(super) fn take_string(
    obj: &mut Object,
    prefix: &str,
    key: &str,
) -> Result<Option<String>, DecodeError> {
    match take(obj, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(type_error(prefix, key, "a string")),
    }
}

pub(super) fn take_bool(
    obj: &mut Object,
    prefix: &str,
    key: &str,
) -> Result<Option<bool>, DecodeError> {
    match take(obj, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(type_error(prefix, key, "a boolean")),
    }
}

pub(super) fn take_f64(
    obj: &mut Object,
    prefix: &str,
    key: &str,
) -> Result<Option<f64>, DecodeError> {
    match take(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| type_error(prefix, key, "a number")),
    }
}

pub(super) fn take_i64(
    obj: &mut Object,
    prefix: &str,
    key: &str,
) -> Result<Option<i64>, DecodeError> {
    match take(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| type_error(prefix, key, "an integer")),
    }
}

pub(super) fn take_u32(
    obj: &mut Object,
    prefix: &str,
    key: &str,
) -> Result<Option<u32>, DecodeError> {
    match take(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| type_error(prefix, key, "a non-negative integer")),
    }
}
