//! The interface every protocol module implements, and the dispatch over [`Protocol`].

use bitrouter_core::{ChatRequest, ChatResponse, Protocol, StreamPart};

use crate::error::{DecodeError, EncodeError};
use crate::sse::SseEvent;
use crate::{anthropic_messages, google_generate_content, openai_chat, openai_responses};

/// What a request decoder may need beyond the body.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestContext<'a> {
    /// The model named in the URL path (Google puts it there, not in the body).
    pub path_model: Option<&'a str>,
    /// Whether the URL asked for a stream (Google `:streamGenerateContent`).
    pub path_stream: bool,
}

/// Options for writing a stream in a client's protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamOptions {
    /// The client asked for usage in the stream (OpenAI `stream_options.include_usage`); other
    /// protocols always carry usage.
    pub include_usage: bool,
}

/// An error to be written in a protocol's own error shape.
#[derive(Debug, Clone, Copy)]
pub struct ErrorInfo<'a> {
    /// The HTTP status it goes with.
    pub status: u16,
    /// What went wrong and what to do.
    pub message: &'a str,
    /// A machine-readable code (OpenAI `code`), when there is one.
    pub code: Option<&'a str>,
}

/// Turns one protocol's server-sent events into canonical stream parts.
pub trait StreamDecoder: Send {
    /// Decodes one event, appending the parts it yields. An upstream error event is returned
    /// as a [`DecodeError`] carrying the upstream's message.
    fn decode(&mut self, event: &SseEvent, out: &mut Vec<StreamPart>) -> Result<(), DecodeError>;

    /// Whether the upstream signalled the end of the stream (`[DONE]`, `message_stop`, …).
    fn is_done(&self) -> bool;
}

/// Writes canonical stream parts as one protocol's server-sent events.
pub trait StreamEncoder: Send {
    /// Appends the events for one part.
    fn encode(&mut self, part: &StreamPart, out: &mut Vec<u8>);

    /// Appends whatever closes a well-formed stream (`data: [DONE]`, `message_stop`, …).
    fn finish(&mut self, out: &mut Vec<u8>);

    /// Appends the protocol's error event; the stream ends after it.
    fn error(&mut self, error: &ErrorInfo<'_>, out: &mut Vec<u8>);
}

/// Decodes a client's request body.
pub fn decode_request(
    protocol: Protocol,
    body: &[u8],
    cx: &RequestContext<'_>,
) -> Result<ChatRequest, DecodeError> {
    match protocol {
        Protocol::OpenaiChat => openai_chat::decode_request(body, cx),
        Protocol::OpenaiResponses => openai_responses::decode_request(body, cx),
        Protocol::AnthropicMessages => anthropic_messages::decode_request(body, cx),
        Protocol::GoogleGenerateContent => google_generate_content::decode_request(body, cx),
    }
}

/// Encodes a canonical request for an upstream (using `request.model` and `request.stream`).
pub fn encode_request(protocol: Protocol, request: &ChatRequest) -> Result<Vec<u8>, EncodeError> {
    match protocol {
        Protocol::OpenaiChat => openai_chat::encode_request(request),
        Protocol::OpenaiResponses => openai_responses::encode_request(request),
        Protocol::AnthropicMessages => anthropic_messages::encode_request(request),
        Protocol::GoogleGenerateContent => google_generate_content::encode_request(request),
    }
}

/// Decodes an upstream's complete answer.
pub fn decode_response(protocol: Protocol, body: &[u8]) -> Result<ChatResponse, DecodeError> {
    match protocol {
        Protocol::OpenaiChat => openai_chat::decode_response(body),
        Protocol::OpenaiResponses => openai_responses::decode_response(body),
        Protocol::AnthropicMessages => anthropic_messages::decode_response(body),
        Protocol::GoogleGenerateContent => google_generate_content::decode_response(body),
    }
}

/// Encodes a canonical answer for a client.
pub fn encode_response(
    protocol: Protocol,
    response: &ChatResponse,
) -> Result<Vec<u8>, EncodeError> {
    match protocol {
        Protocol::OpenaiChat => openai_chat::encode_response(response),
        Protocol::OpenaiResponses => openai_responses::encode_response(response),
        Protocol::AnthropicMessages => anthropic_messages::encode_response(response),
        Protocol::GoogleGenerateContent => google_generate_content::encode_response(response),
    }
}

/// A decoder for an upstream's stream.
pub fn stream_decoder(protocol: Protocol) -> Box<dyn StreamDecoder> {
    match protocol {
        Protocol::OpenaiChat => Box::new(openai_chat::Decoder::new()),
        Protocol::OpenaiResponses => Box::new(openai_responses::Decoder::new()),
        Protocol::AnthropicMessages => Box::new(anthropic_messages::Decoder::new()),
        Protocol::GoogleGenerateContent => Box::new(google_generate_content::Decoder::new()),
    }
}

/// An encoder for a client's stream.
pub fn stream_encoder(protocol: Protocol, options: StreamOptions) -> Box<dyn StreamEncoder> {
    match protocol {
        Protocol::OpenaiChat => Box::new(openai_chat::Encoder::new(options)),
        Protocol::OpenaiResponses => Box::new(openai_responses::Encoder::new(options)),
        Protocol::AnthropicMessages => Box::new(anthropic_messages::Encoder::new(options)),
        Protocol::GoogleGenerateContent => Box::new(google_generate_content::Encoder::new(options)),
    }
}

/// An error body in the protocol's own shape.
pub fn error_body(protocol: Protocol, error: &ErrorInfo<'_>) -> Vec<u8> {
    match protocol {
        Protocol::OpenaiChat | Protocol::OpenaiResponses => openai_chat::error_body(error),
        Protocol::AnthropicMessages => anthropic_messages::error_body(error),
        Protocol::GoogleGenerateContent => google_generate_content::error_body(error),
    }
}

/// The human-readable message inside an upstream's error body, when it has one.
pub fn error_message(protocol: Protocol, body: &[u8]) -> Option<String> {
    match protocol {
        Protocol::OpenaiChat | Protocol::OpenaiResponses => openai_chat::error_message(body),
        Protocol::AnthropicMessages => anthropic_messages::error_message(body),
        Protocol::GoogleGenerateContent => google_generate_content::error_message(body),
    }
}
