//! `GET /api/accounts/me/devices` and `DELETE /api/accounts/me/devices/{uuid}`
//! (SPEC §5.3): the authenticated account's devices in Flexisip's registrar.
//!
//! The bodies take the account's username and domain, so they do not depend
//! on how the account was authenticated (the console reuses the registrar).

use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use crate::auth::AuthAccount;

use crate::error::ApiResult;
use crate::registrar::devices_object;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/accounts/me/devices",
            get(
                |State(state): State<AppState>, Extension(auth): Extension<AuthAccount>| async move {
                    list_devices(&state, &auth.account.username, &auth.account.domain).await
                },
            ),
        )
        .route(
            "/api/accounts/me/devices/{uuid}",
            delete(
                |State(state): State<AppState>,
                 Extension(auth): Extension<AuthAccount>,
                 Path(uuid): Path<String>| async move {
                    delete_device(&state, &auth.account.username, &auth.account.domain, &uuid)
                        .await
                },
            ),
        )
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
) -> ApiResult<Json<Value>> {
    state
        .registrar
        .delete_device(username, domain, uuid)
        .await?;
    Ok(Json(json!({})))
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
