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
use axum::{Json, Router};

use super::admin_schemas::{FromHeader, UserGuard};
use crate::auth::{AuthUser, api_key, auth_token};
use crate::clock::format_datetime;
use crate::db::accounts;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

use super::schemas::{Empty, Message};

pub fn public_router(state: &AppState) -> Router<AppState> {
    let create = Router::new()
        .route("/api/accounts/auth_token", post(create))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "auth_tokens"),
            crate::rate_limit::http::middleware,
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
/// A new auth token, to be attached by an authenticated device
/// (`…/auth_token/{token}/attach`) within 5 minutes.
#[utoipa::path(
    post,
    path = "/api/accounts/auth_token",
    tag = "public",
    operation_id = "auth_tokens_create",
    responses(
        (status = 201, description = "The new token", body = AuthToken),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
    ),
)]
async fn create(State(state): State<AppState>) -> ApiResult<Response> {
    let now = state.clock.now_naive();
    let created = auth_token::create(&state.db, None, now).await?;
    let body = AuthToken {
        token: created.token,
        expire_at: format_datetime(&created.expires_at),
        updated_at: format_datetime(&created.created_at),
        created_at: format_datetime(&created.created_at),
        id: created.id.into(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Attaches a live auth token to the authenticated account, so that the
/// device holding it can take an API key or its provisioning.
#[utoipa::path(
    get,
    path = "/api/accounts/auth_token/{token}/attach",
    tag = "user",
    operation_id = "auth_tokens_attach",
    security(("api_key" = []), ("digest" = [])),
    params(
        FromHeader,
        ("token" = String, Path, description = "The auth token")),
    responses(
        (status = 200, description = "The token is attached", body = Empty),
        UserGuard,
        (status = 404, description = "Unknown, expired or already attached token, or the `From` header names no account", body = Message),
    ),
)]
async fn attach(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Empty>> {
    // A segment that is not even UTF-8 names no token.
    let Ok(Path(token)) = token else {
        return Err(ApiError::not_found());
    };
    let now = state.clock.now_naive();
    if !auth_token::attach(&state.db, &token, auth.account.id, now).await? {
        return Err(ApiError::not_found());
    }
    tracing::info!(account_id = auth.account.id, "auth token attached");
    Ok(Json(Empty {}))
}

/// Exchanges an attached auth token for an API key of its account, once.
#[utoipa::path(
    get,
    path = "/api/accounts/me/api_key/{token}",
    tag = "public",
    operation_id = "auth_tokens_exchange_for_api_key",
    params(("token" = String, Path, description = "An auth token attached to an account")),
    responses(
        (status = 200, description = "A new API key of the token's account (replacing its previous key)", body = DeviceApiKey),
        (status = 404, description = "Unknown, expired, unattached or used token, or a deactivated account", body = Message),
    ),
)]
async fn exchange(
    State(state): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<DeviceApiKey>> {
    let Ok(Path(token)) = token else {
        return Err(ApiError::not_found());
    };
    let now = state.clock.now_naive();
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(account_id) = auth_token::take_attached(&txn, &token, now).await? else {
        return Err(ApiError::not_found());
    };
    // An account deactivated or blocked since the attachment gets no key.
    let usable = accounts::find_by_id(&txn, account_id)
        .await?
        .is_some_and(|account| account.may_authenticate());
    if !usable {
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
    Ok(Json(DeviceApiKey { api_key: key }))
}

/// The key alone as the body, as the PHP service answers.
#[utoipa::path(
    get,
    path = "/api/accounts/me/api_key",
    tag = "user",
    operation_id = "me_api_key_generate",
    description = "A new API key for the authenticated account, as plain text. It replaces the account's previous key: a client authenticated by key must use the new one from then on.",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The new key", body = String, content_type = "text/plain"),
        UserGuard,
    ),
)]
async fn own_key(State(state): State<AppState>, AuthUser(auth): AuthUser) -> ApiResult<Response> {
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

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create, attach, exchange, own_key),
    components(schemas(Empty, AuthToken, DeviceApiKey))
)]
pub(crate) struct Doc;

/// `POST /api/accounts/auth_token`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AuthToken {
    /// 32 letters and digits.
    token: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    expire_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    updated_at: String,
    /// `YYYY-MM-DD HH:MM:SS`, UTC.
    created_at: String,
    id: i64,
}

/// `GET /api/accounts/me/api_key/{token}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DeviceApiKey {
    api_key: String,
}
