//! The `bitrouter` binary: parses arguments and calls into the server crate.
#![expect(clippy::print_stdout, reason = "a CLI prints its results on stdout")]

mod config_cmd;
mod daemon;
mod db;
mod health;
mod home;
mod key_view;
mod keys;
mod login;
mod route;
mod serve;
mod services;
mod settings;
mod table;
mod time_args;
mod top;
mod usage;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// BitRouter: a local LLM router for AI agents.
#[derive(Debug, Parser)]
#[command(name = "bitrouter", version, about, propagate_version = true)]
struct Cli {
    /// The configuration file (default: ./bitrouter.yaml, then $BITROUTER_HOME/bitrouter.yaml,
    /// else zero-config from the environment).
    #[arg(short = 'c', long = "config", global = true, env = "BITROUTER_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the proxy in the foreground (Ctrl-C or SIGTERM drains in-flight requests; SIGHUP
    /// reloads the configuration).
    Serve(ListenArgs),
    /// Run the proxy in the background; returns once it answers.
    Start(ListenArgs),
    /// Stop the background proxy, letting in-flight requests finish.
    Stop(StopArgs),
    /// Stop, then start the background proxy.
    Restart(ListenArgs),
    /// Show whether the background proxy runs, where, and how it is doing: uptime, requests
    /// and errors per minute, spend today, each provider's health.
    Status(StatusArgs),
    /// The live view of `status`, redrawn until Ctrl-C (same as `status --watch`).
    Top(WatchArgs),
    /// Apply a changed configuration file to the running proxy without dropping requests.
    Reload(JsonArg),
    /// Show how a model name resolves: provider, upstream model, protocol, price, health, why.
    Route {
        /// The model name, e.g. `gpt-4o-mini`, `openai:gpt-4o-mini` or a virtual model.
        model: String,
        #[command(flatten)]
        json: JsonArg,
    },
    /// Write a commented bitrouter.yaml listing the providers found in the environment.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check or describe the configuration file.
    #[command(subcommand)]
    Config(ConfigAction),
    /// Manage virtual keys (`brvk_…`): create, list, show, update, revoke, rotate.
    #[command(subcommand)]
    Key(keys::KeyAction),
    /// Users group keys and can carry a budget of their own.
    #[command(subcommand)]
    User(users::UserAction),
    /// The database schema.
    #[command(subcommand)]
    Db(db::DbAction),
    /// Token and cost totals from the request ledger, grouped.
    Usage(usage::UsageArgs),
    /// Recent calls from the request ledger, newest first.
    Logs(usage::LogsArgs),
    /// Sign in to a subscription provider (copilot, codex, claude, bitrouter); prints a URL
    /// and code, never needs a browser on this machine.
    Login {
        /// The provider: copilot, codex, claude or bitrouter.
        provider: String,
        /// Do not listen on the loopback redirect port; paste the redirected URL instead.
        #[arg(long)]
        no_listen: bool,
        /// The BitRouter Cloud address (for `bitrouter`).
        #[arg(long, env = "BITROUTER_CLOUD_URL")]
        cloud_url: Option<String>,
    },
    /// Sign out of a subscription provider: its stored tokens are deleted.
    Logout {
        /// The provider: copilot, codex, claude or bitrouter.
        provider: String,
    },
    /// Sign in to, out of, or check BitRouter Cloud.
    #[command(subcommand)]
    Auth(AuthAction),
    /// List providers and whether they are active, and why.
    #[command(subcommand)]
    Providers(ProvidersAction),
}

#[derive(Debug, Subcommand)]
enum AuthAction {
    /// Sign in to BitRouter Cloud with the device flow.
    Login(CloudArg),
    /// Sign out of BitRouter Cloud.
    Logout,
    /// Show who is signed in to BitRouter Cloud.
    Whoami {
        #[command(flatten)]
        cloud: CloudArg,
        #[command(flatten)]
        json: JsonArg,
    },
}

#[derive(Debug, clap::Args)]
struct CloudArg {
    /// The BitRouter Cloud address.
    #[arg(long, env = "BITROUTER_CLOUD_URL")]
    cloud_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ProvidersAction {
    /// Every built-in and reserved provider: active (and why), inactive (and what would
    /// switch it on), expired or needing a login.
    List(JsonArg),
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Check the file: every problem with its line and a fix.
    Validate(JsonArg),
    /// Print the JSON schema of bitrouter.yaml.
    Schema,
}

#[derive(Debug, clap::Args)]
struct ListenArgs {
    /// Address to listen on (default: server.listen from the file, else 127.0.0.1:4356).
    #[arg(long, env = "BITROUTER_LISTEN")]
    listen: Option<SocketAddr>,
    /// Listen on a non-loopback address even though no virtual key is required.
    #[arg(long)]
    allow_open: bool,
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

#[derive(Debug, clap::Args)]
struct StatusArgs {
    /// Redraw the view every interval until Ctrl-C, like `bitrouter top`.
    #[arg(long)]
    watch: bool,
    #[command(flatten)]
    every: WatchArgs,
}

#[derive(Debug, clap::Args)]
struct WatchArgs {
    /// How often to redraw: `2s`, `1m`, `500ms`.
    #[arg(long, default_value = "2s")]
    interval: String,
    /// Stop after this many views (for scripts; when stdout is not a terminal each view is
    /// printed in turn instead of redrawn).
    #[arg(long)]
    iterations: Option<u64>,
    #[command(flatten)]
    json: JsonArg,
}

impl WatchArgs {
    fn watch(&self) -> Result<top::Watch, String> {
        Ok(top::Watch {
            interval: top::interval(&self.interval)?,
            iterations: self.iterations,
            json: self.json.json,
        })
    }
}

#[derive(Debug, clap::Args, Clone, Copy)]
struct JsonArg {
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.as_deref();
    let result = match cli.command {
        Command::Serve(args) => serve::run(config, args.listen, args.allow_open),
        Command::Start(args) => daemon::start(config, args.listen, args.allow_open, args.json.json),
        Command::Stop(args) => daemon::stop(args.timeout, args.json.json),
        Command::Restart(args) => {
            daemon::restart(config, args.listen, args.allow_open, args.json.json)
        }
        Command::Status(args) if args.watch => args.every.watch().and_then(top::run),
        Command::Status(args) => daemon::status(args.every.json),
        Command::Top(args) => args.watch().and_then(top::run),
        Command::Reload(args) => daemon::reload(config, args),
        Command::Route { model, json } => route::route(config, &model, json.json),
        Command::Init { force } => config_cmd::init(config, force),
        Command::Config(ConfigAction::Validate(args)) => config_cmd::validate(config, args.json),
        Command::Config(ConfigAction::Schema) => config_cmd::schema(),
        Command::Key(action) => keys::run(config, action),
        Command::User(action) => users::run(config, action),
        Command::Db(action) => db::run(config, action),
        Command::Usage(args) => usage::usage(config, args),
        Command::Logs(args) => usage::logs(config, args),
        Command::Login {
            provider,
            no_listen,
            cloud_url,
        } => login::login(&provider, no_listen, cloud_url.as_deref()),
        Command::Logout { provider } => login::logout(&provider),
        Command::Auth(AuthAction::Login(c)) => {
            login::login("bitrouter", true, c.cloud_url.as_deref())
        }
        Command::Auth(AuthAction::Logout) => login::logout("bitrouter"),
        Command::Auth(AuthAction::Whoami { cloud, json }) => {
            login::whoami(cloud.cloud_url.as_deref(), json.json)
        }
        Command::Providers(ProvidersAction::List(args)) => login::providers_list(args.json),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
