//! OpenAI Responses API (`POST /v1/responses`): requests, answers, the semantic event stream and
//! the error body.
//!
//! Follows the OpenAI API reference pages "Create a model response", "The response object" and
//! "Streaming events" (Responses). Decisions where the canonical form and the protocol differ:
//!
//! - BitRouter is stateless. A request with `previous_response_id` or `conversation` is
//!   rejected: the client must send the whole conversation in `input` (with `store: false` and
//!   `include: ["reasoning.encrypted_content"]` for reasoning models). Stored `prompt`
//!   templates, `item_reference` items and `background: true` are rejected for the same reason.
//! - Only `function` tools are translated. Hosted tools (`web_search`, `file_search`, …) and
//!   `custom` tools are rejected with a message naming them, rather than dropped silently: a
//!   model that quietly lost its search tool answers differently without anyone knowing why.
//! - `instructions` and `system`/`developer` messages become [`Role::System`] messages.
//!   Encoding hoists the leading system messages into `instructions` and keeps later ones in
//!   place as `system` messages.
//! - Consecutive assistant-side items (`message`, `reasoning`, `function_call`) form one
//!   assistant message; consecutive `function_call_output` items form one [`Role::Tool`]
//!   message.
//! - Reasoning is replayed only when it carries `encrypted_content` (reasoning from other
//!   vendors cannot be sent back to OpenAI and is dropped).
//!
//! [`Role::System`]: bitrouter_core::Role::System
//! [`Role::Tool`]: bitrouter_core::Role::Tool

mod input;
mod output;
mod request;
mod request_encode;
mod response;
mod stream;
mod stream_encode;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::codec::ErrorInfo;

pub(crate) use request::decode_request;
pub(crate) use request_encode::encode_request;
pub(crate) use response::{decode_response, encode_response};
pub(crate) use stream::Decoder;
pub(crate) use stream_encode::Encoder;

/// An error body in OpenAI's shape: `{"error":{"message","type","param","code"}}`.
#[allow(
    dead_code,
    reason = "codec.rs routes Responses errors to the openai_chat module"
)]
pub(crate) fn error_body(error: &ErrorInfo<'_>) -> Vec<u8> {
    error_object(error).to_string().into_bytes()
}

/// The message of an OpenAI error body.
#[allow(
    dead_code,
    reason = "codec.rs routes Responses errors to the openai_chat module"
)]
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v["error"]["message"].as_str().map(str::to_owned)
}

/// `{"error":{…}}` for an error.
fn error_object(error: &ErrorInfo<'_>) -> serde_json::Value {
    serde_json::json!({"error": {
        "message": error.message,
        "type": error_type(error.status),
        "param": null,
        "code": error.code,
    }})
}

/// OpenAI's error `type` for an HTTP status.
fn error_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "server_error",
    }
}

/// A fresh response id (`resp_…`) for answers whose upstream gave none.
fn mint_response_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("resp_{nanos:x}{n:04x}")
}

/// Seconds since the epoch, for `created_at` when the canonical answer has none.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_openai_shape() {
        let body = error_body(&ErrorInfo {
            status: 429,
            message: "slow down",
            code: Some("rate_limit_exceeded"),
        });
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"message": "slow down", "type": "rate_limit_error",
                "param": null, "code": "rate_limit_exceeded"}})
        );
        assert_eq!(error_message(&body).as_deref(), Some("slow down"));
        assert_eq!(error_message(b"not json"), None);
    }

    #[test]
    fn minted_ids_differ() {
        assert_ne!(mint_response_id(), mint_response_id());
        assert!(mint_response_id().starts_with("resp_"));
    }
}
