//! Console commands (SPEC §4): the Rust-style names of the PHP `artisan`
//! commands. Each prints its result on stdout, a one-line error on stderr.

use std::net::SocketAddr;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

#[derive(Parser, Debug)]
#[command(
    name = "flexiapi",
    version,
    about = "Account manager of a Flexisip SIP service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Apply migrations, then serve the API (the default).
    Serve {
        /// Address to listen on (overrides APP_LISTEN).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Devices registered with Flexisip's registrar.
    Devices {
        #[command(subcommand)]
        command: crate::registrar::cli::DevicesCommand,
    },
}

/// Runs the parsed command; the error is printed by `main` as one line.
pub async fn run(cli: Cli, mut config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve { listen: None }) {
        Command::Serve { listen } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            let listen = config.listen;
            let state = AppState::build(config, Clock::system()).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
            tracing::info!(address = %listen, "flexiapi listening");
            crate::serve(listener, state).await?;
            Ok(())
        }
        Command::Migrate => {
            let db = crate::db::connect(&config.database_url).await?;
            crate::db::migrate(&db).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Devices { command } => {
            crate::registrar::cli::run(command, &config, &Clock::system()).await
        }
    }
}
