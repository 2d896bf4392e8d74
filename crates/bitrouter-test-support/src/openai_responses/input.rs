//! The `input` items: messages with role-specific content parts, `function_call` /
//! `function_call_output` pairing by `call_id`, and `reasoning` items, with the real API's
//! messages.

use serde_json::{Map, Value};

use crate::openai_chat::Invalid;
use crate::tokens::count_words;

const ITEM_TYPES: &str = "'message', 'function_call', 'function_call_output', 'reasoning'";

/// The walk over `input`.
#[derive(Debug, Default)]
pub(crate) struct Items {
    /// `call_id`s of function calls seen so far, and whether each has its output.
    calls: Vec<(String, bool)>,
    pub(crate) last_user_text: String,
    pub(crate) words: u64,
}

impl Items {
    /// `input` given as one string: a single user message.
    pub(crate) fn text(&mut self, text: &str) {
        self.words = count_words(text);
        text.clone_into(&mut self.last_user_text);
    }

    pub(crate) fn check(&mut self, index: usize, item: &Value) -> Result<(), Invalid> {
        let at = format!("input[{index}]");
        let Some(item) = item.as_object() else {
            return Err(Invalid::wrong_type(at, "an object", item));
        };
        let kind = match item.get("type") {
            None if item.contains_key("role") => "message",
            Some(Value::String(kind)) => kind.as_str(),
            None | Some(Value::Null) => return Err(Invalid::missing(format!("{at}.type"))),
            Some(other) => {
                return Err(Invalid::wrong_type(format!("{at}.type"), "a string", other));
            }
        };
        match kind {
            "message" => self.message(&at, item),
            "function_call" => {
                prefixed_id(&at, item, "fc")?;
                let call_id = string(item, &at, "call_id")?;
                string(item, &at, "name")?;
                let arguments = string(item, &at, "arguments")?;
                self.words = self.words.saturating_add(count_words(arguments));
                self.calls.push((call_id.to_owned(), false));
                Ok(())
            }
            "function_call_output" => {
                let call_id = string(item, &at, "call_id")?;
                match item.get("output") {
                    Some(Value::String(output)) => {
                        self.words = self.words.saturating_add(count_words(output));
                    }
                    Some(Value::Array(_)) => {}
                    None | Some(Value::Null) => {
                        return Err(Invalid::missing(format!("{at}.output")));
                    }
                    Some(other) => {
                        return Err(Invalid::wrong_type(
                            format!("{at}.output"),
                            "a string or an array",
                            other,
                        ));
                    }
                }
                let Some(call) = self.calls.iter_mut().find(|(id, _)| id == call_id) else {
                    return Err(Invalid::new(
                        format!(
                            "No tool call found for function call output with call_id {call_id}."
                        ),
                        Some("input".into()),
                        None,
                    ));
                };
                call.1 = true;
                Ok(())
            }
            "reasoning" => reasoning(&at, item),
            other => Err(Invalid::new(
                format!("Invalid value: '{other}'. Supported values are: {ITEM_TYPES}."),
                Some(format!("{at}.type")),
                Some("invalid_value"),
            )),
        }
    }

    /// Every function call in the input needs its output.
    pub(crate) fn finish(&self) -> Result<(), Invalid> {
        match self.calls.iter().find(|(_, answered)| !answered) {
            Some((call_id, _)) => Err(Invalid::new(
                format!("No tool output found for function call {call_id}."),
                Some("input".into()),
                None,
            )),
            None => Ok(()),
        }
    }

    fn message(&mut self, at: &str, item: &Map<String, Value>) -> Result<(), Invalid> {
        let role = string(item, at, "role")?;
        if !matches!(role, "user" | "assistant" | "system" | "developer") {
            return Err(Invalid::new(
                format!(
                    "Invalid value: '{role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'."
                ),
                Some(format!("{at}.role")),
                Some("invalid_value"),
            ));
        }
        let allowed: &[&str] = if role == "assistant" {
            &["output_text", "refusal"]
        } else {
            &["input_text", "input_image", "input_file"]
        };
        let parts = match item.get("content") {
            Some(Value::String(text)) => {
                self.add_text(role, vec![text.clone()]);
                return Ok(());
            }
            Some(Value::Array(parts)) => parts,
            None | Some(Value::Null) => return Err(Invalid::missing(format!("{at}.content"))),
            Some(other) => {
                return Err(Invalid::wrong_type(
                    format!("{at}.content"),
                    "a string or an array",
                    other,
                ));
            }
        };
        let mut texts = Vec::new();
        for (position, part) in parts.iter().enumerate() {
            let part_at = format!("{at}.content[{position}]");
            let Some(part) = part.as_object() else {
                return Err(Invalid::wrong_type(part_at, "an object", part));
            };
            let kind = string(part, &part_at, "type")?;
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
            match kind {
                "input_text" | "output_text" => {
                    texts.push(string(part, &part_at, "text")?.to_owned())
                }
                "input_image" => {
                    let has_source = ["image_url", "file_id"]
                        .iter()
                        .any(|key| part.get(*key).is_some_and(Value::is_string));
                    if !has_source {
                        return Err(Invalid::missing(format!("{part_at}.image_url")));
                    }
                }
                _ => {}
            }
        }
        self.add_text(role, texts);
        Ok(())
    }

    fn add_text(&mut self, role: &str, texts: Vec<String>) {
        for text in &texts {
            self.words = self.words.saturating_add(count_words(text));
        }
        if role == "user" && !texts.is_empty() {
            self.last_user_text = texts.join(" ");
        }
    }
}

/// A `reasoning` item: optional `rs_` id, a `summary` array of `summary_text` parts, optional
/// `encrypted_content` string.
fn reasoning(at: &str, item: &Map<String, Value>) -> Result<(), Invalid> {
    prefixed_id(at, item, "rs")?;
    let summary = match item.get("summary") {
        Some(Value::Array(summary)) => summary,
        None | Some(Value::Null) => return Err(Invalid::missing(format!("{at}.summary"))),
        Some(other) => {
            return Err(Invalid::wrong_type(
                format!("{at}.summary"),
                "an array",
                other,
            ));
        }
    };
    for (position, part) in summary.iter().enumerate() {
        let part_at = format!("{at}.summary[{position}]");
        let Some(part) = part.as_object() else {
            return Err(Invalid::wrong_type(part_at, "an object", part));
        };
        if string(part, &part_at, "type")? != "summary_text" {
            return Err(Invalid::new(
                "Invalid value. Supported values are: 'summary_text'.",
                Some(format!("{part_at}.type")),
                Some("invalid_value"),
            ));
        }
        string(part, &part_at, "text")?;
    }
    match item.get("encrypted_content") {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(other) => Err(Invalid::wrong_type(
            format!("{at}.encrypted_content"),
            "a string",
            other,
        )),
    }
}

/// An optional item `id` must carry its type's prefix (`fc…`, `rs…`), as the real API checks.
fn prefixed_id(at: &str, item: &Map<String, Value>, prefix: &str) -> Result<(), Invalid> {
    match item.get("id") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(id)) if id.starts_with(prefix) => Ok(()),
        Some(other) => Err(Invalid::new(
            format!("Invalid '{at}.id': {other}. Expected an ID that begins with '{prefix}'."),
            Some(format!("{at}.id")),
            Some("invalid_value"),
        )),
    }
}

fn string<'a>(object: &'a Map<String, Value>, at: &str, key: &str) -> Result<&'a str, Invalid> {
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
