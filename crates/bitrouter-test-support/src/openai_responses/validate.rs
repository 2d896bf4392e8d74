//! Request validation with the rules and messages of the real Responses API: the top-level
//! parameters (unknown ones are rejected), `tools`, `reasoning`, `include`. The `input` items
//! are checked in `input.rs`.

use serde_json::{Map, Value};

use crate::openai_chat::Invalid;
use crate::openai_responses::input::Items;
use crate::protocol::Call;
use crate::tokens::count_words;

const PARAMETERS: [&str; 28] = [
    "model",
    "input",
    "instructions",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "top_logprobs",
    "max_output_tokens",
    "max_tool_calls",
    "reasoning",
    "include",
    "store",
    "metadata",
    "parallel_tool_calls",
    "text",
    "truncation",
    "user",
    "previous_response_id",
    "service_tier",
    "background",
    "prompt",
    "prompt_cache_key",
    "safety_identifier",
    "conversation",
    "context_management",
];
const EFFORTS: [&str; 6] = ["none", "minimal", "low", "medium", "high", "xhigh"];

/// Validate a request body (`None`: not JSON) and reduce it to a [`Call`].
pub(crate) fn validate(json: Option<&Value>, seq: u64) -> Result<Call, Invalid> {
    let Some(json) = json else {
        return Err(Invalid::new(
            "We could not parse the JSON body of your request. The OpenAI API expects a JSON \
             payload; send the body as JSON with 'Content-Type: application/json'.",
            None,
            None,
        ));
    };
    let Some(body) = json.as_object() else {
        return Err(Invalid::wrong_type("body".into(), "an object", json));
    };
    if let Some(key) = body.keys().find(|key| !PARAMETERS.contains(&key.as_str())) {
        return Err(Invalid::new(
            format!("Unknown parameter: '{key}'."),
            Some(key.clone()),
            Some("unknown_parameter"),
        ));
    }
    let model = match body.get("model") {
        None | Some(Value::Null) => return Err(Invalid::missing("model".into())),
        Some(Value::String(model)) => model.clone(),
        Some(other) => return Err(Invalid::wrong_type("model".into(), "a string", other)),
    };
    if let Some(id) = body.get("previous_response_id").filter(|id| !id.is_null()) {
        return Err(Invalid::new(
            format!(
                "Previous response with id '{}' not found. (This fake upstream keeps no state; \
                 send the whole conversation in 'input'.)",
                id.as_str().unwrap_or_default()
            ),
            Some("previous_response_id".into()),
            Some("previous_response_not_found"),
        ));
    }
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => *stream,
        Some(other) => return Err(Invalid::wrong_type("stream".into(), "a boolean", other)),
    };
    numbers(body)?;
    tools(body.get("tools"))?;
    let reasoning = reasoning(body.get("reasoning"))?;
    let encrypted = include(body.get("include"))?;
    let instruction_words = match body.get("instructions") {
        None | Some(Value::Null) => 0,
        Some(Value::String(text)) => count_words(text),
        Some(other) => {
            return Err(Invalid::wrong_type(
                "instructions".into(),
                "a string",
                other,
            ));
        }
    };
    let mut items = Items::default();
    match body.get("input") {
        None | Some(Value::Null) => return Err(Invalid::missing("input".into())),
        Some(Value::String(text)) => items.text(text),
        Some(Value::Array(input)) => {
            for (index, item) in input.iter().enumerate() {
                items.check(index, item)?;
            }
            items.finish()?;
        }
        Some(other) => {
            return Err(Invalid::wrong_type(
                "input".into(),
                "a string or an array",
                other,
            ));
        }
    }
    let mut call = Call::new(
        model,
        stream,
        items.last_user_text,
        items.words.saturating_add(instruction_words),
        seq,
    );
    call.reasoning = reasoning;
    call.encrypted_reasoning = encrypted;
    call.forced_tool = crate::forced_tool::openai_responses(json);
    Ok(call)
}

