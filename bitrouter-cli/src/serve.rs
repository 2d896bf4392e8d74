//! `bitrouter serve`: the proxy in the foreground, reloading its configuration on SIGHUP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use bitrouter_server::LiveGateway;

use crate::{daemon, services, settings};

pub fn run(
    config: Option<&Path>,
    listen: Option<SocketAddr>,
    allow_open: bool,
) -> Result<ExitCode, String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let listen = settings::listen(listen, config)?;
    let file = settings::load(config, listen)?;
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let explicit = config.map(Path::to_path_buf);
    runtime.block_on(async move {
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
    })
}

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
