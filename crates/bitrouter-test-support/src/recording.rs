//! Every request the fake upstream received, for tests to inspect.

use bytes::Bytes;
use http::{HeaderMap, Method};

/// One request as the fake upstream received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The request method.
    pub method: Method,
    /// The path, without the query.
    pub path: String,
    /// The raw query string (without `?`), if any.
    pub query: Option<String>,
    /// All request headers as received.
    pub headers: HeaderMap,
    /// The raw body bytes.
    pub body: Bytes,
    /// The body parsed as JSON, or `None` when it is empty or not JSON.
    pub json: Option<serde_json::Value>,
}

impl RecordedRequest {
    /// The value of header `name` as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as UTF-8 text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}
