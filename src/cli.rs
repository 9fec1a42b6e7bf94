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
        command: crate::registrar::cli::DevicesCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// Create an account and print it as JSON (artisan accounts:create).
    Create {
        username: String,
        #[arg(
            long,
            conflicts_with = "password_stdin",
            required_unless_present = "password_stdin"
        )]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// SIP domain (default: APP_SIP_DOMAIN).
        #[arg(long)]
        domain: Option<String>,
        #[arg(long, default_value = "SHA-256")]
        algorithm: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        activated: bool,
        #[arg(long)]
        admin: bool,
        /// Also generate an API key, printed as "api_key".
        #[arg(long)]
        api_key: bool,
    },
    /// Give an account the admin role (artisan accounts:set-admin).
    SetAdmin { id: i32 },
    /// Print a new API key for an account, replacing its old one.
    ApiKey { sip_address: String },
    /// Delete the API keys issued to devices and unused for MINUTES
    /// (default: APP_API_KEY_EXPIRATION_MINUTES), and those past their own
    /// expiry; panel and console keys stay (artisan accounts:clear-api-keys).
    ClearApiKeys { minutes: Option<u32> },
    /// List (or with --apply delete) accounts never activated after DAYS
    /// (artisan accounts:clear-unconfirmed).
    ClearUnconfirmed {
        days: u32,
        #[arg(long)]
        apply: bool,
    },
    /// Print an account (by id or SIP address) as the admin API shows it.
    Show { account: String },
    /// Block an account: every authentication path refuses it.
    Block { id: i32 },
    /// Unblock an account.
    Unblock { id: i32 },
    /// Activate an account.
    Activate { id: i32 },
    /// Deactivate an account.
    Deactivate { id: i32 },
    /// Create every account of a JSON list (objects with the fields of
    /// `POST /api/accounts`, and an optional `domain`), all or none.
    Seed { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Print entries oldest first, one JSON object a line.
    List {
        /// Only entries at or after this UTC time: YYYY-MM-DD or
        /// "YYYY-MM-DD HH:MM:SS".
        #[arg(long, allow_hyphen_values = true)]
        since: Option<String>,
        /// At most this many entries (1 to 100000, default 1000).
        #[arg(long, allow_hyphen_values = true)]
        limit: Option<String>,
    },
    /// Delete the entries older than AUDIT_RETENTION_DAYS.
    Prune,
}

#[derive(Subcommand, Debug)]
pub enum DigestCommand {
    /// Remove nonces unused for MINUTES (artisan digest:clear-nonces).
    ClearNonces { minutes: u32 },
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Copy a PHP FlexiAPI database (mid-2021 schema) into DATABASE_URL's,
    /// printing what was read, imported and skipped per table. A second
    /// run adds nothing.
    Import {
        /// The PHP service's database (the one holding accounts and
        /// passwords): sqlite://, mysql:// or postgres:// URL.
        #[arg(long)]
        from: String,
        /// Its local database, when admins, API keys, tokens and the other
        /// Laravel tables live apart (mid-2021's default SQLite file).
        #[arg(long)]
        from_local: Option<String>,
        /// Read and count everything, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Tell whether a database is flexiapi's, PHP FlexiAPI's or empty.
    Check {
        /// The database to look at (default: DATABASE_URL).
        #[arg(long)]
        url: Option<String>,
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
            match writeln!(out, "{}", crate::openapi::json()) {
                // `flexiapi openapi | head` is not a failure.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
        Command::Accounts(command) => {
            let state = AppState::build(config, Clock::system()).await?;
            crate::console::accounts(&state, command).await
        }
        Command::Audit(command) => {
            let state = AppState::build(config, Clock::system()).await?;
            crate::console::audit(&state, command).await
        }
        Command::Digest(DigestCommand::ClearNonces { minutes }) => {
            let state = AppState::build(config, Clock::system()).await?;
            crate::console::clear_nonces(&state, minutes).await
        }
        Command::Migrate => {
            let db = crate::db::connect_with(&config.database_url, &config.db_pool).await?;
            crate::db::migrate(&db).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Db(command) => crate::console::db(&config, command).await,
        Command::Devices { command } => {
            crate::registrar::cli::run(command, &config, &Clock::system()).await
        }
    }
}
