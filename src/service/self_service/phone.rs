//! Phone change by SMS: a 4-digit PIN goes to the new number, and the PIN
//! makes that number the account's phone and only alias, within
//! `APP_PHONE_CHANGE_CODE_EXPIRATION_MINUTES`. A wrong PIN counts on the
//! account's code guard (`crate::service::code_guard`).

use std::net::IpAddr;

use chrono::Duration;

use crate::db::entities::account;
use crate::db::{accounts, phone_change_codes};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::secrets;
use crate::service::codes::CodeKind;
use crate::service::{fields, sms_codes};
use crate::state::AppState;

const TAKEN: &str = "The phone has already been taken.";

/// Validates `{phone}`, sends a PIN there and records the pending change
/// (replacing an earlier one). Rate-limited per account: each costs an SMS.
pub async fn request(
    state: &AppState,
    account: &account::Model,
    body: &JsonObject,
) -> ApiResult<()> {
    // Limited per account, whatever the address the request comes from.
    crate::rate_limit::hit(
        &state.db,
        &format!("phone-request:account:{}", account.id),
        state.config.rate_limit_per_minute,
        state.clock.now_naive(),
    )
    .await?;
    crate::service::code_guard::refuse_if_locked(state, account.id).await?;
    let mut v = body.validator();
    let phone = fields::required_phone(&mut v);
    v.finish()?;
    let phone = phone.unwrap_or_default().to_string();
    if accounts::phone_in_use(&state.db, &phone).await? {
        return Err(ApiError::field("phone", TAKEN));
    }

    // Sent first, kept after: a failed SMS leaves nothing behind (the
    // previous pending change, if any, stays as it was).
    let account_id = account.id;
    sms_codes::send_then_store(
        state,
        account_id,
        phone,
        "phone change code",
        move |state, phone, code| async move {
            let now = state.clock.now_naive();
            phone_change_codes::replace(&state.db, account_id, phone, code, now).await
        },
    )
    .await
}

/// Validates `{code}` against the pending change and applies it. The
/// pending change gets one check: a wrong code drops it (`422` on `code`,
/// as the PHP FlexiAPI answers a wrong code); past its lifetime it is a
/// `410`; nothing pending is a `404`; a locked account a `429`.
pub async fn confirm(
    state: &AppState,
    account: &account::Model,
    body: &JsonObject,
    client: IpAddr,
) -> ApiResult<()> {
    let code = CodeKind::Pin.read(body)?;
    crate::service::code_guard::refuse_if_locked(state, account.id).await?;
    let pending = phone_change_codes::pending(&state.db, account.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No phone change is pending.".into()))?;
    // Removing it is the claim, so of concurrent guesses only one is
    // compared.
    if !phone_change_codes::consume(&state.db, pending.id).await? {
        return Err(ApiError::NotFound("No phone change is pending.".into()));
    }
    let lifetime = Duration::minutes(state.config.phone_change_code_expiration_minutes);
    if pending.created_at <= state.clock.now_naive() - lifetime {
        return Err(ApiError::Gone("The code has expired.".into()));
    }
    if !secrets::constant_time_eq(&pending.code, code) {
        crate::service::code_guard::record_failure(state, account, client).await?;
        return Err(ApiError::field(
            "code",
            "The code is wrong: the phone change is cancelled.",
        ));
    }

    let txn = crate::db::begin_write(&state.db).await?;
    // Taken since the request (by another account, or by a lost race).
    if accounts::phone_in_use(&txn, &pending.phone).await? {
        return Err(ApiError::field("phone", TAKEN));
    }
    accounts::set_phone(&txn, account, &pending.phone)
        .await
        .map_err(|err| {
            if crate::db::is_unique_violation(&err) {
                ApiError::field("phone", TAKEN)
            } else {
                err.into()
            }
        })?;
    txn.commit().await?;
    Ok(())
}
