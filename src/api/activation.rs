//! `POST /api/accounts/{sip}/activate/email` and `…/activate/phone`: an
//! account created with a token activates itself with the code it received
//! (docs/api.md, "Public endpoints": the code is checked first, then the expiry).

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};

use super::public_accounts::find_by_sip;
use crate::client::Client;
use crate::db::accounts;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::code_guard;
use crate::service::codes::{self, CodeKind, KeyCheck};
use crate::state::AppState;

use super::schemas::{Account, Message, ValidationError};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/accounts/{account}/activate/email", post(by_email))
        .route("/api/accounts/{account}/activate/phone", post(by_phone))
        // One bucket for both: a guesser gains nothing by alternating.
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "activation"),
            crate::rate_limit::http::middleware,
        ))
}

/// Activates an account with the 13-character key sent by e-mail. The code is
/// checked first, then its expiry; wrong tries are counted and the pending
/// code is dropped after `APP_CODE_MAX_ATTEMPTS`.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/activate/email",
    tag = "public",
    operation_id = "accounts_activate_email",
    params(("account" = String, Path, description = "The SIP address `username@domain`")),
    request_body = EmailCode,
    responses(
        (status = 200, description = "The activated account", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 403, description = "The right code, but expired", body = Message),
        (status = 404, description = "No such account, a wrong or dropped code, or the account's code flows locked after too many wrong codes", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The code is missing or not 13 characters", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
    ),
)]
async fn by_email(
    State(state): State<AppState>,
    Path(sip): Path<String>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    activate(state, &sip, &client, &body, CodeKind::Key).await
}

/// Activates an account with the 4-digit PIN sent by SMS. The code is
/// checked first, then its expiry; wrong tries are counted and the pending
/// code is dropped after `APP_CODE_MAX_ATTEMPTS`.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/activate/phone",
    tag = "public",
    operation_id = "accounts_activate_phone",
    params(("account" = String, Path, description = "The SIP address `username@domain`")),
    request_body = PhoneCode,
    responses(
        (status = 200, description = "The activated account", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 403, description = "The right code, but expired", body = Message),
        (status = 404, description = "No such account, a wrong or dropped code, or the account's code flows locked after too many wrong codes", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The code is missing or not 4 digits", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
    ),
)]
async fn by_phone(
    State(state): State<AppState>,
    Path(sip): Path<String>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    activate(state, &sip, &client, &body, CodeKind::Pin).await
}

async fn activate(
    state: AppState,
    sip: &str,
    client: &Client,
    body: &JsonObject,
    kind: CodeKind,
) -> ApiResult<Json<Account>> {
    let code = kind.read(body)?;
    let account = find_by_sip(&state, sip).await?;
    // Locked after too many wrong codes: answered as a wrong code, so the
    // lock tells nothing more than a wrong code does.
    if code_guard::is_locked(&state, account.id).await? {
        return Err(ApiError::not_found());
    }
    let check = codes::consume_confirmation_key(
        &state.db,
        account.id,
        code,
        state.config.code_max_attempts,
        state.config.activation_key_expiration_minutes,
        state.clock.now_naive(),
    )
    .await?;
    match check {
        KeyCheck::Accepted => {}
        KeyCheck::Wrong => {
            code_guard::record_failure(&state, &account, client.ip).await?;
            return Err(ApiError::not_found());
        }
        KeyCheck::Rejected => return Err(ApiError::not_found()),
        KeyCheck::Expired => {
            return Err(ApiError::Forbidden(
                "The activation code has expired.".into(),
            ));
        }
    }
    let account = accounts::find_by_id(&state.db, account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let view = accounts::view(&state.db, account).await?;
    Ok(Json(Account::new(&view, &state.config)))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(by_email, by_phone), components(schemas(EmailCode, PhoneCode)))]
pub(crate) struct Doc;

/// `POST /api/accounts/{account}/activate/email`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct EmailCode {
    /// The key received by e-mail.
    #[schema(min_length = 13, max_length = 13)]
    code: String,
}

/// `POST /api/accounts/{account}/activate/phone`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct PhoneCode {
    /// The PIN received by SMS.
    #[schema(
        pattern = "^[0-9]{4}$",
        min_length = 4,
        max_length = 4,
        example = "1234"
    )]
    code: String,
}