fn numbers(body: &Map<String, Value>) -> Result<(), Invalid> {
    if let Some(value) = body.get("temperature").filter(|value| !value.is_null()) {
        let ok = value.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t));
        if !ok {
            return Err(Invalid::new(
                format!(
                    "Invalid 'temperature': expected a number between 0 and 2, but got {value} instead."
                ),
                Some("temperature".into()),
                Some("invalid_value"),
            ));
        }
    }
    if let Some(value) = body
        .get("max_output_tokens")
        .filter(|value| !value.is_null())
    {
        let Some(tokens) = value.as_u64() else {
            return Err(Invalid::wrong_type(
                "max_output_tokens".into(),
                "an integer",
                value,
            ));
        };
        if tokens < 16 {
            return Err(Invalid::new(
                format!(
                    "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got {tokens} instead."
                ),
                Some("max_output_tokens".into()),
                Some("integer_below_min_value"),
            ));
        }
    }
    Ok(())
}

/// Function tools are flat: `{"type":"function","name","parameters",…}` (not Chat's
/// `{"function":{…}}`); other tool types are accepted as they are.
fn tools(tools: Option<&Value>) -> Result<(), Invalid> {
    let tools = match tools {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(tools)) => tools,
        Some(other) => return Err(Invalid::wrong_type("tools".into(), "an array", other)),
    };
    for (index, tool) in tools.iter().enumerate() {
        let at = format!("tools[{index}]");
        let Some(tool) = tool.as_object() else {
            return Err(Invalid::wrong_type(at, "an object", tool));
        };
        match tool.get("type").and_then(Value::as_str) {
            None => return Err(Invalid::missing(format!("{at}.type"))),
            Some("function") => {}
            Some(_) => continue,
        }
        if let Some(key) = tool.keys().find(|key| *key == "function") {
            return Err(Invalid::new(
                format!("Unknown parameter: '{at}.{key}'."),
                Some(format!("{at}.{key}")),
                Some("unknown_parameter"),
            ));
        }
        match tool.get("name") {
            Some(Value::String(name)) if !name.is_empty() => {}
            None | Some(Value::Null) => return Err(Invalid::missing(format!("{at}.name"))),
            Some(other) => {
                return Err(Invalid::wrong_type(format!("{at}.name"), "a string", other));
            }
        }
        match tool.get("parameters") {
            Some(Value::Object(_)) => {}
            None | Some(Value::Null) => return Err(Invalid::missing(format!("{at}.parameters"))),
            Some(other) => {
                return Err(Invalid::wrong_type(
                    format!("{at}.parameters"),
                    "an object",
                    other,
                ));
            }
        }
    }
    Ok(())
}

fn reasoning(reasoning: Option<&Value>) -> Result<bool, Invalid> {
    let reasoning = match reasoning {
        None | Some(Value::Null) => return Ok(false),
        Some(Value::Object(reasoning)) => reasoning,
        Some(other) => return Err(Invalid::wrong_type("reasoning".into(), "an object", other)),
    };
    match reasoning.get("effort") {
        None | Some(Value::Null) => {}
        Some(Value::String(effort)) if EFFORTS.contains(&effort.as_str()) => {}
        Some(other) => {
            return Err(Invalid::new(
                format!(
                    "Invalid value: {other}. Supported values are: 'none', 'minimal', 'low', 'medium', 'high' and 'xhigh'."
                ),
                Some("reasoning.effort".into()),
                Some("invalid_value"),
            ));
        }
    }
    Ok(true)
}

/// `include`: an array of strings; whether it asks for `reasoning.encrypted_content`.
fn include(include: Option<&Value>) -> Result<bool, Invalid> {
    let include = match include {
        None | Some(Value::Null) => return Ok(false),
        Some(Value::Array(include)) => include,
        Some(other) => return Err(Invalid::wrong_type("include".into(), "an array", other)),
    };
    let mut encrypted = false;
    for (index, entry) in include.iter().enumerate() {
        let Some(entry) = entry.as_str() else {
            return Err(Invalid::wrong_type(
                format!("include[{index}]"),
                "a string",
                entry,
            ));
        };
        encrypted |= entry == "reasoning.encrypted_content";
    }
    Ok(encrypted)
}
