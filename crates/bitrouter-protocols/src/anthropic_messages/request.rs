//! Decoding a client's Messages request into a canonical [`ChatRequest`].

use bitrouter_core::{
    ChatRequest, ContentPart, Message, Parameters, ReasoningConfig, ReasoningEffort, Role,
    ToolChoice, ToolDefinition,
};
use serde_json::Value;

use super::content::{call_signature, decode_block};
use super::{Object, as_object, join, opt_bool, opt_f64, opt_str, opt_u32, parse_object, req_str};
use crate::codec::RequestContext;
use crate::error::DecodeError;

/// Decodes a `POST /v1/messages` body.
pub(crate) fn decode_request(
    body: &[u8],
    _cx: &RequestContext<'_>,
) -> Result<ChatRequest, DecodeError> {
    let o = parse_object(body, "request body")?;
    let model = req_str(&o, "model", "")?.to_owned();
    let max_tokens = opt_u32(&o, "max_tokens", "")?.ok_or_else(|| {
        DecodeError::new(
            "max_tokens: required; Anthropic Messages needs an upper bound on generated tokens",
        )
    })?;
    if max_tokens == 0 {
        return Err(DecodeError::new("max_tokens: must be at least 1"));
    }

    let mut messages = decode_system(o.get("system"))?;
    let list = match o.get("messages") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Array(_)) => {
            return Err(DecodeError::new(
                "messages: at least one message is required",
            ));
        }
        Some(_) => return Err(DecodeError::new("messages: expected an array")),
        None => return Err(DecodeError::new("messages: required array is missing")),
    };
    for (i, m) in list.iter().enumerate() {
        decode_message(m, &format!("messages[{i}]"), &mut messages)?;
    }

    let (tool_choice, disable_parallel) = decode_tool_choice(o.get("tool_choice"))?;
    let metadata = match o.get("metadata") {
        None | Some(Value::Null) => None,
        Some(v) => Some(as_object(v, "metadata")?),
    };
    let params = Parameters {
        max_tokens: Some(max_tokens),
        temperature: opt_f64(&o, "temperature", "")?,
        top_p: opt_f64(&o, "top_p", "")?,
        top_k: opt_u32(&o, "top_k", "")?,
        stop: decode_stop_sequences(o.get("stop_sequences"))?,
        parallel_tool_calls: disable_parallel.then_some(false),
        user: match metadata {
            Some(m) => opt_str(m, "user_id", "metadata")?.map(str::to_owned),
            None => None,
        },
        ..Parameters::default()
    };

    Ok(ChatRequest {
        model,
        messages,
        tools: decode_tools(o.get("tools"))?,
        tool_choice,
        params,
        response_format: None,
        reasoning: decode_thinking(o.get("thinking"))?,
        stream: opt_bool(&o, "stream", "")?.unwrap_or(false),
    })
}

/// `system`: a string or an array of text blocks, as one system message.
fn decode_system(system: Option<&Value>) -> Result<Vec<Message>, DecodeError> {
    let content = match system {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(s)) if s.is_empty() => return Ok(Vec::new()),
        Some(Value::String(s)) => vec![ContentPart::Text { text: s.clone() }],
        Some(Value::Array(blocks)) => blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let path = format!("system[{i}]");
                match decode_block(b, &path)? {
                    Some(part @ ContentPart::Text { .. }) => Ok(part),
                    _ => Err(DecodeError::new(format!(
                        "{path}: the system prompt holds only `text` blocks"
                    ))),
                }
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(DecodeError::new("system: expected a string or an array")),
    };
    if content.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Message {
        role: Role::System,
        content,
    }])
}

