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
