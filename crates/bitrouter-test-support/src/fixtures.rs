//! Recorded wire bodies, embedded at compile time, for [`ReplyKind::Fixture`](crate::ReplyKind)
//! and for decoder tests. Each follows the official API reference example named in
//! `fixtures/README.md`.

/// OpenAI Chat Completions bodies (`fixtures/openai_chat/`).
pub mod openai_chat {
    /// A text `chat.completion` with usage details, `service_tier` and `system_fingerprint`.
    pub const CHAT_COMPLETION: &str = include_str!("../fixtures/openai_chat/chat_completion.json");
    /// A `chat.completion` with two parallel tool calls and `finish_reason: "tool_calls"`.
    pub const CHAT_COMPLETION_TOOL_CALLS: &str =
        include_str!("../fixtures/openai_chat/chat_completion_tool_calls.json");
    /// A text stream: role chunk, content deltas, finish chunk, usage chunk, `[DONE]`.
    pub const CHAT_COMPLETION_STREAM: &str =
        include_str!("../fixtures/openai_chat/chat_completion_stream.sse");
    /// A stream of two parallel tool calls (indices 0 and 1), arguments split over several
    /// deltas, finish chunk, usage chunk, `[DONE]`.
    pub const CHAT_COMPLETION_TOOL_CALLS_STREAM: &str =
        include_str!("../fixtures/openai_chat/chat_completion_tool_calls_stream.sse");
    /// A 400 error body: `invalid_request_error` naming the offending `param`.
    pub const ERROR_INVALID_REQUEST: &str =
        include_str!("../fixtures/openai_chat/error_invalid_request.json");
    /// A 429 error body: `rate_limit_exceeded`.
    pub const ERROR_RATE_LIMIT: &str =
        include_str!("../fixtures/openai_chat/error_rate_limit.json");
}

/// Anthropic Messages bodies (`fixtures/anthropic_messages/`).
pub mod anthropic_messages {
    /// A text `message` with usage including a cache read.
    pub const MESSAGE: &str = include_str!("../fixtures/anthropic_messages/message.json");
    /// A `message` with a thinking block, text and two `tool_use` blocks, `stop_reason:
    /// "tool_use"`.
    pub const MESSAGE_TOOL_USE: &str =
        include_str!("../fixtures/anthropic_messages/message_tool_use.json");
    /// A text stream: `message_start`, block start, `ping`, text deltas, block stop,
    /// `message_delta`, `message_stop`.
    pub const MESSAGE_STREAM: &str =
        include_str!("../fixtures/anthropic_messages/message_stream.sse");
    /// A stream with a thinking block (thinking and signature deltas), a text block and two
    /// `tool_use` blocks whose input arrives as `input_json_delta` pieces.
    pub const MESSAGE_THINKING_TOOL_USE_STREAM: &str =
        include_str!("../fixtures/anthropic_messages/message_thinking_tool_use_stream.sse");
    /// A stream that ends in an `error` event (`overloaded_error`) after one text delta.
    pub const STREAM_OVERLOADED_ERROR: &str =
        include_str!("../fixtures/anthropic_messages/stream_overloaded_error.sse");
    /// A 400 `invalid_request_error` body (unanswered `tool_use`).
    pub const ERROR_INVALID_REQUEST: &str =
        include_str!("../fixtures/anthropic_messages/error_invalid_request.json");
    /// A 429 `rate_limit_error` body.
    pub const ERROR_RATE_LIMIT: &str =
        include_str!("../fixtures/anthropic_messages/error_rate_limit.json");
    /// A 529 `overloaded_error` body.
    pub const ERROR_OVERLOADED: &str =
        include_str!("../fixtures/anthropic_messages/error_overloaded.json");
}

/// Google Gemini `generateContent` bodies (`fixtures/google_generate_content/`).
pub mod google_generate_content {
    /// A text answer with usage including cached and thought tokens.
    pub const GENERATE_CONTENT: &str =
        include_str!("../fixtures/google_generate_content/generate_content.json");
    /// Two parallel `functionCall` parts without ids, the first with a `thoughtSignature`.
    pub const GENERATE_CONTENT_FUNCTION_CALL: &str =
        include_str!("../fixtures/google_generate_content/generate_content_function_call.json");
    /// A `streamGenerateContent?alt=sse` body: three chunks (CRLF-terminated events), the last
    /// with `finishReason` and the full usage.
    pub const STREAM: &str = include_str!("../fixtures/google_generate_content/stream.sse");
    /// A 400 `INVALID_ARGUMENT` body (an `additionalProperties` schema keyword).
    pub const ERROR_INVALID_ARGUMENT: &str =
        include_str!("../fixtures/google_generate_content/error_invalid_argument.json");
    /// A 429 `RESOURCE_EXHAUSTED` body with a `RetryInfo` detail.
    pub const ERROR_RESOURCE_EXHAUSTED: &str =
        include_str!("../fixtures/google_generate_content/error_resource_exhausted.json");
    /// A 503 `UNAVAILABLE` body ("The model is overloaded").
    pub const ERROR_UNAVAILABLE: &str =
        include_str!("../fixtures/google_generate_content/error_unavailable.json");
}

/// OpenAI Responses bodies (`fixtures/openai_responses/`).
pub mod openai_responses {
    /// A completed text response (one `message` item with `output_text`).
    pub const RESPONSE: &str = include_str!("../fixtures/openai_responses/response.json");
    /// A response with a `reasoning` item (summary and `encrypted_content`) and a
    /// `function_call` item; usage with cached and reasoning tokens.
    pub const RESPONSE_FUNCTION_CALL: &str =
        include_str!("../fixtures/openai_responses/response_function_call.json");
    /// A text stream from `response.created` to `response.completed`, numbered by
    /// `sequence_number`.
    pub const RESPONSE_STREAM: &str =
        include_str!("../fixtures/openai_responses/response_stream.sse");
    /// A 400 `previous_response_not_found` body.
    pub const ERROR_PREVIOUS_RESPONSE_NOT_FOUND: &str =
        include_str!("../fixtures/openai_responses/error_previous_response_not_found.json");
}
