//! DTMF account actions: add and remove them (audited).

use crate::audit::{self, Action, By};
use crate::db::entities::{account, account_action};
use crate::db::{self, account_actions};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::{list_fields, lookup};
use crate::state::AppState;

const KEY_TAKEN: &str = "The key has already been taken.";

/// The account of the path, refused when it has no DTMF protocol.
pub async fn account_with_dtmf(state: &AppState, raw: &str) -> ApiResult<account::Model> {
    let account = lookup::account(state, raw).await?;
    if account.dtmf_protocol.is_none() {
        // Upstream's message, word for word.
        return Err(ApiError::Forbidden(
            "DTMF Protocol must be configured".into(),
        ));
    }
    Ok(account)
}

fn validated(body: &JsonObject) -> ApiResult<(String, String)> {
    let mut v = body.validator();
    let key = list_fields::key(&mut v);
    let code = list_fields::code(&mut v);
    v.finish()?;
    Ok((
        key.unwrap_or_default().to_string(),
        code.unwrap_or_default().to_string(),
    ))
}

fn key_conflict(err: sea_orm::DbErr) -> ApiError {
    crate::service::links::on_unique_violation(err, || ApiError::field("key", KEY_TAKEN))
}

/// Adds an action from a body or form with `key` and `code` to an account
/// already checked to have a DTMF protocol.
pub async fn create(
    state: &AppState,
    by: &By,
    account: &account::Model,
    body: &JsonObject,
) -> ApiResult<account_action::Model> {
    let (key, code) = validated(body)?;
    let txn = db::begin_write(&state.db).await?;
    if account_actions::key_taken(&txn, account.id, &key, None).await? {
        return Err(ApiError::field("key", KEY_TAKEN));
    }
    let created = account_actions::insert(&txn, account.id, &key, &code, state.clock.now_naive())
        .await
        .map_err(key_conflict)?;
    audit::record_about(&txn, by, Action::ActionCreate, account, describe(&created)).await?;
    txn.commit().await?;
    Ok(created)
}

/// Deletes an action of the account; `404` when
/// it has none with this id.
pub async fn remove(
    state: &AppState,
    by: &By,
    account: &account::Model,
    action_id: i32,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let existing = account_actions::find(&txn, account.id, action_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    account_actions::delete(&txn, account.id, existing.id).await?;
    audit::record_about(&txn, by, Action::ActionDelete, account, describe(&existing)).await?;
    txn.commit().await?;
    Ok(())
}

/// An action as the audit log names it.
fn describe(action: &account_action::Model) -> String {
    format!("action {} ({})", action.id, action.key)
}

/// Changes the key and code of `existing`, an action of `account`.
pub async fn change(
    state: &AppState,
    by: &By,
    account: &account::Model,
    existing: account_action::Model,
    body: &JsonObject,
) -> ApiResult<account_action::Model> {
    let (key, code) = validated(body)?;
    let txn = db::begin_write(&state.db).await?;
    if account_actions::key_taken(&txn, account.id, &key, Some(existing.id)).await? {
        return Err(ApiError::field("key", KEY_TAKEN));
    }
    let updated = account_actions::update(&txn, existing, &key, &code, state.clock.now_naive())
        .await
        .map_err(key_conflict)?;
    audit::record_about(&txn, by, Action::ActionUpdate, account, describe(&updated)).await?;
    txn.commit().await?;
    Ok(updated)
}
