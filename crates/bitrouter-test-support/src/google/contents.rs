//! Request validation with the rules and messages of the real Gemini API: unknown fields are
//! rejected (the API parses bodies into protos), `contents` turns and parts, the pairing of
//! `functionCall` and `functionResponse` turns, and thought signatures on Gemini 3 calls.
//! `systemInstruction`, `tools` and `generationConfig` are checked in `config.rs`.

use serde_json::{Map, Value};

use crate::google::config;
use crate::protocol::Call;
use crate::tokens::count_words;

const REQUEST_FIELDS: [&str; 8] = [
    "contents",
    "systemInstruction",
    "tools",
    "toolConfig",
    "safetySettings",
    "generationConfig",
    "cachedContent",
    "model",
];
const PART_FIELDS: [&str; 11] = [
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "thought",
    "thoughtSignature",
    "videoMetadata",
    "partMetadata",
];
/// The part fields of which exactly one must be set (the proto's `data` oneof).
const DATA_FIELDS: [&str; 7] = [
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
];

/// `camelCase` → `snake_case`; the API accepts both spellings of every field.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for character in name.chars() {
        if character.is_ascii_uppercase() {
            out.push('_');
            out.push(character.to_ascii_lowercase());
        } else {
            out.push(character);
        }
    }
    out
}

/// Field `camel` of `object` under either spelling.
pub(crate) fn field<'a>(object: &'a Map<String, Value>, camel: &str) -> Option<&'a Value> {
    object.get(camel).or_else(|| object.get(&snake(camel)))
}

/// Reject a field that is not in `allowed` (either spelling), as the proto parser does.
pub(crate) fn known_fields(
    object: &Map<String, Value>,
    allowed: &[&str],
    at: &str,
) -> Result<(), String> {
    for key in object.keys() {
        if !allowed
            .iter()
            .any(|name| name == key || snake(name) == *key)
        {
            let place = if at.is_empty() {
                String::new()
            } else {
                format!(" at '{at}'")
            };
            return Err(format!(
                "Invalid JSON payload received. Unknown name \"{key}\"{place}: Cannot find field."
            ));
        }
    }
    Ok(())
}

/// The message for a value of the wrong JSON type.
pub(crate) fn invalid_value(at: &str, proto_type: &str, got: &Value) -> String {
    format!("Invalid value at '{at}' ({proto_type}), {got}")
}

/// Validate a request body (`None`: not JSON) for `model` and reduce it to a [`Call`].
pub(crate) fn validate(json: Option<&Value>, model: &str, seq: u64) -> Result<Call, String> {
    let Some(json) = json else {
        return Err("Invalid JSON payload received. Expected a JSON object body.".into());
    };
    let Some(body) = json.as_object() else {
        return Err(invalid_value(
            "",
            "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentRequest",
            json,
        ));
    };
    known_fields(body, &REQUEST_FIELDS, "")?;
    let system_words = config::system_instruction(field(body, "systemInstruction"))?;
    config::tools(field(body, "tools"))?;
    let include_thoughts = config::generation_config(field(body, "generationConfig"))?;
    let contents = match field(body, "contents") {
        None | Some(Value::Null) => {
            return Err("* GenerateContentRequest.contents: contents is not specified\n".into());
        }
        Some(Value::Array(contents)) if contents.is_empty() => {
            return Err("* GenerateContentRequest.contents: contents is not specified\n".into());
        }
        Some(Value::Array(contents)) => contents,
        Some(other) => {
            return Err(invalid_value(
                "contents",
                "type.googleapis.com/google.ai.generativelanguage.v1beta.Content",
                other,
            ));
        }
    };
    let mut turns = Turns::default();
    for (index, content) in contents.iter().enumerate() {
        turns.check(index, content)?;
    }
    turns.signatures(model)?;
    let mut call = Call::new(
        model.to_owned(),
        false,
        turns.last_user_text,
        turns.words.saturating_add(system_words),
        seq,
    );
    call.reasoning = include_thoughts;
    call.forced_tool = crate::forced_tool::google(json);
    Ok(call)
}

