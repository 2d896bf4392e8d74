//! OpenAI error bodies: `{"error":{"message","type","param","code"}}`, written with the `type`
//! OpenAI uses for each HTTP status, and read leniently from upstreams.

use serde::Serialize;

use crate::codec::ErrorInfo;

/// The body of an OpenAI error response, borrowed from an [`ErrorInfo`].
#[derive(Debug, Serialize)]
pub(super) struct ErrorBody<'a> {
    error: ErrorObject<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorObject<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

impl<'a> ErrorBody<'a> {
    pub(super) fn new(error: &ErrorInfo<'a>) -> Self {
        Self {
            error: ErrorObject {
                message: error.message,
                kind: error_type(error.status),
                param: None,
                code: error.code,
            },
        }
    }
}

/// OpenAI's `error.type` for an HTTP status.
fn error_type(status: u16) -> &'static str {
    match status {
        400 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        408 | 504 => "timeout_error",
        409 => "conflict_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        500..=599 => "api_error",
        _ => "invalid_request_error",
    }
}

pub(crate) fn error_body(error: &ErrorInfo<'_>) -> Vec<u8> {
    // Serialising borrowed strings into a Vec cannot fail; fall back to a fixed body anyway.
    serde_json::to_vec(&ErrorBody::new(error)).unwrap_or_else(|_| {
        br#"{"error":{"message":"internal error","type":"api_error","param":null,"code":null}}"#
            .to_vec()
    })
}

/// `error.message`, or `error` when it is a plain string, or a top-level `message`
/// (vLLM and some other OpenAI-compatible servers).
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    message_of(&value)
}

/// The message of an already parsed error value (also used for mid-stream error events).
pub(super) fn message_of(value: &serde_json::Value) -> Option<String> {
    match &value["error"] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("message")?.as_str().map(str::to_owned),
        _ => value["message"].as_str().map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_status() {
        for (status, kind) in [
            (400, "invalid_request_error"),
            (401, "authentication_error"),
            (403, "permission_error"),
            (404, "not_found_error"),
            (408, "timeout_error"),
            (409, "conflict_error"),
            (413, "request_too_large"),
            (422, "invalid_request_error"),
            (429, "rate_limit_error"),
            (500, "api_error"),
            (503, "api_error"),
            (504, "timeout_error"),
        ] {
            assert_eq!(error_type(status), kind, "status {status}");
        }
    }

    #[test]
    fn message_forms() {
        assert_eq!(
            error_message(br#"{"error":{"message":"bad","type":"x"}}"#).as_deref(),
            Some("bad")
        );
        assert_eq!(
            error_message(br#"{"error":"plain"}"#).as_deref(),
            Some("plain")
        );
        assert_eq!(
            error_message(br#"{"object":"error","message":"vllm"}"#).as_deref(),
            Some("vllm")
        );
        assert_eq!(error_message(b"not json"), None);
    }
}
