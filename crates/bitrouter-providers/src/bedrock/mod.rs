//! Amazon Bedrock (cargo feature `bedrock`): the Converse and ConverseStream APIs.
//!
//! - Requests: canonical (or any client protocol, decoded first) to a Converse body, `POST`ed
//!   to `{base}/model/{modelId}/converse` or `/converse-stream`.
//! - Authentication: AWS Signature Version 4 (service `bedrock`) from `AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, or a Bedrock API key
//!   (`AWS_BEARER_TOKEN_BEDROCK`) as a bearer token; see [`bedrock_settings`].
//! - Answers: Converse JSON to a canonical answer; the binary `vnd.amazon.eventstream` of
//!   ConverseStream to canonical stream parts.
//!
//! Usage: Bedrock's `inputTokens` excludes prompt-cache reads and writes, so the canonical
//! `input_tokens` is `inputTokens + cacheReadInputTokens + cacheWriteInputTokens`.
//!
//! Thinking signatures: Bedrock returns them for Anthropic models. The canonical
//! [`Signature`](bitrouter_core::Signature) names a protocol of origin and there is no Bedrock
//! protocol, so they are marked [`AnthropicMessages`](bitrouter_core::Protocol::AnthropicMessages)
//! (Anthropic clients echo them natively) and Anthropic-origin signatures are sent back to
//! Bedrock.

mod error;
mod eventstream;
mod provider;
mod request;
mod response;
mod settings;
mod sigv4;
mod stream;

pub use eventstream::{EventMessage, EventStreamDecoder, FrameError, HeaderValue, crc32};
pub use provider::BedrockProvider;
pub use settings::{
    BEDROCK_BASE_VAR, BedrockAuth, BedrockSettings, bedrock_settings, default_base,
};
pub use sigv4::{AwsCredentials, SigV4Request, SignedV4, amz_date, sha256_hex, sign_v4};
