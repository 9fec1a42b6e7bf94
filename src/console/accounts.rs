//! `flexiapi accounts …`: the command group and the commands that create
//! accounts, give the admin role and issue or clear API keys.

use std::io::BufRead;

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use serde_json::{Map, json};

use super::account_state::{self, StateChange, change_state};
use super::error_line::describe;
use super::seed;
use crate::audit::{self, Action, By};
use crate::auth::api_key;
use crate::clock::format_datetime;
use crate::db::accounts;
use crate::db::entities::account;
use crate::input::JsonObject;
use crate::service::accounts::{create_account, validate_account_fields};
use crate::sip::SipAddress;
use crate::state::AppState;

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

pub async fn run(state: &AppState, command: AccountsCommand) -> anyhow::Result<()> {
    match command {
        AccountsCommand::Create {
            username,
            password,
            password_stdin,
            domain,
            algorithm,
            email,
            phone,
            activated,
            admin,
            api_key,
        } => {
            let password = match (password, password_stdin) {
                (Some(password), _) => password,
                (None, _) => read_password_line()?,
            };
            let domain = domain.unwrap_or_else(|| state.config.sip_domain.clone());
            if SipAddress::parse_bare(&format!("x@{domain}")).is_none() {
                bail!("domain: not a valid SIP domain: {domain:?}");
            }
            let mut body = Map::new();
            body.insert("username".into(), json!(username));
            body.insert("password".into(), json!(password));
            body.insert("algorithm".into(), json!(algorithm));
            body.insert("activated".into(), json!(activated));
            body.insert("admin".into(), json!(admin));
            body.insert("email".into(), json!(email));
            body.insert("phone".into(), json!(phone));
            let body = JsonObject(body);
            let fields = validate_account_fields(&body).map_err(describe)?;
            let by = By::console(&state.clock);
            let ua = "flexiapi console";
            let object = create_account(state, &domain, fields, "127.0.0.1", ua, &by)
                .await
                .map_err(describe)?;
            let id = i32::try_from(object.id).context("created account's id")?;
            let mut created = serde_json::to_value(object)?;
            if api_key {
                let account = accounts::find_by_id(&state.db, id)
                    .await?
                    .context("created account vanished")?;
                created["api_key"] = json!(issue_api_key(state, &account).await?);
            }
            println!("{created}");
            Ok(())
        }
        AccountsCommand::SetAdmin { id } => {
            let account = accounts::find_by_id(&state.db, id)
                .await?
                .ok_or_else(|| anyhow!("no account with id {id}"))?;
            let txn = crate::db::begin_write(&state.db).await?;
            accounts::make_admin(&txn, account.id, state.clock.now_naive()).await?;
            audit::record(&txn, &By::console(&state.clock), Action::AdminOn, &account).await?;
            txn.commit().await?;
            println!(
                "{}@{} (id {}) is now an admin.",
                account.username, account.domain, account.id
            );
            Ok(())
        }
        AccountsCommand::ApiKey { sip_address } => {
            let address = SipAddress::parse_argument(&sip_address)
                .ok_or_else(|| anyhow!("not a SIP address: {sip_address:?}"))?;
            let account = accounts::find_by_address(&state.db, &address.username, &address.domain)
                .await?
                .ok_or_else(|| anyhow!("no account {address}"))?;
            println!("{}", issue_api_key(state, &account).await?);
            Ok(())
        }
        AccountsCommand::ClearApiKeys { minutes } => {
            // 0 clears nothing by age, as in the PHP command.
            let minutes = match minutes {
                Some(minutes) => (minutes > 0).then_some(i64::from(minutes)),
                None => state.config.api_key_expiration_minutes,
            };
            let removed = api_key::clear(&state.db, minutes, state.clock.now_naive()).await?;
            match minutes {
                Some(minutes) => println!(
                    "{removed} API key(s) deleted (unused for {minutes} minutes, or expired)."
                ),
                None => println!("{removed} expired API key(s) deleted."),
            }
            Ok(())
        }
        AccountsCommand::ClearUnconfirmed { days, apply } => {
            let before = state.clock.now_naive() - chrono::Duration::days(days.into());
            let unconfirmed = accounts::unconfirmed_before(&state.db, before).await?;
            for account in &unconfirmed {
                println!(
                    "{} {}@{} {}",
                    account.id,
                    account.username,
                    account.domain,
                    format_datetime(&account.creation_time)
                );
            }
            if apply {
                let by = By::console(&state.clock);
                for account in &unconfirmed {
                    let txn = crate::db::begin_write(&state.db).await?;
                    if accounts::delete_within(&txn, account.id).await? {
                        audit::record(&txn, &by, Action::AccountDelete, account).await?;
                    }
                    txn.commit().await?;
                }
                eprintln!("{} account(s) deleted.", unconfirmed.len());
            } else {
                eprintln!(
                    "{} account(s) would be deleted; run again with --apply to delete them.",
                    unconfirmed.len()
                );
            }
            Ok(())
        }
        AccountsCommand::Show { account } => account_state::show(state, &account).await,
        AccountsCommand::Block { id } => change_state(state, id, StateChange::Block).await,
        AccountsCommand::Unblock { id } => change_state(state, id, StateChange::Unblock).await,
        AccountsCommand::Activate { id } => change_state(state, id, StateChange::Activate).await,
        AccountsCommand::Deactivate { id } => {
            change_state(state, id, StateChange::Deactivate).await
        }
        AccountsCommand::Seed { file } => seed::seed(state, &file).await,
    }
}

/// A new API key for `account` (replacing its old one), recorded.
async fn issue_api_key(state: &AppState, account: &account::Model) -> anyhow::Result<String> {
    let txn = crate::db::begin_write(&state.db).await?;
    let key = api_key::regenerate(&txn, account.id, state.clock.now_naive()).await?;
    audit::record(
        &txn,
        &By::console(&state.clock),
        Action::ApiKeyIssue,
        account,
    )
    .await?;
    txn.commit().await?;
    Ok(key)
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("password: nothing on standard input");
    }
    Ok(password)
}
