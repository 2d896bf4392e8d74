//! Non-streamed `chat.completion` bodies, serialised from borrowed structs (no `Value` trees)
//! so that the fast path does little work per request.

use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;

use crate::answer::Answer;
use crate::protocol::{Call, Content};
use crate::tokens::count_words;

/// The extra top-level fields the real API sends, kept so pass-through tests can check them.
pub(crate) const SYSTEM_FINGERPRINT: &str = "fp_fake_bitrouter";
pub(crate) const SERVICE_TIER: &str = "default";

#[derive(Debug, Serialize)]
pub(crate) struct Usage {
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
    pub(crate) total_tokens: u64,
    pub(crate) prompt_tokens_details: PromptDetails,
    pub(crate) completion_tokens_details: CompletionDetails,
}

#[derive(Debug, Serialize)]
pub(crate) struct PromptDetails {
    cached_tokens: u64,
    audio_tokens: u64,
}

#[derive(Debug, Serialize)]
pub(crate) struct CompletionDetails {
    reasoning_tokens: u64,
    audio_tokens: u64,
    accepted_prediction_tokens: u64,
    rejected_prediction_tokens: u64,
}

impl Usage {
    /// Prompt tokens from the call, completion tokens counted as words in `content`.
    pub(crate) fn of(call: &Call, content: Content<'_>) -> Self {
        let completion_tokens = match content {
            Content::Text(text) => count_words(text),
            Content::ToolCalls(calls) => calls
                .iter()
                .map(|(name, arguments)| count_words(name).saturating_add(count_words(arguments)))
                .fold(0, u64::saturating_add),
        };
        Self {
            prompt_tokens: call.prompt_tokens,
            completion_tokens,
            total_tokens: call.prompt_tokens.saturating_add(completion_tokens),
            prompt_tokens_details: PromptDetails {
                cached_tokens: 0,
                audio_tokens: 0,
            },
            completion_tokens_details: CompletionDetails {
                reasoning_tokens: 0,
                audio_tokens: 0,
                accepted_prediction_tokens: 0,
                rejected_prediction_tokens: 0,
            },
        }
    }
}

#[derive(Debug, Serialize)]
struct Completion<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [Choice<'a>; 1],
    usage: Usage,
    service_tier: &'static str,
    system_fingerprint: &'static str,
}

#[derive(Debug, Serialize)]
struct Choice<'a> {
    index: u32,
    message: Message<'a>,
    logprobs: Option<()>,
    finish_reason: &'static str,
}

#[derive(Debug, Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Option<&'a str>,
    refusal: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<Vec<ToolCall<'a>>>,
    annotations: [(); 0],
}

#[derive(Debug, Serialize)]
struct ToolCall<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    function: Function<'a>,
}

#[derive(Debug, Serialize)]
struct Function<'a> {
    name: &'a str,
    arguments: &'a str,
}

/// The completion id for request `seq`.
pub(crate) fn completion_id(seq: u64) -> String {
    format!("chatcmpl-fake{seq}")
}

/// The id of tool call `position` in the answer to request `seq`.
pub(crate) fn tool_call_id(seq: u64, position: usize) -> String {
    format!("call_{seq}_{position}")
}

/// Seconds since the Unix epoch, for `created`.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The serialised `chat.completion` body for `content`.
pub(crate) fn completion_body(call: &Call, content: Content<'_>) -> Vec<u8> {
    let id = completion_id(call.seq);
    let (text, tool_calls, finish_reason) = match content {
        Content::Text(text) => (Some(text), None, "stop"),
        Content::ToolCalls(calls) => {
            let calls = calls
                .iter()
                .enumerate()
                .map(|(position, (name, arguments))| ToolCall {
                    id: tool_call_id(call.seq, position),
                    kind: "function",
                    function: Function { name, arguments },
                })
                .collect();
            (None, Some(calls), "tool_calls")
        }
    };
    let completion = Completion {
        id: &id,
        object: "chat.completion",
        created: now(),
        model: &call.model,
        choices: [Choice {
            index: 0,
            message: Message {
                role: "assistant",
                content: text,
                refusal: None,
                tool_calls,
                annotations: [],
            },
            logprobs: None,
            finish_reason,
        }],
        usage: Usage::of(call, content),
        service_tier: SERVICE_TIER,
        system_fingerprint: SYSTEM_FINGERPRINT,
    };
    serialise(&completion)
}

/// A whole `chat.completion` answer.
pub(crate) fn completion(call: &Call, content: Content<'_>) -> Answer {
    let mut answer = Answer::json(StatusCode::OK, completion_body(call, content));
    answer.pieces = content.pieces();
    answer
}

/// A 200 answer whose JSON body stops half-way.
pub(crate) fn truncated(call: &Call) -> Answer {
    let mut body = completion_body(call, Content::Text("this body is cut short"));
    body.truncate(body.len() / 2);
    Answer::json(StatusCode::OK, Bytes::from(body))
}

/// Serialise a value that has no failure modes (borrowed strings and numbers only); should
/// serde_json ever fail, the body says so instead of panicking.
pub(crate) fn serialise(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|error| {
        format!(
            "{{\"error\":{{\"message\":\"the fake upstream could not serialise its answer: \
             {error}\",\"type\":\"server_error\",\"param\":null,\"code\":null}}}}"
        )
        .into_bytes()
    })
}
