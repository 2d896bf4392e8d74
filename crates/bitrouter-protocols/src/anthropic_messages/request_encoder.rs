//! Encoding a canonical [`ChatRequest`] as a Messages request for an Anthropic upstream.

use bitrouter_core::{
    ChatRequest, ContentPart, ReasoningConfig, ReasoningEffort, ResponseFormat, Role, ToolChoice,
};
use serde_json::{Map, Value, json};

use super::content::{Reader, encode_part};
use crate::error::EncodeError;
use crate::reasoning_budget::budget_for;

/// `max_tokens` when the client gave none (Anthropic requires one).
const DEFAULT_MAX_TOKENS: u32 = 4096;
/// Anthropic's smallest thinking budget.
const MIN_THINKING_BUDGET: u32 = 1024;

/// Encodes a request body for `POST /v1/messages`.
pub(crate) fn encode_request(request: &ChatRequest) -> Result<Vec<u8>, EncodeError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));

    let (system, messages) = encode_messages(request)?;
    if messages.is_empty() {
        return Err(EncodeError::new(
            "messages: Anthropic needs at least one user or assistant message with content",
        ));
    }
    if let Some(system) = system {
        body.insert("system".into(), system);
    }
    body.insert("messages".into(), Value::Array(messages));

    let forced_tool = matches!(
        request.tool_choice,
        Some(ToolChoice::Required | ToolChoice::Tool { .. })
    ) && !request.tools.is_empty();
    // Anthropic rejects thinking together with forced tool use; the tool choice matters more.
    let thinking = request
        .reasoning
        .as_ref()
        .and_then(thinking_budget)
        .filter(|budget| !(forced_tool && *budget > 0));

    let params = &request.params;
    let mut max_tokens = params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    match thinking {
        Some(0) => {
            body.insert("thinking".into(), json!({"type": "disabled"}));
        }
        Some(budget) => {
            if max_tokens <= budget {
                max_tokens = budget.saturating_add(DEFAULT_MAX_TOKENS);
            }
            body.insert(
                "thinking".into(),
                json!({"type": "enabled", "budget_tokens": budget}),
            );
        }
        None => {}
    }
    body.insert("max_tokens".into(), json!(max_tokens));

    let thinking_on = thinking.is_some_and(|b| b > 0);
    // With thinking on, Anthropic accepts only temperature 1, no top_k, and top_p >= 0.95.
    if let Some(t) = params.temperature.filter(|t| !thinking_on || *t == 1.0) {
        body.insert("temperature".into(), json!(t.clamp(0.0, 1.0)));
    }
    if let Some(p) = params.top_p.filter(|p| !thinking_on || *p >= 0.95) {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(k) = params.top_k.filter(|_| !thinking_on) {
        body.insert("top_k".into(), json!(k));
    }
    if !params.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(params.stop));
    }
    if let Some(user) = &params.user {
        body.insert("metadata".into(), json!({"user_id": user}));
    }

    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|t| {
                let mut tool = json!({"name": t.name});
                if let Some(d) = &t.description {
                    tool["description"] = json!(d);
                }
                tool["input_schema"] = if t.parameters.is_object() {
                    t.parameters.clone()
                } else {
                    json!({"type": "object", "properties": {}})
                };
                tool
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        if let Some(choice) = encode_tool_choice(request) {
            body.insert("tool_choice".into(), choice);
        }
    }
    if request.stream {
        body.insert("stream".into(), Value::Bool(true));
    }
    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| EncodeError::new(format!("request body: cannot serialise: {e}")))
}

/// The thinking budget a reasoning config asks for; `Some(0)` turns thinking off.
fn thinking_budget(config: &ReasoningConfig) -> Option<u32> {
    let budget = match (config.budget_tokens, config.effort) {
        (Some(b), _) => b,
        (None, Some(effort)) => budget_for(effort),
        (None, None) if config.include_thoughts == Some(true) => {
            budget_for(ReasoningEffort::Medium)
        }
        (None, None) => return None,
    };
    Some(if budget == 0 {
        0
    } else {
        budget.max(MIN_THINKING_BUDGET)
    })
}

fn encode_tool_choice(request: &ChatRequest) -> Option<Value> {
    let mut choice = match &request.tool_choice {
        Some(ToolChoice::Auto) => json!({"type": "auto"}),
        Some(ToolChoice::Required) => json!({"type": "any"}),
        Some(ToolChoice::None) => return Some(json!({"type": "none"})),
        Some(ToolChoice::Tool { name }) => json!({"type": "tool", "name": name}),
        None if request.params.parallel_tool_calls == Some(false) => json!({"type": "auto"}),
        None => return None,
    };
    if request.params.parallel_tool_calls == Some(false) {
        choice["disable_parallel_tool_use"] = Value::Bool(true);
    }
    Some(choice)
}

/// The hoisted `system` field and the messages, with tool results regrouped into user turns
/// and consecutive turns of one role merged.
fn encode_messages(request: &ChatRequest) -> Result<(Option<Value>, Vec<Value>), EncodeError> {
    let mut system: Vec<String> = Vec::new();
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for (i, m) in request.messages.iter().enumerate() {
        let role = match m.role {
            Role::System => {
                for (j, part) in m.content.iter().enumerate() {
                    match part {
                        ContentPart::Text { text } if text.is_empty() => {}
                        ContentPart::Text { text } => system.push(text.clone()),
                        _ => {
                            return Err(EncodeError::new(format!(
                                "messages[{i}].content[{j}]: Anthropic system prompts hold text \
                                 only"
                            )));
                        }
                    }
                }
                continue;
            }
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
        };
        let mut blocks = Vec::with_capacity(m.content.len());
        for (j, part) in m.content.iter().enumerate() {
            let path = format!("messages[{i}].content[{j}]");
            encode_part(part, Reader::Upstream, &path, &mut blocks)?;
        }
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, content)) if *last == role => content.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }

    if let Some(instruction) = request.response_format.as_ref().and_then(json_instruction) {
        system.push(instruction);
    }
    let system = match system.as_slice() {
        [] => None,
        [only] => Some(json!(only)),
        many => Some(Value::Array(
            many.iter()
                .map(|t| json!({"type": "text", "text": t}))
                .collect(),
        )),
    };

    let messages = turns
        .into_iter()
        .map(|(role, mut content)| {
            // Tool results must open the user turn that answers the tool calls.
            if role == "user" {
                content.sort_by_key(|b| b["type"] != "tool_result");
            }
            json!({"role": role, "content": content})
        })
        .collect();
    Ok((system, messages))
}

/// Anthropic has no structured-output field without a beta header, so JSON output is asked
/// for in the system prompt.
fn json_instruction(format: &ResponseFormat) -> Option<String> {
    match format {
        ResponseFormat::Text => None,
        ResponseFormat::JsonObject => {
            Some("Respond with only a valid JSON object, with no other text.".to_owned())
        }
        ResponseFormat::JsonSchema { name, schema, .. } => Some(format!(
            "Respond with only a JSON value, with no other text, that conforms to this JSON \
             schema named `{name}`:\n{schema}"
        )),
    }
}
