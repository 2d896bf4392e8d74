//! Encoding a canonical request as a Chat Completions body for an upstream.
//!
//! Choices made for the widest compatibility with OpenAI and the OpenAI-compatible servers
//! (vLLM, Ollama, OpenRouter, DeepSeek, …):
//! - the length limit is sent as `max_tokens`, which all of them accept, except for OpenAI's
//!   reasoning models (`o1`, `o3`, `o4-*`, `gpt-5*`), which reject it and get
//!   `max_completion_tokens` (unknown to several compatible servers, hence not always);
//! - a streamed request always asks for `stream_options.include_usage`, so usage is never lost;
//! - reasoning from earlier assistant turns is dropped: OpenAI rejects unknown message fields
//!   ("Additional properties are not allowed"), and DeepSeek documents a 400 for
//!   `reasoning_content` sent back outside a tool loop;
//! - `top_k` is dropped (OpenAI rejects it as an unrecognized argument);
//! - images inside tool results, which tool messages cannot hold, follow the tool messages in
//!   a user message so that the model still sees them.

use std::borrow::Cow;

use bitrouter_core::{
    ChatRequest, ContentPart, ImageSource, Message, ReasoningEffort, ResponseFormat, Role,
    ToolChoice,
};
use serde::Serialize;
use serde_json::Value;

use crate::data_url;
use crate::error::EncodeError;
use crate::reasoning_budget;

#[derive(Debug, Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Debug, Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    /// `None` is written as `null`: an assistant turn holding only tool calls.
    content: Option<WireContent<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum WireContent<'a> {
    Text(Cow<'a, str>),
    Parts(Vec<WirePart<'a>>),
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WirePart<'a> {
    Text { text: &'a str },
    ImageUrl { image_url: WireImage<'a> },
}

#[derive(Debug, Serialize)]
struct WireImage<'a> {
    url: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub(super) struct WireToolCall<'a> {
    pub(super) id: &'a str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) function: WireFunctionCall<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct WireFunctionCall<'a> {
    pub(super) name: &'a str,
    pub(super) arguments: &'a str,
}

#[derive(Debug, Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Debug, Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    parameters: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    strict: Option<bool>,
}

pub(crate) fn encode_request(request: &ChatRequest) -> Result<Vec<u8>, EncodeError> {
    let mut messages = Vec::with_capacity(request.messages.len());
    for message in &request.messages {
        encode_message(message, &mut messages);
    }
    let p = &request.params;
    let body = Body {
        model: &request.model,
        messages,
        tools: request
            .tools
            .iter()
            .map(|t| WireTool {
                kind: "function",
                function: WireFunction {
                    name: &t.name,
                    description: t.description.as_deref(),
                    parameters: &t.parameters,
                    strict: t.strict,
                },
            })
            .collect(),
        tool_choice: request.tool_choice.as_ref().map(|c| match c {
            ToolChoice::Auto => Value::from("auto"),
            ToolChoice::None => Value::from("none"),
            ToolChoice::Required => Value::from("required"),
            ToolChoice::Tool { name } => {
                serde_json::json!({"type": "function", "function": {"name": name}})
            }
        }),
        max_tokens: p
            .max_tokens
            .filter(|_| !is_openai_reasoning_model(&request.model)),
        max_completion_tokens: p
            .max_tokens
            .filter(|_| is_openai_reasoning_model(&request.model)),
        temperature: p.temperature,
        top_p: p.top_p,
        stop: &p.stop,
        seed: p.seed,
        presence_penalty: p.presence_penalty,
        frequency_penalty: p.frequency_penalty,
        parallel_tool_calls: p.parallel_tool_calls,
        user: p.user.as_deref(),
        response_format: request.response_format.as_ref().map(|f| match f {
            ResponseFormat::Text => serde_json::json!({"type": "text"}),
            ResponseFormat::JsonObject => serde_json::json!({"type": "json_object"}),
            ResponseFormat::JsonSchema {
                name,
                schema,
                strict,
            } => {
                let mut inner = serde_json::json!({"name": name, "schema": schema});
                if let Some(strict) = strict {
                    inner["strict"] = Value::Bool(*strict);
                }
                serde_json::json!({"type": "json_schema", "json_schema": inner})
            }
        }),
        reasoning_effort: request.reasoning.as_ref().and_then(|r| {
            r.effort
                .or_else(|| r.budget_tokens.map(reasoning_budget::effort_for))
                .map(effort_name)
        }),
        stream: request.stream,
        stream_options: request.stream.then_some(StreamOptions {
            include_usage: true,
        }),
    };
    serde_json::to_vec(&body)
        .map_err(|e| EncodeError::new(format!("cannot write the chat completions body: {e}")))
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

fn encode_message<'a>(message: &'a Message, out: &mut Vec<WireMessage<'a>>) {
    // Tool results become one `tool` message each, wherever they sit.
    let mut tool_images = Vec::new();
    for part in &message.content {
        if let ContentPart::ToolResult(result) = part {
            out.push(WireMessage {
                role: "tool",
                content: Some(text_only(&result.content)),
                tool_calls: Vec::new(),
                tool_call_id: Some(&result.call_id),
            });
            tool_images.extend(result.content.iter().filter_map(image_part));
        }
    }
    if !tool_images.is_empty() {
        out.push(plain("user", Some(WireContent::Parts(tool_images))));
    }
    let rest = || {
        message
            .content
            .iter()
            .filter(|p| !matches!(p, ContentPart::ToolResult(_)))
    };
    if rest().next().is_none() {
        return;
    }
    match message.role {
        Role::System => out.push(plain("system", Some(text_only(&message.content)))),
        Role::User | Role::Tool => out.push(plain("user", Some(mixed(&message.content)))),
        Role::Assistant => {
            let tool_calls: Vec<_> = rest()
                .filter_map(|p| match p {
                    ContentPart::ToolCall(call) => Some(WireToolCall {
                        id: &call.id,
                        kind: "function",
                        function: WireFunctionCall {
                            name: &call.name,
                            arguments: if call.arguments.is_empty() {
                                "{}"
                            } else {
                                &call.arguments
                            },
                        },
                    }),
                    _ => None,
                })
                .collect();
            let has_text = rest().any(|p| matches!(p, ContentPart::Text { .. }));
            if !has_text && tool_calls.is_empty() {
                // Only reasoning or images: nothing OpenAI accepts in an assistant turn.
                return;
            }
            let content = has_text.then(|| text_only(&message.content));
            out.push(WireMessage {
                role: "assistant",
                content,
                tool_calls,
                tool_call_id: None,
            });
        }
    }
}

fn plain<'a>(role: &'static str, content: Option<WireContent<'a>>) -> WireMessage<'a> {
    WireMessage {
        role,
        content,
        tool_calls: Vec::new(),
        tool_call_id: None,
    }
}

/// The text parts joined into one string (borrowed when there is a single one).
fn text_only(parts: &[ContentPart]) -> WireContent<'_> {
    let mut texts = parts.iter().filter_map(|p| match p {
        ContentPart::Text { text } => Some(text.as_str()),
        _ => None,
    });
    let first = texts.next().unwrap_or_default();
    match texts.next() {
        None => WireContent::Text(Cow::Borrowed(first)),
        Some(second) => {
            let mut joined = format!("{first}{second}");
            texts.for_each(|t| joined.push_str(t));
            WireContent::Text(Cow::Owned(joined))
        }
    }
}

/// A plain string when the parts are all text, an array of text and image parts otherwise.
fn mixed(parts: &[ContentPart]) -> WireContent<'_> {
    if !parts.iter().any(|p| matches!(p, ContentPart::Image { .. })) {
        return text_only(parts);
    }
    WireContent::Parts(
        parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(WirePart::Text { text }),
                _ => image_part(p),
            })
            .collect(),
    )
}

