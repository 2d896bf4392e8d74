//! Bedrock's error answers (`{"message": …}` with the exception name in `x-amzn-ErrorType`)
//! as provider errors, per the "Errors" sections of the Converse and ConverseStream API
//! reference pages.

use std::time::Duration;

use bitrouter_core::{Protocol, ProviderError};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// The error for an unsuccessful answer. The status follows the exception where Bedrock's
/// own status would mislead fallback (a model that is not ready is a 429 to retry elsewhere,
/// a model that failed is the upstream's fault), and the body is rewritten in the client's
/// protocol (`protocol`) so that the server can hand it on.
pub(crate) fn status_error(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    protocol: Protocol,
) -> ProviderError {
    let kind = error_type(headers, body);
    let upstream_message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("Message"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned());
    let status = match kind.as_deref() {
        Some(
            "ThrottlingException" | "ModelNotReadyException" | "ServiceQuotaExceededException",
        ) => StatusCode::TOO_MANY_REQUESTS,
        Some("ModelTimeoutException") => StatusCode::REQUEST_TIMEOUT,
        Some("ModelErrorException") => StatusCode::BAD_GATEWAY,
        Some("ServiceUnavailableException") => StatusCode::SERVICE_UNAVAILABLE,
        _ => status,
    };
    let message = match &kind {
        Some(k) => format!("Bedrock {k}: {upstream_message}"),
        None => format!("Bedrock: {upstream_message}"),
    };
    let info = bitrouter_protocols::ErrorInfo {
        status: status.as_u16(),
        message: &message,
        code: kind.as_deref(),
    };
    ProviderError::Status {
        status,
        body: Bytes::from(bitrouter_protocols::error_body(protocol, &info)),
        protocol,
        retry_after: retry_after(headers),
    }
}

/// The exception name: `x-amzn-ErrorType` up to its first `:`, or the body's `__type`.
pub(crate) fn error_type(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let from_header = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).trim().to_owned());
    from_header.filter(|v| !v.is_empty()).or_else(|| {
        serde_json::from_slice::<Value>(body).ok().and_then(|v| {
            v.get("__type")
                .and_then(Value::as_str)
                .map(|t| t.rsplit('#').next().unwrap_or(t).to_owned())
        })
    })
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_a_retryable_429_in_the_clients_shape() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-amzn-ErrorType",
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
                .parse()
                .unwrap(),
        );
        let e = status_error(
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            br#"{"message":"Too many requests, please wait before trying again."}"#,
            Protocol::OpenaiChat,
        );
        assert!(e.is_retryable());
        let ProviderError::Status { status, body, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS);
        let text = String::from_utf8_lossy(body);
        assert!(
            text.contains("Bedrock ThrottlingException: Too many requests"),
            "{text}"
        );
    }

    #[test]
    fn validation_is_final() {
        let e = status_error(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"__type":"com.amazon.coral.validate#ValidationException","message":"bad"}"#,
            Protocol::AnthropicMessages,
        );
        assert!(!e.is_retryable());
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let ProviderError::Status { body, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(String::from_utf8_lossy(body).contains("Bedrock ValidationException: bad"));
    }
}
