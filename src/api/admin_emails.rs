//! Admin mails to an account's e-mail address (issue 10, PHP's
//! `send_reset_password_email` and `send_provisioning_email`): a
//! single-use link to set a new password, or the account's provisioning
//! link with its QR code. `404` for an unknown account, `403` when it has
//! no e-mail address, `503` when the mail could not be sent.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Duration;

use super::admin_schemas::{AdminGuard, FromHeader};
use super::schemas::{Empty, Message};
use crate::audit::{self, Action, By};
use crate::auth::AdminUser;
use crate::db::accounts;
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::notify::{Mail, mails};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/accounts/{account}/send_reset_password_email",
            post(send_reset_password_email),
        )
        .route(
            "/api/accounts/{account}/send_provisioning_email",
            post(send_provisioning_email),
        )
}

/// The account of the path and its e-mail address.
async fn recipient(state: &AppState, id: &str) -> ApiResult<(account::Model, String)> {
    let id: i32 = id.parse().map_err(|_| ApiError::not_found())?;
    let account = accounts::find_by_id(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let Some(email) = account.email.clone() else {
        return Err(ApiError::Forbidden(
            "The account has no email address.".into(),
        ));
    };
    Ok((account, email))
}

/// Sends `mail`, then records `action`: a mail leaves outside any
/// transaction of ours, so only one that was sent is recorded (a token
/// issued for a mail that failed reached no one).
async fn send(
    state: &AppState,
    by: &By,
    action: Action,
    account: &account::Model,
    mail: Mail,
) -> ApiResult<Json<Empty>> {
    if let Err(err) = state.mailer.send(mail).await {
        tracing::warn!(account_id = account.id, error = %err, "admin mail not sent");
        return Err(ApiError::Unavailable("The email could not be sent.".into()));
    }
    audit::record(&state.db, by, action, account).await?;
    Ok(Json(Empty {}))
}

/// Mails the account a single-use link to set a new password.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/send_reset_password_email",
    tag = "admin",
    operation_id = "admin_accounts_send_reset_password_email",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The mail is sent", body = Empty),
        AdminGuard,
        (status = 403, description = "The account has no e-mail address, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
        (status = 503, description = "The mail could not be sent, or the database is unreachable", body = Message),
    ),
)]
async fn send_reset_password_email(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    let (account, email) = recipient(&state, &id).await?;
    let minutes = state.config.reset_password_email_token_expiration_minutes;
    let now = state.clock.now_naive();
    let token = crate::service::recovery::issue_reset_token(
        &state.db,
        account.id,
        Duration::minutes(minutes),
        now,
    )
    .await?;
    let link = format!("{}/recovery/password/{token}", state.config.app_url);
    let address = format!("{}@{}", account.username, account.domain);
    let mail = mails::reset_password(&state.config.app_name, &email, &address, &link, minutes)
        .map_err(ApiError::internal)?;
    send(&state, &by, Action::ResetPasswordEmail, &account, mail).await
}

/// Mails the account its provisioning link and QR code. As PHP: a fresh
/// provisioning token (replacing the account's previous one; its
/// activation key is left as it is).
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/send_provisioning_email",
    tag = "admin",
    operation_id = "admin_accounts_send_provisioning_email",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The mail is sent", body = Empty),
        AdminGuard,
        (status = 403, description = "The account has no e-mail address, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
        (status = 503, description = "The mail could not be sent, or the database is unreachable", body = Message),
    ),
)]
async fn send_provisioning_email(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    let (account, email) = recipient(&state, &id).await?;
    let key = crate::provisioning::tokens::issue(
        &state.db,
        account.id,
        state.clock.now_naive(),
        state.config.provisioning_token_expiration_minutes,
    )
    .await?;
    let base = &state.config.app_url;
    let link = format!("{base}/provisioning/{key}");
    let qrcode_link = format!("{base}/provisioning/qrcode/{key}");
    let address = format!("{}@{}", account.username, account.domain);
    let mail = mails::provisioning(
        &state.config.app_name,
        &email,
        &address,
        &link,
        &qrcode_link,
    )
    .map_err(ApiError::internal)?;
    send(&state, &by, Action::ProvisioningEmail, &account, mail).await
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(send_reset_password_email, send_provisioning_email))]
pub(crate) struct Doc;
