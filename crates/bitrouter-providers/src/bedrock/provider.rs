//! [`BedrockProvider`]: Converse and ConverseStream calls, signed or with a bearer token.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bitrouter_core::{
    AnswerStream, ChatRequest, Provider, ProviderError, ProviderRequest, ProviderResponse,
    RequestBody, ResponseBody, TimeoutPhase,
};
use bitrouter_protocols::RequestContext;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, Uri};
use http_body_util::Full;

use super::error::status_error;
use super::request::encode_converse;
use super::response::decode_converse;
use super::settings::{BedrockAuth, BedrockSettings};
use super::sigv4::{SigV4Request, amz_date_now, sign_v4, uri_encode};
use super::stream::{ConverseStreamMapper, part_stream};
use crate::answer::collect;
use crate::client::UpstreamClient;

const USER_AGENT_VALUE: &str = concat!("bitrouter/", env!("CARGO_PKG_VERSION"));
const EVENT_STREAM: &str = "application/vnd.amazon.eventstream";
/// The SigV4 signing name of the Bedrock runtime.
const SERVICE: &str = "bedrock";
const MAX_ANSWER: usize = 64 * 1024 * 1024;
const MAX_ERROR_BODY: usize = 1024 * 1024;

/// Calls Amazon Bedrock's Converse API through the shared client.
#[derive(Debug, Clone)]
pub struct BedrockProvider {
    settings: Arc<BedrockSettings>,
    client: UpstreamClient,
}

impl BedrockProvider {
    /// A provider for these settings; settings with their own timeouts get their own client.
    pub fn new(settings: BedrockSettings, client: UpstreamClient) -> Self {
        let client = match settings.timeouts {
            Some(t) if t != client.timeouts => UpstreamClient::new(t),
            _ => client,
        };
        Self {
            settings: Arc::new(settings),
            client,
        }
    }

    /// Its settings.
    pub fn settings(&self) -> &BedrockSettings {
        &self.settings
    }

    /// The URL of a call: `{base}/model/{modelId}/converse[-stream]`, the model id
    /// percent-encoded (`:` and `/` of versions and ARNs included).
    pub fn url(&self, model: &str, stream: bool) -> String {
        let action = if stream {
            "converse-stream"
        } else {
            "converse"
        };
        format!(
            "{}/model/{}/{action}",
            self.settings.api_base,
            uri_encode(model, true)
        )
    }

