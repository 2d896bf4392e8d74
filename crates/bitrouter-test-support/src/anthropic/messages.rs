//! The `messages` array: roles, content blocks, and the pairing of `tool_use` and
//! `tool_result` blocks across consecutive messages, with the real API's messages.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::anthropic::validate::Invalid;
use crate::sse::type_name;
use crate::tokens::count_words;

const BLOCK_TYPES: &str = "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', \
                           'redacted_thinking'";
const MEDIA_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The walk over `messages`, remembering what the next message must answer.
#[derive(Debug)]
pub(crate) struct Conversation {
    thinking: bool,
    /// The `tool_use` ids of the previous message (an assistant one) and its index.
    pending: Option<(usize, Vec<String>)>,
    /// Every `tool_use` id seen so far: ids must be unique.
    seen_ids: HashSet<String>,
    /// Per message: its role and the type of its first block, for the thinking rule.
    shapes: Vec<(String, Option<String>, bool)>,
    pub(crate) last_user_text: String,
    pub(crate) words: u64,
}

/// What one message's content holds.
#[derive(Debug, Default)]
struct Blocks {
    /// The message's own text blocks (echoed back).
    texts: Vec<String>,
    /// Words in tool results (counted as prompt tokens, not echoed).
    result_words: u64,
    tool_uses: Vec<String>,
    first_type: Option<String>,
    has_tool_result: bool,
}

impl Conversation {
    pub(crate) fn new(thinking: bool) -> Self {
        Self {
            thinking,
            pending: None,
            seen_ids: HashSet::new(),
            shapes: Vec::new(),
            last_user_text: String::new(),
            words: 0,
        }
    }

