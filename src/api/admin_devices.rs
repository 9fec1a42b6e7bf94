//! `GET /api/accounts/{id}/devices` and `DELETE
//! /api/accounts/{id}/devices/{uuid}` (FlexiAPI 2.x): an admin reads and
//! drops any account's devices, through the same registrar bodies as the
//! user's own routes.

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::Value;

use super::admin_accounts::find;
use super::admin_schemas::{AdminGuard, FromHeader};
use super::devices::{delete_device, list_devices};
use super::schemas::{Devices, Empty, Message, ValidationError};
use crate::audit::{self, Action};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/{account}/devices", get(list))
        .route("/api/accounts/{account}/devices/{uuid}", delete(destroy))
}

/// An account's devices in Flexisip's registrar.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/devices",
    tag = "admin",
    operation_id = "admin_account_devices_list",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The devices, keyed by uuid (`{}` when none)", body = Devices),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
        (status = 503, description = "No registrar is configured, the registrar is unreachable, or the database is unreachable", body = Message),
    ),
)]
async fn list(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let account = find(&state, &id).await?;
    list_devices(&state, &account.username, &account.domain).await
}

/// Drops one of an account's devices from the registrar.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/devices/{uuid}",
    tag = "admin",
    operation_id = "admin_account_devices_destroy",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("uuid" = String, Path, description = "The device's uuid, as the device list keys it"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The device is dropped", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account, the account has no device with this uuid, or the `From` account does not exist", body = Message),
        (status = 422, description = "The uuid cannot be a device id (`uuid`), or the `From` header is missing or not a SIP address", body = ValidationError),
        (status = 503, description = "No registrar is configured, the registrar is unreachable, or the database is unreachable", body = Message),
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((id, uuid)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = find(&state, &id).await?;
    let done = delete_device(&state, &account.username, &account.domain, &uuid).await?;
    // The device lives in the registrar, outside any transaction of ours:
    // recorded once it is gone.
    audit::record(&state.db, &by, Action::DeviceDelete, &account).await?;
    Ok(done)
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, destroy))]
pub(crate) struct Doc;
