//! The QR login (auth tokens, see `crate::auth::auth_token`) and the API
//! keys a device gets from it or asks for itself.
//!
//! - `POST /api/accounts/auth_token` (public, rate-limited): a new token;
//! - `GET /api/accounts/auth_token/{token}/attach` (user): attach it;
//! - `GET /api/accounts/me/api_key/{token}` (public): exchange an attached
//!   token for an API key, once;
//! - `GET /api/accounts/me/api_key` (user): a fresh key, as plain text.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use crate::auth::{AuthAccount, api_key, auth_token};
use crate::clock::format_datetime;
use crate::db::accounts;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn public_router(state: &AppState) -> Router<AppState> {
    let create = Router::new()
        .route("/api/accounts/auth_token", post(create))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "auth_tokens"),
            crate::rate_limit::middleware,
        ));
    Router::new()
        .route("/api/accounts/me/api_key/{token}", get(exchange))
        .merge(create)
}

pub fn user_router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/auth_token/{token}/attach", get(attach))
        .route("/api/accounts/me/api_key", get(own_key))
}

/// `201` with the token, as the PHP service answers a model it just
/// created.
async fn create(State(state): State<AppState>) -> ApiResult<Response> {
    let now = state.clock.now_naive();
    let created = auth_token::create(&state.db, None, now).await?;
    let body = json!({
        "token": created.token,
        "expire_at": format_datetime(&created.expires_at),
        "updated_at": format_datetime(&created.created_at),
        "created_at": format_datetime(&created.created_at),
        "id": created.id,
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn attach(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Value>> {
    // A segment that is not even UTF-8 names no token.
    let Ok(Path(token)) = token else {
        return Err(ApiError::not_found());
    };
    let now = state.clock.now_naive();
    if !auth_token::attach(&state.db, &token, auth.account.id, now).await? {
        return Err(ApiError::not_found());
    }
    tracing::info!(account_id = auth.account.id, "auth token attached");
    Ok(Json(json!({})))
}

async fn exchange(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Value>> {
    let Ok(Path(token)) = token else {
        return Err(ApiError::not_found());
    };
    let now = state.clock.now_naive();
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(account_id) = auth_token::take_attached(&txn, &token, now).await? else {
        return Err(ApiError::not_found());
    };
    // An account deactivated since the attachment gets no key.
    let activated = accounts::find_by_id(&txn, account_id)
        .await?
        .is_some_and(|account| account.activated);
    if !activated {
        return Err(ApiError::not_found());
    }
    let key = api_key::issue_for_device(
        &txn,
        account_id,
        now,
        state.config.api_key_expiration_minutes,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account_id, "API key issued from an auth token");
    Ok(Json(json!({ "api_key": key })))
}

/// The key alone as the body, as the PHP service answers.
async fn own_key(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
) -> ApiResult<Response> {
    let now = state.clock.now_naive();
    let txn = crate::db::begin_write(&state.db).await?;
    let key = api_key::issue_for_device(
        &txn,
        auth.account.id,
        now,
        state.config.api_key_expiration_minutes,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(account_id = auth.account.id, "API key issued to a device");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        key,
    )
        .into_response())
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
