//! Canonical request to a Converse / ConverseStream request body, following the Bedrock API
//! reference pages `API_runtime_Converse`, `API_runtime_ContentBlock`, `API_runtime_Tool` and
//! `API_runtime_ToolChoice`.

use bitrouter_core::{
    ChatRequest, ContentPart, ImageSource, Message, Protocol, ReasoningEffort, Role, ToolChoice,
};
use serde_json::{Map, Value, json};

/// A request that cannot be written as a Converse body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

/// The Converse body for `request` (the model goes in the URL, not the body).
pub fn encode_converse(request: &ChatRequest, model: &str) -> Result<Value, EncodeError> {
    let mut body = Map::new();
    let system: Vec<Value> = request
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| json!({ "text": m.joined_text() }))
        .collect();
    body.insert("messages".into(), Value::Array(messages(request)?));
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }
    let inference = inference_config(request);
    if !inference.is_empty() {
        body.insert("inferenceConfig".into(), Value::Object(inference));
    }
    if let Some(tools) = tool_config(request) {
        body.insert("toolConfig".into(), tools);
    }
    let extra = additional_fields(request, model);
    if !extra.is_empty() {
        body.insert("additionalModelRequestFields".into(), Value::Object(extra));
    }
    Ok(Value::Object(body))
}

/// User, assistant and tool messages as Converse messages. Tool results travel in user
/// messages, and consecutive messages of one role are merged, since Converse wants the roles
/// to alternate.
fn messages(request: &ChatRequest) -> Result<Vec<Value>, EncodeError> {
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        let role = match message.role {
            Role::System => continue,
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
        };
        let blocks = content(message, i)?;
        if blocks.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((last, content)) if *last == role => content.extend(blocks),
            _ => out.push((role, blocks)),
        }
    }
    Ok(out
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect())
}

fn content(message: &Message, index: usize) -> Result<Vec<Value>, EncodeError> {
    let mut out = Vec::new();
    for (j, part) in message.content.iter().enumerate() {
        let at = || format!("messages[{index}].content[{j}]");
        match part {
            ContentPart::Text { text } if text.is_empty() => {}
            ContentPart::Text { text } => out.push(json!({ "text": text })),
            ContentPart::Image { source, .. } => out.push(image(source, &at())?),
            ContentPart::ToolCall(call) => {
                let input: Value = if call.arguments.trim().is_empty() {
                    json!({})
                } else {
                    serde_json::from_str(&call.arguments).map_err(|e| {
                        EncodeError(format!(
                            "{}: the arguments of tool call `{}` are not JSON: {e}",
                            at(),
                            call.id
                        ))
                    })?
                };
                out.push(json!({
                    "toolUse": { "toolUseId": call.id, "name": call.name, "input": input }
                }));
            }
            ContentPart::ToolResult(result) => {
                let mut blocks = Vec::new();
                for part in &result.content {
                    match part {
                        ContentPart::Text { text } => blocks.push(json!({ "text": text })),
                        ContentPart::Image { source, .. } => blocks.push(image(source, &at())?),
                        _ => {}
                    }
                }
                if blocks.is_empty() {
                    blocks.push(json!({ "text": "" }));
                }
                let status = if result.is_error { "error" } else { "success" };
                out.push(json!({
                    "toolResult": {
                        "toolUseId": result.call_id,
                        "content": blocks,
                        "status": status,
                    }
                }));
            }
            ContentPart::Reasoning(reasoning) => {
                // Thinking goes back only with its proof; Bedrock's Anthropic models reject
                // unsigned reasoning, and it is never demoted to text.
                if let Some(redacted) = &reasoning.redacted {
                    out.push(json!({ "reasoningContent": { "redactedContent": redacted } }));
                } else if let Some(sig) = reasoning
                    .signature
                    .as_ref()
                    .and_then(|s| s.value_for(Protocol::AnthropicMessages))
                {
                    out.push(json!({
                        "reasoningContent": {
                            "reasoningText": { "text": reasoning.text, "signature": sig }
                        }
                    }));
                }
            }
        }
    }
    Ok(out)
}

fn image(source: &ImageSource, at: &str) -> Result<Value, EncodeError> {
    let (media_type, data) = match source {
        ImageSource::Base64 { media_type, data } => (media_type.as_str(), data.as_str()),
        ImageSource::Url { url } if url.starts_with("s3://") => {
            let format = format_of(extension_media_type(url), at)?;
            return Ok(json!({
                "image": { "format": format, "source": { "s3Location": { "uri": url } } }
            }));
        }
        ImageSource::Url { url } => parse_data_url(url).ok_or_else(|| {
            EncodeError(format!(
                "{at}: Bedrock takes images as inline bytes or s3:// locations, not URLs it would fetch; send the image as a base64 data URL"
            ))
        })?,
    };
    let format = format_of(media_type, at)?;
    Ok(json!({ "image": { "format": format, "source": { "bytes": data } } }))
}

