//! `POST /api/tokens`: a random token pushed to a device with
//! `flexisip_pusher`; the app proves it runs on a real device by creating
//! its account with that token (`POST /api/accounts/with-token`).

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
        .route("/api/tokens", post(create))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "tokens"),
            crate::rate_limit::http::middleware,
        ))
}

/// Pushes a token to a device with `flexisip_pusher`; the app then creates
/// its account with it (`POST /api/accounts/with-token`).
#[utoipa::path(
    post,
    path = "/api/tokens",
    tag = "public",
    operation_id = "tokens_create",
    request_body = PushDevice,
    responses(
        (status = 200, description = "The token is pushed", body = Empty),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 403, description = "An unused token was already sent to this device, or it reached its token limit", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "A field is missing or invalid", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
        (status = 503, description = "No pusher is configured, or the push failed (no token is kept)", body = Message),
    ),
)]
async fn create(
    State(state): State<AppState>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Empty>> {
    push_tokens::send_by_push(&state, PushedToken::Legacy, &body, &client).await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(create), components(schemas(Empty, PushDevice)))]
pub(crate) struct Doc;
