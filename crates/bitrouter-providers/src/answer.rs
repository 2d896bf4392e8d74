//! Reading the upstream's answer: error statuses, complete bodies, and streams with an idle
//! timeout between chunks.

use std::time::Duration;

use bitrouter_core::{
    AnswerStream, ByteStream, Protocol, ProviderError, ProviderResponse, ResponseBody,
    TimeoutPhase, WireBody,
};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

/// The largest complete answer accepted from an upstream.
pub(crate) const MAX_ANSWER: usize = 64 * 1024 * 1024;
/// The largest error body kept from an upstream.
const MAX_ERROR_BODY: usize = 1024 * 1024;

/// Turns the upstream's response into an answer or an error.
pub(crate) async fn read(
    response: Response<Incoming>,
    protocol: Protocol,
    stream: bool,
    idle: Duration,
    total_left: Duration,
) -> Result<ProviderResponse, ProviderError> {
    let (parts, body) = response.into_parts();
    if !parts.status.is_success() {
        let body = collect(body, MAX_ERROR_BODY, idle)
            .await
            .unwrap_or_default();
        return Err(ProviderError::Status {
            status: parts.status,
            body,
            protocol,
            retry_after: retry_after(&parts.headers),
        });
    }
    if stream && is_event_stream(&parts.headers) {
        return Ok(ProviderResponse::Stream(AnswerStream::Wire {
            protocol,
            chunks: chunks(body, idle),
        }));
    }
    if stream {
        // Some servers answer a stream request with one JSON body; that is an error body
        // more often than not, so do not pretend it is a stream.
        let body = collect(body, MAX_ERROR_BODY, idle)
            .await
            .unwrap_or_default();
        return Err(ProviderError::InvalidResponse {
            message: format!(
                "asked for a stream, the upstream answered {} with content-type {:?}: {}",
                parts.status,
                parts.headers.get(http::header::CONTENT_TYPE),
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ),
        });
    }
    let bytes = tokio::time::timeout(total_left, collect(body, MAX_ANSWER, idle))
        .await
        .map_err(|_| ProviderError::Timeout {
            phase: TimeoutPhase::Total,
            after: total_left,
        })??;
    Ok(ProviderResponse::Complete(ResponseBody::Wire(WireBody {
        protocol,
        bytes,
    })))
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

/// `Retry-After` in seconds, or OpenAI's `retry-after-ms`.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_millis(ms as u64));
        }
    }
    text("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Reads a whole body, at most `limit` bytes, with `idle` as the longest wait between frames.
pub(crate) async fn collect(
    mut body: Incoming,
    limit: usize,
    idle: Duration,
) -> Result<Bytes, ProviderError> {
    let mut buf = BytesMut::new();
    loop {
        let frame = tokio::time::timeout(idle, body.frame())
            .await
            .map_err(|_| ProviderError::Timeout {
                phase: TimeoutPhase::Idle,
                after: idle,
            })?;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| ProviderError::Connect {
            message: format!("the connection broke while reading the answer: {e}"),
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ProviderError::InvalidResponse {
                    message: format!("the answer is larger than {limit} bytes"),
                });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

fn chunks(body: Incoming, idle: Duration) -> ByteStream {
    Box::pin(futures::stream::unfold(
        Some(body),
        move |state| async move {
            let mut body = state?;
            loop {
                match tokio::time::timeout(idle, body.frame()).await {
                    Err(_) => {
                        let e = ProviderError::Timeout {
                            phase: TimeoutPhase::Idle,
                            after: idle,
                        };
                        return Some((Err(e), None));
                    }
                    Ok(None) => return None,
                    Ok(Some(Err(e))) => {
                        let e = ProviderError::Stream {
                            message: format!("the upstream connection broke mid-stream: {e}"),
                        };
                        return Some((Err(e), None));
                    }
                    Ok(Some(Ok(frame))) => {
                        if let Ok(data) = frame.into_data() {
                            if !data.is_empty() {
                                return Some((Ok(data), Some(body)));
                            }
                        }
                    }
                }
            }
        },
    ))
}

/// Whether a status is worth an error body read at all (used in logs).
pub(crate) fn describe(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("unknown status")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", "1500".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
