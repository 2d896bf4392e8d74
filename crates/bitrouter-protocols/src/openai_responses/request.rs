//! Decoding a client's `POST /v1/responses` body into a canonical request.

use bitrouter_core::{
    ChatRequest, Message, Parameters, ReasoningConfig, ReasoningEffort, ResponseFormat, Role,
    ToolChoice, ToolDefinition,
};
use serde_json::{Map, Value};

use super::input::decode_input;
use crate::codec::RequestContext;
use crate::error::DecodeError;

/// Decodes a Responses request body.
pub(crate) fn decode_request(
    body: &[u8],
    _cx: &RequestContext<'_>,
) -> Result<ChatRequest, DecodeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("request body is not valid JSON: {e}")))?;
    let Value::Object(obj) = value else {
        return Err(DecodeError::new("request body must be a JSON object"));
    };
    reject_state(&obj)?;
    let model = match obj.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(DecodeError::new("model: required, name the model to use"));
        }
        Some(_) => return Err(DecodeError::new("model: expected a string")),
    };

    let mut messages = Vec::new();
    if let Some(instructions) = opt_str(&obj, "instructions")? {
        messages.push(Message::text(Role::System, instructions));
    }
    match obj.get("input") {
        None | Some(Value::Null) => {
            return Err(DecodeError::new(
                "input: required, send a string or an array of input items",
            ));
        }
        Some(input) => messages.extend(decode_input(input)?),
    }

    Ok(ChatRequest {
        model,
        messages,
        tools: decode_tools(obj.get("tools"))?,
        tool_choice: decode_tool_choice(obj.get("tool_choice"))?,
        params: Parameters {
            max_tokens: opt_u32(&obj, "max_output_tokens")?,
            temperature: opt_f64(&obj, "temperature")?,
            top_p: opt_f64(&obj, "top_p")?,
            parallel_tool_calls: opt_bool(&obj, "parallel_tool_calls")?,
            user: opt_str(&obj, "user")?.map(str::to_owned),
            ..Parameters::default()
        },
        response_format: decode_text_format(obj.get("text"))?,
        reasoning: decode_reasoning(obj.get("reasoning"))?,
        stream: opt_bool(&obj, "stream")?.unwrap_or(false),
    })
}

/// Rejects requests that lean on state stored upstream, which a translation cannot carry.
fn reject_state(obj: &Map<String, Value>) -> Result<(), DecodeError> {
    for key in ["previous_response_id", "conversation"] {
        if obj.get(key).is_some_and(|v| !v.is_null()) {
            return Err(DecodeError::new(format!(
                "{key}: BitRouter does not keep conversation state; send the whole \
                 conversation in `input` instead (with `store: false` and \
                 `include: [\"reasoning.encrypted_content\"]` to replay reasoning)"
            )));
        }
    }
    if obj.get("prompt").is_some_and(|v| !v.is_null()) {
        return Err(DecodeError::new(
            "prompt: prompt templates are stored at OpenAI and cannot be sent to other \
             upstreams; send the prompt's text as `instructions` and `input`",
        ));
    }
    if obj.get("background") == Some(&Value::Bool(true)) {
        return Err(DecodeError::new(
            "background: BitRouter answers while the request is open and keeps no responses \
             to poll; send the request without `background: true`",
        ));
    }
    Ok(())
}

fn decode_tools(tools: Option<&Value>) -> Result<Vec<ToolDefinition>, DecodeError> {
    let Some(tools) = tools.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Value::Array(tools) = tools else {
        return Err(DecodeError::new("tools: expected an array"));
    };
    let mut out = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        let Value::Object(tool) = tool else {
            return Err(DecodeError::new(format!("tools[{i}]: expected an object")));
        };
        match tool.get("type").and_then(Value::as_str) {
            Some("function") => {}
            Some(other) => {
                return Err(DecodeError::new(format!(
                    "tools[{i}].type: `{other}` tools are not supported through BitRouter, \
                     only `function` tools; remove it or define it as a function"
                )));
            }
            None => {
                return Err(DecodeError::new(format!(
                    "tools[{i}].type: required, expected `function`"
                )));
            }
        }
        let name = match tool.get("name") {
            Some(Value::String(n)) if !n.is_empty() => n.clone(),
            _ => {
                return Err(DecodeError::new(format!(
                    "tools[{i}].name: required, expected a non-empty string"
                )));
            }
        };
        let parameters = match tool.get("parameters") {
            None | Some(Value::Null) => serde_json::json!({"type": "object", "properties": {}}),
            Some(p @ Value::Object(_)) => p.clone(),
            Some(_) => {
                return Err(DecodeError::new(format!(
                    "tools[{i}].parameters: expected a JSON schema object"
                )));
            }
        };
        out.push(ToolDefinition {
            name,
            description: opt_str(tool, "description")
                .map_err(|e| prefix(&format!("tools[{i}]."), e))?
                .map(str::to_owned),
            parameters,
            strict: opt_bool(tool, "strict").map_err(|e| prefix(&format!("tools[{i}]."), e))?,
        });
    }
    Ok(out)
}

