//! Anthropic Messages (`POST /v1/messages`): request, answer, stream and error translators.
//!
//! Follows the official API reference (docs.anthropic.com / platform.claude.com, "Messages",
//! "Streaming Messages", "Errors"). Anthropic counts `input_tokens` without cache reads and
//! writes; the canonical [`Usage`](bitrouter_core::Usage) counts them in, so the translators
//! add and subtract them.
//!
//! Mapping decisions that lose or bend something:
//! - Server tools (`tools[]` entries whose `type` is not `custom`, e.g. `web_search_20250305`)
//!   have no canonical form and are skipped when decoding a request; answers' server-tool
//!   blocks (`server_tool_use`, `web_search_tool_result`, …) are skipped too.
//! - `response_format` has no counterpart without a beta header, so a JSON instruction (with
//!   the schema) is appended to `system` when encoding.
//! - Reasoning without an Anthropic signature or redacted data (it came from another vendor)
//!   is dropped when encoding a request; Anthropic would reject it.
//! - With thinking enabled Anthropic rejects `temperature` other than 1, `top_k`, `top_p`
//!   below 0.95 and forced tool use, so the encoder drops those sampling fields and turns
//!   thinking off when a tool is forced. `temperature` is clamped to Anthropic's 0–1 range.
//! - Answers: a canonical `Stop` with tool calls becomes `tool_use` (Anthropic clients run tools
//!   only then); `Other` becomes `end_turn`, since `pause_turn` would make the client resend.
//! - Streams: content blocks cannot interleave, so a tool call starting while another streams is
//!   buffered and written whole after it (see `stream_encoder`).

mod content;
mod error;
mod request;
mod request_encoder;
mod response;
mod stream;
mod stream_encoder;

use serde_json::{Map, Value};

use crate::error::DecodeError;

pub(crate) use error::{error_body, error_message};
pub(crate) use request::decode_request;
pub(crate) use request_encoder::encode_request;
pub(crate) use response::{decode_response, encode_response};
pub(crate) use stream::Decoder;
pub(crate) use stream_encoder::Encoder;

type Object = Map<String, Value>;

/// `path.key`, or `key` at the top level.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The value as an object, or an error naming `path`.
fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Object, DecodeError> {
    value
        .as_object()
        .ok_or_else(|| DecodeError::new(format!("{path}: expected an object")))
}

/// A body parsed as a JSON object.
fn parse_object(body: &[u8], what: &str) -> Result<Object, DecodeError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(DecodeError::new(format!("{what}: expected a JSON object"))),
        Err(e) => Err(DecodeError::new(format!("{what}: invalid JSON: {e}"))),
    }
}

/// A string field that must be present.
fn req_str<'a>(o: &'a Object, key: &str, path: &str) -> Result<&'a str, DecodeError> {
    opt_str(o, key, path)?
        .ok_or_else(|| DecodeError::new(format!("{}: required string is missing", join(path, key))))
}

/// A string field that may be absent or null.
fn opt_str<'a>(o: &'a Object, key: &str, path: &str) -> Result<Option<&'a str>, DecodeError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(DecodeError::new(format!(
            "{}: expected a string",
            join(path, key)
        ))),
    }
}

/// A non-negative integer field that may be absent or null.
fn opt_u64(o: &Object, key: &str, path: &str) -> Result<Option<u64>, DecodeError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            DecodeError::new(format!(
                "{}: expected a non-negative integer",
                join(path, key)
            ))
        }),
    }
}

/// A non-negative integer field that fits 32 bits, absent or null allowed.
fn opt_u32(o: &Object, key: &str, path: &str) -> Result<Option<u32>, DecodeError> {
    opt_u64(o, key, path)?
        .map(|n| {
            u32::try_from(n)
                .map_err(|_| DecodeError::new(format!("{}: {n} is too large", join(path, key))))
        })
        .transpose()
}

/// A number field that may be absent or null.
fn opt_f64(o: &Object, key: &str, path: &str) -> Result<Option<f64>, DecodeError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| DecodeError::new(format!("{}: expected a number", join(path, key)))),
    }
}

/// A boolean field that may be absent or null.
fn opt_bool(o: &Object, key: &str, path: &str) -> Result<Option<bool>, DecodeError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(DecodeError::new(format!(
            "{}: expected true or false",
            join(path, key)
        ))),
    }
}
