//! `bitrouter serve`: the proxy in the foreground, reloading its configuration on SIGHUP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use bitrouter_config::ConfigFile;
use bitrouter_server::LiveGateway;

use crate::{daemon, services, settings};

pub fn run(
    config: Option<&Path>,
    listen: Option<SocketAddr>,
    allow_open: bool,
) -> Result<ExitCode, String> {
    let listen = settings::listen(listen, config)?;
    let file = settings::load(config, listen)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let exporter = init_tracing(file.as_ref(), runtime.handle())?;
    let gateway = settings::gateway(file.as_ref(), listen)?;
    match &file {
        Some(f) => tracing::info!(path = %f.path.display(), "configuration loaded"),
        None => tracing::info!("no bitrouter.yaml: zero-config from the environment"),
    }
    if gateway.info().providers.is_empty() {
        tracing::warn!(
            "no provider is active: export OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OPENROUTER_API_KEY"
        );
    } else {
        tracing::info!(providers = ?gateway.info().providers, "providers active");
    }
    let explicit = config.map(Path::to_path_buf);
    let served = runtime.block_on(async move {
        let services = services::start(file.as_ref()).await?;
        let keys_required = services.keys.keys_required().await.map_err(|e| e.to_string())?;
        if !listen.ip().is_loopback() && !allow_open && !keys_required {
            return Err(format!(
                "refusing to listen on {listen} without virtual keys: anyone who can reach it could spend your upstream credits. \
                 Create a key (`bitrouter key create --user <id>`) or set auth.require_key: true; or pass --allow-open to accept the risk"
            ));
        }
        let gateway = gateway.with_keys(services.keys.clone()).with_ledger(services.ledger.clone());
        let server = gateway.bind().await.map_err(|e| e.to_string())?;
        let _pid = daemon::PidFile::write_if_daemon(server.local_addr(), explicit.as_deref())?;
        tokio::spawn(reload_on_hangup(server.live(), explicit, server.local_addr()));
        server.run(bitrouter_server::shutdown_signal()).await;
        // Every answered call has its ledger row queued: write them before exiting.
        if let Err(e) = services.ledger.shutdown().await {
            tracing::error!("the ledger could not be flushed: {e}");
        }
        tracing::info!(written = services.ledger.written(), dropped = services.ledger.dropped(), "ledger flushed");
        Ok(ExitCode::SUCCESS)
    });
    // The runtime still runs: the exporter's last requests go out on it.
    shutdown_tracing(exporter);
    served
}

/// What exports spans, to flush at exit.
#[cfg(feature = "otlp")]
type Exporter = Option<bitrouter_telemetry::otlp::OtlpPipeline>;
/// Without the `otlp` feature there is never one.
#[cfg(not(feature = "otlp"))]
type Exporter = Option<std::convert::Infallible>;

/// Logs to stderr (`RUST_LOG`, default `info`) and, when an OTLP endpoint is configured
/// (`telemetry.otlp.endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT`), spans to the collector.
fn init_tracing(
    file: Option<&ConfigFile>,
    runtime: &tokio::runtime::Handle,
) -> Result<Exporter, String> {
    use tracing_subscriber::prelude::*;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
        // The GenAI spans are for the exporter; the log has its own line per call.
        .add_directive(
            format!("{}=off", bitrouter_telemetry::SPAN_TARGET)
                .parse()
                .map_err(|e| format!("cannot filter the log: {e}"))?,
        );
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // The daemon's log is a file: colour codes only where a person reads a terminal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter);
    let otlp = file.and_then(|f| f.config.telemetry.otlp.as_ref());
    let exporter = start_exporter(otlp, runtime)?;
    tracing_subscriber::registry()
        .with(log)
        .with(exporter_layer(&exporter))
        .init();
    announce(otlp, &exporter);
    Ok(exporter)
}

#[cfg(feature = "otlp")]
fn start_exporter(
    otlp: Option<&bitrouter_config::OtlpConfig>,
    runtime: &tokio::runtime::Handle,
) -> Result<Exporter, String> {
    use bitrouter_telemetry::otlp::{OtlpPipeline, OtlpSettings};
    let settings = OtlpSettings::resolve(
        otlp.map(|o| o.endpoint.as_str()),
        otlp.is_some_and(|o| o.capture_content),
        &|name| std::env::var(name).ok(),
    );
    settings
        .map(|s| OtlpPipeline::start(&s, runtime.clone()))
        .transpose()
        .map_err(|e| e.to_string())
}

#[cfg(feature = "otlp")]
fn exporter_layer<S>(exporter: &Exporter) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a> + Send + Sync,
{
    exporter
        .as_ref()
        .map(bitrouter_telemetry::otlp::OtlpPipeline::layer)
}

#[cfg(feature = "otlp")]
fn announce(_otlp: Option<&bitrouter_config::OtlpConfig>, exporter: &Exporter) {
    if let Some(p) = exporter {
        let s = p.settings();
        tracing::info!(
            endpoint = %s.traces_endpoint,
            service = %s.service_name,
            capture_content = s.capture_content,
            "exporting traces over OTLP/HTTP"
        );
    }
}

/// Sends the spans still queued.
#[cfg(feature = "otlp")]
fn shutdown_tracing(exporter: Exporter) {
    if let Some(pipeline) = exporter {
        if let Err(e) = pipeline.shutdown() {
            tracing::warn!("{e}");
        }
    }
}

#[cfg(not(feature = "otlp"))]
fn start_exporter(
    _otlp: Option<&bitrouter_config::OtlpConfig>,
    _runtime: &tokio::runtime::Handle,
) -> Result<Exporter, String> {
    Ok(None)
}

#[cfg(not(feature = "otlp"))]
fn exporter_layer(_: &Exporter) -> tracing_subscriber::layer::Identity {
    tracing_subscriber::layer::Identity::new()
}

#[cfg(not(feature = "otlp"))]
fn announce(otlp: Option<&bitrouter_config::OtlpConfig>, _: &Exporter) {
    if otlp.is_some() {
        tracing::warn!(
            "telemetry.otlp is set, but this bitrouter was built without the `otlp` feature: no traces are exported"
        );
    }
}

#[cfg(not(feature = "otlp"))]
fn shutdown_tracing(_: Exporter) {}

/// On each SIGHUP: read the configuration again and put it in force; a file that does not
/// load or check is refused with its errors and the configuration in force stays.
async fn reload_on_hangup(live: Arc<LiveGateway>, explicit: Option<PathBuf>, listen: SocketAddr) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        tracing::warn!("cannot listen for SIGHUP: reload is unavailable");
        return;
    };
    while hangups.recv().await.is_some() {
        let explicit = explicit.clone();
        let rebuilt = tokio::task::spawn_blocking(move || {
            let file = settings::load(explicit.as_deref(), listen)?;
            settings::gateway(file.as_ref(), listen)
        })
        .await;
        match rebuilt {
            Ok(Ok(gateway)) => {
                live.replace(gateway);
                tracing::info!(reloads = live.reloads(), "configuration reloaded");
            }
            Ok(Err(e)) => {
                tracing::error!("reload refused, the previous configuration stays in force: {e}")
            }
            Err(e) => tracing::error!("reload failed: {e}"),
        }
    }
}
