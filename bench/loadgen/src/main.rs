//! `bench-client`: the measuring client of BitRouter's load benchmark (`bench/run.sh`).
//!
//! Run with: `cargo run --release -p bitrouter-bench -- load --url http://127.0.0.1:PORT/v1/chat/completions --body '{…}' --stream`
//!
//! `oha` measures plain requests; this client adds what it cannot: time to first byte of
//! event streams, many concurrently open streams with the server's memory sampled meanwhile,
//! and start-up time to the first `/health` 200. It prints one JSON object per run.
#![expect(
    clippy::print_stdout,
    reason = "a benchmark tool prints its results on stdout"
)]

mod client;
mod load;
mod report;
mod startup;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "bench-client", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send requests over keep-alive connections and print latency percentiles as JSON.
    Load(LoadArgs),
    /// Time a server's start until GET /health answers 200, several times.
    Startup {
        /// How many starts to time.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Give up on one start after this many milliseconds.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        /// The command; `{port}` is replaced by a free loopback port.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Print a free loopback port.
    FreePort,
    /// Print the results table (markdown) from the JSON lines `run.sh` collected.
    Report {
        /// The JSON-lines file.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct LoadArgs {
    /// `http://IP:PORT/path` (loopback; no TLS).
    #[arg(long)]
    url: String,
    /// The JSON request body (POST); empty means GET.
    #[arg(long, default_value = "")]
    body: String,
    /// `name: value`, repeatable.
    #[arg(long = "header", short = 'H')]
    headers: Vec<String>,
    /// Open connections (closed loop: each sends its next request when the last ended).
    #[arg(long, short = 'c', default_value_t = 1)]
    concurrency: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds first, on the same connections.
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Send exactly this many requests, no warm-up (e.g. one long stream per connection).
    #[arg(long)]
    requests: Option<u64>,
    /// Fixed request rate per second (open loop) instead of a closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// Sample this process's VmRSS during the run and report the peak.
    #[arg(long)]
    pid: Option<u32>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))
        .and_then(|runtime| runtime.block_on(run(cli.command)));
    match result {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("bench-client: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<String, String> {
    match command {
        Command::Load(args) => {
            let method = if args.body.is_empty() {
                http::Method::GET
            } else {
                http::Method::POST
            };
            let target = client::Target::parse(&args.url, method, &args.headers, args.body)?;
            let plan = load::Plan {
                concurrency: args.concurrency.max(1),
                duration: seconds(args.duration, "--duration")?,
                warmup: seconds(args.warmup, "--warmup")?,
                requests: args.requests,
                rate: args.rate,
                pid: args.pid,
            };
            Ok(load::run(target, plan).await.to_string())
        }
        Command::Startup {
            runs,
            timeout_ms,
            command,
        } => {
            let report =
                startup::measure(&command, runs.max(1), Duration::from_millis(timeout_ms)).await?;
            Ok(report.to_string())
        }
        Command::FreePort => startup::free_port().map(|port| port.to_string()),
        Command::Report { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
            report::render(&text)
        }
    }
}

fn seconds(value: f64, flag: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|error| format!("{flag} {value}: {error}"))
}
