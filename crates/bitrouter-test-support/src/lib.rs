//! Fake upstream LLM providers for BitRouter's tests and benchmarks.
//!
//! A [`FakeUpstream`] is a real HTTP server (HTTP/1.1 and h2c) on `127.0.0.1:0`, so tests run
//! in parallel, each against its own port. It speaks one provider's wire format as the official
//! API reference documents it ([`FakeProtocol`]):
//!
//! | protocol | routes | auth |
//! | --- | --- | --- |
//! | [`FakeProtocol::OpenAiChat`] (default) | `POST /v1/chat/completions`, `GET /v1/models` | `Authorization: Bearer` |
//! | [`FakeProtocol::OpenAiResponses`] | `POST /v1/responses`, `GET /v1/models` | `Authorization: Bearer` |
//! | [`FakeProtocol::AnthropicMessages`] | `POST /v1/messages`, `POST /v1/messages/count_tokens`, `GET /v1/models` | `x-api-key` + `anthropic-version` |
//! | [`FakeProtocol::GoogleGenerateContent`] | `POST /v1beta/models/{model}:generateContent` / `:streamGenerateContent`, `GET /v1beta/models` | `x-goog-api-key` or `?key=` |
//!
//! - the key is [`DEFAULT_API_KEY`] unless set; anything else is the protocol's own auth error,
//!   and unknown routes its own 404;
//! - bodies are validated the way the real API does (required fields, roles, content part
//!   types, tool-call / tool-result pairing, thinking signatures, Gemini's schema subset,
//!   unknown fields where the real API rejects them) and rejected with a 400 in the
//!   protocol's error shape naming the field, so a translation bug fails the test;
//! - by default it answers `"echo: <last user text>"`, as JSON or as the protocol's stream
//!   events, with usage counted in words (the fake's "tokens"); a request that enables
//!   thinking / reasoning also gets a reasoning part (`"thinking about: <last user text>"`)
//!   with a signature;
//! - [`Script`]s queued with [`FakeUpstream::push`] make the next answers tool calls, fixtures,
//!   errors, hangs, delays, cut or slow streams, or malformed bodies;
//! - every request is recorded for inspection ([`FakeUpstream::requests`]).
//!
//! The `fake-upstream` binary (`--protocol openai_chat|openai_responses|anthropic_messages|
//! google_generate_content`) serves the default behaviour for out-of-process clients (SDK tests,
//! load benchmarks) and prints `listening on http://127.0.0.1:PORT`.
//!
//! ```
//! use bitrouter_test_support::{FakeUpstream, Script};
//!
//! # async fn example() -> std::io::Result<()> {
//! let upstream = FakeUpstream::start().await?;
//! // Point the client or the router under test at the fake.
//! let base_url = upstream.base_url(); // http://127.0.0.1:PORT/v1
//! assert!(base_url.ends_with("/v1"));
//!
//! // The next valid request gets a rate-limit error, the one after it a tool call.
//! upstream.push(Script::Status {
//!     status: 429,
//!     body: bitrouter_test_support::fixtures::openai_chat::ERROR_RATE_LIMIT.to_owned(),
//!     headers: vec![("retry-after".to_owned(), "1".to_owned())],
//! });
//! upstream.push(Script::tool_calls([("get_weather", r#"{"city":"Paris"}"#)]));
//!
//! // ... drive the code under test, then check what reached the upstream:
//! assert_eq!(upstream.request_count(), 0);
//! assert!(upstream.last_request().is_none());
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(example())?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod answer;
mod anthropic;
pub mod fixtures;
mod forced_tool;
mod google;
mod handler;
mod openai_chat;
mod openai_responses;
mod protocol;
mod recording;
mod script;
mod server;
mod sse;
mod tokens;

pub use protocol::FakeProtocol;
pub use recording::RecordedRequest;
pub use script::{ReplyKind, Script};
pub use server::{DEFAULT_API_KEY, FakeUpstream, FakeUpstreamBuilder};
