//! Encoding a canonical request as a `POST /v1/responses` body for an upstream.

use bitrouter_core::{
    ChatRequest, ContentPart, ImageSource, Message, ReasoningEffort, ResponseFormat, Role,
    ToolChoice, ToolResult,
};
use serde_json::{Map, Value, json};

use crate::error::EncodeError;
use crate::{data_url, reasoning_budget};

/// The API rejects `max_output_tokens` below this.
const MIN_OUTPUT_TOKENS: u32 = 16;

/// Encodes a canonical request. Leading system messages become `instructions`; later ones
/// stay in place as `system` messages. Stop sequences, seed, penalties and top-k have no
/// Responses equivalent and are dropped.
pub(crate) fn encode_request(request: &ChatRequest) -> Result<Vec<u8>, EncodeError> {
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));

    let leading = request
        .messages
        .iter()
        .take_while(|m| m.role == Role::System)
        .count();
    let instructions: Vec<String> = request.messages[..leading]
        .iter()
        .map(Message::joined_text)
        .collect();
    if !instructions.is_empty() {
        body.insert("instructions".into(), json!(instructions.join("\n\n")));
    }
    let mut input = Vec::new();
    for message in &request.messages[leading..] {
        encode_message(message, &mut input);
    }
    body.insert("input".into(), Value::Array(input));

    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| {
                let mut tool = json!({"type": "function", "name": t.name, "parameters": t.parameters,
                    // Responses functions are strict unless told otherwise; other protocols'
                    // schemas are usually not written for strict mode.
                    "strict": t.strict.unwrap_or(false)});
                if let Some(description) = &t.description {
                    tool["description"] = json!(description);
                }
                tool
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = &request.tool_choice {
        let choice = match choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required => json!("required"),
            ToolChoice::Tool { name } => json!({"type": "function", "name": name}),
        };
        body.insert("tool_choice".into(), choice);
    }

    let p = &request.params;
    if let Some(max) = p.max_tokens {
        body.insert(
            "max_output_tokens".into(),
            json!(max.max(MIN_OUTPUT_TOKENS)),
        );
    }
    if let Some(t) = p.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(t) = p.top_p {
        body.insert("top_p".into(), json!(t));
    }
    if let Some(b) = p.parallel_tool_calls {
        body.insert("parallel_tool_calls".into(), json!(b));
    }
    if let Some(user) = &p.user {
        body.insert("user".into(), json!(user));
    }

    if let Some(format) = &request.response_format {
        let format = match format {
            ResponseFormat::Text => json!({"type": "text"}),
            ResponseFormat::JsonObject => json!({"type": "json_object"}),
            ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => {
                let mut f = json!({"type": "json_schema", "name": name, "schema": schema});
                if let Some(strict) = strict {
                    f["strict"] = json!(strict);
                }
                f
            }
        };
        body.insert("text".into(), json!({"format": format}));
    }

    let mut wants_reasoning = has_encrypted_reasoning(request);
    if let Some(config) = &request.reasoning {
        let effort = config
            .effort
            .or_else(|| config.budget_tokens.map(reasoning_budget::effort_for));
        let mut reasoning = Map::new();
        if let Some(effort) = effort {
            reasoning.insert("effort".into(), json!(effort_name(effort)));
        }
        if config.include_thoughts == Some(true) {
            reasoning.insert("summary".into(), json!("auto"));
        }
        wants_reasoning |= effort != Some(ReasoningEffort::None);
        if !reasoning.is_empty() {
            body.insert("reasoning".into(), Value::Object(reasoning));
        }
    }
    if wants_reasoning {
        // Without stored state, the next turn can only replay reasoning it received encrypted.
        body.insert("include".into(), json!(["reasoning.encrypted_content"]));
        body.insert("store".into(), json!(false));
    }
    if request.stream {
        body.insert("stream".into(), json!(true));
    }

    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| EncodeError::new(format!("cannot serialise the Responses request: {e}")))
}

