//! The audit log: who did which admin action to which account, when and
//! from where. Rows are written in the action's own transaction, so an
//! action never happens unrecorded and a refused one records nothing. No
//! secret (key, password) ever reaches a row: only names of actions.
//!
//! A new admin action takes a variant of [`Action`] (its stable name in
//! `Action::name`) and one line in its transaction:
//! `audit::record(&txn, &by, Action::X, &target).await?`, with `by` from
//! the `By` extractor (API handlers behind `require_admin`),
//! [`By::account`] (panel: the session's account) or [`By::console`].
//! The target is an account or, as a [`Target::Other`], another thing (an
//! account type, a contacts list, a creation token); [`record_about`] adds
//! what changed on it (a dictionary key, the type given to an account).

use chrono::NaiveDateTime;
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use crate::client::Client;
use crate::clock::{Clock, format_datetime};
use crate::db::audit_log as audit_log_table;
use crate::db::entities::{
    account, account_creation_token, account_type, audit_log, contacts_list,
};
use crate::state::AppState;

/// Actor and client address of the console.
pub const CONSOLE: &str = "console";
/// Actor of the locks the code guard puts after wrong codes.
pub const GUARD: &str = "code guard";

/// The admin actions recorded. The names are stable: operators grep them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    AccountCreate,
    AccountUpdate,
    AccountDelete,
    AccountActivate,
    AccountDeactivate,
    AccountBlock,
    AccountUnblock,
    AdminOn,
    AdminOff,
    ApiKeyIssue,
    ProvisioningTokenIssue,
    DeviceDelete,
    TypeCreate,
    TypeUpdate,
    TypeDelete,
    TypeGive,
    TypeTake,
    ActionCreate,
    ActionUpdate,
    ActionDelete,
    DictionarySet,
    DictionaryDelete,
    DictionaryClear,
    ExternalSet,
    ExternalDelete,
    ListCreate,
    ListUpdate,
    ListDelete,
    ListContactAdd,
    ListContactRemove,
    ListGive,
    ListTake,
    CreationTokenIssue,
    ResetPasswordEmail,
    ProvisioningEmail,
    CodeLock,
    ContactAdd,
    ContactRemove,
}

impl Action {
    /// Every action, for the test of their names.
    pub const ALL: [Action; 38] = [
        Action::AccountCreate,
        Action::AccountUpdate,
        Action::AccountDelete,
        Action::AccountActivate,
        Action::AccountDeactivate,
        Action::AccountBlock,
        Action::AccountUnblock,
        Action::AdminOn,
        Action::AdminOff,
        Action::ApiKeyIssue,
        Action::ProvisioningTokenIssue,
        Action::DeviceDelete,
        Action::TypeCreate,
        Action::TypeUpdate,
        Action::TypeDelete,
        Action::TypeGive,
        Action::TypeTake,
        Action::ActionCreate,
        Action::ActionUpdate,
        Action::ActionDelete,
        Action::DictionarySet,
        Action::DictionaryDelete,
        Action::DictionaryClear,
        Action::ExternalSet,
        Action::ExternalDelete,
        Action::ListCreate,
        Action::ListUpdate,
        Action::ListDelete,
        Action::ListContactAdd,
        Action::ListContactRemove,
        Action::ListGive,
        Action::ListTake,
        Action::CreationTokenIssue,
        Action::ResetPasswordEmail,
        Action::ProvisioningEmail,
        Action::CodeLock,
        Action::ContactAdd,
        Action::ContactRemove,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::AccountCreate => "account.create",
            Action::AccountUpdate => "account.update",
            Action::AccountDelete => "account.delete",
            Action::AccountActivate => "account.activate",
            Action::AccountDeactivate => "account.deactivate",
            Action::AccountBlock => "account.block",
            Action::AccountUnblock => "account.unblock",
            Action::AdminOn => "account.admin_on",
            Action::AdminOff => "account.admin_off",
            Action::ApiKeyIssue => "api_key.issue",
            Action::ProvisioningTokenIssue => "provisioning_token.issue",
            Action::DeviceDelete => "device.delete",
            Action::TypeCreate => "account_type.create",
            Action::TypeUpdate => "account_type.update",
            Action::TypeDelete => "account_type.delete",
            Action::TypeGive => "account_type.give",
            Action::TypeTake => "account_type.take",
            Action::ActionCreate => "account_action.create",
            Action::ActionUpdate => "account_action.update",
            Action::ActionDelete => "account_action.delete",
            Action::DictionarySet => "dictionary.set",
            Action::DictionaryDelete => "dictionary.delete",
            Action::DictionaryClear => "dictionary.clear",
            Action::ExternalSet => "external_account.set",
            Action::ExternalDelete => "external_account.delete",
            Action::ListCreate => "contacts_list.create",
            Action::ListUpdate => "contacts_list.update",
            Action::ListDelete => "contacts_list.delete",
            Action::ListContactAdd => "contacts_list.contact_add",
            Action::ListContactRemove => "contacts_list.contact_remove",
            Action::ListGive => "contacts_list.give",
            Action::ListTake => "contacts_list.take",
            Action::ContactAdd => "contact.add",
            Action::ContactRemove => "contact.remove",
            Action::CreationTokenIssue => "account_creation_token.issue",
            Action::ResetPasswordEmail => "email.reset_password",
            Action::ProvisioningEmail => "email.provisioning",
            Action::CodeLock => "account.code_lock",
        }
    }
}