/// One checked turn: role and the function calls it holds.
#[derive(Debug)]
struct Turn {
    role: String,
    calls: Vec<String>,
    responses: usize,
    /// Whether the first function call part carries a thought signature.
    first_call_signed: bool,
    has_text: bool,
}

#[derive(Debug, Default)]
struct Turns {
    turns: Vec<Turn>,
    last_user_text: String,
    words: u64,
}

impl Turns {
    fn check(&mut self, index: usize, content: &Value) -> Result<(), String> {
        let at = format!("contents[{index}]");
        let Some(content) = content.as_object() else {
            return Err(invalid_value(
                &at,
                "type.googleapis.com/google.ai.generativelanguage.v1beta.Content",
                content,
            ));
        };
        known_fields(content, &["role", "parts"], &at)?;
        let role = match content.get("role") {
            None => "user",
            Some(Value::String(role)) if role == "user" || role == "model" => role.as_str(),
            Some(_) => return Err("Please use a valid role: user, model.".into()),
        };
        let parts = match content.get("parts") {
            Some(Value::Array(parts)) if !parts.is_empty() => parts,
            Some(Value::Array(_)) | None => {
                return Err(format!(
                    "* GenerateContentRequest.{at}.parts: contents.parts must not be empty.\n"
                ));
            }
            Some(other) => {
                return Err(invalid_value(
                    &format!("{at}.parts"),
                    "type.googleapis.com/google.ai.generativelanguage.v1beta.Part",
                    other,
                ));
            }
        };
        let mut turn = Turn {
            role: role.to_owned(),
            calls: Vec::new(),
            responses: 0,
            first_call_signed: false,
            has_text: false,
        };
        let mut texts = Vec::new();
        for (position, part) in parts.iter().enumerate() {
            let part_at = format!("{at}.parts[{position}]");
            self.part(&part_at, part, &mut turn, &mut texts)?;
        }
        self.pair(index, &turn)?;
        for text in &texts {
            self.words = self.words.saturating_add(count_words(text));
        }
        if role == "user" && !texts.is_empty() {
            self.last_user_text = texts.join(" ");
        }
        self.turns.push(turn);
        Ok(())
    }

