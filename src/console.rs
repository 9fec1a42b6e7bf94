//! What the console commands do, once parsed (see `cli.rs`).

use std::io::BufRead;

use anyhow::{Context, anyhow, bail};
use serde_json::{Map, json};

use crate::audit::{self, Action, By};
use crate::auth::{api_key, nonces};
use crate::cli::{AccountsCommand, AuditCommand, DbCommand};
use crate::clock::{Clock, format_datetime};
use crate::config::Config;
use crate::console_accounts::{self, StateChange, change_state};
use crate::db::accounts;
use crate::db::entities::account;
use crate::db::kind::{DatabaseKind, inspect};
use crate::error::ApiError;
use crate::import::PhpSource;
use crate::input::JsonObject;
use crate::service::accounts::{create_account, validate_account_fields};
use crate::sip::SipAddress;
use crate::state::AppState;

pub async fn accounts(state: &AppState, command: AccountsCommand) -> anyhow::Result<()> {
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
            let mut created = create_account(state, &domain, fields, "127.0.0.1", ua, &by)
                .await
                .map_err(describe)?;
            if api_key {
                let id = created["id"]
                    .as_i64()
                    .context("created account has no id")? as i32;
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
        AccountsCommand::Show { account } => console_accounts::show(state, &account).await,
        AccountsCommand::Block { id } => change_state(state, id, StateChange::Block).await,
        AccountsCommand::Unblock { id } => change_state(state, id, StateChange::Unblock).await,
        AccountsCommand::Activate { id } => change_state(state, id, StateChange::Activate).await,
        AccountsCommand::Deactivate { id } => {
            change_state(state, id, StateChange::Deactivate).await
        }
        AccountsCommand::Seed { file } => console_accounts::seed(state, &file).await,
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

pub async fn audit(state: &AppState, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::List { since, limit } => {
            let since = since.as_deref().map(parse_since).transpose()?;
            let limit = limit
                .as_deref()
                .map(parse_limit)
                .transpose()?
                .unwrap_or(1000);
            for entry in audit::since(&state.db, since, limit).await? {
                println!("{}", audit::to_json(&entry));
            }
            Ok(())
        }
        AuditCommand::Prune => {
            let days = state.config.audit_retention_days;
            let removed = audit::prune(&state.db, days, state.clock.now_naive()).await?;
            println!("{removed} audit log entr(y/ies) older than {days} days deleted.");
            Ok(())
        }
    }
}

/// `--since`: a date (its midnight) or a date and time, UTC.
fn parse_since(text: &str) -> anyhow::Result<chrono::NaiveDateTime> {
    crate::clock::parse_datetime(text)
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|day| day.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            anyhow!(
                "--since: expected YYYY-MM-DD or \"YYYY-MM-DD HH:MM:SS\", got {:?}",
                text.escape_debug().to_string()
            )
        })
}

fn parse_limit(text: &str) -> anyhow::Result<u64> {
    text.parse::<u64>()
        .ok()
        .filter(|n| (1..=100_000).contains(n))
        .ok_or_else(|| anyhow!("--limit: expected a number from 1 to 100000"))
}

pub async fn clear_nonces(state: &AppState, minutes: u32) -> anyhow::Result<()> {
    let before = state.clock.now_naive() - chrono::Duration::minutes(minutes.into());
    let removed = nonces::clear_older_than(&state.db, before).await?;
    println!("{removed} nonce(s) removed.");
    Ok(())
}

pub async fn db(config: &Config, command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Check { url } => {
            let (option, url) = match &url {
                Some(url) => ("--url", url.as_str()),
                None => ("DATABASE_URL", config.database_url.as_str()),
            };
            let conn = crate::db::connect_read_only(url)
                .await
                .map_err(|e| anyhow!("{option}: {e}"))?;
            let kind = inspect(&conn)
                .await
                .map_err(|e| anyhow!("{option}: {}", crate::db::one_line(&e.to_string())))?;
            println!("{}", kind.describe());
            Ok(())
        }
        DbCommand::Import {
            from,
            from_local,
            dry_run,
        } => {
            // Every check of the sources and the target comes before the
            // first write.
            let main = crate::db::connect_read_only(&from)
                .await
                .map_err(|e| anyhow!("--from: {e}"))?;
            let local = match &from_local {
                Some(url) => Some(
                    crate::db::connect_read_only(url)
                        .await
                        .map_err(|e| anyhow!("--from-local: {e}"))?,
                ),
                None => None,
            };
            let source = PhpSource::open(main, local).await?;
            let target = import_target(config, dry_run).await?;
            let now = Clock::system().now_naive();
            let report = crate::import::run(&source, target.as_ref(), dry_run, now).await?;
            print!("{report}");
            Ok(())
        }
    }
}

/// The database imported into: ours or empty (migrated first), never the
/// PHP service's. A dry run only reads it, and `None` stands for a target
/// with nothing in it yet.
async fn import_target(
    config: &Config,
    dry_run: bool,
) -> anyhow::Result<Option<sea_orm::DatabaseConnection>> {
    let url = config.database_url.as_str();
    let refuse_php = |kind: &DatabaseKind| -> anyhow::Result<()> {
        if matches!(kind, DatabaseKind::Php { .. }) {
            bail!(
                "DATABASE_URL: this is a PHP FlexiAPI database; import into a new (empty) database"
            );
        }
        Ok(())
    };
    let describe =
        |e: sea_orm::DbErr| anyhow!("DATABASE_URL: {}", crate::db::one_line(&e.to_string()));
    if dry_run {
        if url.starts_with("sqlite:") && crate::db::sqlite_path(url).is_some_and(|p| !p.exists()) {
            return Ok(None);
        }
        let conn = crate::db::connect_read_only(url)
            .await
            .map_err(|e| anyhow!("DATABASE_URL: {e}"))?;
        let kind = inspect(&conn).await.map_err(describe)?;
        refuse_php(&kind)?;
        return Ok(matches!(kind, DatabaseKind::Ours { .. }).then_some(conn));
    }
    let conn = crate::db::connect_with(url, &config.db_pool).await?;
    refuse_php(&inspect(&conn).await.map_err(describe)?)?;
    crate::db::migrate(&conn).await.map_err(describe)?;
    Ok(Some(conn))
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

/// One line naming the fields at fault, for the console's stderr.
pub(crate) fn describe(err: ApiError) -> anyhow::Error {
    match err {
        ApiError::Validation(errors) => anyhow!(
            "{}",
            errors
                .iter()
                .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow!("{other}"),
    }
}
