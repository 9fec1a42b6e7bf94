//! Changing an account's e-mail address: the mail sent to the new address
//! holds a single-use link, valid 24 hours, and a 4-digit code (as the PHP
//! FlexiAPI 2.x), valid `APP_EMAIL_CHANGE_CODE_EXPIRATION_MINUTES`, that
//! the account sends back (`POST /api/accounts/me/email`). Either applies
//! the change.
//!
//! Only SHA-256 hashes of the link's secret and of the code are stored, so
//! the database alone cannot confirm a change. Requests are limited per
//! account and per new address, as each sends a mail from the service; a
//! wrong code counts on the account's code guard (`crate::service::code_guard`).

use std::net::IpAddr;

use askama::Template;
use chrono::Duration;

use crate::db::entities::{account, email_changed};
use crate::db::{accounts, email_changes};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::notify::Mail;
use crate::secrets;
use crate::service::codes::CodeKind;
use crate::service::fields;
use crate::state::AppState;

/// How long a confirmation link stays valid.
pub const LINK_LIFETIME: Duration = Duration::hours(24);

/// Length of the link's secret.
const SECRET_LENGTH: usize = 40;

/// Mails one address may receive in a minute, whichever accounts ask:
/// the service's sender must not be a way to flood someone's mailbox.
const MAILS_PER_ADDRESS_PER_MINUTE: u32 = 1;

#[derive(Template)]
#[template(path = "mail/email_change.txt")]
struct MailText<'a> {
    app_name: &'a str,
    account: &'a str,
    link: &'a str,
    code: &'a str,
    code_minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/email_change.html")]
struct MailHtml<'a> {
    app_name: &'a str,
    account: &'a str,
    link: &'a str,
    code: &'a str,
    code_minutes: i64,
}

/// The confirmation URL for `secret`.
pub fn link(app_url: &str, secret: &str) -> String {
    format!("{app_url}/accounts/email/confirm/{secret}")
}

/// Validates `{email}` (a valid address, different from the current one),
/// then [`request`]s the change. Shared by the API and the panel.
pub async fn request_checked(
    state: &AppState,
    account: &account::Model,
    body: &JsonObject,
) -> ApiResult<()> {
    // Limited per account, whatever the address the request comes from.
    crate::rate_limit::hit(
        &state.db,
        &format!("email-change:account:{}", account.id),
        state.config.rate_limit_per_minute,
        state.clock.now_naive(),
    )
    .await?;
    crate::service::code_guard::refuse_if_locked(state, account.id).await?;
    let mut v = body.validator();
    v.required_string("email");
    let email = fields::optional_email(&mut v);
    if let Some(email) = email {
        let current = account.email.as_deref().unwrap_or_default();
        v.check(
            "email",
            !current.eq_ignore_ascii_case(email),
            "The email must be different from the current one.",
        );
    }
    v.finish()?;
    let Some(email) = email else {
        return Err(ApiError::field("email", "The email field is required."));
    };
    // And per new address, compared without case.
    crate::rate_limit::hit(
        &state.db,
        &format!(
            "email-change:to:{}",
            secrets::sha256_hex(&email.to_lowercase())
        ),
        MAILS_PER_ADDRESS_PER_MINUTE,
        state.clock.now_naive(),
    )
    .await?;
    request(state, account, email).await
}

