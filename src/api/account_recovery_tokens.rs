//! `POST /api/account_recovery_tokens/send-by-push`: a recovery token
//! pushed to a device, with the limits of `POST /api/tokens` and the retry
//! delay `APP_API_ACCOUNT_RECOVERY_TOKEN_RETRY_MINUTES`. The app then
//! opens the panel's phone recovery page with it
//! (`/recovery/phone/{account_recovery_token}`).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

use crate::client::Client;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::service::push_tokens::{self, PushedToken};
use crate::state::AppState;

use super::push_token::PushDevice;
use super::schemas::{Empty, Message, ValidationError};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/api/account_recovery_tokens/send-by-push",
            post(send_by_push),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "account-recovery-tokens"),
            crate::rate_limit::http::middleware,
        ))
}

/// Pushes an account recovery token to a device; the app then opens the
/// panel's `/recovery/phone/{token}` with it.
#[utoipa::path(
    post,
    path = "/api/account_recovery_tokens/send-by-push",
    tag = "public",
    operation_id = "account_recovery_tokens_send_by_push",
    request_body = PushDevice,
    responses(
        (status = 200, description = "The token is pushed", body = Empty),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 403, description = "An unused token was already sent to this device, or it reached its token limit", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "A field is missing or invalid", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute, or this device redeemed a token too recently", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
        (status = 503, description = "No pusher is configured, or the push failed (no token is kept)", body = Message),
    ),
)]
async fn send_by_push(
    State(state): State<AppState>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Empty>> {
    push_tokens::send_by_push(&state, PushedToken::AccountRecovery, &body, &client).await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(send_by_push), components(schemas(Empty, PushDevice)))]
pub(crate) struct Doc;
