use std::io::IsTerminal;

use clap::Parser;
use flexiapi::cli::{Cli, Command, run};
use flexiapi::config::Config;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("flexiapi: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    // Console commands print their result on stdout; their log stays quiet
    // unless RUST_LOG asks otherwise.
    let serving = matches!(cli.command, None | Some(Command::Serve { .. }));
    let filter = if serving || std::env::var_os("RUST_LOG").is_some() {
        config.log_filter.as_str()
    } else {
        "warn"
    };
    // Log lines are written by a dedicated thread, so a slow stderr (a
    // full pipe, a stalled journal) never blocks a request; the guard
    // flushes what is queued when `main` returns.
    let (writer, _log_flush_guard) = tracing_appender::non_blocking(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(writer)
        // Colours only for a person at a terminal, not in log files.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(cli, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("flexiapi: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
