//! Placeholder for the `google_generate_content` codec: every function reports that the protocol is not
//! implemented yet.

use bitrouter_core::{ChatRequest, ChatResponse, StreamPart};

use crate::codec::{ErrorInfo, RequestContext, StreamDecoder, StreamEncoder, StreamOptions};
use crate::error::{DecodeError, EncodeError};
use crate::sse::{SseEvent, write_event};

const NOT_YET: &str = "the google_generate_content protocol is not implemented yet";

pub(crate) fn decode_request(
    _body: &[u8],
    _cx: &RequestContext<'_>,
) -> Result<ChatRequest, DecodeError> {
    Err(DecodeError::new(NOT_YET))
}

pub(crate) fn encode_request(_request: &ChatRequest) -> Result<Vec<u8>, EncodeError> {
    Err(EncodeError::new(NOT_YET))
}

pub(crate) fn decode_response(_body: &[u8]) -> Result<ChatResponse, DecodeError> {
    Err(DecodeError::new(NOT_YET))
}

pub(crate) fn encode_response(_response: &ChatResponse) -> Result<Vec<u8>, EncodeError> {
    Err(EncodeError::new(NOT_YET))
}

pub(crate) fn error_body(error: &ErrorInfo<'_>) -> Vec<u8> {
    serde_json::json!({"error": {"message": error.message, "code": error.status}})
        .to_string()
        .into_bytes()
}

pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v["error"]["message"].as_str().map(str::to_owned)
}

#[derive(Debug, Default)]
pub(crate) struct Decoder;

impl Decoder {
    pub(crate) fn new() -> Self {
        Self
    }
}

impl StreamDecoder for Decoder {
    fn decode(&mut self, _event: &SseEvent, _out: &mut Vec<StreamPart>) -> Result<(), DecodeError> {
        Err(DecodeError::new(NOT_YET))
    }

    fn is_done(&self) -> bool {
        true
    }
}

#[derive(Debug, Default)]
pub(crate) struct Encoder;

impl Encoder {
    pub(crate) fn new(_options: StreamOptions) -> Self {
        Self
    }
}

impl StreamEncoder for Encoder {
    fn encode(&mut self, _part: &StreamPart, _out: &mut Vec<u8>) {}

    fn finish(&mut self, _out: &mut Vec<u8>) {}

    fn error(&mut self, error: &ErrorInfo<'_>, out: &mut Vec<u8>) {
        write_event(
            out,
            Some("error"),
            &String::from_utf8_lossy(&error_body(error)),
        );
    }
}
