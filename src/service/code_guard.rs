//! Guesses bounded per account, across codes and flows: every wrong code
//! of an account (activation key or PIN, phone login PIN, recovery code,
//! phone or e-mail change code, on the API or the panel) counts on one
//! counter. After `APP_CODE_FAILURES_BEFORE_LOCK` wrong codes within
//! `APP_CODE_FAILURE_WINDOW_MINUTES`, the account's code flows are locked
//! for `APP_CODE_LOCK_MINUTES`: no code is sent and none is compared, the
//! right one included. The lock is audited and the owner is mailed.
//!
//! A pending code keeps its own `APP_CODE_MAX_ATTEMPTS`; this bound is the
//! one that holds over days, when a new code can be asked for every
//! minute. The public flows answer a locked account as they answer a
//! wrong code or an unknown one, so the lock tells nothing about which
//! accounts exist.

use std::net::IpAddr;

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ConnectionTrait, DbErr};

use crate::audit::{self, Action, By};
use crate::clock::format_datetime;
use crate::db::code_guards;
use crate::db::entities::account;
use crate::error::ApiError;
use crate::notify::mails;
use crate::state::AppState;

/// Until when the code flows of `account_id` are locked, if they are.
pub async fn locked_until(
    db: &impl ConnectionTrait,
    account_id: i32,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, DbErr> {
    let row = code_guards::find(db, account_id).await?;
    Ok(row
        .and_then(|r| r.locked_until)
        .filter(|until| *until > now))
}

/// Whether the code flows of `account_id` are locked now.
pub async fn is_locked(state: &AppState, account_id: i32) -> Result<bool, DbErr> {
    Ok(locked_until(&state.db, account_id, state.clock.now_naive())
        .await?
        .is_some())
}

/// For the flows of an authenticated account (no one to hide the lock
/// from): `429` until the lock lifts.
pub async fn refuse_if_locked(state: &AppState, account_id: i32) -> Result<(), ApiError> {
    let now = state.clock.now_naive();
    match locked_until(&state.db, account_id, now).await? {
        Some(until) => Err(ApiError::TooManyRequests {
            retry_after_seconds: (until - now).num_seconds().max(1) as u64,
        }),
        None => Ok(()),
    }
}

/// Counts one wrong code of `account`, presented from `client`. The wrong
/// code that reaches the bound locks the account's code flows, records it
/// in the audit log and mails the owner.
pub async fn record_failure(
    state: &AppState,
    account: &account::Model,
    client: IpAddr,
) -> Result<(), DbErr> {
    let config = &state.config;
    let now = state.clock.now_naive();
    code_guards::count(
        &state.db,
        account.id,
        now - Duration::minutes(config.code_failure_window_minutes),
        now,
    )
    .await?;

    let max = i32::try_from(config.code_failures_before_lock).unwrap_or(i32::MAX);
    let until = now + Duration::minutes(config.code_lock_minutes);
    let txn = crate::db::begin_write(&state.db).await?;
    // Of concurrent failures past the bound, the one that resets the
    // counter is the one that locks (and audits, and mails).
    if !code_guards::lock(&txn, account.id, max, until, now).await? {
        txn.rollback().await?;
        return Ok(());
    }
    let by = By::guard(client, &state.clock);
    audit::record_about(
        &txn,
        &by,
        Action::CodeLock,
        account,
        format!("until {}", format_datetime(&until)),
    )
    .await?;
    txn.commit().await?;
    tracing::warn!(account_id = account.id, until = %until, "code flows locked after wrong codes");
    tell_owner(state, account, until);
    Ok(())
}

/// Mails the owner, when the account has an address, in a detached task:
/// the answer to the failing request must not wait for (or tell of) it.
fn tell_owner(state: &AppState, account: &account::Model, until: NaiveDateTime) {
    let Some(to) = account.email.clone() else {
        return;
    };
    let state = state.clone();
    let address = format!("{}@{}", account.username, account.domain);
    let account_id = account.id;
    tokio::spawn(async move {
        let until = format!("{} UTC", format_datetime(&until));
        let sent = match mails::code_lock(&state.config.app_name, &to, &address, &until) {
            Ok(mail) => state.mailer.send(mail).await.map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        };
        if let Err(err) = sent {
            tracing::warn!(account_id, error = %err, "code lock mail not sent");
        }
    });
}
