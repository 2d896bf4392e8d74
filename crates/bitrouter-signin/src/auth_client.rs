//! The small HTTP client for authorization servers: form or JSON posts and GETs that answer
//! JSON.

use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::error::SigninError;
use crate::form;

const TIMEOUT: Duration = Duration::from_secs(30);
const USER_AGENT_VALUE: &str = concat!("bitrouter/", env!("CARGO_PKG_VERSION"));

/// How a token request's body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/x-www-form-urlencoded`, as RFC 6749 says.
    Form,
    /// `application/json` (Anthropic's token endpoint).
    Json,
}

/// An HTTPS (or plain HTTP, for loopback tests) client for authorization servers.
#[derive(Debug, Clone)]
pub struct AuthClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// A JSON answer and its status.
#[derive(Debug, Clone)]
pub struct JsonAnswer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body; `Value::Null` when it was not JSON.
    pub body: Value,
}

impl Default for AuthClient {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthClient {
    /// A client with webpki roots.
    pub fn new() -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let https = HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Self {
            inner: Client::builder(TokioExecutor::new()).build(https),
        }
    }

    /// POSTs `pairs` as a form or JSON object.
    pub async fn post(
        &self,
        url: &str,
        format: BodyFormat,
        pairs: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Result<JsonAnswer, SigninError> {
        let (content_type, body) = match format {
            BodyFormat::Form => (
                "application/x-www-form-urlencoded",
                form::encode_pairs(pairs),
            ),
            BodyFormat::Json => {
                let map: serde_json::Map<String, Value> = pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                    .collect();
                ("application/json", Value::Object(map).to_string())
            }
        };
        let mut all = vec![(CONTENT_TYPE.as_str(), content_type)];
        all.extend_from_slice(headers);
        self.send(Method::POST, url, &all, Bytes::from(body)).await
    }

    /// GETs `url`.
    pub async fn get(
        &self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<JsonAnswer, SigninError> {
        self.send(Method::GET, url, headers, Bytes::new()).await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<JsonAnswer, SigninError> {
        let bad_url = || SigninError::Config(format!("`{url}` is not a valid URL"));
        let mut builder = Request::builder().method(method).uri(url);
        let map = builder.headers_mut().ok_or_else(bad_url)?;
        map.insert(ACCEPT, HeaderValue::from_static("application/json"));
        map.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| SigninError::Config(format!("`{name}` is not a header name")))?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                SigninError::Config(format!("header `{name}` holds characters HTTP forbids"))
            })?;
            value.set_sensitive(true);
            map.insert(name, value);
        }
        let request = builder.body(Full::new(body)).map_err(|_| bad_url())?;
        let call = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| SigninError::Http(format!("could not reach {url}: {e}")))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| SigninError::Http(format!("{url}: the answer broke off: {e}")))?
                .to_bytes();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Ok(JsonAnswer { status, body })
        };
        tokio::time::timeout(TIMEOUT, call)
            .await
            .map_err(|_| SigninError::Http(format!("{url} did not answer within {TIMEOUT:?}")))?
    }
}