fn format_of(media_type: &str, at: &str) -> Result<&'static str, EncodeError> {
    match media_type.to_ascii_lowercase().as_str() {
        "image/png" => Ok("png"),
        "image/jpeg" | "image/jpg" => Ok("jpeg"),
        "image/gif" => Ok("gif"),
        "image/webp" => Ok("webp"),
        other => Err(EncodeError(format!(
            "{at}: Bedrock accepts png, jpeg, gif and webp images, not `{other}`"
        ))),
    }
}

fn extension_media_type(url: &str) -> &'static str {
    let lower = url.to_ascii_lowercase();
    match lower.rsplit('.').next() {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

/// Splits `data:image/png;base64,AAAA` into the media type and the base64 text.
fn parse_data_url(url: &str) -> Option<(&str, &str)> {
    let (meta, data) = url.strip_prefix("data:")?.split_once(',')?;
    Some((meta.strip_suffix(";base64")?, data))
}

fn inference_config(request: &ChatRequest) -> Map<String, Value> {
    let p = &request.params;
    let mut out = Map::new();
    if let Some(n) = p.max_tokens {
        out.insert("maxTokens".into(), json!(n));
    }
    if let Some(t) = p.temperature {
        out.insert("temperature".into(), json!(t));
    }
    if let Some(t) = p.top_p {
        out.insert("topP".into(), json!(t));
    }
    if !p.stop.is_empty() {
        out.insert("stopSequences".into(), json!(p.stop));
    }
    out
}

/// Converse has no "none" tool choice: the tools are left out instead, unless the
/// conversation already holds tool blocks (then Bedrock requires `toolConfig`, and the tools
/// go without a choice).
fn tool_config(request: &ChatRequest) -> Option<Value> {
    let has_tool_blocks = request.messages.iter().any(|m| {
        m.content
            .iter()
            .any(|p| matches!(p, ContentPart::ToolCall(_) | ContentPart::ToolResult(_)))
    });
    if request.tools.is_empty() {
        return None;
    }
    let choice = match &request.tool_choice {
        Some(ToolChoice::None) if !has_tool_blocks => return None,
        Some(ToolChoice::None) | None => None,
        Some(ToolChoice::Auto) => Some(json!({ "auto": {} })),
        Some(ToolChoice::Required) => Some(json!({ "any": {} })),
        Some(ToolChoice::Tool { name }) => Some(json!({ "tool": { "name": name } })),
    };
    let tools: Vec<Value> = request
        .tools
        .iter()
        .map(|t| {
            let mut spec = Map::new();
            spec.insert("name".into(), json!(t.name));
            if let Some(d) = &t.description {
                spec.insert("description".into(), json!(d));
            }
            spec.insert("inputSchema".into(), json!({ "json": t.parameters }));
            json!({ "toolSpec": spec })
        })
        .collect();
    let mut config = Map::new();
    config.insert("tools".into(), Value::Array(tools));
    if let Some(choice) = choice {
        config.insert("toolChoice".into(), choice);
    }
    Some(Value::Object(config))
}

/// Model-specific fields: Anthropic's `thinking` budget and `top_k`. Other model families take
/// no reasoning budget through Converse, so it is dropped for them.
fn additional_fields(request: &ChatRequest, model: &str) -> Map<String, Value> {
    let mut out = Map::new();
    if !is_anthropic(model) {
        return out;
    }
    if let Some(k) = request.params.top_k {
        out.insert("top_k".into(), json!(k));
    }
    let budget = request.reasoning.as_ref().and_then(|r| {
        r.budget_tokens
            .or_else(|| r.effort.map(budget_for))
            .filter(|b| *b > 0)
    });
    if let Some(budget) = budget {
        // Anthropic's minimum budget is 1024 tokens.
        out.insert(
            "thinking".into(),
            json!({ "type": "enabled", "budget_tokens": budget.max(1024) }),
        );
    }
    out
}

/// Whether the model id (a base model, a cross-region inference profile such as
/// `us.anthropic.…`, or an ARN) names an Anthropic model.
pub(crate) fn is_anthropic(model: &str) -> bool {
    model.contains("anthropic.")
}

/// The effort-to-budget table of `bitrouter-protocols` (kept identical so that round trips
/// land where they started).
fn budget_for(effort: ReasoningEffort) -> u32 {
    match effort {
        ReasoningEffort::None => 0,
        ReasoningEffort::Minimal => 1024,
        ReasoningEffort::Low => 2048,
        ReasoningEffort::Medium => 8192,
        ReasoningEffort::High => 24576,
    }
}
