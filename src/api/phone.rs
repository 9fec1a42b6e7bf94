//! Phone change of the authenticated account: a 4-digit PIN goes by SMS to
//! the new number (`POST /api/accounts/me/phone/request`), and the PIN
//! makes it the account's phone and alias (`POST /api/accounts/me/phone`).
//! The logic is shared with the panel in [`crate::service::self_service::phone`].

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

use super::admin_schemas::{FromHeader, UserGuard};
use super::me::account_json;
use crate::auth::AuthUser;
use crate::client::Client;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::service::self_service::phone;
use crate::state::AppState;

use super::schemas::{Account, Empty, Message, ValidationError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/me/phone/request", post(request))
        .route("/api/accounts/me/phone", post(confirm))
}

/// Sends a 4-digit code by SMS to a new phone number (replacing an earlier
/// pending change). Limited per account, as each costs an SMS.
#[utoipa::path(
    post,
    path = "/api/accounts/me/phone/request",
    tag = "user",
    operation_id = "me_phone_request",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    request_body = PhoneChangeRequest,
    responses(
        (status = 200, description = "The code is sent", body = Empty),
        (status = 400, description = "The body is not a JSON object", body = Message),
        UserGuard,
        (status = 403, description = "`Account unvalidated`: the account never consumed an account creation token and `APP_PHONE_EMAIL_CHANGE_NEEDS_CREATION_TOKEN` is on", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The phone is missing, not `+` and 6 to 15 digits, or already used by an account; or the `From` header is missing or malformed", body = ValidationError),
        (status = 429, description = "Too many requests for this account in the last minute, or its code flows are locked after too many wrong codes", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
        (status = 503, description = "The SMS could not be sent (nothing is recorded)", body = Message),
    ),
)]
async fn request(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    body: JsonObject,
) -> ApiResult<Json<Empty>> {
    crate::service::creation_tokens::check_may_request_changes(&state, auth.account.id).await?;
    phone::request(&state, &auth.account, &body).await?;
    Ok(Json(Empty {}))
}

/// Makes the pending phone number the account's phone and alias. The code
/// gets one try: a wrong one cancels the change; it expires after
/// `APP_PHONE_CHANGE_CODE_EXPIRATION_MINUTES`.
#[utoipa::path(
    post,
    path = "/api/accounts/me/phone",
    tag = "user",
    operation_id = "me_phone_confirm",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    request_body = PhoneChangeConfirmation,
    responses(
        (status = 200, description = "The phone is changed: the account", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        UserGuard,
        (status = 404, description = "No phone change is pending, or the `From` header names no account", body = Message),
        (status = 410, description = "The code has expired: the pending change is dropped", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The code is wrong (the pending change is cancelled) or not 4 digits, the phone was taken meanwhile, or the `From` header is missing or malformed", body = ValidationError),
        (status = 429, description = "The account's code flows are locked after too many wrong codes", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the lock lifts"))),
    ),
)]
async fn confirm(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    phone::confirm(&state, &auth.account, &body, client.ip).await?;
    Ok(Json(account_json(&state, &auth).await?))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(request, confirm),
    components(schemas(PhoneChangeRequest, PhoneChangeConfirmation))
)]
pub(crate) struct Doc;

/// `POST /api/accounts/me/phone/request`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct PhoneChangeRequest {
    /// `+` and 6 to 15 digits, used by no account.
    #[schema(
        pattern = r"^\+[0-9]{6,15}$",
        min_length = 7,
        max_length = 16,
        example = "+33612345678"
    )]
    phone: String,
}

/// `POST /api/accounts/me/phone`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct PhoneChangeConfirmation {
    /// The code received by SMS.
    #[schema(
        pattern = "^[0-9]{4}$",
        min_length = 4,
        max_length = 4,
        example = "1234"
    )]
    code: String,
}
