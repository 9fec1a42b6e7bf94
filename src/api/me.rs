//! The authenticated account's own routes: show, delete, change password,
//! request an e-mail change (logic shared with the panel).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use crate::auth::AuthAccount;
use crate::db::accounts;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/me", get(show).delete(destroy))
        .route("/api/accounts/me/password", post(change_password))
        .route("/api/accounts/me/email/request", post(request_email_change))
}

/// The current JSON of the authenticated account (re-read: the request may
/// have changed it).
pub async fn account_json(state: &AppState, auth: &AuthAccount) -> ApiResult<Value> {
    let account = accounts::find_by_id(&state.db, auth.account.id)
        .await?
        .ok_or_else(crate::error::ApiError::not_found)?;
    let view = accounts::view_of(&state.db, account, auth.admin).await?;
    Ok(view.to_json(&state.config, false))
}

async fn show(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
) -> ApiResult<Json<Value>> {
    // Nothing changed since authentication: no need to read the account again.
    let view = accounts::view_of(&state.db, auth.account, auth.admin).await?;
    Ok(Json(view.to_json(&state.config, false)))
}

async fn destroy(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
) -> ApiResult<Json<Value>> {
    accounts::delete(&state.db, auth.account.id).await?;
    Ok(Json(json!({})))
}

async fn change_password(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    crate::self_service::password::change(&state, &auth.account, &body).await?;
    Ok(Json(account_json(&state, &auth).await?))
}

async fn request_email_change(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    crate::email_change::request_checked(&state, &auth.account, &body).await?;
    Ok(Json(account_json(&state, &auth).await?))
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
