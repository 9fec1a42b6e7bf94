//! Account recovery (issue 10, as the PHP FlexiAPI's "recover my account"
//! pages): a 4-digit code sent to the account's e-mail address or phone,
//! at most [`MAX_ATTEMPTS`] tries, valid `APP_RECOVERY_CODE_EXPIRATION_MINUTES`;
//! a right code gives a single-use link to set a new password, the same
//! link an admin can mail (`send_reset_password_email`).
//!
//! The pages answer the same whether or not an account matches: the code
//! is stored and sent in a detached task, so neither the page nor its
//! timing tells. Codes and link tokens are stored as their SHA-256, and
//! every try is taken by a conditional UPDATE before the comparison, so
//! concurrent guesses never get more than the limit.

use chrono::{Duration, NaiveDateTime};
use sea_orm::{ConnectionTrait, DbErr};

use crate::auth::digest::Algorithm;
use crate::db::entities::{account, account_recovery_token, reset_password_token};
use crate::db::pending_codes::Tried;
use crate::db::{accounts, recovery_codes, recovery_tokens, reset_password_tokens};
use crate::error::ApiResult;
use crate::notify::{mails, sms};
use crate::secrets;
use crate::service::codes::CodeKind;
use crate::state::AppState;

/// Wrong tries before a recovery code is dropped (PHP's `RecoveryCode`).
pub const MAX_ATTEMPTS: i32 = 3;
/// Codes sent to one account in a minute, whatever the client address.
const CODES_PER_ACCOUNT_PER_MINUTE: u32 = 1;
/// How long the link given after a right code works.
pub const RESET_AFTER_CODE: Duration = Duration::minutes(15);
/// Letters and digits of a password reset token.
pub const RESET_TOKEN_LENGTH: usize = 40;

/// Where the code goes, and the page it is typed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Email,
    Phone,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Email => "email",
            Method::Phone => "phone",
        }
    }
}

/// The activated, unblocked account of `username` in `APP_SIP_DOMAIN` whose e-mail
/// is `email` (compared without case, the same on every backend).
pub async fn find_by_email(
    state: &AppState,
    email: &str,
    username: &str,
) -> Result<Option<account::Model>, DbErr> {
    let found = accounts::find_by_address(&state.db, username, &state.config.sip_domain).await?;
    Ok(found.filter(|a| {
        a.may_authenticate()
            && a.email
                .as_deref()
                .is_some_and(|stored| stored.eq_ignore_ascii_case(email))
    }))
}

/// The activated, unblocked account whose phone or alias is `phone`.
pub async fn find_by_phone(state: &AppState, phone: &str) -> Result<Option<account::Model>, DbErr> {
    let found = accounts::find_activated_by_phone(&state.db, phone).await?;
    Ok(found.filter(|a| !a.blocked))
}

/// Sends a new code to `account` by `method` (replacing a pending one),
/// unless the account got one in the last minute. Returns at once: the
/// code is stored, then sent, in a detached task, and a failed delivery
/// removes it (logged, never shown: the page must not tell).
pub async fn send_code(state: &AppState, account: account::Model, method: Method) -> ApiResult<()> {
    // Locked after too many wrong codes, or past the account's limit: no
    // new code, and the same page.
    let may_send = crate::service::sms_codes::may_send_quietly(
        state,
        account.id,
        &format!("recovery:account:{}", account.id),
        CODES_PER_ACCOUNT_PER_MINUTE,
        "recovery code",
    )
    .await?;
    if !may_send {
        return Ok(());
    }
    let state = state.clone();
    tokio::spawn(async move {
        let account_id = account.id;
        if let Err(err) = store_and_deliver(&state, &account, method).await {
            tracing::warn!(account_id, method = method.name(), error = %err, "recovery code not sent");
        }
    });
    Ok(())
}

