//! `GET /api/accounts/me/devices` and `DELETE /api/accounts/me/devices/{uuid}`
//! (docs/api.md): the authenticated account's devices in Flexisip's registrar.
//!
//! The bodies take the account's username and domain, so they do not depend
//! on how the account was authenticated (the console reuses the registrar).

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::Value;

use super::admin_schemas::{FromHeader, UserGuard};
use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::registrar::devices_object;
use crate::state::AppState;

use super::schemas::{Device, Devices, Empty, Message, ValidationError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/me/devices", get(index))
        .route("/api/accounts/me/devices/{uuid}", delete(destroy))
}

/// The account's devices registered with Flexisip (expired ones left out).
#[utoipa::path(
    get,
    path = "/api/accounts/me/devices",
    tag = "user",
    operation_id = "me_devices_index",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The devices, keyed by uuid (`{}` when none)", body = Devices),
        UserGuard,
        (status = 503, description = "No registrar is configured (`REDIS_URL` or `APP_FLEXISIP_PROXY_PID`), or it is unreachable", body = Message),
    ),
)]
async fn index(State(state): State<AppState>, AuthUser(auth): AuthUser) -> ApiResult<Json<Value>> {
    list_devices(&state, &auth.account.username, &auth.account.domain).await
}

/// Unregisters one of the account's devices.
#[utoipa::path(
    delete,
    path = "/api/accounts/me/devices/{uuid}",
    tag = "user",
    operation_id = "me_devices_delete",
    security(("api_key" = []), ("digest" = [])),
    params(
        FromHeader,
        ("uuid" = String, Path, description = "The device's instance id, a URN such as `urn:uuid:…`")),
    responses(
        (status = 200, description = "The device is removed", body = Empty),
        UserGuard,
        (status = 404, description = "The account has no device with this uuid, or the `From` header names no account", body = Message),
        (status = 422, description = "The uuid is not a device instance id, or the `From` header is missing or malformed", body = ValidationError),
        (status = 503, description = "No registrar is configured (`REDIS_URL` or `APP_FLEXISIP_PROXY_PID`), or it is unreachable", body = Message),
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    Path(uuid): Path<String>,
) -> ApiResult<Json<Empty>> {
    delete_device(&state, &auth.account.username, &auth.account.domain, &uuid).await
}

/// `200` with an object keyed by uuid (`{}` when none); `503` when the
/// registrar is not configured or unreachable.
pub async fn list_devices(
    state: &AppState,
    username: &str,
    domain: &str,
) -> ApiResult<Json<Value>> {
    let now = state.clock.now().timestamp();
    let devices = state.registrar.devices(username, domain, now).await?;
    Ok(Json(Value::Object(devices_object(&devices))))
}

/// `200 {}`; `404` when the account has no device with exactly this uuid,
/// `422` (naming `uuid`) when it cannot be a device id at all.
pub async fn delete_device(
    state: &AppState,
    username: &str,
    domain: &str,
    uuid: &str,
) -> ApiResult<Json<Empty>> {
    state
        .registrar
        .delete_device(username, domain, uuid)
        .await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(index, destroy), components(schemas(Empty, Device, Devices)))]
pub(crate) struct Doc;
