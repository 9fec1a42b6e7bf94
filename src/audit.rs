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

use chrono::NaiveDateTime;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use crate::api::Client;
use crate::auth::AuthAccount;
use crate::clock::{Clock, format_datetime};
use crate::db::entities::{account, audit_log};
use crate::error::ApiError;
use crate::state::AppState;

/// Actor and client address of the console.
pub const CONSOLE: &str = "console";

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
}

impl Action {
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

/// In an API handler behind `require_admin` (or `require_user`): the
/// authenticated account and the client of the request.
impl axum::extract::FromRequestParts<AppState> for By {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(client) = Client::from_request_parts(parts, state).await;
        let auth = parts.extensions.get::<AuthAccount>().ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("audit: a route without authentication"))
        })?;
        Ok(By::account(&auth.account, &client, &state.clock))
    }
}

fn address(account: &account::Model) -> String {
    format!("{}@{}", account.username, account.domain)
}

/// Records `action` on `target` by `by`; call it inside the action's
/// transaction.
pub async fn record(
    conn: &impl ConnectionTrait,
    by: &By,
    action: Action,
    target: &account::Model,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        created_at: Set(by.at),
        actor_id: Set(by.actor_id),
        actor: Set(by.actor.clone()),
        target_id: Set(target.id),
        target: Set(address(target)),
        action: Set(action.name().into()),
        client_address: Set(by.client_address.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Page `page` (from 1) of `per_page` entries, newest first, and the total.
pub async fn page(
    conn: &impl ConnectionTrait,
    page: u64,
    per_page: u64,
) -> Result<(Vec<audit_log::Model>, u64), DbErr> {
    let total = audit_log::Entity::find().count(conn).await?;
    let rows = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// At most `limit` entries at or after `since`, oldest first.
pub async fn since(
    conn: &impl ConnectionTrait,
    since: Option<NaiveDateTime>,
    limit: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find();
    if let Some(since) = since {
        query = query.filter(audit_log::Column::CreatedAt.gte(since));
    }
    query
        .order_by_asc(audit_log::Column::CreatedAt)
        .order_by_asc(audit_log::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Deletes the entries older than `retention_days` before `now`; how many.
pub async fn prune(
    conn: &impl ConnectionTrait,
    retention_days: u32,
    now: NaiveDateTime,
) -> Result<u64, DbErr> {
    let before = now - chrono::Duration::days(retention_days.into());
    let deleted = audit_log::Entity::delete_many()
        .filter(audit_log::Column::CreatedAt.lt(before))
        .exec(conn)
        .await?;
    Ok(deleted.rows_affected)
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
        let all = [
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
        ];
        let names: std::collections::HashSet<_> = all.iter().map(|a| a.name()).collect();
        assert_eq!(names.len(), all.len());
        for name in names {
            // The column holds 64 characters.
            assert!(name.len() <= 64 && name.contains('.'), "{name}");
        }
    }
}
