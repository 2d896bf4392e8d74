//! Fake upstream LLM providers for BitRouter's tests and benchmarks.
//!
//! A [`FakeUpstream`] is a real HTTP server (HTTP/1.1 and h2c) on `127.0.0.1:0`, so tests run
//! in parallel, each against its own port. It speaks a provider's wire format as the official
//! API reference documents it — OpenAI Chat Completions ([`FakeProtocol::OpenAiChat`], the
//! default, described below) or Anthropic Messages ([`FakeProtocol::AnthropicMessages`]):
//!
//! - `POST /v1/chat/completions` and `GET /v1/models`; anything else is a 404 in the OpenAI
//!   error shape;
//! - `Authorization: Bearer <key>` is required (default key [`DEFAULT_API_KEY`]);
//! - bodies are validated like the real API (model, messages, roles, tool-call pairing,
//!   `stream_options`) and rejected with a 400 naming the field;
//! - by default it answers `"echo: <last user text>"`, as JSON or as `chat.completion.chunk`
//!   events, with usage counted in words (the fake's "tokens");
//! - [`Script`]s queued with [`FakeUpstream::push`] make the next answers tool calls, fixtures,
//!   errors, hangs, delays, cut or slow streams, or malformed bodies;
//! - every request is recorded for inspection ([`FakeUpstream::requests`]).
//!
//! The `fake-upstream` binary serves the default behaviour for out-of-process clients (SDK tests,
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
mod google;
mod handler;
mod openai_chat;
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
