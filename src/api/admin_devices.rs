//! `GET /api/accounts/{id}/devices` and `DELETE
//! /api/accounts/{id}/devices/{uuid}` (FlexiAPI 2.x): an admin reads and
//! drops any account's devices, through the same registrar bodies as the
//! user's own routes.

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::Value;

use super::admin_accounts::find;
use super::devices::{delete_device, list_devices};
use crate::audit::{self, Action, By};
use crate::error::ApiResult;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/{account}/devices", get(list))
        .route("/api/accounts/{account}/devices/{uuid}", delete(destroy))
}

async fn list(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let account = find(&state, &id).await?;
    list_devices(&state, &account.username, &account.domain).await
}

async fn destroy(
    State(state): State<AppState>,
    by: By,
    Path((id, uuid)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let account = find(&state, &id).await?;
    let done = delete_device(&state, &account.username, &account.domain, &uuid).await?;
    // The device lives in the registrar, outside any transaction of ours:
    // recorded once it is gone.
    audit::record(&state.db, &by, Action::DeviceDelete, &account).await?;
    Ok(done)
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
