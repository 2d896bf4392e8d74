//! Request validation with the rules and messages of the real Chat Completions API.

use serde_json::{Map, Value};

use crate::protocol::Call;
use crate::tokens::count_words;

const ROLES: [&str; 5] = ["system", "developer", "user", "assistant", "tool"];

/// A rejected request: the fields of the OpenAI error object (shared with the Responses fake).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    pub(crate) message: String,
    pub(crate) param: Option<String>,
    pub(crate) code: Option<&'static str>,
}

impl Invalid {
    pub(crate) fn new(
        message: impl Into<String>,
        param: Option<String>,
        code: Option<&'static str>,
    ) -> Self {
        Self {
            message: message.into(),
            param,
            code,
        }
    }

    pub(crate) fn missing(param: String) -> Self {
        let message = format!("Missing required parameter: '{param}'.");
        Self::new(message, Some(param), Some("missing_required_parameter"))
    }

    pub(crate) fn wrong_type(param: String, expected: &str, got: &Value) -> Self {
        let got = type_name(got);
        let message =
            format!("Invalid type for '{param}': expected {expected}, but got {got} instead.");
        Self::new(message, Some(param), Some("invalid_type"))
    }
}

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
    let model = match body.get("model") {
        None | Some(Value::Null) => return Err(Invalid::missing("model".into())),
        Some(Value::String(model)) => model.clone(),
        Some(other) => return Err(Invalid::wrong_type("model".into(), "a string", other)),
    };
    let stream = match body.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(stream)) => *stream,
        Some(other) => return Err(Invalid::wrong_type("stream".into(), "a boolean", other)),
    };
    let include_usage = stream_options(body, stream)?;
    let messages = match body.get("messages") {
        None | Some(Value::Null) => return Err(Invalid::missing("messages".into())),
        Some(Value::Array(messages)) => messages,
        Some(other) => return Err(Invalid::wrong_type("messages".into(), "an array", other)),
    };
    if messages.is_empty() {
        return Err(Invalid::new(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got \
             an empty array instead.",
            Some("messages".into()),
            Some("empty_array"),
        ));
    }
    let mut conversation = Conversation::default();
    for (index, message) in messages.iter().enumerate() {
        conversation.check(index, message)?;
    }
    conversation.finish()?;
    let mut call = Call::new(
        model,
        stream,
        conversation.last_user_text,
        conversation.words,
        seq,
    );
    call.include_usage = include_usage;
    call.forced_tool = crate::forced_tool::openai_chat(json);
    Ok(call)
}

fn stream_options(body: &Map<String, Value>, stream: bool) -> Result<bool, Invalid> {
    let options = match body.get("stream_options") {
        None | Some(Value::Null) => return Ok(false),
        Some(Value::Object(options)) => options,
        Some(other) => {
            return Err(Invalid::wrong_type(
                "stream_options".into(),
                "an object",
                other,
            ));
        }
    };
    if !stream {
        return Err(Invalid::new(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            Some("stream_options".into()),
            None,
        ));
    }
    match options.get("include_usage") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(include)) => Ok(*include),
        Some(other) => Err(Invalid::wrong_type(
            "stream_options.include_usage".into(),
            "a boolean",
            other,
        )),
    }
}

/// The tool calls of the latest assistant message that still await `tool` answers.
#[derive(Debug)]
struct OpenCalls {
    assistant: usize,
    ids: Vec<String>,
    answered: Vec<bool>,
}

#[derive(Debug, Default)]
struct Conversation {
    open: Option<OpenCalls>,
    last_user_text: String,
    words: u64,
}

impl Conversation {
    fn check(&mut self, index: usize, message: &Value) -> Result<(), Invalid> {
        let at = format!("messages[{index}]");
        let Some(message) = message.as_object() else {
            return Err(Invalid::wrong_type(at, "an object", message));
        };
        let role = match message.get("role") {
            None | Some(Value::Null) => return Err(Invalid::missing(format!("{at}.role"))),
            Some(Value::String(role)) => role.as_str(),
            Some(other) => {
                return Err(Invalid::wrong_type(format!("{at}.role"), "a string", other));
            }
        };
        if !ROLES.contains(&role) {
            return Err(Invalid::new(
                format!(
                    "Invalid value: '{role}'. Supported values are: 'system', 'developer', \
                     'user', 'assistant' and 'tool'."
                ),
                Some(format!("{at}.role")),
                Some("invalid_value"),
            ));
        }
        if role != "tool" {
            self.require_answers(format!("{at}.role"))?;
        }
        let has_tool_calls = role == "assistant" && message.contains_key("tool_calls");
        let text = content_text(&at, role, message.get("content"), has_tool_calls)?;
        self.words = self.words.saturating_add(count_words(&text));
        match role {
            "user" => self.last_user_text = text,
            "tool" => self.answer(&at, message)?,
            "assistant" if has_tool_calls => self.open_calls(index, &at, message)?,
            _ => {}
        }
        Ok(())
    }

