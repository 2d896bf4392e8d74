//! Request validation with the rules and messages of the real Messages API: the top-level
//! parameters (extra ones are rejected, as the real API does), `system`, `tools`,
//! `tool_choice` and `thinking`. The messages themselves are checked in `messages.rs`.

use serde_json::{Map, Value};

use crate::anthropic::messages::Conversation;
use crate::protocol::Call;
use crate::sse::type_name;
use crate::tokens::count_words;

/// The top-level parameters the real API accepts; anything else is "Extra inputs are not
/// permitted".
const PARAMETERS: [&str; 17] = [
    "model",
    "messages",
    "max_tokens",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "mcp_servers",
    "context_management",
];

/// The smallest thinking budget the real API accepts.
const MIN_BUDGET: u64 = 1024;

/// A rejected request: the `message` of an `invalid_request_error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid(pub(crate) String);

impl Invalid {
    pub(crate) fn at(path: &str, message: impl std::fmt::Display) -> Self {
        Self(format!("{path}: {message}"))
    }

    pub(crate) fn missing(path: &str) -> Self {
        Self::at(path, "Field required")
    }

    pub(crate) fn wrong_type(path: &str, expected: &str, got: &Value) -> Self {
        Self::at(
            path,
            format!("Input should be {expected}, got {}", type_name(got)),
        )
    }
}

/// Which endpoint a body is validated for: `count_tokens` takes no `max_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Messages,
    CountTokens,
}

/// Validate a request body (`None`: not JSON) and reduce it to a [`Call`].
pub(crate) fn validate(
    json: Option<&Value>,
    seq: u64,
    endpoint: Endpoint,
) -> Result<Call, Invalid> {
    let Some(json) = json else {
        return Err(Invalid(
            "There was an issue with your request body: it is not valid JSON. Send a JSON \
             object with 'content-type: application/json'."
                .into(),
        ));
    };
    let Some(body) = json.as_object() else {
        return Err(Invalid::wrong_type("body", "a valid dictionary", json));
    };
    for key in body.keys() {
        let allowed = PARAMETERS.contains(&key.as_str())
            && !(endpoint == Endpoint::CountTokens
                && matches!(key.as_str(), "max_tokens" | "stream" | "stop_sequences"));
        if !allowed {
            return Err(Invalid::at(key, "Extra inputs are not permitted"));
        }
    }
    let model = match body.get("model") {
        None => return Err(Invalid::missing("model")),
        Some(Value::String(model)) if !model.is_empty() => model.clone(),
        Some(other) => return Err(Invalid::wrong_type("model", "a non-empty string", other)),
    };
    let max_tokens = match endpoint {
        Endpoint::CountTokens => u64::MAX,
        Endpoint::Messages => max_tokens(body)?,
    };
    let stream = match body.get("stream") {
        None => false,
        Some(Value::Bool(stream)) => *stream,
        Some(other) => return Err(Invalid::wrong_type("stream", "a valid boolean", other)),
    };
    for (key, high) in [("temperature", 1.0), ("top_p", 1.0)] {
        unit_interval(body, key, high)?;
    }
    stop_sequences(body)?;
    let system_words = system(body.get("system"))?;
    tools(body.get("tools"))?;
    tool_choice(body.get("tool_choice"))?;
    let reasoning = thinking(body.get("thinking"), max_tokens)?;
    let messages = match body.get("messages") {
        None => return Err(Invalid::missing("messages")),
        Some(Value::Array(messages)) => messages,
        Some(other) => return Err(Invalid::wrong_type("messages", "a valid list", other)),
    };
    if messages.is_empty() {
        return Err(Invalid::at(
            "messages",
            "List should have at least 1 item after validation, not 0",
        ));
    }
    let mut conversation = Conversation::new(reasoning);
    for (index, message) in messages.iter().enumerate() {
        conversation.check(index, message)?;
    }
    conversation.finish()?;
    let mut call = Call::new(
        model,
        stream,
        conversation.last_user_text,
        conversation.words.saturating_add(system_words),
        seq,
    );
    call.reasoning = reasoning;
    call.forced_tool = crate::forced_tool::anthropic(json);
    Ok(call)
}

fn max_tokens(body: &Map<String, Value>) -> Result<u64, Invalid> {
    match body.get("max_tokens") {
        None => Err(Invalid::missing("max_tokens")),
        Some(Value::Number(number)) => match number.as_u64() {
            Some(0) => Err(Invalid::at(
                "max_tokens",
                "Input should be greater than or equal to 1",
            )),
            Some(tokens) => Ok(tokens),
            None => Err(Invalid::at("max_tokens", "Input should be a valid integer")),
        },
        Some(other) => Err(Invalid::wrong_type("max_tokens", "a valid integer", other)),
    }
}

fn unit_interval(body: &Map<String, Value>, key: &str, high: f64) -> Result<(), Invalid> {
    match body.get(key) {
        None => Ok(()),
        Some(Value::Number(number)) => match number.as_f64() {
            Some(value) if (0.0..=high).contains(&value) => Ok(()),
            _ => Err(Invalid::at(
                key,
                format!("Input should be between 0 and {high}, got {number}"),
            )),
        },
        Some(other) => Err(Invalid::wrong_type(key, "a valid number", other)),
    }
}

