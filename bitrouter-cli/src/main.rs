//! The `bitrouter` binary: parses arguments and calls into the server crate.
#![expect(clippy::print_stdout, reason = "a CLI prints its results on stdout")]

mod daemon;
mod health;
mod home;
mod route;

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// BitRouter: a local LLM router for AI agents.
#[derive(Debug, Parser)]
#[command(name = "bitrouter", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the proxy in the foreground (Ctrl-C or SIGTERM drains in-flight requests).
    Serve(ListenArgs),
    /// Run the proxy in the background; returns once it answers.
    Start(ListenArgs),
    /// Stop the background proxy, letting in-flight requests finish.
    Stop(StopArgs),
    /// Stop, then start the background proxy.
    Restart(ListenArgs),
    /// Show whether the background proxy runs, where, and what it serves.
    Status(JsonArg),
    /// Show how a model name resolves: provider, upstream model, protocol, and why.
    Route {
        /// The model name, e.g. `gpt-4o-mini` or `openai:gpt-4o-mini`.
        model: String,
        #[command(flatten)]
        json: JsonArg,
    },
}

#[derive(Debug, clap::Args)]
struct ListenArgs {
    /// Address to listen on.
    #[arg(long, default_value = bitrouter_server::DEFAULT_LISTEN, env = "BITROUTER_LISTEN")]
    listen: SocketAddr,
    #[command(flatten)]
    json: JsonArg,
}

#[derive(Debug, clap::Args)]
struct StopArgs {
    /// Seconds to wait for in-flight requests before giving up.
    #[arg(long, default_value_t = 630)]
    timeout: u64,
    #[command(flatten)]
    json: JsonArg,
}

#[derive(Debug, clap::Args, Clone, Copy)]
struct JsonArg {
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args.listen),
        Command::Start(args) => daemon::start(args.listen, args.json.json),
        Command::Stop(args) => daemon::stop(args.timeout, args.json.json),
        Command::Restart(args) => daemon::restart(args.listen, args.json.json),
        Command::Status(args) => daemon::status(args),
        Command::Route { model, json } => route::route(&model, json.json),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(listen: SocketAddr) -> Result<ExitCode, String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let config = bitrouter_server::ServerConfig { listen, ..Default::default() };
        let gateway = bitrouter_server::Gateway::from_env(config, &|k| std::env::var(k).ok())
            .map_err(|e| e.to_string())?;
        if gateway.info().providers.is_empty() {
            tracing::warn!(
                "no provider is active: export OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OPENROUTER_API_KEY"
            );
        } else {
            tracing::info!(providers = ?gateway.info().providers, "providers active");
        }
        let server = gateway.bind().await.map_err(|e| e.to_string())?;
        let _pid = daemon::PidFile::write_if_daemon(server.local_addr())?;
        server.run(bitrouter_server::shutdown_signal()).await;
        Ok(ExitCode::SUCCESS)
    })
}