/// Who acts, from where, and when: built once per request or command.
#[derive(Clone, Debug)]
pub struct By {
    actor_id: Option<i32>,
    actor: String,
    client_address: String,
    at: NaiveDateTime,
}

impl By {
    /// The console: no account, no network client.
    pub fn console(clock: &Clock) -> Self {
        By {
            actor_id: None,
            actor: CONSOLE.into(),
            client_address: CONSOLE.into(),
            at: clock.now_naive(),
        }
    }

    /// The code guard (`crate::service::code_guard`), acting on the wrong codes
    /// that came from `client`.
    pub fn guard(client: std::net::IpAddr, clock: &Clock) -> Self {
        By {
            actor_id: None,
            actor: GUARD.into(),
            client_address: client.to_string(),
            at: clock.now_naive(),
        }
    }

    /// An authenticated account (API request or panel session).
    pub fn account(actor: &account::Model, client: &Client, clock: &Clock) -> Self {
        By {
            actor_id: Some(actor.id),
            actor: address(actor),
            client_address: client.ip.to_string(),
            at: clock.now_naive(),
        }
    }
}

fn address(account: &account::Model) -> String {
    format!("{}@{}", account.username, account.domain)
}

/// What an action was done to.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    Account(&'a account::Model),
    /// Not an account: `kind` and `id` name it, `label` (maybe empty)
    /// says which for a reader, e.g. `account type 3 (premium)`.
    Other {
        kind: &'static str,
        id: i32,
        label: &'a str,
    },
}

impl<'a> From<&'a account::Model> for Target<'a> {
    fn from(account: &'a account::Model) -> Self {
        Target::Account(account)
    }
}

impl<'a> From<&'a account_type::Model> for Target<'a> {
    fn from(kind: &'a account_type::Model) -> Self {
        Target::Other {
            kind: "account type",
            id: kind.id,
            label: &kind.key,
        }
    }
}

impl<'a> From<&'a contacts_list::Model> for Target<'a> {
    fn from(list: &'a contacts_list::Model) -> Self {
        Target::Other {
            kind: "contacts list",
            id: list.id,
            label: &list.title,
        }
    }
}

/// A creation token by its row id only: the token itself is a secret.
impl<'a> From<&'a account_creation_token::Model> for Target<'a> {
    fn from(token: &'a account_creation_token::Model) -> Self {
        Target::Other {
            kind: "account creation token",
            id: token.id,
            label: "",
        }
    }
}

