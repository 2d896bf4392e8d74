//! One keep-alive HTTP/1.1 connection and the timings of one request on it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where requests go and what they carry; cheap to share between workers.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub path: String,
    pub method: Method,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Target {
    /// Parse `http://IP:PORT/path` (loopback benchmarks only: no DNS, no TLS).
    pub fn parse(
        url: &str,
        method: Method,
        headers: &[String],
        body: String,
    ) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("--url {url}: expected http://IP:PORT/path"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let addr: SocketAddr = authority
            .parse()
            .map_err(|error| format!("--url {url}: {error}; give an IP:PORT, not a host name"))?;
        let mut parsed = Vec::with_capacity(headers.len() + 2);
        parsed.push((HOST, header_value(authority)?));
        if !body.is_empty() {
            parsed.push((CONTENT_TYPE, HeaderValue::from_static("application/json")));
        }
        for header in headers {
            let (name, value) = header
                .split_once(':')
                .ok_or_else(|| format!("--header {header}: expected `name: value`"))?;
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|error| format!("--header {header}: {error}"))?;
            parsed.push((name, header_value(value.trim())?));
        }
        Ok(Self {
            addr,
            path: path.to_owned(),
            method,
            headers: parsed,
            body: Bytes::from(body),
        })
    }

    fn request(&self) -> Result<Request<Full<Bytes>>, String> {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .body(Full::new(self.body.clone()))
            .map_err(|error| format!("cannot build the request for {}: {error}", self.path))?;
        for (name, value) in &self.headers {
            request.headers_mut().append(name.clone(), value.clone());
        }
        Ok(request)
    }
}

fn header_value(text: &str) -> Result<HeaderValue, String> {
    HeaderValue::from_str(text).map_err(|error| format!("header value {text:?}: {error}"))
}

/// When each part of one answer arrived, measured from when the request was handed over.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Status line and headers.
    pub headers: Duration,
    /// The first byte of the body (for an event stream: the first event).
    pub first_byte: Duration,
    /// The end of the body.
    pub last_byte: Duration,
}

/// A keep-alive connection; reopened by the caller after an error.
#[derive(Debug)]
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(target: &Target) -> Result<Self, String> {
        let stream = TcpStream::connect(target.addr)
            .await
            .map_err(|error| format!("cannot connect to {}: {error}", target.addr))?;
        stream
            .set_nodelay(true)
            .map_err(|error| format!("cannot set TCP_NODELAY: {error}"))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| format!("HTTP handshake with {} failed: {error}", target.addr))?;
        // The connection task ends when the sender is dropped or the peer closes.
        tokio::spawn(async move {
            let _closed = connection.await;
        });
        Ok(Self { sender })
    }

    /// Send one request and read the whole answer; `started` is the instant latencies are
    /// measured from (the scheduled time in fixed-rate runs).
    pub async fn exchange(&mut self, target: &Target, started: Instant) -> Result<Timing, String> {
        self.sender
            .ready()
            .await
            .map_err(|error| format!("connection closed: {error}"))?;
        let response = self
            .sender
            .send_request(target.request()?)
            .await
            .map_err(|error| format!("request failed: {error}"))?;
        let headers = started.elapsed();
        let status = response.status();
        let mut body = response.into_body();
        let mut first_byte = None;
        let mut first_bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| format!("body broke off: {error}"))?;
            if let Some(data) = frame.data_ref() {
                if data.is_empty() {
                    continue;
                }
                if first_byte.is_none() {
                    first_byte = Some(started.elapsed());
                }
                if !status.is_success() && first_bytes.len() < 300 {
                    first_bytes.extend_from_slice(data);
                }
            }
        }
        let last_byte = started.elapsed();
        if !status.is_success() {
            return Err(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&first_bytes)
            ));
        }
        Ok(Timing {
            headers,
            first_byte: first_byte.unwrap_or(last_byte),
            last_byte,
        })
    }
}
