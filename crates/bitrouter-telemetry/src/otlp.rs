//! Export of BitRouter's spans to an OpenTelemetry collector over OTLP/HTTP (protobuf).
//!
//! [`OtlpSettings::resolve`] decides whether to export at all (the config's
//! `telemetry.otlp.endpoint`, else the standard `OTEL_EXPORTER_OTLP_*` variables);
//! [`OtlpPipeline::start`] builds the exporter, and [`OtlpPipeline::layer`] is the
//! `tracing-subscriber` layer that turns [`CallSpan`](crate::CallSpan)s and
//! [`AttemptSpan`](crate::AttemptSpan)s into OpenTelemetry spans. Spans are batched and sent
//! by the SDK's own thread, never on the request path; [`OtlpPipeline::shutdown`] sends what
//! is left.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

use crate::spans::{SPAN_TARGET, set_capture_content};

/// How long one export may take before it is given up.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest collector answer read back.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Where and as what to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The full traces URL, e.g. `http://127.0.0.1:4318/v1/traces`.
    pub traces_endpoint: String,
    /// `service.name` on every span (`OTEL_SERVICE_NAME`, else `bitrouter`).
    pub service_name: String,
    /// Whether prompts go on spans.
    pub capture_content: bool,
}

impl OtlpSettings {
    /// The settings in force, or `None` when nothing asks for export.
    ///
    /// `endpoint` is the config's collector base URL (`/v1/traces` is appended); without it,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// (`/v1/traces` appended) from `env`. `OTEL_SDK_DISABLED=true` turns export off.
    pub fn resolve(
        endpoint: Option<&str>,
        capture_content: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Self> {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if set("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return None;
        }
        let base = |url: &str| format!("{}/v1/traces", url.trim().trim_end_matches('/'));
        let traces_endpoint = match endpoint.filter(|e| !e.trim().is_empty()) {
            Some(e) => base(e),
            None => match set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
                Some(e) => e.trim().to_owned(),
                None => base(&set("OTEL_EXPORTER_OTLP_ENDPOINT")?),
            },
        };
        Some(Self {
            traces_endpoint,
            service_name: set("OTEL_SERVICE_NAME").unwrap_or_else(|| "bitrouter".into()),
            capture_content,
        })
    }
}

/// The exporter could not be built.
#[derive(Debug)]
pub struct OtlpError {
    message: String,
}

impl std::fmt::Display for OtlpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OtlpError {}

/// A running OTLP trace export.
#[derive(Debug)]
pub struct OtlpPipeline {
    provider: SdkTracerProvider,
    settings: OtlpSettings,
}

impl OtlpPipeline {
    /// Builds the exporter; its HTTP requests run on `runtime`.
    pub fn start(
        settings: &OtlpSettings,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, OtlpError> {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(ExportClient::new(runtime))
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(settings.traces_endpoint.clone())
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|e| OtlpError {
                message: format!(
                    "cannot export traces to `{}`: {e}; check telemetry.otlp.endpoint or OTEL_EXPORTER_OTLP_ENDPOINT",
                    settings.traces_endpoint
                ),
            })?;
        let resource = Resource::builder()
            .with_service_name(settings.service_name.clone())
            .with_attribute(opentelemetry::KeyValue::new(
                "service.version",
                env!("CARGO_PKG_VERSION"),
            ))
            .build();
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        set_capture_content(settings.capture_content);
        Ok(Self {
            provider,
            settings: settings.clone(),
        })
    }

    /// What this pipeline was started with.
    pub fn settings(&self) -> &OtlpSettings {
        &self.settings
    }

    /// The layer that records BitRouter's spans (target [`SPAN_TARGET`]) and nothing else.
    pub fn layer<S>(&self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    {
        tracing_opentelemetry::layer()
            .with_tracer(self.provider.tracer("bitrouter"))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_level(false)
            .with_tracked_inactivity(false)
            .with_filter(Targets::new().with_target(SPAN_TARGET, tracing::Level::INFO))
    }

    /// Sends every finished span now. Blocks: call it off the async runtime's threads.
    pub fn flush(&self) -> Result<(), OtlpError> {
        self.provider.force_flush().map_err(|e| OtlpError {
            message: format!("could not send the pending spans: {e}"),
        })
    }

    /// Sends what is left and stops the export thread. Blocks like [`Self::flush`].
    pub fn shutdown(self) -> Result<(), OtlpError> {
        self.provider.shutdown().map_err(|e| OtlpError {
            message: format!("could not send the last spans: {e}"),
        })
    }
}

/// The exporter's HTTP client: hyper with the same rustls stack as the upstream client.
///
/// The SDK exports from its own thread with a minimal executor, so each request is spawned on
/// the tokio runtime that owns hyper's I/O and awaited from there.
#[derive(Debug, Clone)]
struct ExportClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    runtime: tokio::runtime::Handle,
}

impl ExportClient {
    fn new(runtime: tokio::runtime::Handle) -> Self {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(5)));
        let https = HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(https);
        Self { client, runtime }
    }
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for ExportClient {
    async fn send_bytes(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, opentelemetry_http::HttpError> {
        let client = self.client.clone();
        let exchange = async move {
            let response = client.request(request.map(Full::new)).await?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_ANSWER_BYTES).collect().await?;
            Ok::<_, opentelemetry_http::HttpError>(http::Response::from_parts(
                parts,
                body.to_bytes(),
            ))
        };
        // The timer is made inside the task: it needs the runtime's context.
        let task = self
            .runtime
            .spawn(async move { tokio::time::timeout(EXPORT_TIMEOUT, exchange).await });
        match task.await? {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the collector did not answer within {} s",
                EXPORT_TIMEOUT.as_secs()
            )
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(endpoint: Option<&str>, vars: &[(&str, &str)]) -> Option<String> {
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        OtlpSettings::resolve(endpoint, false, &env).map(|s| s.traces_endpoint)
    }

    #[test]
    fn the_config_endpoint_wins_and_gets_the_traces_path() {
        let vars = [("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318")];
        assert_eq!(
            resolve(Some("http://127.0.0.1:4318/"), &vars).as_deref(),
            Some("http://127.0.0.1:4318/v1/traces")
        );
    }

    #[test]
    fn the_standard_variables_are_read() {
        assert_eq!(
            resolve(None, &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]).as_deref(),
            Some("http://c:4318/v1/traces")
        );
        let both = [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:4318/custom"),
        ];
        assert_eq!(
            resolve(None, &both).as_deref(),
            Some("http://t:4318/custom")
        );
    }

    #[test]
    fn nothing_configured_or_disabled_means_no_export() {
        assert_eq!(resolve(None, &[]), None);
        assert_eq!(resolve(Some(" "), &[]), None);
        let disabled = [
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
        ];
        assert_eq!(resolve(None, &disabled), None);
    }

    #[test]
    fn the_service_name_defaults_to_bitrouter() {
        let env = |name: &str| (name == "OTEL_SERVICE_NAME").then(|| "edge-router".to_owned());
        let named = OtlpSettings::resolve(Some("http://c"), true, &env);
        assert_eq!(
            named.map(|s| (s.service_name, s.capture_content)),
            Some(("edge-router".to_owned(), true))
        );
        let unnamed = OtlpSettings::resolve(Some("http://c"), false, &|_| None);
        assert_eq!(
            unnamed.map(|s| s.service_name).as_deref(),
            Some("bitrouter")
        );
    }
}
