//! OpenAI Chat Completions (`POST /v1/chat/completions`), following the official API reference
//! (<https://platform.openai.com/docs/api-reference/chat>), plus the reasoning fields the
//! OpenAI-compatible servers add (`reasoning_content` from DeepSeek and vLLM, `reasoning` from
//! OpenRouter).
//!
//! - [`request`] (with [`options`]): client bodies into
//!   [`ChatRequest`](bitrouter_core::ChatRequest) with field-naming errors;
//!   [`request_encode`]: canonical requests out for an upstream.
//! - [`response`]: complete answers (`chat.completion`) both ways, and the usage and
//!   finish-reason mappings the stream shares.
//! - [`stream`] and [`stream_encode`]: `chat.completion.chunk` events in and out.
//! - [`reasoning_details`]: OpenRouter's `reasoning_details`, which carry reasoning signatures
//!   to Chat Completions clients and back.
//! - [`error`]: the `{"error":{…}}` body.

mod error;
mod options;
mod reasoning_details;
mod request;
mod request_encode;
mod response;
mod stream;
mod stream_encode;

pub(crate) use error::{error_body, error_message};
pub(crate) use request::decode_request;
pub(crate) use request_encode::encode_request;
pub(crate) use response::{decode_response, encode_response};
pub(crate) use stream::Decoder;
pub(crate) use stream_encode::Encoder;