    pub(crate) fn check(&mut self, index: usize, message: &Value) -> Result<(), Invalid> {
        let at = format!("messages.{index}");
        let Some(message) = message.as_object() else {
            return Err(Invalid::wrong_type(&at, "a valid dictionary", message));
        };
        let role = match message.get("role") {
            None => return Err(Invalid::missing(&format!("{at}.role"))),
            Some(Value::String(role)) => role.as_str(),
            Some(other) => {
                return Err(Invalid::wrong_type(
                    &format!("{at}.role"),
                    "'user' or 'assistant'",
                    other,
                ));
            }
        };
        match role {
            "user" | "assistant" => {}
            "system" => {
                return Err(Invalid::at(
                    &format!("{at}.role"),
                    "Unexpected role \"system\". The Messages API accepts a top-level `system` \
                     parameter, not \"system\" as an input message role.",
                ));
            }
            other => {
                return Err(Invalid::at(
                    &format!("{at}.role"),
                    format!("Input should be 'user' or 'assistant', got '{other}'"),
                ));
            }
        }
        let blocks = self.content(&at, role, message)?;
        let pending = self.pending.take();
        if let Some((assistant, ids)) = &pending {
            let answered = blocks_answering(role, message);
            let missing: Vec<&str> = ids
                .iter()
                .filter(|id| !answered.contains(id.as_str()))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(unanswered(*assistant, &missing));
            }
        }
        if role == "user" {
            self.match_results(
                &at,
                message,
                pending.as_ref().map(|(_, ids)| ids.as_slice()),
            )?;
        }
        self.words = self.words.saturating_add(blocks.result_words);
        for text in &blocks.texts {
            self.words = self.words.saturating_add(count_words(text));
        }
        if role == "user" && !blocks.texts.is_empty() {
            self.last_user_text = blocks.texts.join(" ");
        }
        for id in &blocks.tool_uses {
            if !self.seen_ids.insert(id.clone()) {
                return Err(Invalid::at(
                    &at,
                    format!("`tool_use` ids must be unique; '{id}' is used twice"),
                ));
            }
        }
        if !blocks.tool_uses.is_empty() {
            self.pending = Some((index, blocks.tool_uses));
        }
        self.shapes
            .push((role.to_owned(), blocks.first_type, blocks.has_tool_result));
        Ok(())
    }

    /// Open `tool_use` blocks at the end are an error; with thinking on, the assistant message
    /// before the final tool results must start with a thinking block.
    pub(crate) fn finish(&mut self) -> Result<(), Invalid> {
        if let Some((assistant, ids)) = self.pending.take() {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            return Err(unanswered(assistant, &ids));
        }
        let Some((role, _, has_tool_result)) = self.shapes.last() else {
            return Ok(());
        };
        if !self.thinking || role != "user" || !has_tool_result {
            return Ok(());
        }
        let assistant = self.shapes.len().saturating_sub(2);
        let first = self
            .shapes
            .get(assistant)
            .and_then(|(_, first, _)| first.clone())
            .unwrap_or_default();
        if first == "thinking" || first == "redacted_thinking" {
            return Ok(());
        }
        Err(Invalid::at(
            &format!("messages.{assistant}.content.0.type"),
            format!(
                "Expected `thinking` or `redacted_thinking`, but found `{first}`. When \
                 `thinking` is enabled, a final `assistant` message must start with a thinking \
                 block (preceding the lastmost set of `tool_use` and `tool_result` blocks). We \
                 recommend you include thinking blocks from previous turns. To avoid this \
                 requirement, disable `thinking`."
            ),
        ))
    }

    fn content(
        &self,
        at: &str,
        role: &str,
        message: &Map<String, Value>,
    ) -> Result<Blocks, Invalid> {
        let blocks = match message.get("content") {
            None => return Err(Invalid::missing(&format!("{at}.content"))),
            Some(Value::String(text)) => {
                if text.is_empty() {
                    return Err(non_empty(at));
                }
                return Ok(Blocks {
                    texts: vec![text.clone()],
                    first_type: Some("text".into()),
                    ..Blocks::default()
                });
            }
            Some(Value::Array(blocks)) => blocks,
            Some(other) => {
                return Err(Invalid::wrong_type(
                    &format!("{at}.content"),
                    "a valid string or list",
                    other,
                ));
            }
        };
        if blocks.is_empty() {
            return Err(non_empty(at));
        }
        let mut found = Blocks::default();
        let mut other_seen = false;
        for (position, block) in blocks.iter().enumerate() {
            let path = format!("{at}.content.{position}");
            let Some(block) = block.as_object() else {
                return Err(Invalid::wrong_type(&path, "a valid dictionary", block));
            };
            let kind = block
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if found.first_type.is_none() {
                found.first_type = Some(kind.to_owned());
            }
            if kind == "tool_result" {
                if other_seen {
                    return Err(Invalid::at(
                        &path,
                        "`tool_result` blocks must come first in a user message, before any \
                         other content",
                    ));
                }
                found.has_tool_result = true;
            } else {
                other_seen = true;
            }
            check_block(&path, role, kind, block, &mut found)?;
        }
        Ok(found)
    }

    fn match_results(
        &self,
        at: &str,
        message: &Map<String, Value>,
        open: Option<&[String]>,
    ) -> Result<(), Invalid> {
        let Some(Value::Array(blocks)) = message.get("content") else {
            return Ok(());
        };
        for (position, block) in blocks.iter().enumerate() {
            if block.get("type").and_then(Value::as_str) != Some("tool_result") {
                continue;
            }
            let id = block
                .get("tool_use_id")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !open.is_some_and(|ids| ids.iter().any(|known| known == id)) {
                return Err(Invalid::at(
                    &format!("{at}.content.{position}"),
                    format!(
                        "unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each \
                         `tool_result` block must have a corresponding `tool_use` block in the \
                         previous message."
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The `tool_use_id`s answered by a message (none unless it is a user message).
fn blocks_answering<'a>(role: &str, message: &'a Map<String, Value>) -> HashSet<&'a str> {
    let Some(Value::Array(blocks)) = message.get("content").filter(|_| role == "user") else {
        return HashSet::new();
    };
    blocks
        .iter()
        .filter(|block| block.get("type").and_then(Value::as_str) == Some("tool_result"))
        .filter_map(|block| block.get("tool_use_id").and_then(Value::as_str))
        .collect()
}

fn unanswered(assistant: usize, ids: &[&str]) -> Invalid {
    Invalid::at(
        &format!("messages.{assistant}"),
        format!(
            "`tool_use` ids were found without `tool_result` blocks immediately after: {}. \
             Each `tool_use` block must have a corresponding `tool_result` block in the next \
             message.",
            ids.join(", ")
        ),
    )
}

fn non_empty(at: &str) -> Invalid {
    Invalid::at(
        at,
        "all messages must have non-empty content except for the optional final assistant message",
    )
}

fn check_block(
    path: &str,
    role: &str,
    kind: &str,
    block: &Map<String, Value>,
    found: &mut Blocks,
) -> Result<(), Invalid> {
    let only = |wanted: &str| -> Result<(), Invalid> {
        if role == wanted {
            Ok(())
        } else {
            Err(Invalid::at(
                path,
                format!("`{kind}` blocks can only be in `{wanted}` messages"),
            ))
        }
    };
    match kind {
        "text" => {
            let text = string(block, path, "text")?;
            if text.is_empty() {
                return Err(Invalid::at(
                    &format!("{path}.text"),
                    "text content blocks must be non-empty",
                ));
            }
            found.texts.push(text.to_owned());
        }
        "image" => {
            only("user")?;
            image(path, block)?;
        }
        "document" => {
            only("user")?;
            match block
                .get("source")
                .and_then(|source| source.get("type"))
                .and_then(Value::as_str)
            {
                Some("base64" | "text" | "url" | "content" | "file") => {}
                _ => return Err(Invalid::missing(&format!("{path}.document.source"))),
            }
        }
        "tool_use" => {
            only("assistant")?;
            let id = identifier(block, path, "id")?;
            string(block, path, "name")?;
            match block.get("input") {
                Some(Value::Object(_)) => {}
                None => return Err(Invalid::missing(&format!("{path}.tool_use.input"))),
                Some(other) => {
                    return Err(Invalid::wrong_type(
                        &format!("{path}.tool_use.input"),
                        "a valid dictionary",
                        other,
                    ));
                }
            }
            found.tool_uses.push(id.to_owned());
        }
        "tool_result" => {
            only("user")?;
            identifier(block, path, "tool_use_id")?;
            tool_result_content(path, block, found)?;
            if let Some(flag) = block.get("is_error").filter(|flag| !flag.is_boolean()) {
                return Err(Invalid::wrong_type(
                    &format!("{path}.tool_result.is_error"),
                    "a valid boolean",
                    flag,
                ));
            }
        }
        "thinking" => {
            only("assistant")?;
            string(block, path, "thinking")?;
            if string(block, path, "signature")?.is_empty() {
                return Err(Invalid::at(
                    &format!("{path}.thinking.signature"),
                    "Invalid `signature` in `thinking` block",
                ));
            }
        }
        "redacted_thinking" => {
            only("assistant")?;
            if string(block, path, "data")?.is_empty() {
                return Err(Invalid::at(
                    &format!("{path}.redacted_thinking.data"),
                    "Invalid `data` in `redacted_thinking` block",
                ));
            }
        }
        other => {
            return Err(Invalid::at(
                path,
                format!(
                    "Input tag '{other}' found using 'type' does not match any of the expected tags: {BLOCK_TYPES}"
                ),
            ));
        }
    }
    Ok(())
}

fn image(path: &str, block: &Map<String, Value>) -> Result<(), Invalid> {
    let source_path = format!("{path}.image.source");
    let Some(source) = block.get("source").and_then(Value::as_object) else {
        return Err(Invalid::missing(&source_path));
    };
    match source.get("type").and_then(Value::as_str) {
        Some("base64") => {
            let media_type = string(source, &source_path, "media_type")?;
            if !MEDIA_TYPES.contains(&media_type) {
                return Err(Invalid::at(
                    &format!("{source_path}.base64.media_type"),
                    format!(
                        "Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp', got '{media_type}'"
                    ),
                ));
            }
            if string(source, &source_path, "data")?.is_empty() {
                return Err(Invalid::at(
                    &format!("{source_path}.base64.data"),
                    "image data must be non-empty",
                ));
            }
            Ok(())
        }
        Some("url") => string(source, &source_path, "url").map(|_| ()),
        _ => Err(Invalid::at(
            &format!("{source_path}.type"),
            "Input tag does not match any of the expected tags: 'base64', 'url', 'file'",
        )),
    }
}

fn tool_result_content(
    path: &str,
    block: &Map<String, Value>,
    found: &mut Blocks,
) -> Result<(), Invalid> {
    match block.get("content") {
        None => Ok(()),
        Some(Value::String(text)) => {
            found.result_words = found.result_words.saturating_add(count_words(text));
            Ok(())
        }
        Some(Value::Array(parts)) => {
            for (position, part) in parts.iter().enumerate() {
                let part_path = format!("{path}.tool_result.content.{position}");
                let Some(part) = part.as_object() else {
                    return Err(Invalid::wrong_type(&part_path, "a valid dictionary", part));
                };
                match part.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        let text = string(part, &part_path, "text")?;
                        found.result_words = found.result_words.saturating_add(count_words(text));
                    }
                    Some("image") => image(&part_path, part)?,
                    Some("document" | "search_result") => {}
                    _ => {
                        return Err(Invalid::at(
                            &part_path,
                            "Input tag does not match any of the expected tags: 'text', 'image', 'document', 'search_result'",
                        ));
                    }
                }
            }
            Ok(())
        }
        Some(other) => Err(Invalid::wrong_type(
            &format!("{path}.tool_result.content"),
            "a valid string or list",
            other,
        )),
    }
}

fn string<'a>(object: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a str, Invalid> {
    match object.get(key) {
        None => Err(Invalid::missing(&format!("{path}.{key}"))),
        Some(Value::String(value)) => Ok(value),
        Some(other) => Err(Invalid::at(
            &format!("{path}.{key}"),
            format!("Input should be a valid string, got {}", type_name(other)),
        )),
    }
}

/// A tool id: non-empty, letters, digits, `_` and `-` only (the real API's pattern).
fn identifier<'a>(
    object: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a str, Invalid> {
    let id = string(object, path, key)?;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(Invalid::at(
            &format!("{path}.{key}"),
            format!("String should match pattern '^[a-zA-Z0-9_-]+$', got '{id}'"),
        ));
    }
    Ok(id)
}
