//! Changing an account's e-mail address: a single-use link, mailed to the
//! new address, applies the change within 24 hours.
//!
//! Only a SHA-256 of the link's secret is stored, so the database alone
//! cannot confirm a change.

use askama::Template;
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};

use crate::api::fields;
use crate::db::entities::{account, email_changed};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::notify::Mail;
use crate::secrets;
use crate::state::AppState;

/// How long a confirmation link stays valid.
pub const LINK_LIFETIME: Duration = Duration::hours(24);

/// Length of the link's secret.
const SECRET_LENGTH: usize = 40;

#[derive(Template)]
#[template(path = "mail/email_change.txt")]
struct MailText<'a> {
    app_name: &'a str,
    account: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/email_change.html")]
struct MailHtml<'a> {
    app_name: &'a str,
    account: &'a str,
    link: &'a str,
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
    request(state, account, email).await
}

/// Mails a confirmation link to `new_email`, then records the pending change
/// (replacing any earlier one). Nothing is recorded when the mail fails.
pub async fn request(state: &AppState, account: &account::Model, new_email: &str) -> ApiResult<()> {
    let secret = secrets::random_alphanumeric(SECRET_LENGTH);
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
        }
        .render()
        .map_err(ApiError::internal)?,
        html: MailHtml {
            app_name,
            account: &address,
            link: &link,
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
    let txn = crate::db::begin_write(&state.db).await?;
    email_changed::Entity::delete_many()
        .filter(email_changed::Column::AccountId.eq(account.id))
        .exec(&txn)
        .await?;
    email_changed::ActiveModel {
        account_id: Set(account.id),
        new_email: Set(new_email.to_string()),
        hash: Set(secrets::sha256_hex(&secret)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
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
    let change = email_changed::Entity::find()
        .filter(email_changed::Column::Hash.eq(secrets::sha256_hex(secret)))
        .one(&state.db)
        .await?;
    let cutoff = state.clock.now_naive() - LINK_LIFETIME;
    let Some(change) = change.filter(|c| c.created_at > cutoff) else {
        return Ok(None);
    };
    let account = account::Entity::find_by_id(change.account_id)
        .one(&state.db)
        .await?;
    Ok(account.map(|account| (change, account)))
}

/// Applies the change behind `secret` once; returns the new address, or
/// `None` when the link is unknown, used or expired.
pub async fn confirm(state: &AppState, secret: &str) -> ApiResult<Option<String>> {
    let Some((change, account)) = pending(state, secret).await? else {
        return Ok(None);
    };
    let txn = crate::db::begin_write(&state.db).await?;
    // Deleting by id first makes the link single use even under concurrency.
    let deleted = email_changed::Entity::delete_by_id(change.id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected != 1 {
        return Ok(None);
    }
    account::Entity::update_many()
        .col_expr(
            account::Column::Email,
            Expr::value(change.new_email.clone()),
        )
        .filter(account::Column::Id.eq(account.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(change.new_email))
}
