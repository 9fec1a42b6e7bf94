//! Tokens pushed to a device with `flexisip_pusher`: the legacy
//! `POST /api/tokens`, `POST /api/account_creation_tokens/send-by-push`
//! and `POST /api/account_recovery_tokens/send-by-push` share this flow:
//! the same device fields, the same limits (`403`), the same pusher
//! failure (`503`, nothing kept). Each keeps its tokens in its own table,
//! described by [`TokenTable`] (`src/db/push_tokens.rs`).

use chrono::{Duration, NaiveDateTime};
use sea_orm::PrimaryKeyTrait;

use crate::client::Client;
use crate::db::Db;
use crate::db::entities::{account_creation_token, account_recovery_token, token};
use crate::db::push_tokens;
pub use crate::db::push_tokens::{Device, TokenTable};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::creation_tokens;
use crate::state::AppState;

/// Providers `flexisip_pusher` knows (docs/flexisip.md, "flexisip_pusher").
const PROVIDERS: [&str; 3] = ["apns", "apns.dev", "fcm"];

/// What a device may be sent.
pub struct Policy {
    /// `APP_TOKENS_PER_DEVICE`: tokens ever issued to one device.
    pub per_device: u64,
    /// Unused tokens created after this still count as "already sent"
    /// (`APP_TOKEN_LIFETIME_MINUTES`).
    pub live_since: NaiveDateTime,
    /// A device whose token was used after this gets `429`
    /// (`APP_API_ACCOUNT_*_TOKEN_RETRY_MINUTES`); `None` for the legacy
    /// endpoint.
    pub retry: Option<(NaiveDateTime, Duration)>,
}

impl Policy {
    /// The limits of `POST /api/tokens`, with a retry delay of
    /// `retry_minutes` when given.
    pub fn new(state: &AppState, retry_minutes: Option<i64>) -> Self {
        let now = state.clock.now_naive();
        Policy {
            per_device: u64::from(state.config.tokens_per_device),
            live_since: now - Duration::minutes(state.config.token_lifetime_minutes),
            retry: retry_minutes
                .filter(|m| *m > 0)
                .map(|m| (now - Duration::minutes(m), Duration::minutes(m))),
        }
    }

    /// `own`: the row this request already wrote, counted in the limit but
    /// not as "another unused token".
    async fn check<T>(&self, db: &Db, device: &Device, own: Option<i32>) -> ApiResult<()>
    where
        T: TokenTable,
        T::Model: Sync,
        <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
    {
        if let Some((since, _)) = self.retry {
            // As the PHP service: a device that redeemed a token recently
            // waits before it gets another.
            let last_used = push_tokens::last_used_since::<T>(db, device, since).await?;
            if let Some(created) = last_used {
                // Allowed again at `created + delay`, and now is `since + delay`.
                let wait = (created - since).num_seconds().max(1) as u64;
                return Err(ApiError::TooManyRequests {
                    retry_after_seconds: wait,
                });
            }
        }
        let issued = push_tokens::count_of_device::<T>(db, device).await?;
        let allowed = if own.is_some() {
            issued <= self.per_device
        } else {
            issued < self.per_device
        };
        if !allowed {
            return Err(ApiError::Forbidden(
                "This device reached its token limit.".into(),
            ));
        }
        if push_tokens::count_pending::<T>(db, device, self.live_since, own).await? > 0 {
            return Err(ApiError::Forbidden(
                "A token was already sent to this device.".into(),
            ));
        }
        Ok(())
    }
}

/// Keeps `token` for `device` in table `T` and pushes it; `403` when a
/// limit refuses it, `503` (and no row kept) when the push fails.
pub async fn send<T>(
    state: &AppState,
    device: Device,
    token: String,
    client: &Client,
    policy: Policy,
) -> ApiResult<()>
where
    T: TokenTable + 'static,
    <T::PrimaryKey as PrimaryKeyTrait>::ValueType: Into<i32>,
    T::ActiveModel: Send,
    T::Model: Sync,
{
    if !state.pusher.is_configured() {
        return Err(unavailable());
    }
    policy.check::<T>(&state.db, &device, None).await?;

    // The row is written before the push and checked again: two concurrent
    // requests for one device (even on two nodes) then see each other's
    // row, and at least one of them gives up. Each statement is
    // autocommitted, which needs no lock and no backend-specific SQL, and
    // no transaction is held open while the pusher runs.
    let now = state.clock.now_naive();
    let sender = (client.ip.to_string(), client.user_agent.clone());
    let row = T::new_row(&device, &token, (&sender.0, sender.1.as_deref()), now);
    let id = push_tokens::insert::<T>(&state.db, row).await?;
    if let Err(refused) = policy.check::<T>(&state.db, &device, Some(id)).await {
        push_tokens::delete::<T>(&state.db, id).await?;
        return Err(refused);
    }

    // In its own task, so that a client hanging up mid-push still leaves
    // the row kept or removed according to the pusher's outcome.
    let state = state.clone();
    let task = tokio::spawn(async move {
        let pushed = state
            .pusher
            .push_token(&device.provider, &device.param, &device.prid, &token)
            .await;
        if pushed.is_err() {
            push_tokens::delete::<T>(&state.db, id).await?;
            return Err(unavailable());
        }
        Ok(())
    });
    task.await.map_err(ApiError::internal)?
}