fn effort_name(effort: ReasoningEffort) -> &'static str {
    match effort {
        ReasoningEffort::None => "none",
        ReasoningEffort::Minimal => "minimal",
        ReasoningEffort::Low => "low",
        ReasoningEffort::Medium => "medium",
        ReasoningEffort::High => "high",
    }
}

fn has_encrypted_reasoning(request: &ChatRequest) -> bool {
    request.messages.iter().any(|m| {
        m.content
            .iter()
            .any(|p| matches!(p, ContentPart::Reasoning(r) if r.encrypted.is_some()))
    })
}

/// Appends the items for one message: text and images gather into message items; tool calls,
/// tool results and reasoning are items of their own, in order.
fn encode_message(message: &Message, input: &mut Vec<Value>) {
    let mut pending: Vec<Value> = Vec::new();
    for part in &message.content {
        match part {
            ContentPart::Text { text } => pending.push(match message.role {
                Role::Assistant => json!({"type": "output_text", "text": text}),
                _ => json!({"type": "input_text", "text": text}),
            }),
            // Assistant messages cannot carry images in Responses input.
            ContentPart::Image { .. } if message.role == Role::Assistant => {}
            ContentPart::Image { source, detail } => pending.push(image_part(source, detail)),
            ContentPart::ToolCall(call) => {
                flush(message.role, &mut pending, input);
                input.push(json!({"type": "function_call", "call_id": call.id,
                    "name": call.name, "arguments": call.arguments}));
            }
            ContentPart::ToolResult(result) => {
                flush(message.role, &mut pending, input);
                input.push(tool_output(result));
            }
            ContentPart::Reasoning(reasoning) => {
                flush(message.role, &mut pending, input);
                // Only OpenAI's own encrypted reasoning can be replayed.
                if let Some(encrypted) = &reasoning.encrypted {
                    let summary: Vec<Value> = if reasoning.text.is_empty() {
                        Vec::new()
                    } else {
                        vec![json!({"type": "summary_text", "text": reasoning.text})]
                    };
                    let mut item = json!({"type": "reasoning", "summary": summary,
                        "encrypted_content": encrypted});
                    if let Some(id) = &reasoning.id {
                        item["id"] = json!(id);
                    }
                    input.push(item);
                }
            }
        }
    }
    flush(message.role, &mut pending, input);
}

/// Writes the gathered text and image parts as one message item.
fn flush(role: Role, pending: &mut Vec<Value>, input: &mut Vec<Value>) {
    if pending.is_empty() {
        return;
    }
    let parts = std::mem::take(pending);
    let item = match role {
        Role::System => json!({"type": "message", "role": "system", "content": parts}),
        Role::User => json!({"type": "message", "role": "user", "content": parts}),
        // A plain-string assistant message is the form every Responses server accepts back.
        Role::Assistant => {
            let text: String = parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join("");
            json!({"type": "message", "role": "assistant", "content": text})
        }
        // Free text in a tool message has no call to answer; nothing carries it.
        Role::Tool => return,
    };
    input.push(item);
}

fn image_part(source: &ImageSource, detail: &Option<String>) -> Value {
    let url = match source {
        ImageSource::Url { url } => url.clone(),
        ImageSource::Base64 { media_type, data } => data_url::build(media_type, data),
    };
    json!({"type": "input_image", "image_url": url,
        "detail": detail.as_deref().unwrap_or("auto")})
}

/// A tool result as a `function_call_output` item: a string when it is all text, else an
/// array of input parts.
fn tool_output(result: &ToolResult) -> Value {
    let all_text = result
        .content
        .iter()
        .all(|p| matches!(p, ContentPart::Text { .. }));
    let output = if all_text {
        let text: String = result
            .content
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        json!(text)
    } else {
        let parts: Vec<Value> = result
            .content
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(json!({"type": "input_text", "text": text})),
                ContentPart::Image { source, detail } => Some(image_part(source, detail)),
                _ => None,
            })
            .collect();
        Value::Array(parts)
    };
    json!({"type": "function_call_output", "call_id": result.call_id, "output": output})
}
