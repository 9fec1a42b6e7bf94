//! Phone change of the authenticated account: a 4-digit PIN goes by SMS to
//! the new number (`POST /api/accounts/me/phone/request`), and the PIN
//! makes it the account's phone and alias (`POST /api/accounts/me/phone`).
//! The logic is shared with the panel in [`crate::self_service::phone`].

use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::me::account_json;
use crate::auth::AuthAccount;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::self_service::phone;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/me/phone/request", post(request))
        .route("/api/accounts/me/phone", post(confirm))
}

async fn request(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    phone::request(&state, &auth.account, &body).await?;
    Ok(Json(json!({})))
}

async fn confirm(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    phone::confirm(&state, &auth.account, &body).await?;
    Ok(Json(account_json(&state, &auth).await?))
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
