//! The pooled HTTP client every upstream call goes through.

use std::time::Duration;

use bitrouter_core::{ProviderError, TimeoutPhase};
use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How long each phase of an upstream call may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection (TCP and TLS).
    pub connect: Duration,
    /// From sending the request to the response head.
    pub first_byte: Duration,
    /// Between two chunks of a streamed body.
    pub idle: Duration,
    /// The whole call, for non-streamed answers.
    pub total: Duration,
}

impl Default for Timeouts {
    /// Generous limits: models can think for minutes before the first byte.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(600),
            idle: Duration::from_secs(300),
            total: Duration::from_secs(1800),
        }
    }
}

/// A pooled HTTP/1.1 and HTTP/2 client with TLS (webpki roots, ring), `TCP_NODELAY` and
/// keep-alive, shared by all providers.
#[derive(Clone, Debug)]
pub struct UpstreamClient {
    pub(crate) inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub(crate) timeouts: Timeouts,
}

impl UpstreamClient {
    /// A client with these timeouts.
    pub fn new(timeouts: Timeouts) -> Self {
        let mut http = HttpConnector::new();
        // Without NODELAY a small request body waits for the peer's delayed ACK (~40 ms).
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeouts.connect));
        http.set_keepalive(Some(Duration::from_secs(60)));
        let https = HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(1024)
            .build(https);
        Self { inner, timeouts }
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Sends `request` and waits for the response head within the first-byte timeout.
    /// `api_base` names the upstream in a connection error, followed by the error's causes.
    pub(crate) async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
        api_base: &str,
    ) -> Result<http::Response<hyper::body::Incoming>, ProviderError> {
        let first_byte = self.timeouts.first_byte;
        tokio::time::timeout(first_byte, self.inner.request(request))
            .await
            .map_err(|_| ProviderError::Timeout {
                phase: TimeoutPhase::FirstByte,
                after: first_byte,
            })?
            .map_err(|e| connect_error(api_base, &e))
    }
}

fn connect_error(api_base: &str, e: &hyper_util::client::legacy::Error) -> ProviderError {
    use std::error::Error as _;
    let mut message = format!("{e} ({api_base})");
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ProviderError::Connect { message }
}
