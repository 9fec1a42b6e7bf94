//! `POST /api/account_recovery_tokens/send-by-push`: a recovery token
//! pushed to a device, with the limits of `POST /api/tokens` and the retry
//! delay `APP_API_ACCOUNT_RECOVERY_TOKEN_RETRY_MINUTES`. The app then
//! opens the panel's phone recovery page with it
//! (`/recovery/phone/{account_recovery_token}`).

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::client::Client;
use super::push_token::{self, Policy};
use crate::creation_tokens;
use crate::db::entities::account_recovery_token;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/api/account_recovery_tokens/send-by-push",
            post(send_by_push),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "account-recovery-tokens"),
            crate::rate_limit::middleware,
        ))
}

async fn send_by_push(
    State(state): State<AppState>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    let device = push_token::validate(&body)?;
    let (token, _) = creation_tokens::new_token();
    let policy = Policy::new(
        &state,
        Some(state.config.account_recovery_token_retry_minutes),
    );
    push_token::send::<account_recovery_token::Entity>(&state, device, token, &client, policy)
        .await?;
    Ok(Json(json!({})))
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
