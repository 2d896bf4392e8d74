//! What the fake upstream does with the next request: the [`Script`] queue.

use std::collections::VecDeque;
use std::time::Duration;

/// How the fake upstream answers one generation request.
///
/// Scripts are queued with [`FakeUpstream::push`](crate::FakeUpstream::push) and consumed in
/// order (first in, first out) by valid generation requests only: requests that fail routing,
/// authentication or validation are answered with the protocol's error and leave the queue
/// alone. When the queue is empty the default script applies
/// ([`FakeUpstream::set_default`](crate::FakeUpstream::set_default)), which is initially
/// [`Script::Echo`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// The default behaviour: answer `"echo: <last user text>"`, streamed when asked to.
    Echo,
    /// A successful answer with the given content, streamed when the request asks for it.
    Reply(ReplyKind),
    /// An arbitrary status with a literal body and extra headers (e.g. a 429 with
    /// `retry-after`). The content type is `application/json` unless `headers` sets one.
    Status {
        /// The HTTP status code; an invalid one is answered as 500.
        status: u16,
        /// The literal response body.
        body: String,
        /// Extra response headers; invalid names or values are skipped.
        headers: Vec<(String, String)>,
    },
    /// Read the request, then never answer until the client goes away or the server stops.
    Hang,
    /// Wait before answering with the inner script.
    Delay(Duration, Box<Script>),
    /// Send the response headers and `after_chunks` chunks (SSE events for a streamed request,
    /// pieces of the JSON body otherwise), then close the connection abruptly: no `[DONE]`, no
    /// terminating chunk. An answer with fewer chunks is sent whole before the cut. The content
    /// is the echo answer.
    DropMidStream {
        /// How many chunks are sent before the connection is cut.
        after_chunks: usize,
    },
    /// A long answer of `chunks` content pieces with `chunk_delay` between SSE events (for a
    /// non-streamed request: one JSON body after `chunks × chunk_delay`).
    SlowStream {
        /// The pause before each event after the first.
        chunk_delay: Duration,
        /// How many content pieces the answer has.
        chunks: usize,
    },
    /// A 200 `application/json` answer whose body is truncated JSON.
    MalformedJson,
    /// A 200 `text/event-stream` answer with one valid event, then an event whose data is not
    /// JSON, then `data: [DONE]`.
    MalformedSse,
}

/// The content of a successful [`Script::Reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyKind {
    /// An assistant text answer.
    Text(String),
    /// Parallel tool calls as `(function name, arguments JSON text)`.
    ToolCalls(Vec<(String, String)>),
    /// A recorded fixture body sent verbatim with status 200, e.g.
    /// [`fixtures::openai_chat::CHAT_COMPLETION`](crate::fixtures::openai_chat::CHAT_COMPLETION).
    /// A body starting with `{` is sent as `application/json`, anything else as
    /// `text/event-stream`, whatever the request's `stream` flag says.
    Fixture(&'static str),
}

impl Script {
    /// A text reply: shorthand for `Script::Reply(ReplyKind::Text(text.into()))`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Reply(ReplyKind::Text(text.into()))
    }

    /// A tool-call reply: shorthand for `Script::Reply(ReplyKind::ToolCalls(..))`.
    pub fn tool_calls<N: Into<String>, A: Into<String>>(
        calls: impl IntoIterator<Item = (N, A)>,
    ) -> Self {
        let calls = calls
            .into_iter()
            .map(|(name, arguments)| (name.into(), arguments.into()))
            .collect();
        Self::Reply(ReplyKind::ToolCalls(calls))
    }

    /// A status answer with a body and no extra headers.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Status {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }
}

/// The per-server queue of upcoming scripts and the fallback when it is empty.
#[derive(Debug)]
pub(crate) struct ScriptQueue {
    queued: VecDeque<Script>,
    default: Script,
}

impl ScriptQueue {
    pub(crate) fn new() -> Self {
        Self {
            queued: VecDeque::new(),
            default: Script::Echo,
        }
    }

    pub(crate) fn push(&mut self, script: Script) {
        self.queued.push_back(script);
    }

    pub(crate) fn set_default(&mut self, script: Script) {
        self.default = script;
    }

    /// The script for the next valid request: the oldest queued one, else the default.
    pub(crate) fn next(&mut self) -> Script {
        match self.queued.pop_front() {
            Some(script) => script,
            None => self.default.clone(),
        }
    }

    pub(crate) fn pending(&self) -> usize {
        self.queued.len()
    }
}
