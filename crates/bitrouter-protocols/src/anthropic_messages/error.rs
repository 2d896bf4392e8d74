//! Anthropic's error shape: `{"type":"error","error":{"type":…,"message":…}}`.

use serde_json::{Value, json};

use crate::codec::ErrorInfo;

/// The error `type` Anthropic uses for an HTTP status (API reference, "Errors").
pub(super) fn error_type(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        504 => "timeout_error",
        400..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// The error body as JSON.
pub(super) fn error_value(error: &ErrorInfo<'_>) -> Value {
    json!({
        "type": "error",
        "error": {"type": error_type(error.status), "message": error.message},
    })
}

/// An error body in Anthropic's shape.
pub(crate) fn error_body(error: &ErrorInfo<'_>) -> Vec<u8> {
    error_value(error).to_string().into_bytes()
}

/// `error.message` of an Anthropic error body.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("error")?.get("message")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_documented_types() {
        assert_eq!(error_type(400), "invalid_request_error");
        assert_eq!(error_type(422), "invalid_request_error");
        assert_eq!(error_type(413), "request_too_large");
        assert_eq!(error_type(529), "overloaded_error");
        assert_eq!(error_type(503), "overloaded_error");
        assert_eq!(error_type(502), "api_error");
    }
}
