//! `flexiapi accounts show|block|unblock|activate|deactivate`: commands on
//! one existing account.

use anyhow::anyhow;

use crate::audit::{self, Action, By};
use crate::db::accounts;
use crate::db::entities::account;
use crate::sip::SipAddress;
use crate::state::AppState;

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
    let object =
        crate::service::account_lists::admin_object(&state.db, &state.config, &view).await?;
    println!("{}", serde_json::to_value(object)?);
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