fn image_part(part: &ContentPart) -> Option<WirePart<'_>> {
    let ContentPart::Image { source, detail } = part else {
        return None;
    };
    let url = match source {
        ImageSource::Url { url } => Cow::Borrowed(url.as_str()),
        ImageSource::Base64 { media_type, data } => Cow::Owned(data_url::build(media_type, data)),
    };
    Some(WirePart::ImageUrl {
        image_url: WireImage {
            url,
            detail: detail.as_deref(),
        },
    })
}

/// OpenAI's reasoning models, which refuse `max_tokens` (an `openai/` prefix is OpenRouter's).
fn is_openai_reasoning_model(model: &str) -> bool {
    let name = model.strip_prefix("openai/").unwrap_or(model);
    ["o1", "o3", "o4"]
        .iter()
        .any(|f| name == *f || name.starts_with(&format!("{f}-")))
        || name.starts_with("gpt-5")
}

#[cfg(test)]
mod reasoning_model_tests {
    use super::is_openai_reasoning_model;

    #[test]
    fn which_models_need_max_completion_tokens() {
        for m in [
            "o1",
            "o3-mini",
            "o4-mini",
            "gpt-5",
            "gpt-5-mini",
            "openai/o3",
        ] {
            assert!(is_openai_reasoning_model(m), "{m}");
        }
        for m in ["gpt-4o-mini", "gpt-4.1", "o3x", "llama3.2", "deepseek-chat"] {
            assert!(!is_openai_reasoning_model(m), "{m}");
        }
    }
}