    /// A non-tool message may only follow once every open tool call has been answered.
    fn require_answers(&mut self, param: String) -> Result<(), Invalid> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let missing: Vec<&str> = open
            .ids
            .iter()
            .zip(&open.answered)
            .filter(|(_, answered)| !**answered)
            .map(|(id, _)| id.as_str())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Invalid::new(
            format!(
                "An assistant message with 'tool_calls' must be followed by tool messages \
                 responding to each 'tool_call_id'. The following tool_call_ids did not have \
                 response messages: {} (see messages[{}]).",
                missing.join(", "),
                open.assistant
            ),
            Some(param),
            None,
        ))
    }

    /// The conversation may not end with unanswered tool calls.
    fn finish(&mut self) -> Result<(), Invalid> {
        match &self.open {
            Some(open) => {
                let param = format!("messages[{}].tool_calls", open.assistant);
                self.require_answers(param)
            }
            None => Ok(()),
        }
    }

    fn answer(&mut self, at: &str, message: &Map<String, Value>) -> Result<(), Invalid> {
        let id = match message.get("tool_call_id") {
            None | Some(Value::Null) => return Err(Invalid::missing(format!("{at}.tool_call_id"))),
            Some(Value::String(id)) => id,
            Some(other) => {
                return Err(Invalid::wrong_type(
                    format!("{at}.tool_call_id"),
                    "a string",
                    other,
                ));
            }
        };
        let Some(open) = self.open.as_mut() else {
            return Err(Invalid::new(
                "Invalid parameter: messages with role 'tool' must be a response to a preceding \
                 message with 'tool_calls'.",
                Some(format!("{at}.role")),
                None,
            ));
        };
        let Some(position) = open.ids.iter().position(|known| known == id) else {
            return Err(Invalid::new(
                format!(
                    "Invalid parameter: 'tool_call_id' of '{id}' not found in 'tool_calls' of \
                     messages[{}].",
                    open.assistant
                ),
                Some(format!("{at}.tool_call_id")),
                None,
            ));
        };
        if let Some(answered) = open.answered.get_mut(position) {
            *answered = true;
        }
        Ok(())
    }

    fn open_calls(
        &mut self,
        index: usize,
        at: &str,
        message: &Map<String, Value>,
    ) -> Result<(), Invalid> {
        let param = format!("{at}.tool_calls");
        let calls = match message.get("tool_calls") {
            Some(Value::Array(calls)) => calls,
            Some(Value::Null) | None => return Ok(()),
            Some(other) => return Err(Invalid::wrong_type(param, "an array", other)),
        };
        if calls.is_empty() {
            return Err(Invalid::new(
                format!("Invalid '{param}': empty array. Expected an array with minimum length 1."),
                Some(param),
                Some("empty_array"),
            ));
        }
        let mut ids = Vec::with_capacity(calls.len());
        for (position, call) in calls.iter().enumerate() {
            ids.push(tool_call_id(&format!("{param}[{position}]"), call)?);
        }
        let answered = vec![false; ids.len()];
        self.open = Some(OpenCalls {
            assistant: index,
            ids,
            answered,
        });
        Ok(())
    }
}

/// Check one assistant tool call and return its id.
fn tool_call_id(at: &str, call: &Value) -> Result<String, Invalid> {
    let Some(call) = call.as_object() else {
        return Err(Invalid::wrong_type(at.into(), "an object", call));
    };
    let id = required_string(call, at, "id")?;
    let kind = required_string(call, at, "type")?;
    if kind != "function" {
        return Err(Invalid::new(
            format!("Invalid value: '{kind}'. Supported values are: 'function'."),
            Some(format!("{at}.type")),
            Some("invalid_value"),
        ));
    }
    let function_at = format!("{at}.function");
    let function = match call.get("function") {
        None | Some(Value::Null) => return Err(Invalid::missing(function_at)),
        Some(Value::Object(function)) => function,
        Some(other) => return Err(Invalid::wrong_type(function_at, "an object", other)),
    };
    required_string(function, &function_at, "name")?;
    required_string(function, &function_at, "arguments")?;
    Ok(id.to_owned())
}

fn required_string<'a>(
    object: &'a Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<&'a str, Invalid> {
    match object.get(key) {
        None | Some(Value::Null) => Err(Invalid::missing(format!("{at}.{key}"))),
        Some(Value::String(value)) => Ok(value),
        Some(other) => Err(Invalid::wrong_type(
            format!("{at}.{key}"),
            "a string",
            other,
        )),
    }
}

/// Check a message's `content` and return its text (text parts joined by a space).
fn content_text(
    at: &str,
    role: &str,
    content: Option<&Value>,
    has_tool_calls: bool,
) -> Result<String, Invalid> {
    let param = format!("{at}.content");
    let parts = match content {
        Some(Value::String(text)) => return Ok(text.clone()),
        None | Some(Value::Null) if role == "assistant" && has_tool_calls => {
            return Ok(String::new());
        }
        None | Some(Value::Null) => return Err(Invalid::missing(param)),
        Some(Value::Array(parts)) => parts,
        Some(other) => {
            return Err(Invalid::wrong_type(
                param,
                "a string or an array of objects",
                other,
            ));
        }
    };
    if parts.is_empty() && role == "user" {
        return Err(Invalid::new(
            format!("Invalid '{param}': empty array. Expected an array with minimum length 1."),
            Some(param),
            Some("empty_array"),
        ));
    }
    let allowed: &[&str] = match role {
        "user" => &["text", "image_url", "input_audio", "file"],
        "assistant" => &["text", "refusal"],
        _ => &["text"],
    };
    let mut texts = Vec::new();
    for (position, part) in parts.iter().enumerate() {
        let part_at = format!("{param}[{position}]");
        let Some(part) = part.as_object() else {
            return Err(Invalid::wrong_type(part_at, "an object", part));
        };
        let kind = required_string(part, &part_at, "type")?;
        if !allowed.contains(&kind) {
            return Err(Invalid::new(
                format!(
                    "Invalid value: '{kind}'. Supported values are: '{}'.",
                    allowed.join("', '")
                ),
                Some(format!("{part_at}.type")),
                Some("invalid_value"),
            ));
        }
        if kind == "text" {
            texts.push(required_string(part, &part_at, "text")?);
        }
    }
    Ok(texts.join(" "))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