fn unavailable() -> ApiError {
    ApiError::Unavailable("The push notification could not be sent.".into())
}

/// Required strings within their column sizes; `pn_provider` one that
/// `flexisip_pusher` accepts, as any other would only make it fail.
pub fn validate(body: &JsonObject) -> ApiResult<Device> {
    let mut v = body.validator();
    let provider = v.required_string("pn_provider");
    let param = v.required_string("pn_param");
    let prid = v.required_string("pn_prid");
    if let Some(provider) = provider {
        v.check(
            "pn_provider",
            PROVIDERS.contains(&provider),
            "The selected pn_provider is invalid.",
        );
    }
    for (field, value) in [("pn_param", param), ("pn_prid", prid)] {
        let Some(value) = value else { continue };
        v.check(
            field,
            value.chars().count() <= 255,
            format!("The {field} may not be greater than 255 characters."),
        );
        // A NUL cannot be passed as an argument; other controls have no
        // place in a push address.
        v.check(
            field,
            !value.chars().any(char::is_control),
            format!("The {field} must not contain control characters."),
        );
    }
    // Upstream's character sets (its PnParam and PnPrid rules), and no
    // leading `-`: `flexisip_pusher` would read the value as an option.
    if let Some(param) = param.filter(|_| !v.has_error("pn_param")) {
        v.check(
            "pn_param",
            is_pn_param(param),
            "The pn_param should contain only alphanumeric, dots and underscore characters.",
        );
    }
    if let Some(prid) = prid.filter(|_| !v.has_error("pn_prid")) {
        v.check(
            "pn_prid",
            is_pn_prid(prid),
            "The pn_prid should contain only alphanumeric, dashes, underscore and colon \
             characters, and not start with a dash.",
        );
    }
    v.finish()?;
    let text = |value: Option<&str>| value.unwrap_or_default().to_string();
    Ok(Device {
        provider: text(provider),
        param: text(param),
        prid: text(prid),
    })
}

/// ASCII letters, digits, `_` and `.` (upstream's `^[\w.]+$`).
fn is_pn_param(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
}

/// ASCII letters, digits, `_`, `-` and `:` (upstream's `^[\w\-:]+$`), not
/// starting with `-`.
fn is_pn_prid(value: &str) -> bool {
    !value.starts_with('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'))
}

/// Random alphanumerics of a push token of `/api/tokens` (the column holds
/// 64).
pub const LEGACY_TOKEN_LENGTH: usize = 32;

/// What a `send-by-push` request pushes, each kind to its own table.
#[derive(Clone, Copy, Debug)]
pub enum PushedToken {
    /// `POST /api/tokens`, for `POST /api/accounts/with-token`.
    Legacy,
    /// `POST /api/account_creation_tokens/send-by-push`.
    AccountCreation,
    /// `POST /api/account_recovery_tokens/send-by-push`.
    AccountRecovery,
}

/// The one flow of the three `send-by-push` routes: the device from the
/// body, a new token of `kind` under its limits, pushed.
pub async fn send_by_push(
    state: &AppState,
    kind: PushedToken,
    body: &JsonObject,
    client: &Client,
) -> ApiResult<()> {
    let device = validate(body)?;
    let config = &state.config;
    match kind {
        PushedToken::Legacy => {
            let token = crate::secrets::random_alphanumeric(LEGACY_TOKEN_LENGTH);
            let policy = Policy::new(state, None);
            send::<token::Entity>(state, device, token, client, policy).await
        }
        PushedToken::AccountCreation => {
            let (token, _) = creation_tokens::new_token();
            let policy = Policy::new(state, Some(config.account_creation_token_retry_minutes));
            send::<account_creation_token::Entity>(state, device, token, client, policy).await
        }
        PushedToken::AccountRecovery => {
            let (token, _) = creation_tokens::new_token();
            let policy = Policy::new(state, Some(config.account_recovery_token_retry_minutes));
            send::<account_recovery_token::Entity>(state, device, token, client, policy).await
        }
    }
}
