//! Login with a phone number and a PIN received by SMS
//! (`PHONE_AUTHENTICATION`): the PIN is sent when an activated account has
//! that number, kept in `phone_login_codes` (`db/phone_login_codes.rs`),
//! valid [`CODE_LIFETIME`], with `APP_CODE_MAX_ATTEMPTS` tries. The pages
//! are in `panel/phone_login.rs`.

use chrono::Duration;
use sea_orm::DbErr;

use crate::db::pending_codes::Tried;
use crate::db::{accounts, phone_login_codes};
use crate::error::ApiResult;
use crate::secrets;
use crate::service::sms_codes;
use crate::state::AppState;

/// How long a PIN sent by SMS can open a session: time enough to read an
/// SMS and type four digits, short enough that a stolen or overheard code
/// soon stops working.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);

/// Login codes sent to one account's phone in a minute.
const SMS_PER_ACCOUNT_PER_MINUTE: u32 = 1;

/// Sends a PIN to `phone` when an activated account has it, and keeps it
/// as the account's pending login code. `Ok` as well when no account
/// matched or the account's SMS limit is reached (telling it would tell
/// that the number has an account); `503` when the SMS could not be sent,
/// and then nothing is stored.
pub async fn send_code(state: &AppState, phone: &str) -> ApiResult<()> {
    let Some(account) = accounts::find_activated_by_phone(&state.db, phone).await? else {
        return Ok(());
    };
    let account_id = account.id;
    // Each request costs an SMS to someone's phone, and anyone may ask:
    // one a minute per account, whatever the addresses the requests come
    // from, so the page cannot be used to flood a phone.
    let may_send = sms_codes::may_send_quietly(
        state,
        account_id,
        &format!("phone-login:account:{account_id}"),
        SMS_PER_ACCOUNT_PER_MINUTE,
        "phone login code",
    )
    .await?;
    if !may_send {
        return Ok(());
    }
    sms_codes::send_then_store(
        state,
        account_id,
        phone.to_string(),
        "phone login code",
        move |state, phone, code| async move {
            let now = state.clock.now_naive();
            // The account's pending code is replaced; everyone's expired
            // codes go too.
            phone_login_codes::replace(&state.db, account_id, phone, code, now - CODE_LIFETIME, now)
                .await
        },
    )
    .await
}

/// Presents `given` as the login code sent to `phone`: the id of the
/// account it opens, or `None` (no activated account with that number, no
/// code pending for it, expired, wrong, or out of tries). A right code is
/// consumed; the `APP_CODE_MAX_ATTEMPTS`-th wrong one drops the pending
/// code.
pub async fn check_code(
    state: &AppState,
    phone: &str,
    given: &str,
    client: std::net::IpAddr,
) -> Result<Option<i32>, DbErr> {
    let db = &state.db;
    // A deactivated or blocked account is not found: refused like an
    // unknown number.
    let Some(account) = accounts::find_activated_by_phone(db, phone).await? else {
        return Ok(None);
    };
    // Locked after too many wrong codes: refused as a wrong code.
    if crate::service::code_guard::is_locked(state, account.id).await? {
        return Ok(None);
    }
    let Some(pending) = phone_login_codes::pending(db, account.id).await? else {
        return Ok(None);
    };
    let now = state.clock.now_naive();
    if pending.phone != phone || pending.created_at <= now - CODE_LIFETIME {
        return Ok(None);
    }
    let max = i32::try_from(state.config.code_max_attempts).unwrap_or(i32::MAX);
    // A code replaced meanwhile is not found by the try.
    let tried = phone_login_codes::try_code(db, pending.id, max, || {
        secrets::constant_time_eq(&pending.code, given)
    })
    .await?;
    match tried {
        Tried::Right => Ok(Some(account.id)),
        Tried::Refused => Ok(None),
        Tried::Wrong => {
            crate::service::code_guard::record_failure(state, &account, client).await?;
            Ok(None)
        }
    }
}
