//! A standalone fake upstream (OpenAI Chat Completions by default; `--protocol` picks another)
//! for out-of-process clients (SDK tests, load benchmarks).
//!
//! Run with: `cargo run -p bitrouter-test-support --bin fake-upstream -- --listen 127.0.0.1:0`
//!
//! Prints exactly one line, `listening on http://127.0.0.1:PORT`, then serves the default echo
//! behaviour until killed. Requests are not recorded, so memory stays flat under load.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use bitrouter_test_support::{DEFAULT_API_KEY, FakeProtocol, FakeUpstream};

const USAGE: &str = "usage: fake-upstream [--listen 127.0.0.1:0] [--api-key sk-test] \
                     [--token-delay-ms N] [--protocol openai_chat|openai_responses|\
                     anthropic_messages|google_generate_content]";

#[derive(Debug)]
struct Options {
    listen: SocketAddr,
    protocol: FakeProtocol,
    api_key: String,
    token_delay: Duration,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        protocol: FakeProtocol::default(),
        api_key: DEFAULT_API_KEY.to_owned(),
        token_delay: Duration::ZERO,
    };
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                options.listen = text
                    .parse()
                    .map_err(|error| format!("--listen {text}: {error}; expected IP:PORT"))?;
            }
            "--api-key" => options.api_key = value()?,
            "--protocol" => {
                let text = value()?;
                options.protocol = FakeProtocol::from_name(&text)
                    .ok_or_else(|| format!("--protocol {text}: unknown protocol\n{USAGE}"))?;
            }
            "--token-delay-ms" => {
                let text = value()?;
                let millis: u64 = text
                    .parse()
                    .map_err(|error| format!("--token-delay-ms {text}: {error}"))?;
                options.token_delay = Duration::from_millis(millis);
            }
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(options)
}

async fn run(options: Options) -> Result<(), String> {
    let upstream = FakeUpstream::builder()
        .listen(options.listen)
        .protocol(options.protocol)
        .api_key(options.api_key)
        .token_delay(options.token_delay)
        .record_requests(false)
        .start()
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", options.listen))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on http://{}", upstream.addr())
        .and_then(|()| stdout.flush())
        .map_err(|error| format!("cannot write to stdout: {error}"))?;
    drop(stdout);
    tokio::signal::ctrl_c()
        .await
        .map_err(|error| format!("cannot wait for Ctrl-C: {error}"))?;
    upstream.shutdown().await;
    Ok(())
}

fn main() -> ExitCode {
    let result = parse(std::env::args().skip(1)).and_then(|options| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("cannot start the runtime: {error}"))?
            .block_on(run(options))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ignored = writeln!(std::io::stderr(), "fake-upstream: {message}");
            ExitCode::FAILURE
        }
    }
}
