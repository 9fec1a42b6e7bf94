//! Password change: the account keeps exactly one password, hashed with
//! the asked algorithm.

use crate::auth::passwords::matches_any;
use crate::db::accounts;
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::guess_throttle::{self, OLD_PASSWORD};
use crate::input::JsonObject;
use crate::service::fields;
use crate::state::AppState;

/// Validates `{algorithm, old_password?, password}` and replaces the
/// account's passwords. `old_password` is required when one exists. The
/// account's panel sessions end but `keep_session`, the one asking.
pub async fn change(
    state: &AppState,
    account: &account::Model,
    body: &JsonObject,
    keep_session: Option<i32>,
) -> ApiResult<()> {
    let stored = accounts::passwords(&state.db, account.id).await?;

    let mut v = body.validator();
    let algorithm = fields::algorithm(&mut v);
    let password = fields::password(&mut v);
    if !stored.is_empty()
        && let Some(old) = v.required_string("old_password")
    {
        // A device key must not be an unlimited oracle of the password:
        // wrong values are throttled per account (any value refused while
        // throttled, for at most one window).
        let now = state.clock.now_naive();
        let bucket = OLD_PASSWORD.bucket(account.id, None);
        guess_throttle::refuse_if_throttled(&state.db, OLD_PASSWORD, &bucket, now).await?;
        let realm = state.config.realm_for(&account.domain);
        let right = matches_any(&stored, &account.username, realm, old);
        if !right {
            guess_throttle::record_failure(&state.db, OLD_PASSWORD, &bucket, now).await?;
        }
        v.check("old_password", right, "The old password is incorrect.");
    }
    v.finish()?;
    let (Some(algorithm), Some(password)) = (algorithm, password) else {
        return Err(ApiError::field(
            "password",
            "The password field is required.",
        ));
    };

    let txn = crate::db::begin_write(&state.db).await?;
    accounts::set_password(
        &txn,
        &state.config,
        account,
        password,
        algorithm,
        keep_session,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
