//! `flexiapi-load`: the load tool of `scripts/bench`.
//!
//! `seed` fills a database with N accounts in batched inserts and prints
//! the credentials of the bench accounts as JSON; `run` drives a running
//! server with N closed-loop workers for T seconds per scenario and prints
//! one JSON line per scenario (rps, latency percentiles, status counts);
//! `report` turns those lines into the Markdown table of docs/performance.md.
//! It talks only to the URL it is given; every loop is bounded in time.

mod cpu;
mod http;
mod report;
mod scenario;
mod seed;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use scenario::Scenario;

#[derive(Parser)]
#[command(name = "flexiapi-load", about = "Load tool of flexiapi's benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrates DATABASE_URL, adds ACCOUNTS bench accounts (once) and prints
    /// the credentials `run` needs.
    Seed {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        accounts: u32,
        #[arg(long, env = "APP_SIP_DOMAIN", default_value = "sip.example.org")]
        domain: String,
    },
    /// Runs the scenarios against URL, one JSON line each on stdout.
    Run {
        /// Base URL of the server, e.g. http://127.0.0.1:8000
        #[arg(long)]
        url: String,
        /// The JSON that `seed` printed.
        #[arg(long)]
        credentials: PathBuf,
        #[arg(long, default_value_t = 16)]
        workers: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Unmeasured seconds before each scenario.
        #[arg(long, default_value_t = 1)]
        warmup: u64,
        /// Comma-separated scenario names; all when absent.
        #[arg(long, value_delimiter = ',')]
        scenarios: Vec<Scenario>,
        /// The server's process id, to report the CPU it spent.
        #[arg(long)]
        server_pid: Option<u32>,
    },
    /// Prints the Markdown table of a run's JSON lines.
    Report {
        /// The JSON lines of `run`.
        results: PathBuf,
        /// The JSON lines of the same run on a small database, to compare.
        #[arg(long)]
        small: Option<PathBuf>,
        /// The server's peak resident set size (VmHWM), in kB.
        #[arg(long)]
        peak_rss_kb: Option<u64>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed {
            database_url,
            accounts,
            domain,
        } => {
            let credentials = seed::seed(&database_url, accounts, &domain).await?;
            println!("{}", serde_json::to_string(&credentials)?);
        }
        Command::Run {
            url,
            credentials,
            workers,
            seconds,
            warmup,
            scenarios,
            server_pid,
        } => {
            let credentials: seed::Credentials =
                serde_json::from_str(&std::fs::read_to_string(&credentials)?)?;
            let target = http::Target::parse(&url)?;
            let scenarios = if scenarios.is_empty() {
                Scenario::ALL.to_vec()
            } else {
                scenarios
            };
            for scenario in scenarios {
                let report = scenario::run(
                    scenario,
                    &target,
                    &credentials,
                    workers,
                    Duration::from_secs(warmup),
                    Duration::from_secs(seconds),
                    server_pid,
                )
                .await?;
                println!("{}", serde_json::to_string(&report)?);
            }
        }
        Command::Report {
            results,
            small,
            peak_rss_kb,
        } => print!(
            "{}",
            report::markdown(&results, small.as_deref(), peak_rss_kb)?
        ),
    }
    Ok(())
}