fn stop_sequences(body: &Map<String, Value>) -> Result<(), Invalid> {
    match body.get("stop_sequences") {
        None => Ok(()),
        Some(Value::Array(sequences)) => {
            for (index, sequence) in sequences.iter().enumerate() {
                if !sequence.is_string() {
                    let path = format!("stop_sequences.{index}");
                    return Err(Invalid::wrong_type(&path, "a valid string", sequence));
                }
            }
            Ok(())
        }
        Some(other) => Err(Invalid::wrong_type("stop_sequences", "a valid list", other)),
    }
}

/// `system` is a string or a list of text blocks; returns its word count.
fn system(system: Option<&Value>) -> Result<u64, Invalid> {
    let blocks = match system {
        None => return Ok(0),
        Some(Value::String(text)) => return Ok(count_words(text)),
        Some(Value::Array(blocks)) => blocks,
        Some(other) => {
            return Err(Invalid::wrong_type(
                "system",
                "a valid string or a list of text blocks",
                other,
            ));
        }
    };
    let mut words = 0_u64;
    for (index, block) in blocks.iter().enumerate() {
        let path = format!("system.{index}");
        let text = block
            .as_object()
            .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
            .and_then(|block| block.get("text"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Invalid::at(
                    &path,
                    "Input should be a text block {\"type\": \"text\", \"text\": ...}",
                )
            })?;
        if text.is_empty() {
            return Err(Invalid::at(&path, "text content blocks must be non-empty"));
        }
        words = words.saturating_add(count_words(text));
    }
    Ok(words)
}

/// Custom tools need a valid `name` and an object `input_schema` of `type: "object"`; typed
/// server tools (`web_search_20250305`, …) are accepted as they are.
fn tools(tools: Option<&Value>) -> Result<(), Invalid> {
    let tools = match tools {
        None => return Ok(()),
        Some(Value::Array(tools)) => tools,
        Some(other) => return Err(Invalid::wrong_type("tools", "a valid list", other)),
    };
    for (index, tool) in tools.iter().enumerate() {
        let path = format!("tools.{index}");
        let Some(tool) = tool.as_object() else {
            return Err(Invalid::wrong_type(&path, "a valid dictionary", tool));
        };
        match tool.get("type").and_then(Value::as_str) {
            None | Some("custom") => {}
            Some(_server_tool) => continue,
        }
        let name = match tool.get("name") {
            None => return Err(Invalid::missing(&format!("{path}.name"))),
            Some(Value::String(name)) => name,
            Some(other) => {
                return Err(Invalid::wrong_type(
                    &format!("{path}.name"),
                    "a valid string",
                    other,
                ));
            }
        };
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_name {
            return Err(Invalid::at(
                &format!("{path}.name"),
                "String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
            ));
        }
        let schema_path = format!("{path}.input_schema");
        let schema = match tool.get("input_schema") {
            None => return Err(Invalid::missing(&schema_path)),
            Some(Value::Object(schema)) => schema,
            Some(other) => {
                return Err(Invalid::wrong_type(
                    &schema_path,
                    "a valid dictionary",
                    other,
                ));
            }
        };
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(Invalid::at(
                &format!("{schema_path}.type"),
                "Input should be 'object'",
            ));
        }
    }
    Ok(())
}

fn tool_choice(choice: Option<&Value>) -> Result<(), Invalid> {
    let Some(choice) = choice else {
        return Ok(());
    };
    let Some(object) = choice.as_object() else {
        return Err(Invalid::wrong_type(
            "tool_choice",
            "a valid dictionary",
            choice,
        ));
    };
    match object.get("type").and_then(Value::as_str) {
        Some("auto" | "any" | "none") => Ok(()),
        Some("tool") => match object.get("name") {
            Some(Value::String(_)) => Ok(()),
            _ => Err(Invalid::missing("tool_choice.tool.name")),
        },
        _ => Err(Invalid::at(
            "tool_choice.type",
            "Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
        )),
    }
}

/// `thinking` is `{"type":"enabled","budget_tokens":N}` with `1024 <= N < max_tokens`,
/// `{"type":"disabled"}` or `{"type":"adaptive"}`; returns whether thinking is on.
fn thinking(thinking: Option<&Value>, max_tokens: u64) -> Result<bool, Invalid> {
    let Some(thinking) = thinking else {
        return Ok(false);
    };
    let Some(object) = thinking.as_object() else {
        return Err(Invalid::wrong_type(
            "thinking",
            "a valid dictionary",
            thinking,
        ));
    };
    match object.get("type").and_then(Value::as_str) {
        Some("disabled") => Ok(false),
        Some("adaptive") => Ok(true),
        Some("enabled") => {
            let budget = match object.get("budget_tokens") {
                None => return Err(Invalid::missing("thinking.enabled.budget_tokens")),
                Some(budget) => budget.as_u64().ok_or_else(|| {
                    Invalid::wrong_type("thinking.enabled.budget_tokens", "a valid integer", budget)
                })?,
            };
            if budget < MIN_BUDGET {
                return Err(Invalid::at(
                    "thinking.enabled.budget_tokens",
                    format!("Input should be greater than or equal to {MIN_BUDGET}"),
                ));
            }
            if budget >= max_tokens {
                return Err(Invalid(format!(
                    "`max_tokens` must be greater than `thinking.budget_tokens` ({budget}). \
                     Please consult our documentation at \
                     https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
                )));
            }
            Ok(true)
        }
        _ => Err(Invalid::at(
            "thinking.type",
            "Input tag does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'",
        )),
    }
}
