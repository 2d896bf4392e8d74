//! The wire protocols a fake upstream can speak, and the interface each one implements.
//!
//! Each protocol is a module (`openai_chat`, `anthropic`, `openai_responses`, `google`) that
//! implements [`ProtocolFake`]; [`FakeProtocol`] selects one. The server, the scripts, pacing
//! and recording are shared.

use http::{HeaderMap, Method};
use serde_json::Value;

use crate::answer::Answer;
use crate::anthropic::AnthropicMessages;
use crate::google::GoogleGenerateContent;
use crate::openai_chat::OpenAiChat;
use crate::openai_responses::OpenAiResponses;
use crate::tokens::{ARGUMENT_PIECES, even_pieces, word_pieces};

/// The wire protocol a [`FakeUpstream`](crate::FakeUpstream) speaks.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FakeProtocol {
    /// OpenAI Chat Completions: `POST /v1/chat/completions`, `GET /v1/models`.
    #[default]
    OpenAiChat,
    /// Anthropic Messages: `POST /v1/messages`, `POST /v1/messages/count_tokens`,
    /// `GET /v1/models`; `x-api-key` and `anthropic-version` headers.
    AnthropicMessages,
    /// OpenAI Responses: `POST /v1/responses`, `GET /v1/models`; Bearer auth. The fake keeps
    /// no state, so `previous_response_id` is rejected.
    OpenAiResponses,
    /// Google Gemini: `POST /v1beta/models/{model}:generateContent` and
    /// `:streamGenerateContent`, `GET /v1beta/models`; `x-goog-api-key` header or `key=` query.
    GoogleGenerateContent,
}

impl FakeProtocol {
    pub(crate) fn fake(self) -> &'static dyn ProtocolFake {
        match self {
            Self::OpenAiChat => &OpenAiChat,
            Self::AnthropicMessages => &AnthropicMessages,
            Self::OpenAiResponses => &OpenAiResponses,
            Self::GoogleGenerateContent => &GoogleGenerateContent,
        }
    }

    /// The path prefix clients put in their base URL, e.g. `/v1`.
    pub(crate) fn base_path(self) -> &'static str {
        match self {
            Self::OpenAiChat | Self::AnthropicMessages | Self::OpenAiResponses => "/v1",
            Self::GoogleGenerateContent => "/v1beta",
        }
    }

    /// The protocol named `name` as the `fake-upstream --protocol` flag spells it:
    /// `openai_chat`, `openai_responses`, `anthropic_messages` or `google_generate_content`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "openai_chat" => Some(Self::OpenAiChat),
            "anthropic_messages" => Some(Self::AnthropicMessages),
            "openai_responses" => Some(Self::OpenAiResponses),
            "google_generate_content" => Some(Self::GoogleGenerateContent),
            _ => None,
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
    /// A token count (Anthropic `count_tokens`); validated like a generation, no scripts.
    CountTokens,
    /// Anything else: the protocol's 404.
    Unknown,
}

/// The parts of a request other than its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
}

impl Head<'_> {
    /// The value of query parameter `name` (not percent-decoded; the fake's values need none).
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// The value of header `name` as text, if present and valid.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
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
    /// Whether the request enabled thinking / reasoning output (Anthropic `thinking`,
    /// Responses `reasoning`, Gemini `thinkingConfig.includeThoughts`).
    pub(crate) reasoning: bool,
    /// Whether a Responses request asked for `reasoning.encrypted_content`.
    pub(crate) encrypted_reasoning: bool,
    /// Whether a stream is sent as one JSON array of chunks instead of server-sent events
    /// (Gemini `streamGenerateContent` without `alt=sse`).
    pub(crate) json_array_stream: bool,
    /// The tool the request forces (`tool_choice` naming one, or requiring any), answered
    /// with a call to it by default.
    pub(crate) forced_tool: Option<crate::forced_tool::Forced>,
}

impl Call {
    /// A call with the defaults for the protocol-specific options.
    pub(crate) fn new(
        model: String,
        stream: bool,
        last_user_text: String,
        prompt_tokens: u64,
        seq: u64,
    ) -> Self {
        Self {
            model,
            stream,
            include_usage: false,
            forced_tool: None,
            last_user_text,
            prompt_tokens,
            seq,
            reasoning: false,
            encrypted_reasoning: false,
            json_array_stream: false,
        }
    }

    /// The fake's reasoning text for this call, answered before the content when
    /// [`reasoning`](Self::reasoning) is set.
    pub(crate) fn thought(&self) -> String {
        format!("thinking about: {}", self.last_user_text)
    }
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
    /// Check the credentials (and required headers) against `api_key`; the error answer on
    /// failure.
    fn authorize(&self, head: &Head<'_>, api_key: &str) -> Result<(), Answer>;
    /// Validate a generation body (`None` when it is not JSON) as the real API would.
    fn parse_call(&self, head: &Head<'_>, json: Option<&Value>, seq: u64) -> Result<Call, Answer>;
    /// Answer a [`Route::CountTokens`] request; only protocols that route one override it.
    fn count_tokens(&self, head: &Head<'_>, json: Option<&Value>) -> Result<Answer, Answer> {
        let _body = json;
        Err(self.not_found(head.method, head.path))
    }
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