/// One message; a user message's `tool_result` blocks become tool messages, in order.
fn decode_message(m: &Value, path: &str, out: &mut Vec<Message>) -> Result<(), DecodeError> {
    let o = as_object(m, path)?;
    let role = match req_str(o, "role", path)? {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        "system" => {
            return Err(DecodeError::new(format!(
                "{path}.role: Anthropic has no `system` role in messages; put system \
                 instructions in the top-level `system` field"
            )));
        }
        other => {
            return Err(DecodeError::new(format!(
                "{path}.role: unknown role `{other}`; expected `user` or `assistant`"
            )));
        }
    };
    let content_path = join(path, "content");
    let blocks = match o.get("content") {
        Some(Value::String(text)) => {
            out.push(Message::text(role, text.clone()));
            return Ok(());
        }
        Some(Value::Array(blocks)) => blocks,
        Some(_) => {
            return Err(DecodeError::new(format!(
                "{content_path}: expected a string or an array"
            )));
        }
        None => {
            return Err(DecodeError::new(format!(
                "{content_path}: required content is missing"
            )));
        }
    };

    let mut pending: Vec<ContentPart> = Vec::new();
    // A tool call's signature, carried in the empty thinking block this codec writes before it.
    let mut call_sig = None;
    for (i, block) in blocks.iter().enumerate() {
        let p = format!("{content_path}[{i}]");
        if role == Role::Assistant
            && let Some(signature) = call_signature(block)
        {
            call_sig = Some(signature);
            continue;
        }
        let mut part = decode_block(block, &p)?.ok_or_else(|| {
            let kind = block["type"].as_str().unwrap_or("?");
            DecodeError::new(format!(
                "{p}.type: content block `{kind}` is not supported; use text, image, tool_use, \
                 tool_result, thinking or redacted_thinking"
            ))
        })?;
        if let ContentPart::ToolCall(call) = &mut part {
            call.signature = call_sig.take();
        }
        match (&part, role) {
            (ContentPart::ToolResult(_), Role::User) => {
                flush(role, &mut pending, out);
                out.push(Message {
                    role: Role::Tool,
                    content: vec![part],
                });
            }
            (ContentPart::ToolResult(_), _) => {
                return Err(DecodeError::new(format!(
                    "{p}: `tool_result` blocks belong in user messages"
                )));
            }
            (ContentPart::ToolCall(_) | ContentPart::Reasoning(_), Role::User) => {
                return Err(DecodeError::new(format!(
                    "{p}: `{}` blocks belong in assistant messages",
                    block["type"].as_str().unwrap_or("?")
                )));
            }
            _ => pending.push(part),
        }
    }
    if blocks.is_empty() {
        out.push(Message {
            role,
            content: Vec::new(),
        });
    } else {
        flush(role, &mut pending, out);
    }
    Ok(())
}

fn flush(role: Role, pending: &mut Vec<ContentPart>, out: &mut Vec<Message>) {
    if !pending.is_empty() {
        out.push(Message {
            role,
            content: std::mem::take(pending),
        });
    }
}

fn decode_stop_sequences(v: Option<&Value>) -> Result<Vec<String>, DecodeError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.as_str().map(str::to_owned).ok_or_else(|| {
                    DecodeError::new(format!("stop_sequences[{i}]: expected a string"))
                })
            })
            .collect(),
        Some(_) => Err(DecodeError::new(
            "stop_sequences: expected an array of strings",
        )),
    }
}

/// `tools`: custom tools; server tools (a `type` other than `custom`) are skipped.
fn decode_tools(v: Option<&Value>) -> Result<Vec<ToolDefinition>, DecodeError> {
    let list = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(DecodeError::new("tools: expected an array")),
    };
    let mut tools = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let path = format!("tools[{i}]");
        let o = as_object(t, &path)?;
        if opt_str(o, "type", &path)?.is_some_and(|kind| kind != "custom") {
            continue;
        }
        let schema = o.get("input_schema").ok_or_else(|| {
            DecodeError::new(format!("{path}.input_schema: required object is missing"))
        })?;
        as_object(schema, &join(&path, "input_schema"))?;
        tools.push(ToolDefinition {
            name: req_str(o, "name", &path)?.to_owned(),
            description: opt_str(o, "description", &path)?.map(str::to_owned),
            parameters: schema.clone(),
            strict: None,
        });
    }
    Ok(tools)
}

/// `tool_choice`, and whether it disables parallel tool use.
fn decode_tool_choice(v: Option<&Value>) -> Result<(Option<ToolChoice>, bool), DecodeError> {
    let o: &Object = match v {
        None | Some(Value::Null) => return Ok((None, false)),
        Some(v) => as_object(v, "tool_choice")?,
    };
    let choice = match req_str(o, "type", "tool_choice")? {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => ToolChoice::Tool {
            name: req_str(o, "name", "tool_choice")?.to_owned(),
        },
        other => {
            return Err(DecodeError::new(format!(
                "tool_choice.type: unknown type `{other}`; expected auto, any, tool or none"
            )));
        }
    };
    let disable = opt_bool(o, "disable_parallel_tool_use", "tool_choice")?.unwrap_or(false);
    Ok((Some(choice), disable))
}

/// `thinking`: enabled with a budget, disabled, or adaptive (the model decides).
fn decode_thinking(v: Option<&Value>) -> Result<Option<ReasoningConfig>, DecodeError> {
    let o = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => as_object(v, "thinking")?,
    };
    let config = match req_str(o, "type", "thinking")? {
        "enabled" => {
            let budget = opt_u32(o, "budget_tokens", "thinking")?.ok_or_else(|| {
                DecodeError::new("thinking.budget_tokens: required when thinking is enabled")
            })?;
            ReasoningConfig {
                budget_tokens: Some(budget),
                include_thoughts: Some(true),
                ..ReasoningConfig::default()
            }
        }
        "disabled" => ReasoningConfig {
            effort: Some(ReasoningEffort::None),
            ..ReasoningConfig::default()
        },
        "adaptive" => ReasoningConfig {
            include_thoughts: Some(true),
            ..ReasoningConfig::default()
        },
        other => {
            return Err(DecodeError::new(format!(
                "thinking.type: unknown type `{other}`; expected enabled, disabled or adaptive"
            )));
        }
    };
    Ok(Some(config))
}