    fn http_request(
        &self,
        model: &str,
        stream: bool,
        body: Bytes,
    ) -> Result<Request<Full<Bytes>>, ProviderError> {
        let url = self.url(model, stream);
        let uri: Uri = url.parse().map_err(|_| self.config(format!(
            "`{url}` is not a valid URL; check {} (e.g. https://bedrock-runtime.us-east-1.amazonaws.com)",
            super::settings::BEDROCK_BASE_VAR
        )))?;
        let accept = if stream {
            EVENT_STREAM
        } else {
            "application/json"
        };
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(uri.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .header(USER_AGENT, USER_AGENT_VALUE);
        match &self.settings.auth {
            BedrockAuth::Bearer(token) => {
                builder = builder.header(AUTHORIZATION, self.secret(&format!("Bearer {token}"))?);
            }
            BedrockAuth::SigV4(credentials) => {
                let host =
                    host_of(&uri).ok_or_else(|| self.config(format!("`{url}` has no host")))?;
                let amz_date = amz_date_now();
                let mut signed: Vec<(&str, &str)> = vec![
                    ("content-type", "application/json"),
                    ("host", &host),
                    ("x-amz-date", &amz_date),
                ];
                if let Some(token) = &credentials.session_token {
                    signed.push(("x-amz-security-token", token));
                }
                let signature = sign_v4(
                    &SigV4Request {
                        method: "POST",
                        path: uri.path(),
                        query: &[],
                        headers: &signed,
                        body: &body,
                        region: &self.settings.region,
                        service: SERVICE,
                        amz_date: &amz_date,
                    },
                    credentials,
                );
                builder = builder.header("x-amz-date", amz_date.as_str());
                if let Some(token) = &credentials.session_token {
                    builder = builder.header("x-amz-security-token", self.secret(token)?);
                }
                builder = builder.header(AUTHORIZATION, self.secret(&signature.authorization)?);
            }
        }
        builder
            .body(Full::new(body))
            .map_err(|e| self.config(format!("cannot build the request to `{url}`: {e}")))
    }

    fn secret(&self, value: &str) -> Result<HeaderValue, ProviderError> {
        let mut v = HeaderValue::from_str(value).map_err(|_| {
            self.config("a credential holds characters HTTP headers do not allow (check the AWS variables for stray newlines)".into())
        })?;
        v.set_sensitive(true);
        Ok(v)
    }

    fn config(&self, message: String) -> ProviderError {
        ProviderError::Config {
            message: format!("provider `{}`: {message}", self.settings.id),
        }
    }
}

#[async_trait]
impl Provider for BedrockProvider {
    fn id(&self) -> &str {
        &self.settings.id
    }

    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        let started = Instant::now();
        let model = request.target.model.as_str();
        let canonical = canonical(&request)?;
        let body = encode_converse(&canonical, model)
            .map_err(|e| ProviderError::Unsupported {
                message: format!("cannot translate the request to Bedrock Converse: {}", e.0),
            })?
            .to_string();
        let http_request = self.http_request(model, request.stream, Bytes::from(body))?;
        let timeouts = self.client.timeouts;
        let response = self
            .client
            .send(http_request, &self.settings.api_base)
            .await?;
        let (parts, body) = response.into_parts();
        if !parts.status.is_success() {
            let bytes = collect(body, MAX_ERROR_BODY, timeouts.idle)
                .await
                .unwrap_or_default();
            return Err(status_error(
                parts.status,
                &parts.headers,
                &bytes,
                request.target.protocol,
            ));
        }
        let id = parts
            .headers
            .get("x-amzn-requestid")
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| format!("bedrock-{}", request.request_id), str::to_owned);
        if request.stream {
            let content_type = parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !content_type.starts_with(EVENT_STREAM) {
                return Err(ProviderError::InvalidResponse {
                    message: format!(
                        "asked for a ConverseStream, Bedrock answered with content-type `{content_type}`"
                    ),
                });
            }
            let mapper = ConverseStreamMapper::new(id, model.to_owned());
            return Ok(ProviderResponse::Stream(AnswerStream::Canonical(
                part_stream(body, mapper, timeouts.idle),
            )));
        }
        let total_left = timeouts.total.saturating_sub(started.elapsed());
        let bytes = tokio::time::timeout(total_left, collect(body, MAX_ANSWER, timeouts.idle))
            .await
            .map_err(|_| ProviderError::Timeout {
                phase: TimeoutPhase::Total,
                after: total_left,
            })??;
        let answer = decode_converse(&bytes, &id, model)
            .map_err(|message| ProviderError::InvalidResponse { message })?;
        Ok(ProviderResponse::Complete(ResponseBody::Canonical(
            Box::new(answer),
        )))
    }
}

/// The canonical request: Bedrock speaks none of the client protocols, so wire bodies are
/// decoded first.
fn canonical(request: &ProviderRequest) -> Result<ChatRequest, ProviderError> {
    match &request.body {
        RequestBody::Canonical(c) => Ok((**c).clone()),
        RequestBody::Wire(wire) => bitrouter_protocols::decode_request(
            wire.protocol,
            &wire.bytes,
            &RequestContext::default(),
        )
        .map_err(|e| ProviderError::Unsupported { message: e.message }),
    }
}

/// `host[:port]` as the HTTP client sends it (the port only when it is not the scheme's
/// default), which is what the signature must cover.
fn host_of(uri: &Uri) -> Option<String> {
    let host = uri.host()?;
    let default = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    Some(match uri.port_u16() {
        Some(port) if Some(port) != default => format!("{host}:{port}"),
        _ => host.to_owned(),
    })
}
