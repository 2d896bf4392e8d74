//! The wire formats BitRouter speaks and the translators between them and the canonical types
//! of `bitrouter-core`.
//!
//! Each protocol is a module with the same shape (see [`codec`](crate::StreamDecoder) for the
//! interface): request and response decoders and encoders, a stream decoder and encoder, and
//! its error body. [`decode_request`], [`encode_response`] and friends dispatch on
//! [`Protocol`](bitrouter_core::Protocol). [`peek_body`] reads the top level of a body without
//! decoding it, for same-protocol pass-through.

mod anthropic_messages;
mod codec;
mod data_url;
mod error;
mod google_generate_content;
mod openai_chat;
mod openai_responses;
mod peek;
mod reasoning_budget;
mod signature_envelope;
mod sse;

pub use codec::{
    ErrorInfo, RequestContext, StreamDecoder, StreamEncoder, StreamOptions, decode_request,
    decode_response, encode_request, encode_response, error_body, error_message, stream_decoder,
    stream_encoder,
};
pub use error::{DecodeError, EncodeError};
pub use peek::{BodyPeek, peek_body, splice, with_field, with_model};
pub use sse::{LineTooLong, SseDecoder, SseEvent, write_event};