/// Mails a confirmation link and code to `new_email`, then records the
/// pending change (replacing any earlier one). Nothing is recorded when the
/// mail fails.
pub async fn request(state: &AppState, account: &account::Model, new_email: &str) -> ApiResult<()> {
    let secret = secrets::random_alphanumeric(SECRET_LENGTH);
    let code = CodeKind::Pin.generate();
    let code_minutes = state.config.email_change_code_expiration_minutes;
    let link = link(&state.config.app_url, &secret);
    let address = format!("{}@{}", account.username, account.domain);
    let app_name = &state.config.app_name;
    let mail = Mail {
        to: new_email.to_string(),
        subject: format!("{app_name}: confirm your new e-mail address"),
        text: MailText {
            app_name,
            account: &address,
            link: &link,
            code: &code,
            code_minutes,
        }
        .render()
        .map_err(ApiError::internal)?,
        html: MailHtml {
            app_name,
            account: &address,
            link: &link,
            code: &code,
            code_minutes,
        }
        .render()
        .map_err(ApiError::internal)?,
    };
    // Sent before anything is written, and outside any transaction: an SMTP
    // conversation must not hold the database.
    if let Err(err) = state.mailer.send(mail).await {
        tracing::warn!(error = %err, "e-mail change: the confirmation mail could not be sent");
        return Err(ApiError::Unavailable(
            "The confirmation mail could not be sent.".into(),
        ));
    }

    let now = state.clock.now_naive();
    email_changes::replace(
        &state.db,
        account.id,
        new_email,
        secrets::sha256_hex(&secret),
        secrets::sha256_hex(&code),
        now,
    )
    .await?;
    Ok(())
}

/// The pending, unexpired change behind `secret`, with its account.
pub async fn pending(
    state: &AppState,
    secret: &str,
) -> ApiResult<Option<(email_changed::Model, account::Model)>> {
    if secret.len() != SECRET_LENGTH || !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let change = email_changes::find_by_hash(&state.db, &secrets::sha256_hex(secret)).await?;
    let cutoff = state.clock.now_naive() - LINK_LIFETIME;
    let Some(change) = change.filter(|c| c.created_at > cutoff) else {
        return Ok(None);
    };
    let account = accounts::find_by_id(&state.db, change.account_id).await?;
    Ok(account.map(|account| (change, account)))
}

/// Applies the change behind `secret` once; returns the new address, or
/// `None` when the link is unknown, used or expired.
pub async fn confirm(state: &AppState, secret: &str) -> ApiResult<Option<String>> {
    let Some((change, account)) = pending(state, secret).await? else {
        return Ok(None);
    };
    // Applied once even under concurrency.
    if !email_changes::apply(&state.db, change.id, account.id, &change.new_email).await? {
        return Ok(None);
    }
    Ok(Some(change.new_email))
}

/// Applies the pending change with the code `{code}` mailed with it. The
/// code gets one check: a wrong one drops it (`422` on `code`, as the PHP
/// FlexiAPI answers a wrong code; the link stays); past its lifetime it
/// is a `410`; no code pending is a `404`; a locked account a `429`.
/// Returns the new address.
pub async fn confirm_code(
    state: &AppState,
    account: &account::Model,
    body: &JsonObject,
    client: IpAddr,
) -> ApiResult<String> {
    let code = CodeKind::Pin.read(body)?;
    crate::service::code_guard::refuse_if_locked(state, account.id).await?;
    let none_pending = || ApiError::NotFound("No e-mail change is pending.".into());
    let pending = email_changes::pending_with_code(&state.db, account.id)
        .await?
        .ok_or_else(none_pending)?;
    let stored = pending.code_hash.clone().unwrap_or_default();
    // Dropping the code is the claim: of concurrent guesses, one is
    // compared.
    if !email_changes::take_code(&state.db, pending.id, &stored).await? {
        return Err(none_pending());
    }
    let lifetime = Duration::minutes(state.config.email_change_code_expiration_minutes);
    if pending.created_at <= state.clock.now_naive() - lifetime {
        return Err(ApiError::Gone("The code has expired.".into()));
    }
    if !secrets::constant_time_eq(&stored, &secrets::sha256_hex(code)) {
        crate::service::code_guard::record_failure(state, account, client).await?;
        return Err(ApiError::field("code", "The code is wrong."));
    }

    if !email_changes::apply(&state.db, pending.id, account.id, &pending.new_email).await? {
        return Err(none_pending());
    }
    Ok(pending.new_email)
}
