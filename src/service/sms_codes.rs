//! The two halves that the code flows by SMS share: the quiet gate of the
//! public ones (phone login, recovery), whose answer must not tell that an
//! account exists, and "send the SMS, then store the code" (phone login,
//! phone change), which must finish even when the client hangs up.

use std::future::Future;

use sea_orm::DbErr;

use crate::error::{ApiError, ApiResult};
use crate::notify::sms;
use crate::service::codes::CodeKind;
use crate::state::AppState;

/// Whether a new code may be sent to `account_id`: not while its code
/// flows are locked (docs/integrations.md, "Rate limits"), nor past
/// `per_minute` codes under `limit_key`. A refusal is `Ok(false)`, only
/// logged (`what` names the code), so the page answers the same.
pub async fn may_send_quietly(
    state: &AppState,
    account_id: i32,
    limit_key: &str,
    per_minute: u32,
    what: &'static str,
) -> ApiResult<bool> {
    if crate::service::code_guard::is_locked(state, account_id).await? {
        return Ok(false);
    }
    let limited =
        crate::rate_limit::hit(&state.db, limit_key, per_minute, state.clock.now_naive()).await;
    match limited {
        Ok(()) => Ok(true),
        Err(ApiError::TooManyRequests { .. }) => {
            tracing::warn!(account_id, "{what} not sent: account limit reached");
            Ok(false)
        }
        Err(err) => Err(err),
    }
}

/// Sends a new PIN by SMS to `phone`, then hands the phone and the PIN to
/// `store`. Sent first, kept after: a failed SMS stores nothing (`503`,
/// logged with `what`). In a task of its own, so that a client hanging up
/// cannot separate the two.
pub async fn send_then_store<F, Fut>(
    state: &AppState,
    account_id: i32,
    phone: String,
    what: &'static str,
    store: F,
) -> ApiResult<()>
where
    F: FnOnce(AppState, String, String) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), DbErr>> + Send,
{
    let code = CodeKind::Pin.generate();
    let state = state.clone();
    let task = tokio::spawn(async move {
        let message = sms::validation_message(&state.config.app_name, &code);
        if let Err(err) = state.sms.send(&phone, &message).await {
            tracing::warn!(account_id, error = %err, "{what} not sent");
            return Err(ApiError::Unavailable("The SMS could not be sent.".into()));
        }
        store(state, phone, code).await?;
        Ok(())
    });
    task.await.map_err(ApiError::internal)?
}