    fn part(
        &mut self,
        at: &str,
        part: &Value,
        turn: &mut Turn,
        texts: &mut Vec<String>,
    ) -> Result<(), String> {
        let Some(part) = part.as_object() else {
            return Err(invalid_value(
                at,
                "type.googleapis.com/google.ai.generativelanguage.v1beta.Part",
                part,
            ));
        };
        known_fields(part, &PART_FIELDS, at)?;
        let set: Vec<&str> = DATA_FIELDS
            .iter()
            .copied()
            .filter(|name| field(part, name).is_some())
            .collect();
        let data = match set.as_slice() {
            [one] => *one,
            [] => {
                return Err(format!(
                    "* GenerateContentRequest.{at}.data: required oneof field 'data' must have one initialized field\n"
                ));
            }
            [first, second, ..] => {
                return Err(format!(
                    "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '{}' (at '{at}', '{first}' was set first).",
                    snake(second)
                ));
            }
        };
        if let Some(thought) = field(part, "thought").filter(|thought| !thought.is_boolean()) {
            return Err(invalid_value(
                &format!("{at}.thought"),
                "TYPE_BOOL",
                thought,
            ));
        }
        let signature = field(part, "thoughtSignature");
        if let Some(signature) = signature.filter(|signature| !signature.is_string()) {
            return Err(invalid_value(
                &format!("{at}.thought_signature"),
                "TYPE_BYTES",
                signature,
            ));
        }
        let value = field(part, data).unwrap_or(&Value::Null);
        let data_at = format!("{at}.{}", snake(data));
        match data {
            "text" => {
                let text = value
                    .as_str()
                    .ok_or_else(|| invalid_value(&data_at, "TYPE_STRING", value))?;
                if field(part, "thought") != Some(&Value::Bool(true)) {
                    texts.push(text.to_owned());
                    turn.has_text = true;
                }
            }
            "inlineData" => blob(&data_at, value, &["mimeType", "data"])?,
            "fileData" => blob(&data_at, value, &["mimeType", "fileUri"])?,
            "functionCall" => {
                let name = named(&data_at, value, "args")?;
                if turn.role != "model" {
                    return Err(format!(
                        "* GenerateContentRequest.{data_at}: function_call parts can only be in 'model' turns\n"
                    ));
                }
                if turn.calls.is_empty() {
                    turn.first_call_signed = signature.is_some();
                }
                turn.calls.push(name);
            }
            "functionResponse" => {
                named(&data_at, value, "response")?;
                turn.responses += 1;
                let name = value
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let called = self
                    .turns
                    .last()
                    .is_some_and(|previous| previous.calls.iter().any(|call| call == name));
                if !called {
                    return Err(format!(
                        "* GenerateContentRequest.{data_at}.name: function response '{name}' does not match a function call in the preceding model turn. Please ensure that function response turn comes immediately after a function call turn.\n"
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Function calls and responses come in adjacent turns with equal counts; a call turn
    /// follows a user turn or a function response turn.
    fn pair(&self, index: usize, turn: &Turn) -> Result<(), String> {
        let previous = self.turns.last();
        if !turn.calls.is_empty() {
            let after_user = previous.is_some_and(|previous| previous.role == "user");
            if !after_user {
                return Err(format!(
                    "Please ensure that function call turn comes immediately after a user turn or after a function response turn. (contents[{index}])"
                ));
            }
        }
        if let Some(previous) = previous.filter(|previous| !previous.calls.is_empty()) {
            if turn.responses != previous.calls.len() {
                return Err(format!(
                    "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn. (contents[{}] has {} function call parts, contents[{index}] has {} function response parts)",
                    index - 1,
                    previous.calls.len(),
                    turn.responses
                ));
            }
        }
        Ok(())
    }

    /// Gemini 3 models require the thought signature they sent on the first function call of
    /// each model turn in the current turn (since the last user text).
    fn signatures(&self, model: &str) -> Result<(), String> {
        if !model.starts_with("gemini-3") {
            return Ok(());
        }
        let current = self
            .turns
            .iter()
            .rposition(|turn| turn.role == "user" && turn.has_text)
            .unwrap_or(0);
        for (index, turn) in self.turns.iter().enumerate().skip(current) {
            if let Some(name) = turn.calls.first().filter(|_| !turn.first_call_signed) {
                return Err(format!(
                    "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `{name}` , position {index}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
                ));
            }
        }
        Ok(())
    }
}

/// `inlineData` / `fileData`: an object with the given string fields.
fn blob(at: &str, value: &Value, required: &[&str]) -> Result<(), String> {
    let Some(object) = value.as_object() else {
        return Err(invalid_value(
            at,
            "type.googleapis.com/google.ai.generativelanguage.v1beta.Blob",
            value,
        ));
    };
    known_fields(object, &["mimeType", "data", "fileUri", "displayName"], at)?;
    for name in required {
        match field(object, name) {
            Some(Value::String(text)) if !text.is_empty() => {}
            _ => {
                return Err(format!(
                    "* GenerateContentRequest.{at}.{}: must be a non-empty string\n",
                    snake(name)
                ));
            }
        }
    }
    Ok(())
}

/// `functionCall` / `functionResponse`: a `name` and an optional object `object_field`
/// (`args`) or a required one (`response`); returns the name.
fn named(at: &str, value: &Value, object_field: &str) -> Result<String, String> {
    let Some(object) = value.as_object() else {
        return Err(invalid_value(
            at,
            "type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCall",
            value,
        ));
    };
    known_fields(
        object,
        &[
            "id",
            "name",
            "args",
            "response",
            "willContinue",
            "scheduling",
            "parts",
        ],
        at,
    )?;
    let name = match object.get("name") {
        Some(Value::String(name)) if !name.is_empty() => name.clone(),
        _ => {
            return Err(format!(
                "* GenerateContentRequest.{at}.name: Name cannot be empty.\n"
            ));
        }
    };
    match object.get(object_field) {
        Some(Value::Object(_)) => Ok(name),
        None if object_field == "args" => Ok(name),
        None => Err(format!(
            "* GenerateContentRequest.{at}.{object_field}: must be an object\n"
        )),
        Some(other) => Err(invalid_value(
            &format!("{at}.{object_field}"),
            "type.googleapis.com/google.protobuf.Struct",
            other,
        )),
    }
}
