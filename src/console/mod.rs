//! The console: the Rust-style names of the PHP `artisan` commands (see
//! the README). Each prints its result on stdout, a one-line error on
//! stderr. This module parses the command line and dispatches; each
//! command group lives in its own file.

mod account_state;
mod accounts;
mod audit;
mod db;
mod devices;
mod digest;
mod error_line;
mod seed;

pub use accounts::AccountsCommand;
pub use audit::AuditCommand;
pub use db::DbCommand;
pub use devices::DevicesCommand;
pub use digest::DigestCommand;

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
    /// Manage accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Manage Digest state.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Databases: what one holds, and the import of a PHP FlexiAPI's.
    #[command(subcommand)]
    Db(DbCommand),
    /// The audit log of admin actions.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the OpenAPI 3.1 document of the HTTP API (as served at
    /// /api/openapi.json) and exit.
    Openapi,
    /// Devices registered with Flexisip's registrar.
    Devices {
        #[command(subcommand)]
        command: DevicesCommand,
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
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
            tracing::info!(address = %listen, "flexiapi listening");
            let metrics_listener = match config.metrics_listen {
                None => None,
                Some(address) => {
                    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
                        anyhow::anyhow!("METRICS_LISTEN: cannot listen on {address}: {e}")
                    })?;
                    tracing::info!(%address, "serving /metrics");
                    Some(listener)
                }
            };
            let limits = config.connections.clone();
            crate::server::serve_when_ready(listener, &limits, async {
                let state = AppState::build_waiting_for_database(config, Clock::system()).await?;
                tokio::spawn(crate::audit::prune_periodically(state.clone()));
                if let Some(listener) = metrics_listener {
                    crate::server::spawn_metrics(listener, state.clone());
                }
                // A hint only: a failure here must not stop the start.
                if let Ok(false) = crate::db::accounts::any_admin(&state.db).await {
                    tracing::info!(
                        "no admin account yet: create one with `flexiapi accounts create \
                         USERNAME --password-stdin --activated --admin --api-key`"
                    );
                }
                Ok(state)
            })
            .await
        }
        Command::Openapi => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match writeln!(out, "{}", crate::api::openapi::json()) {
                // `flexiapi openapi | head` is not a failure.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
        Command::Accounts(command) => {
            let state = AppState::build(config, Clock::system()).await?;
            accounts::run(&state, command).await
        }
        Command::Audit(command) => {
            let state = AppState::build(config, Clock::system()).await?;
            audit::run(&state, command).await
        }
        Command::Digest(DigestCommand::ClearNonces { minutes }) => {
            let state = AppState::build(config, Clock::system()).await?;
            digest::clear_nonces(&state, minutes).await
        }
        Command::Migrate => {
            let db = crate::db::connect_with(&config.database_url, &config.db_pool).await?;
            crate::db::migrate(&db).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Db(command) => db::run(&config, command).await,
        Command::Devices { command } => devices::run(command, &config, &Clock::system()).await,
    }
}