impl Target<'_> {
    /// The account's id, None for other targets.
    fn account_id(&self) -> Option<i32> {
        match self {
            Target::Account(account) => Some(account.id),
            Target::Other { .. } => None,
        }
    }

    /// How the target reads in the log.
    pub fn describe(&self) -> String {
        match self {
            Target::Account(account) => address(account),
            Target::Other {
                kind,
                id,
                label: "",
            } => format!("{kind} {id}"),
            Target::Other { kind, id, label } => format!("{kind} {id} ({label})"),
        }
    }
}

/// Text columns hold 320 characters; a long label (a list's title) is cut.
const TEXT_COLUMN: usize = 320;

fn fit(text: String) -> String {
    if text.chars().count() <= TEXT_COLUMN {
        return text;
    }
    let mut cut: String = text.chars().take(TEXT_COLUMN - 1).collect();
    cut.push('…');
    cut
}

/// Records `action` on `target` by `by`; call it inside the action's
/// transaction.
pub async fn record<'a>(
    conn: &impl ConnectionTrait,
    by: &By,
    action: Action,
    target: impl Into<Target<'a>>,
) -> Result<(), DbErr> {
    write(conn, by, action, target.into(), None).await
}

/// As [`record`], with `detail`: what changed on the target (never a
/// secret or a value, only names: `key color`, `account type 3 (premium)`).
pub async fn record_about<'a>(
    conn: &impl ConnectionTrait,
    by: &By,
    action: Action,
    target: impl Into<Target<'a>>,
    detail: impl Into<String>,
) -> Result<(), DbErr> {
    write(conn, by, action, target.into(), Some(detail.into())).await
}

async fn write(
    conn: &impl ConnectionTrait,
    by: &By,
    action: Action,
    target: Target<'_>,
    detail: Option<String>,
) -> Result<(), DbErr> {
    let entry = audit_log_table::NewEntry {
        created_at: by.at,
        actor_id: by.actor_id,
        actor: by.actor.clone(),
        target_id: target.account_id(),
        target: fit(target.describe()),
        action: action.name().into(),
        client_address: by.client_address.clone(),
        detail: detail.map(fit),
    };
    audit_log_table::insert(conn, entry).await
}

/// Page `page` (from 1) of `per_page` entries, newest first, and the total.
pub async fn page(
    conn: &impl ConnectionTrait,
    page: u64,
    per_page: u64,
) -> Result<(Vec<audit_log::Model>, u64), DbErr> {
    audit_log_table::page(conn, page, per_page).await
}

/// At most `limit` entries at or after `since`, oldest first.
pub async fn since(
    conn: &impl ConnectionTrait,
    since: Option<NaiveDateTime>,
    limit: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    audit_log_table::since(conn, since, limit).await
}

/// Deletes the entries older than `retention_days` before `now`; how many.
pub async fn prune(
    conn: &impl ConnectionTrait,
    retention_days: u32,
    now: NaiveDateTime,
) -> Result<u64, DbErr> {
    let before = now - chrono::Duration::days(retention_days.into());
    audit_log_table::delete_before(conn, before).await
}

/// An entry as one JSON object (a line of `flexiapi audit list`).
pub fn to_json(entry: &audit_log::Model) -> Value {
    json!({
        "id": entry.id,
        "time": format_datetime(&entry.created_at),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "target_id": entry.target_id,
        "target": entry.target,
        "detail": entry.detail,
        "client_address": entry.client_address,
    })
}

/// How often `serve` prunes the log.
pub const PRUNE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// The periodic pruning of `serve`: a failure is logged and retried at the
/// next tick, never fatal.
pub async fn prune_periodically(state: AppState) {
    let mut ticks = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        ticks.tick().await;
        let days = state.config.audit_retention_days;
        match prune(&state.db, days, state.clock.now_naive()).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "old audit log entries deleted"),
            Err(err) => tracing::warn!(error = %err, "audit log pruning failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_distinct_and_short() {
        let all = Action::ALL;
        let names: std::collections::HashSet<_> = all.iter().map(|a| a.name()).collect();
        assert_eq!(names.len(), all.len());
        for name in names {
            // The column holds 64 characters.
            assert!(name.len() <= 64 && name.contains('.'), "{name}");
        }
    }
}