fn decode_tool_choice(choice: Option<&Value>) -> Result<Option<ToolChoice>, DecodeError> {
    match choice {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match s.as_str() {
            "auto" => Ok(Some(ToolChoice::Auto)),
            "none" => Ok(Some(ToolChoice::None)),
            "required" => Ok(Some(ToolChoice::Required)),
            other => Err(DecodeError::new(format!(
                "tool_choice: unknown value `{other}`, expected `auto`, `none`, `required` \
                 or {{\"type\":\"function\",\"name\":…}}"
            ))),
        },
        Some(Value::Object(obj)) => match obj.get("type").and_then(Value::as_str) {
            Some("function") => match obj.get("name").and_then(Value::as_str) {
                Some(name) => Ok(Some(ToolChoice::Tool {
                    name: name.to_owned(),
                })),
                None => Err(DecodeError::new(
                    "tool_choice.name: required, expected a string",
                )),
            },
            Some(other) => Err(DecodeError::new(format!(
                "tool_choice.type: `{other}` is not supported through BitRouter, only `function`"
            ))),
            None => Err(DecodeError::new("tool_choice.type: required")),
        },
        Some(_) => Err(DecodeError::new(
            "tool_choice: expected a string or an object",
        )),
    }
}

fn decode_text_format(text: Option<&Value>) -> Result<Option<ResponseFormat>, DecodeError> {
    let Some(format) = text.and_then(|t| t.get("format")).filter(|f| !f.is_null()) else {
        return Ok(None);
    };
    match format.get("type").and_then(Value::as_str) {
        Some("text") => Ok(Some(ResponseFormat::Text)),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("json_schema") => {
            let Some(name) = format.get("name").and_then(Value::as_str) else {
                return Err(DecodeError::new(
                    "text.format.name: required for `json_schema`",
                ));
            };
            let Some(schema) = format.get("schema").filter(|s| s.is_object()) else {
                return Err(DecodeError::new(
                    "text.format.schema: required for `json_schema`, expected an object",
                ));
            };
            Ok(Some(ResponseFormat::JsonSchema {
                name: name.to_owned(),
                schema: schema.clone(),
                strict: format.get("strict").and_then(Value::as_bool),
            }))
        }
        Some(other) => Err(DecodeError::new(format!(
            "text.format.type: unknown value `{other}`, expected `text`, `json_object` or \
             `json_schema`"
        ))),
        None => Err(DecodeError::new("text.format.type: required")),
    }
}

fn decode_reasoning(reasoning: Option<&Value>) -> Result<Option<ReasoningConfig>, DecodeError> {
    let Some(reasoning) = reasoning.filter(|r| !r.is_null()) else {
        return Ok(None);
    };
    let Value::Object(obj) = reasoning else {
        return Err(DecodeError::new("reasoning: expected an object"));
    };
    let effort = match opt_str(obj, "effort").map_err(|e| prefix("reasoning.", e))? {
        None => None,
        Some("none") => Some(ReasoningEffort::None),
        Some("minimal") => Some(ReasoningEffort::Minimal),
        Some("low") => Some(ReasoningEffort::Low),
        Some("medium") => Some(ReasoningEffort::Medium),
        // The canonical scale stops at `high`.
        Some("high") | Some("xhigh") => Some(ReasoningEffort::High),
        Some(other) => {
            return Err(DecodeError::new(format!(
                "reasoning.effort: unknown value `{other}`, expected `none`, `minimal`, \
                 `low`, `medium` or `high`"
            )));
        }
    };
    let summary = obj
        .get("summary")
        .or_else(|| obj.get("generate_summary"))
        .and_then(Value::as_str);
    Ok(Some(ReasoningConfig {
        effort,
        budget_tokens: None,
        include_thoughts: summary.map(|s| s != "none"),
    }))
}

/// Prefixes an error's field path with its parent's.
fn prefix(parent: &str, e: DecodeError) -> DecodeError {
    DecodeError::new(format!("{parent}{}", e.message))
}

pub(super) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, DecodeError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(DecodeError::new(format!("{key}: expected a string"))),
    }
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, DecodeError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(DecodeError::new(format!("{key}: expected true or false"))),
    }
}

fn opt_f64(obj: &Map<String, Value>, key: &str) -> Result<Option<f64>, DecodeError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| DecodeError::new(format!("{key}: expected a number"))),
    }
}

fn opt_u32(obj: &Map<String, Value>, key: &str) -> Result<Option<u32>, DecodeError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| DecodeError::new(format!("{key}: expected a positive integer"))),
    }
}
