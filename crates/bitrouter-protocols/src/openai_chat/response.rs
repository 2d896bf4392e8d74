//! Complete answers (`chat.completion` objects) both ways, and the usage and finish-reason
//! mappings the stream shares.

use std::time::{SystemTime, UNIX_EPOCH};

use bitrouter_core::{ChatResponse, ContentPart, FinishReason, Reasoning, ToolCall, Usage};
use serde::{Deserialize, Serialize};

use super::reasoning_details::{call_entry, reasoning_entries};
use super::request_encode::{WireFunctionCall, WireToolCall};
use crate::error::{DecodeError, EncodeError};

#[derive(Debug, Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    created: Option<u64>,
    #[serde(default)]
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct WireChoice {
    #[serde(default)]
    message: WireMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<WireText>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Vec<WireToolCallIn>,
}

/// Message content: a string, or (some compatible servers, e.g. Mistral) an array of parts
/// whose `text` parts are the answer.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WireText {
    Text(String),
    Parts(Vec<WireTextPart>),
}

#[derive(Debug, Deserialize)]
struct WireTextPart {
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

impl WireText {
    fn into_text(self) -> String {
        match self {
            WireText::Text(text) => text,
            WireText::Parts(parts) => parts
                .into_iter()
                .filter(|p| p.kind == "text")
                .filter_map(|p| p.text)
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct WireToolCallIn {
    #[serde(default)]
    id: String,
    #[serde(default)]
    function: WireFunctionIn,
}

#[derive(Debug, Default, Deserialize)]
struct WireFunctionIn {
    #[serde(default)]
    name: String,
    #[serde(default)]
    arguments: String,
}

/// OpenAI's `usage` object. `prompt_tokens` counts cached tokens and `completion_tokens`
/// counts reasoning tokens, as the canonical [`Usage`] does.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    completion_tokens_details: Option<CompletionDetails>,
    /// DeepSeek reports cache hits here instead of `prompt_tokens_details`.
    #[serde(default, skip_serializing)]
    prompt_cache_hit_tokens: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl WireUsage {
    pub(super) fn to_usage(&self) -> Usage {
        Usage {
            input_tokens: self.prompt_tokens,
            cached_input_tokens: self
                .prompt_tokens_details
                .as_ref()
                .and_then(|d| d.cached_tokens)
                .or(self.prompt_cache_hit_tokens)
                .unwrap_or(0),
            cache_write_tokens: 0,
            output_tokens: self.completion_tokens,
            reasoning_tokens: self
                .completion_tokens_details
                .as_ref()
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
        }
    }

    pub(super) fn from_usage(usage: &Usage) -> Self {
        Self {
            prompt_tokens: usage.input_tokens,
            completion_tokens: usage.output_tokens,
            total_tokens: usage.total_tokens(),
            prompt_tokens_details: Some(PromptDetails {
                cached_tokens: Some(usage.cached_input_tokens),
            }),
            completion_tokens_details: Some(CompletionDetails {
                reasoning_tokens: Some(usage.reasoning_tokens),
            }),
            prompt_cache_hit_tokens: None,
        }
    }
}

/// The canonical reason for a wire `finish_reason`; `stop` with tool calls present (some
/// compatible servers say so) is a tool-call finish.
pub(super) fn finish_reason(wire: Option<&str>, has_tool_calls: bool) -> FinishReason {
    match wire {
        Some("length") => FinishReason::Length,
        Some("tool_calls" | "function_call") => FinishReason::ToolCalls,
        Some("content_filter") => FinishReason::ContentFilter,
        _ if has_tool_calls => FinishReason::ToolCalls,
        None | Some("stop" | "eos" | "end_turn") => FinishReason::Stop,
        Some(_) => FinishReason::Other,
    }
}

pub(super) fn finish_reason_name(reason: FinishReason) -> &'static str {
    match reason {
        FinishReason::Stop | FinishReason::Other => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
    }
}

/// Now in Unix seconds, for answers whose upstream gave no `created`.
pub(super) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn decode_response(body: &[u8]) -> Result<ChatResponse, DecodeError> {
    let wire: WireResponse = serde_json::from_slice(body)
        .map_err(|e| DecodeError::new(format!("chat completion body: {e}")))?;
    let Some(choice) = wire.choices.into_iter().next() else {
        return Err(DecodeError::new(
            "chat completion body: `choices` is empty; the upstream returned no answer",
        ));
    };
    let message = choice.message;
    let mut content = Vec::new();
    if let Some(text) = message
        .reasoning_content
        .or(message.reasoning)
        .filter(|t| !t.is_empty())
    {
        content.push(ContentPart::Reasoning(Reasoning {
            text,
            ..Reasoning::default()
        }));
    }
    if let Some(text) = message
        .content
        .map(WireText::into_text)
        .filter(|t| !t.is_empty())
    {
        content.push(ContentPart::Text { text });
    }
    if let Some(text) = message.refusal.filter(|t| !t.is_empty()) {
        content.push(ContentPart::Text { text });
    }
    let has_tool_calls = !message.tool_calls.is_empty();
    content.extend(message.tool_calls.into_iter().map(|call| {
        ContentPart::ToolCall(ToolCall {
            id: call.id,
            name: call.function.name,
            arguments: call.function.arguments,
            signature: None,
        })
    }));
    Ok(ChatResponse {
        id: wire.id,
        model: wire.model,
        content,
        finish_reason: finish_reason(choice.finish_reason.as_deref(), has_tool_calls),
        usage: wire.usage.map(|u| u.to_usage()).unwrap_or_default(),
        created: wire.created,
    })
}

#[derive(Debug, Serialize)]
struct OutResponse<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [OutChoice<'a>; 1],
    usage: WireUsage,
}

#[derive(Debug, Serialize)]
struct OutChoice<'a> {
    index: u32,
    message: OutMessage<'a>,
    logprobs: Option<()>,
    finish_reason: &'static str,
}

#[derive(Debug, Serialize)]
struct OutMessage<'a> {
    role: &'static str,
    content: Option<String>,
    refusal: Option<()>,
    /// Reasoning text, in the field DeepSeek, vLLM and most OpenAI-compatible clients read.
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<String>,
    /// OpenRouter's structured reasoning, carrying the signatures the next turn needs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasoning_details: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireToolCall<'a>>,
}

pub(crate) fn encode_response(response: &ChatResponse) -> Result<Vec<u8>, EncodeError> {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    let mut tool_calls = Vec::new();
    let mut details = Vec::new();
    for part in &response.content {
        match part {
            ContentPart::Text { text: t } => text.get_or_insert_with(String::new).push_str(t),
            ContentPart::Reasoning(r) => {
                if !r.text.is_empty() {
                    reasoning.get_or_insert_with(String::new).push_str(&r.text);
                }
                reasoning_entries(r, details.len(), &mut details);
            }
            ContentPart::ToolCall(call) => {
                if let Some(signature) = &call.signature {
                    details.push(call_entry(&call.id, signature, details.len()));
                }
                tool_calls.push(WireToolCall {
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
                });
            }
            _ => {}
        }
    }
    let body = OutResponse {
        id: &response.id,
        object: "chat.completion",
        created: response.created.unwrap_or_else(now),
        model: &response.model,
        choices: [OutChoice {
            index: 0,
            message: OutMessage {
                role: "assistant",
                content: text,
                refusal: None,
                reasoning_content: reasoning,
                reasoning_details: details,
                tool_calls,
            },
            logprobs: None,
            finish_reason: finish_reason_name(response.finish_reason),
        }],
        usage: WireUsage::from_usage(&response.usage),
    };
    serde_json::to_vec(&body)
        .map_err(|e| EncodeError::new(format!("cannot write the chat completion: {e}")))
}
