//! `GenerateContentRequest` bodies.

use std::collections::HashMap;

use bitrouter_core::{ChatRequest, ContentPart, Message, Role};
use serde_json::{Map, Value, json};

use super::parts::{CallIds, Reader, decode_part, encode_parts};
use super::{config, field};
use crate::codec::RequestContext;
use crate::error::{DecodeError, EncodeError};

/// Decodes a client's body; the model and stream flag come from the URL.
pub(crate) fn decode_request(
    body: &[u8],
    cx: &RequestContext<'_>,
) -> Result<ChatRequest, DecodeError> {
    let model = cx
        .path_model
        .map(|m| m.strip_prefix("models/").unwrap_or(m))
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            DecodeError::new(
                "no model in the URL; call /v1beta/models/{model}:generateContent or \
                 :streamGenerateContent",
            )
        })?;
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("the body is not valid JSON: {e}")))?;
    let obj = root
        .as_object()
        .ok_or_else(|| DecodeError::new("the body must be a JSON object"))?;
    if field(obj, "cachedContent").is_some() {
        return Err(DecodeError::new(
            "cachedContent: cached contents cannot be routed; send the full contents instead",
        ));
    }
    let mut req = ChatRequest {
        model: model.to_owned(),
        stream: cx.path_stream,
        ..ChatRequest::default()
    };
    if let Some(system) = field(obj, "systemInstruction") {
        req.messages.push(system_instruction(system)?);
    }
    let contents = field(obj, "contents")
        .ok_or_else(|| DecodeError::new("contents: required; give at least one content"))?
        .as_array()
        .ok_or_else(|| DecodeError::new("contents: expected an array of contents"))?;
    let mut ids = CallIds::default();
    for (i, content) in contents.iter().enumerate() {
        decode_content(content, i, &mut ids, &mut req.messages)?;
    }
    if let Some(tools) = field(obj, "tools") {
        req.tools = config::decode_tools(tools)?;
    }
    if let Some(tool_config) = field(obj, "toolConfig") {
        req.tool_choice = config::decode_tool_choice(tool_config)?;
    }
    if let Some(generation) = field(obj, "generationConfig") {
        config::decode_generation(generation, &mut req)?;
    }
    Ok(req)
}

fn system_instruction(system: &Value) -> Result<Message, DecodeError> {
    let parts = system
        .as_object()
        .and_then(|o| field(o, "parts"))
        .and_then(Value::as_array)
        .ok_or_else(|| DecodeError::new("systemInstruction.parts: expected an array of parts"))?;
    let mut content = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let text = part
            .as_object()
            .and_then(|o| field(o, "text"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                DecodeError::new(format!(
                    "systemInstruction.parts[{i}]: expected a text part"
                ))
            })?;
        content.push(ContentPart::Text { text: text.into() });
    }
    Ok(Message {
        role: Role::System,
        content,
    })
}

/// One content: a `model` turn is an assistant message; a `user` turn is split into user
/// messages and tool messages (its `functionResponse` parts), keeping their order.
fn decode_content(
    content: &Value,
    i: usize,
    ids: &mut CallIds,
    messages: &mut Vec<Message>,
) -> Result<(), DecodeError> {
    let obj = content
        .as_object()
        .ok_or_else(|| DecodeError::new(format!("contents[{i}]: expected an object")))?;
    let role = match field(obj, "role") {
        None => "user",
        Some(r) => r
            .as_str()
            .ok_or_else(|| DecodeError::new(format!("contents[{i}].role: expected a string")))?,
    };
    let assistant = match role {
        "user" | "function" => false,
        "model" => true,
        other => {
            return Err(DecodeError::new(format!(
                "contents[{i}].role: unknown role `{other}`; expected \"user\" or \"model\""
            )));
        }
    };
    let parts = field(obj, "parts")
        .and_then(Value::as_array)
        .ok_or_else(|| DecodeError::new(format!("contents[{i}].parts: expected an array")))?;
    let mut decoded = Vec::new();
    for (j, part) in parts.iter().enumerate() {
        decode_part(
            part,
            &format!("contents[{i}].parts[{j}]"),
            ids,
            true,
            &mut decoded,
        )?;
    }
    if assistant {
        if decoded
            .iter()
            .any(|p| matches!(p, ContentPart::ToolResult(_)))
        {
            return Err(DecodeError::new(format!(
                "contents[{i}]: a functionResponse belongs in a \"user\" content, not a \"model\" one"
            )));
        }
        messages.push(Message {
            role: Role::Assistant,
            content: decoded,
        });
        return Ok(());
    }
    // Consecutive parts of the same kind share a message.
    let first = messages.len();
    for part in decoded {
        let role = if matches!(part, ContentPart::ToolResult(_)) {
            Role::Tool
        } else {
            Role::User
        };
        let opened_here = messages.len() > first;
        match messages.last_mut() {
            Some(last) if opened_here && last.role == role => last.content.push(part),
            _ => messages.push(Message {
                role,
                content: vec![part],
            }),
        }
    }
    Ok(())
}

/// Encodes a canonical request for Gemini; `model` and `stream` go in the URL instead.
pub(crate) fn encode_request(request: &ChatRequest) -> Result<Vec<u8>, EncodeError> {
    let mut names: HashMap<&str, &str> = HashMap::new();
    for m in &request.messages {
        for p in &m.content {
            if let ContentPart::ToolCall(call) = p {
                names.insert(call.id.as_str(), call.name.as_str());
            }
        }
    }
    let mut system = Vec::new();
    let mut contents: Vec<Value> = Vec::new();
    let mut last_was_tool = false;
    for m in &request.messages {
        let mut parts = Vec::new();
        if m.role == Role::System {
            for p in &m.content {
                if let ContentPart::Text { text } = p {
                    system.push(json!({ "text": text }));
                }
            }
            continue;
        }
        encode_parts(&m.content, &names, Reader::Upstream, &mut parts)?;
        if parts.is_empty() {
            continue;
        }
        let is_tool = m.role == Role::Tool;
        if is_tool && last_was_tool {
            // Results of parallel calls go back together in one user content.
            if let Some(Value::Array(prev)) = contents.last_mut().and_then(|c| c.get_mut("parts")) {
                prev.extend(parts);
                continue;
            }
        }
        let role = if m.role == Role::Assistant {
            "model"
        } else {
            "user"
        };
        contents.push(json!({ "role": role, "parts": parts }));
        last_was_tool = is_tool;
    }
    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({ "parts": system }));
    }
    if let Some(tools) = config::encode_tools(&request.tools) {
        body.insert("tools".into(), tools);
    }
    if let Some(choice) = &request.tool_choice {
        body.insert("toolConfig".into(), config::encode_tool_choice(choice));
    }
    if let Some(generation) = config::encode_generation(request) {
        body.insert("generationConfig".into(), generation);
    }
    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| EncodeError::new(format!("cannot write the Gemini request: {e}")))
}
