//! Console commands on existing accounts and bulk creation: `accounts
//! show`, `block`, `unblock`, `activate`, `deactivate` and `seed`.

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

use crate::audit::{self, Action, By};
use crate::db::accounts;
use crate::db::entities::account;
use crate::input::JsonObject;
use crate::service::accounts::{insert_account, validate_account_fields};
use crate::sip::SipAddress;
use crate::state::AppState;

/// Largest seed file read (a list of accounts, not a database dump).
const MAX_SEED_BYTES: u64 = 16 * 1024 * 1024;

/// The account named by an id or a SIP address (`user@domain`,
/// `sip:user@domain`).
async fn find(state: &AppState, id_or_sip: &str) -> anyhow::Result<account::Model> {
    let found = if let Ok(id) = id_or_sip.parse::<i32>() {
        accounts::find_by_id(&state.db, id).await?
    } else {
        let address = SipAddress::parse_argument(id_or_sip)
            .ok_or_else(|| anyhow!("not an account id or SIP address: {id_or_sip:?}"))?;
        accounts::find_by_address(&state.db, &address.username, &address.domain).await?
    };
    found.ok_or_else(|| anyhow!("no account {id_or_sip}"))
}

async fn find_id(state: &AppState, id: i32) -> anyhow::Result<account::Model> {
    find(state, &id.to_string()).await
}

/// `accounts show ID|SIP`: the admin account object on one line.
pub async fn show(state: &AppState, id_or_sip: &str) -> anyhow::Result<()> {
    let account = find(state, id_or_sip).await?;
    let view = accounts::view(&state.db, account).await?;
    let object = crate::api::account_lists::admin_object(&state.db, &state.config, &view).await?;
    println!("{object}");
    Ok(())
}

/// What `block`, `unblock`, `activate` and `deactivate` change.
#[derive(Clone, Copy, Debug)]
pub enum StateChange {
    Block,
    Unblock,
    Activate,
    Deactivate,
}

pub async fn change_state(state: &AppState, id: i32, change: StateChange) -> anyhow::Result<()> {
    let account = find_id(state, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let db = &txn;
    let (done, action) = match change {
        StateChange::Block => accounts::set_blocked(db, account.id, true)
            .await
            .map(|_| ("blocked", Action::AccountBlock)),
        StateChange::Unblock => accounts::set_blocked(db, account.id, false)
            .await
            .map(|_| ("unblocked", Action::AccountUnblock)),
        StateChange::Activate => accounts::set_activated(db, account.id, true)
            .await
            .map(|_| ("activated", Action::AccountActivate)),
        StateChange::Deactivate => accounts::set_activated(db, account.id, false)
            .await
            .map(|_| ("deactivated", Action::AccountDeactivate)),
    }?;
    audit::record(&txn, &By::console(&state.clock), action, &account).await?;
    txn.commit().await?;
    println!(
        "{}@{} (id {}) is {done}.",
        account.username, account.domain, account.id
    );
    Ok(())
}

/// `accounts seed FILE.json`: validates every entry, then creates them all
/// in one transaction; the first bad entry is named and nothing is written.
pub async fn seed(state: &AppState, file: &std::path::Path) -> anyhow::Result<()> {
    let size = tokio::fs::metadata(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if size > MAX_SEED_BYTES {
        bail!("{}: larger than 16 MiB", file.display());
    }
    let bytes = tokio::fs::read(file)
        .await
        .with_context(|| format!("cannot read {}", file.display()))?;
    let entries = parse_seed(&bytes).map_err(|e| anyhow!("{}: {e}", file.display()))?;

    // Every entry is checked before the first write.
    let mut checked = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let at = |e: String| anyhow!("entry {index}: {e}");
        let fields = validate_account_fields(entry).map_err(|e| at(describe(e)))?;
        let domain = seed_domain(state, entry).map_err(at)?;
        checked.push((fields, domain));
    }

    let by = By::console(&state.clock);
    let txn = crate::db::begin_write(&state.db).await?;
    let mut created = Vec::with_capacity(checked.len());
    for (index, (fields, domain)) in checked.into_iter().enumerate() {
        let json = insert_account(
            &txn,
            state,
            &domain,
            fields,
            "127.0.0.1",
            "flexiapi console",
            &by,
        )
        .await
        .map_err(|e| anyhow!("entry {index}: {}", describe(e)))?;
        created.push(json);
    }
    txn.commit().await?;
    for json in &created {
        println!("{json}");
    }
    eprintln!("{} account(s) created.", created.len());
    Ok(())
}

/// The seed file: a JSON list of objects.
fn parse_seed(bytes: &[u8]) -> Result<Vec<JsonObject>, String> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
    let Value::Array(items) = value else {
        return Err("must be a JSON list of account objects".into());
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::Object(map) => Ok(JsonObject(map)),
            _ => Err(format!("entry {index}: must be a JSON object")),
        })
        .collect()
}

/// An entry's `domain`, a SIP domain, `APP_SIP_DOMAIN` when absent.
fn seed_domain(state: &AppState, entry: &JsonObject) -> Result<String, String> {
    match entry.0.get("domain") {
        None | Some(Value::Null) => Ok(state.config.sip_domain.clone()),
        Some(Value::String(domain)) if SipAddress::parse_bare(&format!("x@{domain}")).is_some() => {
            Ok(domain.clone())
        }
        Some(_) => Err("domain: The domain must be a SIP domain.".into()),
    }
}

fn describe(err: crate::error::ApiError) -> String {
    crate::console::describe(err).to_string()
}
