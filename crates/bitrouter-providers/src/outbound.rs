//! Building the upstream request: URL, headers and body for the target's protocol.

use bitrouter_core::{ChatRequest, Protocol, ProviderError, ProviderRequest, RequestBody};
use bitrouter_protocols::{RequestContext, peek_body, with_field, with_model};
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method, Request};
use http_body_util::Full;

use crate::builtin::AuthStyle;
use crate::settings::ProviderSettings;

const USER_AGENT_VALUE: &str = concat!("bitrouter/", env!("CARGO_PKG_VERSION"));
const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The upstream URL for a call.
pub(crate) fn url(
    settings: &ProviderSettings,
    protocol: Protocol,
    model: &str,
    stream: bool,
) -> String {
    let base = settings.api_base.as_str();
    match protocol {
        Protocol::OpenaiChat => format!("{base}/chat/completions"),
        Protocol::OpenaiResponses => format!("{base}/responses"),
        Protocol::AnthropicMessages => format!("{base}/messages"),
        Protocol::GoogleGenerateContent if stream => {
            format!("{base}/models/{model}:streamGenerateContent?alt=sse")
        }
        Protocol::GoogleGenerateContent => format!("{base}/models/{model}:generateContent"),
    }
}

/// The body in the target's protocol: the client's bytes with the model spliced in when the
/// protocols match, a translation otherwise.
pub(crate) fn body(request: &ProviderRequest) -> Result<Bytes, ProviderError> {
    let target = &request.target;
    let canonical = match &request.body {
        RequestBody::Wire(wire) if wire.protocol == target.protocol => {
            return passthrough(&wire.bytes, target.protocol, &target.model, request.stream);
        }
        // A gateway that serves each model on one protocol may get a body in another one;
        // the URL's model and stream flag are the target's.
        RequestBody::Wire(wire) => bitrouter_protocols::decode_request(
            wire.protocol,
            &wire.bytes,
            &RequestContext {
                path_model: Some(&target.model),
                path_stream: request.stream,
            },
        )
        .map_err(|e| ProviderError::Unsupported { message: e.message })?,
        RequestBody::Canonical(c) => (**c).clone(),
    };
    encode(canonical, target.protocol, &target.model, request.stream)
}

fn encode(
    mut canonical: ChatRequest,
    protocol: Protocol,
    model: &str,
    stream: bool,
) -> Result<Bytes, ProviderError> {
    canonical.model = model.to_owned();
    canonical.stream = stream;
    bitrouter_protocols::encode_request(protocol, &canonical)
        .map(Bytes::from)
        .map_err(|e| ProviderError::Unsupported {
            message: format!("cannot translate the request to {protocol}: {}", e.message),
        })
}

fn passthrough(
    bytes: &Bytes,
    protocol: Protocol,
    model: &str,
    stream: bool,
) -> Result<Bytes, ProviderError> {
    let peek = peek_body(bytes).map_err(|e| ProviderError::Unsupported { message: e.message })?;
    if protocol == Protocol::GoogleGenerateContent {
        // The model is in the URL; the body goes as it came.
        return Ok(bytes.clone());
    }
    let mut out = if peek.model.as_deref() == Some(model) {
        bytes.to_vec()
    } else {
        with_model(bytes, &peek, model)
    };
    if protocol == Protocol::OpenaiChat && stream {
        // Ask for usage even when the client did not, so it is never lost; the server drops
        // the extra chunk for clients that did not ask.
        let peek =
            peek_body(&out).map_err(|e| ProviderError::Unsupported { message: e.message })?;
        out = match peek.span("stream_options") {
            None => with_field(&out, &peek, "stream_options", br#"{"include_usage":true}"#),
            Some(span) => {
                let mut options: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_slice(&out[span.clone()]).unwrap_or_default();
                if options.get("include_usage") == Some(&serde_json::Value::Bool(true)) {
                    out
                } else {
                    options.insert("include_usage".into(), serde_json::Value::Bool(true));
                    let raw = serde_json::Value::Object(options).to_string();
                    bitrouter_protocols::splice(&out, span, raw.as_bytes())
                }
            }
        };
    }
    Ok(Bytes::from(out))
}

/// The full HTTP request.
pub(crate) fn http_request(
    settings: &ProviderSettings,
    api_key: &str,
    request: &ProviderRequest,
    body: Bytes,
) -> Result<Request<Full<Bytes>>, ProviderError> {
    let target = &request.target;
    let uri = url(settings, target.protocol, &target.model, request.stream);
    let mut builder = Request::builder().method(Method::POST).uri(&uri);
    let headers = builder
        .headers_mut()
        .ok_or_else(|| bad_base(settings, &uri))?;
    headers.extend(request.headers.clone());
    add_headers(headers, settings, api_key, target.protocol, request.stream)?;
    extra(headers, &request.headers, settings, target.protocol)?;
    builder
        .body(Full::new(body))
        .map_err(|_| bad_base(settings, &uri))
}

fn add_headers(
    headers: &mut HeaderMap,
    settings: &ProviderSettings,
    api_key: &str,
    protocol: Protocol,
    stream: bool,
) -> Result<(), ProviderError> {
    let value = |v: &str| {
        HeaderValue::from_str(v).map_err(|_| ProviderError::Config {
            message: format!(
                "provider `{}`: a header value holds characters HTTP does not allow (check the API key for stray newlines)",
                settings.id
            ),
        })
    };
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    if stream {
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    } else {
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    }
    // A local server without keys (Ollama, LM Studio) gets no credentials at all.
    if api_key.is_empty() {
        return Ok(());
    }
    match settings.auth.for_protocol(protocol) {
        AuthStyle::Bearer => {
            let mut v = value(&format!("Bearer {api_key}"))?;
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
        AuthStyle::XApiKey => {
            let mut v = value(api_key)?;
            v.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-api-key"), v);
        }
        AuthStyle::XGoogApiKey => {
            let mut v = value(api_key)?;
            v.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-goog-api-key"), v);
        }
        // `for_protocol` never answers `PerProtocol`.
        AuthStyle::PerProtocol => {}
    }
    Ok(())
}

/// The protocol's fixed headers and the provider's configured ones. A header the client
/// sent (only those the server forwards reach here) keeps the client's value.
fn extra(
    headers: &mut HeaderMap,
    from_client: &HeaderMap,
    settings: &ProviderSettings,
    protocol: Protocol,
) -> Result<(), ProviderError> {
    if protocol == Protocol::AnthropicMessages && !headers.contains_key("anthropic-version") {
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
    }
    for (name, v) in &settings.extra_headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| ProviderError::Config {
            message: format!(
                "provider `{}`: `{name}` is not a valid header name",
                settings.id
            ),
        })?;
        if from_client.contains_key(&name) {
            continue;
        }
        let v = HeaderValue::from_str(v.trim()).map_err(|_| ProviderError::Config {
            message: format!(
                "provider `{}`: the value of header `{name}` holds characters HTTP does not allow",
                settings.id
            ),
        })?;
        headers.insert(name, v);
    }
    Ok(())
}

fn bad_base(settings: &ProviderSettings, uri: &str) -> ProviderError {
    ProviderError::Config {
        message: format!(
            "provider `{}`: `{uri}` is not a valid URL; check api_base (e.g. https://api.openai.com/v1)",
            settings.id
        ),
    }
}
