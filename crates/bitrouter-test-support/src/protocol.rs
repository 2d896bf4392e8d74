//! The wire protocols a fake upstream can speak, and the interface each one implements.
//!
//! Adding a protocol (Anthropic Messages, OpenAI Responses, Google generateContent) means adding
//! a sibling module of `openai_chat` that implements [`ProtocolFake`] and a variant of
//! [`FakeProtocol`]; the server, the scripts, pacing and recording are shared.

use http::{HeaderMap, Method};
use serde_json::Value;

use crate::answer::Answer;
use crate::openai_chat::OpenAiChat;
use crate::tokens::{ARGUMENT_PIECES, even_pieces, word_pieces};

/// The wire protocol a [`FakeUpstream`](crate::FakeUpstream) speaks.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FakeProtocol {
    /// OpenAI Chat Completions: `POST /v1/chat/completions`, `GET /v1/models`.
    #[default]
    OpenAiChat,
}

impl FakeProtocol {
    pub(crate) fn fake(self) -> &'static dyn ProtocolFake {
        match self {
            Self::OpenAiChat => &OpenAiChat,
        }
    }

    /// The path prefix clients put in their base URL, e.g. `/v1`.
    pub(crate) fn base_path(self) -> &'static str {
        match self {
            Self::OpenAiChat => "/v1",
        }
    }
}

/// What a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// A model call; scripts apply.
    Generate,
    /// The model list.
    Models,
    /// Anything else: the protocol's 404.
    Unknown,
}

/// A validated generation request, reduced to what the fake needs to answer it.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The model name, echoed in the answer.
    pub(crate) model: String,
    /// Whether the client asked for a stream.
    pub(crate) stream: bool,
    /// Whether the client asked for a final usage chunk in the stream.
    pub(crate) include_usage: bool,
    /// The text of the last user message (text parts joined), for the echo answer.
    pub(crate) last_user_text: String,
    /// Words in all message texts: the fake prompt token count.
    pub(crate) prompt_tokens: u64,
    /// The request's sequence number on this server, used in ids.
    pub(crate) seq: u64,
}

/// What the answer contains.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content<'a> {
    /// Assistant text.
    Text(&'a str),
    /// Parallel tool calls as `(name, arguments JSON text)`.
    ToolCalls(&'a [(String, String)]),
}

impl Content<'_> {
    /// How many pieces a stream of this content has (words of the text, or argument deltas),
    /// which is also how many token delays a non-streamed answer waits.
    pub(crate) fn pieces(self) -> usize {
        match self {
            Content::Text(text) => word_pieces(text).len(),
            Content::ToolCalls(calls) => calls
                .iter()
                .map(|(_, arguments)| even_pieces(arguments, ARGUMENT_PIECES).len())
                .sum(),
        }
    }
}

/// One protocol's wire format: routing, auth, validation and rendering of answers.
pub(crate) trait ProtocolFake: Sync {
    /// Which route `method path` addresses.
    fn route(&self, method: &Method, path: &str) -> Route;
    /// Check the credentials against `api_key`; the error answer on failure.
    fn authorize(&self, headers: &HeaderMap, api_key: &str) -> Result<(), Answer>;
    /// Validate a generation body (`None` when it is not JSON) as the real API would.
    fn parse_call(&self, json: Option<&Value>, seq: u64) -> Result<Call, Answer>;
    /// The answer to an unknown route.
    fn not_found(&self, method: &Method, path: &str) -> Answer;
    /// The model list.
    fn models(&self) -> Answer;
    /// A successful answer, streamed when `call.stream`.
    fn reply(&self, call: &Call, content: Content<'_>) -> Answer;
    /// A 200 JSON answer whose body is truncated.
    fn malformed_json(&self, call: &Call) -> Answer;
    /// A 200 event stream with an event whose data is not JSON.
    fn malformed_sse(&self, call: &Call) -> Answer;
}
