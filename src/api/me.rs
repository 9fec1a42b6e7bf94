//! The authenticated account's own routes: show, delete, change password,
//! request an e-mail change (logic shared with the panel).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::admin_schemas::{FromHeader, UserGuard};
use crate::auth::{AuthAccount, AuthUser};
use crate::client::Client;
use crate::db::accounts;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::state::AppState;

use super::schemas::{Account, DigestAlgorithm, Empty, Message, ValidationError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/me", get(show).delete(destroy))
        .route("/api/accounts/me/password", post(change_password))
        .route("/api/accounts/me/email/request", post(request_email_change))
        .route("/api/accounts/me/email", post(confirm_email_change))
}

/// The current JSON of the authenticated account (re-read: the request may
/// have changed it).
pub async fn account_json(state: &AppState, auth: &AuthAccount) -> ApiResult<Account> {
    let account = accounts::find_by_id(&state.db, auth.account.id)
        .await?
        .ok_or_else(crate::error::ApiError::not_found)?;
    let view = accounts::view_of(&state.db, account, auth.admin).await?;
    Ok(Account::new(&view, &state.config))
}

/// The authenticated account.
#[utoipa::path(
    get,
    path = "/api/accounts/me",
    tag = "user",
    operation_id = "me_show",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account", body = Account),
        UserGuard,
    ),
)]
async fn show(State(state): State<AppState>, AuthUser(auth): AuthUser) -> ApiResult<Json<Account>> {
    // Nothing changed since authentication: no need to read the account again.
    Ok(Json(Account::new(&auth.into_view(), &state.config)))
}

/// Deletes the authenticated account, with its passwords, aliases, keys and
/// codes.
#[utoipa::path(
    delete,
    path = "/api/accounts/me",
    tag = "user",
    operation_id = "me_delete",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account is deleted", body = Empty),
        UserGuard,
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
) -> ApiResult<Json<Empty>> {
    accounts::delete(&state.db, auth.account.id).await?;
    Ok(Json(Empty {}))
}

/// Replaces the account's passwords by one, hashed with `algorithm`.
#[utoipa::path(
    post,
    path = "/api/accounts/me/password",
    tag = "user",
    operation_id = "me_password_update",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    request_body = PasswordChange,
    responses(
        (status = 200, description = "The password is changed: the account", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        UserGuard,
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "Invalid fields (bad algorithm, short password, `old_password` missing or wrong), or a missing or malformed `From` header", body = ValidationError),
        (status = 429, description = "Too many wrong `old_password` values for this account: refused until the window ends", body = Message),
    ),
)]
async fn change_password(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    crate::service::self_service::password::change(&state, &auth.account, &body, None).await?;
    Ok(Json(account_json(&state, &auth).await?))
}

/// Mails a single-use confirmation link and a 4-digit code to a new
/// address; the account shows the pending change in `email_changed` until
/// it is confirmed. Limited per account and per new address.
#[utoipa::path(
    post,
    path = "/api/accounts/me/email/request",
    tag = "user",
    operation_id = "me_email_request",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    request_body = EmailChangeRequest,
    responses(
        (status = 200, description = "The link is sent: the account, with `email_changed`", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        UserGuard,
        (status = 403, description = "`Account unvalidated`: the account never consumed an account creation token and `APP_PHONE_EMAIL_CHANGE_NEEDS_CREATION_TOKEN` is on", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The e-mail is missing, invalid or the current one, or the `From` header is missing or malformed", body = ValidationError),
        (status = 429, description = "Too many requests for this account, or mails to this address, in the last minute; or the account's code flows are locked after too many wrong codes", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
        (status = 503, description = "The confirmation mail could not be sent (nothing is recorded)", body = Message),
    ),
)]
async fn request_email_change(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    crate::service::creation_tokens::check_may_request_changes(&state, auth.account.id).await?;
    crate::service::email_change::request_checked(&state, &auth.account, &body).await?;
    Ok(Json(account_json(&state, &auth).await?))
}

/// Applies the pending e-mail change with the code mailed to the new
/// address. The code gets one try (a wrong one is dropped; the link
/// stays) and expires after `APP_EMAIL_CHANGE_CODE_EXPIRATION_MINUTES`.
#[utoipa::path(
    post,
    path = "/api/accounts/me/email",
    tag = "user",
    operation_id = "me_email_confirm",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    request_body = EmailChangeConfirmation,
    responses(
        (status = 200, description = "The e-mail is changed: the account", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        UserGuard,
        (status = 404, description = "No e-mail change code is pending, or the `From` header names no account", body = Message),
        (status = 410, description = "The code has expired", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The code is wrong (it is dropped) or not 4 digits, or the `From` header is missing or malformed", body = ValidationError),
        (status = 429, description = "The account's code flows are locked after too many wrong codes", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the lock lifts"))),
    ),
)]
async fn confirm_email_change(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    crate::service::email_change::confirm_code(&state, &auth.account, &body, client.ip).await?;
    Ok(Json(account_json(&state, &auth).await?))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        show,
        destroy,
        change_password,
        request_email_change,
        confirm_email_change
    ),
    components(schemas(
        Empty,
        DigestAlgorithm,
        PasswordChange,
        EmailChangeRequest,
        EmailChangeConfirmation
    ))
)]
pub(crate) struct Doc;

/// `POST /api/accounts/me/password`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct PasswordChange {
    algorithm: DigestAlgorithm,
    /// Required when the account has a password.
    old_password: Option<String>,
    #[schema(min_length = 6, max_length = 255)]
    password: String,
}

/// `POST /api/accounts/me/email/request`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct EmailChangeRequest {
    /// The new address, different from the current one.
    #[schema(
        min_length = 5,
        max_length = 255,
        pattern = r"^[^@]+@[^@.][^@]*\.[^@]*[^@.]$"
    )]
    email: String,
}

/// `POST /api/accounts/me/email`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct EmailChangeConfirmation {
    /// The code received by e-mail.
    #[schema(
        pattern = "^[0-9]{4}$",
        min_length = 4,
        max_length = 4,
        example = "1234"
    )]
    code: String,
}