#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("mail: {0}")]
    Mail(#[from] crate::notify::MailError),
    #[error("mail template: {0}")]
    Template(#[from] askama::Error),
    #[error("SMS: {0}")]
    Sms(#[from] crate::notify::SmsError),
    #[error("the account has no {0}")]
    NoAddress(&'static str),
}

async fn store_and_deliver(
    state: &AppState,
    account: &account::Model,
    method: Method,
) -> Result<(), DeliveryError> {
    let code = CodeKind::Pin.generate();
    let now = state.clock.now_naive();
    let id = recovery_codes::replace(
        &state.db,
        account.id,
        secrets::sha256_hex(&code),
        method.name(),
        now,
    )
    .await?;

    let delivered = deliver(state, account, method, &code).await;
    if delivered.is_err() {
        recovery_codes::remove(&state.db, id).await?;
    }
    delivered
}

async fn deliver(
    state: &AppState,
    account: &account::Model,
    method: Method,
    code: &str,
) -> Result<(), DeliveryError> {
    let app_name = &state.config.app_name;
    match method {
        Method::Email => {
            let to = account
                .email
                .as_deref()
                .ok_or(DeliveryError::NoAddress("email"))?;
            let address = format!("{}@{}", account.username, account.domain);
            let lifetime = state.config.recovery_code_expiration_minutes;
            let mail = mails::recovery_code(app_name, to, &address, code, lifetime)?;
            state.mailer.send(mail).await?;
        }
        Method::Phone => {
            let to = account
                .phone
                .as_deref()
                .ok_or(DeliveryError::NoAddress("phone"))?;
            state
                .sms
                .send(to, &sms::validation_message(app_name, code))
                .await?;
        }
    }
    Ok(())
}

/// Presents `given` as the recovery code of `account_id` typed on the
/// `method` page: true when right (the code is then consumed). A wrong
/// code takes a try, and counts on the account's code guard; the
/// [`MAX_ATTEMPTS`]-th drops it. An expired code, or none, or a locked
/// account, is simply refused.
pub async fn check_code(
    state: &AppState,
    account: &account::Model,
    method: Method,
    given: &str,
    client: std::net::IpAddr,
) -> Result<bool, DbErr> {
    let db = &state.db;
    let account_id = account.id;
    if crate::service::code_guard::is_locked(state, account_id).await? {
        return Ok(false);
    }
    let Some(pending) = recovery_codes::pending(db, account_id, method.name()).await? else {
        return Ok(false);
    };
    let now = state.clock.now_naive();
    if let Some(minutes) = state.config.recovery_code_expiration_minutes
        && pending.created_at <= now - Duration::minutes(minutes)
    {
        return Ok(false);
    }
    let tried = recovery_codes::try_code(db, pending.id, MAX_ATTEMPTS, || {
        secrets::constant_time_eq(&pending.code_hash, &secrets::sha256_hex(given))
    })
    .await?;
    match tried {
        Tried::Right => Ok(true),
        Tried::Refused => Ok(false),
        Tried::Wrong => {
            crate::service::code_guard::record_failure(state, account, client).await?;
            Ok(false)
        }
    }
}

/// A new single-use password reset token for `account_id`, valid for
/// `lifetime`.
pub async fn issue_reset_token(
    conn: &impl ConnectionTrait,
    account_id: i32,
    lifetime: Duration,
    now: NaiveDateTime,
) -> Result<String, DbErr> {
    let token = secrets::random_alphanumeric(RESET_TOKEN_LENGTH);
    reset_password_tokens::insert(
        conn,
        account_id,
        secrets::sha256_hex(&token),
        now + lifetime,
        now,
    )
    .await?;
    Ok(token)
}

fn plausible_reset_token(given: &str) -> bool {
    given.len() == RESET_TOKEN_LENGTH && given.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The live, unused reset token `given`.
pub async fn find_reset_token(
    state: &AppState,
    given: &str,
) -> Result<Option<reset_password_token::Model>, DbErr> {
    if !plausible_reset_token(given) {
        return Ok(None);
    }
    let now = state.clock.now_naive();
    reset_password_tokens::find_live(&state.db, &secrets::sha256_hex(given), now).await
}

/// Uses the reset token `given` to replace the account's password, in one
/// transaction; the account, or `None` when the token is not live.
pub async fn reset_password(
    state: &AppState,
    given: &str,
    password: &str,
    algorithm: Algorithm,
) -> Result<Option<account::Model>, DbErr> {
    let Some(token) = find_reset_token(state, given).await? else {
        return Ok(None);
    };
    let Some(account) = accounts::find_by_id(&state.db, token.account_id).await? else {
        return Ok(None);
    };
    let now = state.clock.now_naive();
    let txn = crate::db::begin_write(&state.db).await?;
    if !reset_password_tokens::claim(&txn, token.id, now).await? {
        txn.rollback().await?;
        return Ok(None);
    }
    accounts::set_password(&txn, &state.config, &account, password, algorithm, None).await?;
    txn.commit().await?;
    tracing::info!(account_id = account.id, "password reset");
    Ok(Some(account))
}

/// The unused recovery token `given` pushed to a device less than
/// `APP_ACCOUNT_RECOVERY_TOKEN_EXPIRATION_MINUTES` ago (`0`: no expiry)
/// (`/recovery/phone/{token}`).
pub async fn find_recovery_token(
    state: &AppState,
    given: &str,
) -> Result<Option<account_recovery_token::Model>, DbErr> {
    if !crate::service::creation_tokens::is_well_formed(given) {
        return Ok(None);
    }
    let live_since = state
        .config
        .account_recovery_token_expiration_minutes
        .map(|minutes| state.clock.now_naive() - Duration::minutes(minutes));
    recovery_tokens::find_unused(&state.db, &secrets::sha256_hex(given), live_since).await
}

/// Uses a recovery token for one code request, linking it to the account
/// when one matched; false when another request used it first.
pub async fn use_recovery_token(
    state: &AppState,
    id: i32,
    account_id: Option<i32>,
) -> Result<bool, DbErr> {
    recovery_tokens::use_token(&state.db, id, account_id, state.clock.now_naive()).await
}
