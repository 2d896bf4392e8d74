//! Google's error body: `{"error": {"code": 400, "message": "…", "status": "INVALID_ARGUMENT"}}`
//! (the `google.rpc.Status` JSON shape; see the Gemini API troubleshooting page for the
//! status of each HTTP code).

use serde_json::{Value, json};

use crate::codec::ErrorInfo;

/// The canonical `google.rpc.Code` name that goes with an HTTP status.
pub(super) fn status_name(status: u16) -> &'static str {
    match status {
        400 | 413 | 422 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        402 | 412 => "FAILED_PRECONDITION",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        500..=599 => "INTERNAL",
        400..=499 => "FAILED_PRECONDITION",
        _ => "UNKNOWN",
    }
}

/// The error body for a client speaking the Gemini API.
pub(crate) fn error_body(error: &ErrorInfo<'_>) -> Vec<u8> {
    error_value(error).to_string().into_bytes()
}

pub(super) fn error_value(error: &ErrorInfo<'_>) -> Value {
    json!({
        "error": {
            "code": error.status,
            "message": error.message,
            "status": status_name(error.status),
        }
    })
}

/// `error.message` of an upstream's error body (also accepts the body wrapped in an array,
/// as `streamGenerateContent` without `alt=sse` returns it).
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let v = match v {
        Value::Array(mut list) if !list.is_empty() => list.swap_remove(0),
        other => other,
    };
    v.get("error")?.get("message")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_by_code() {
        assert_eq!(status_name(400), "INVALID_ARGUMENT");
        assert_eq!(status_name(401), "UNAUTHENTICATED");
        assert_eq!(status_name(403), "PERMISSION_DENIED");
        assert_eq!(status_name(404), "NOT_FOUND");
        assert_eq!(status_name(429), "RESOURCE_EXHAUSTED");
        assert_eq!(status_name(500), "INTERNAL");
        assert_eq!(status_name(502), "INTERNAL");
        assert_eq!(status_name(503), "UNAVAILABLE");
        assert_eq!(status_name(504), "DEADLINE_EXCEEDED");
    }

    #[test]
    fn message_from_plain_and_wrapped_bodies() {
        let body = br#"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}"#;
        assert_eq!(error_message(body).as_deref(), Some("bad"));
        let wrapped = br#"[{"error":{"code":429,"message":"slow down"}}]"#;
        assert_eq!(error_message(wrapped).as_deref(), Some("slow down"));
        assert_eq!(error_message(b"not json"), None);
    }
}
