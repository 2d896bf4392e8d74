//! Decoding the request's options besides the messages: tools and `tool_choice`, `stop`,
//! `response_format`, and reasoning (`reasoning_effort`, or OpenRouter's `reasoning` object).

use bitrouter_core::{
    ReasoningConfig, ReasoningEffort, ResponseFormat, ToolChoice, ToolDefinition,
};
use serde_json::{Map, Value};

use super::request::{Object, take, take_bool, take_string, take_u32};
use crate::error::DecodeError;

pub(super) fn decode_tools(value: Option<Value>) -> Result<Vec<ToolDefinition>, DecodeError> {
    let items = match value {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(DecodeError::new("tools: expected an array")),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("tools[{i}]");
            let Value::Object(mut obj) = item else {
                return Err(DecodeError::new(format!("{path}: expected an object")));
            };
            let kind = take_string(&mut obj, &path, "type")?
                .ok_or_else(|| DecodeError::new(format!("{path}.type: required")))?;
            if kind != "function" {
                return Err(DecodeError::new(format!(
                    "{path}.type: `{kind}` tools are not supported; only `function`"
                )));
            }
            let fn_path = format!("{path}.function");
            let Some(Value::Object(mut function)) = take(&mut obj, "function") else {
                return Err(DecodeError::new(format!(
                    "{fn_path}: required; expected an object with `name`"
                )));
            };
            let name = take_string(&mut function, &fn_path, "name")?
                .ok_or_else(|| DecodeError::new(format!("{fn_path}.name: required")))?;
            let parameters = match take(&mut function, "parameters") {
                None => serde_json::json!({"type": "object", "properties": {}}),
                Some(p @ Value::Object(_)) => p,
                Some(_) => {
                    return Err(DecodeError::new(format!(
                        "{fn_path}.parameters: expected a JSON schema object"
                    )));
                }
            };
            Ok(ToolDefinition {
                name,
                description: take_string(&mut function, &fn_path, "description")?,
                parameters,
                strict: take_bool(&mut function, &fn_path, "strict")?,
            })
        })
        .collect()
}

pub(super) fn decode_tool_choice(value: Value) -> Result<ToolChoice, DecodeError> {
    match value {
        Value::String(s) => match s.as_str() {
            "auto" => Ok(ToolChoice::Auto),
            "none" => Ok(ToolChoice::None),
            "required" => Ok(ToolChoice::Required),
            other => Err(DecodeError::new(format!(
                "tool_choice: unknown value `{other}`; expected auto, none, required or an object"
            ))),
        },
        Value::Object(mut obj) => {
            let kind = take_string(&mut obj, "tool_choice", "type")?;
            if kind.as_deref() != Some("function") {
                return Err(DecodeError::new(
                    "tool_choice.type: only `function` is supported",
                ));
            }
            let name = match take(&mut obj, "function") {
                Some(Value::Object(mut f)) => take_string(&mut f, "tool_choice.function", "name")?,
                _ => None,
            };
            let name =
                name.ok_or_else(|| DecodeError::new("tool_choice.function.name: required"))?;
            Ok(ToolChoice::Tool { name })
        }
        _ => Err(DecodeError::new(
            "tool_choice: expected a string or an object",
        )),
    }
}

pub(super) fn decode_stop(value: Option<Value>) -> Result<Vec<String>, DecodeError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s),
                _ => Err(DecodeError::new(format!("stop[{i}]: expected a string"))),
            })
            .collect(),
        Some(_) => Err(DecodeError::new(
            "stop: expected a string or an array of strings",
        )),
    }
}

pub(super) fn decode_response_format(value: Value) -> Result<ResponseFormat, DecodeError> {
    let Value::Object(mut obj) = value else {
        return Err(DecodeError::new("response_format: expected an object"));
    };
    let kind = take_string(&mut obj, "response_format", "type")?
        .ok_or_else(|| DecodeError::new("response_format.type: required"))?;
    match kind.as_str() {
        "text" => Ok(ResponseFormat::Text),
        "json_object" => Ok(ResponseFormat::JsonObject),
        "json_schema" => {
            let path = "response_format.json_schema";
            let Some(Value::Object(mut schema)) = take(&mut obj, "json_schema") else {
                return Err(DecodeError::new(format!(
                    "{path}: required; expected an object with `name` and `schema`"
                )));
            };
            let name = take_string(&mut schema, path, "name")?
                .ok_or_else(|| DecodeError::new(format!("{path}.name: required")))?;
            Ok(ResponseFormat::JsonSchema {
                name,
                schema: take(&mut schema, "schema").unwrap_or_else(|| Value::Object(Map::new())),
                strict: take_bool(&mut schema, path, "strict")?,
            })
        }
        other => Err(DecodeError::new(format!(
            "response_format.type: unknown value `{other}`; expected text, json_object or json_schema"
        ))),
    }
}

/// `reasoning_effort`, or OpenRouter's `reasoning: {effort, max_tokens, exclude}`.
pub(super) fn decode_reasoning(body: &mut Object) -> Result<Option<ReasoningConfig>, DecodeError> {
    let mut config = ReasoningConfig::default();
    if let Some(effort) = take_string(body, "", "reasoning_effort")? {
        config.effort = Some(parse_effort(&effort, "reasoning_effort")?);
    }
    match take(body, "reasoning") {
        None => {}
        Some(Value::Object(mut obj)) => {
            if let Some(effort) = take_string(&mut obj, "reasoning", "effort")? {
                config.effort = Some(parse_effort(&effort, "reasoning.effort")?);
            }
            config.budget_tokens = take_u32(&mut obj, "reasoning", "max_tokens")?;
            if let Some(exclude) = take_bool(&mut obj, "reasoning", "exclude")? {
                config.include_thoughts = Some(!exclude);
            }
        }
        Some(_) => return Err(DecodeError::new("reasoning: expected an object")),
    }
    Ok((config != ReasoningConfig::default()).then_some(config))
}

fn parse_effort(value: &str, path: &str) -> Result<ReasoningEffort, DecodeError> {
    match value {
        "none" => Ok(ReasoningEffort::None),
        "minimal" => Ok(ReasoningEffort::Minimal),
        "low" => Ok(ReasoningEffort::Low),
        "medium" => Ok(ReasoningEffort::Medium),
        // `xhigh` (newest OpenAI models) has no canonical level above High.
        "high" | "xhigh" => Ok(ReasoningEffort::High),
        other => Err(DecodeError::new(format!(
            "{path}: unknown value `{other}`; expected none, minimal, low, medium or high"
        ))),
    }
}
