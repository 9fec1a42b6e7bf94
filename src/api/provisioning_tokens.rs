//! Issuing provisioning tokens (see `crate::provisioning::tokens`):
//! `GET /api/accounts/me/provision` (user) and
//! `GET /api/accounts/{id}/provision` (admin) answer the account with its
//! new `provisioning_token`; the previous token stops working.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use crate::audit::{self, Action, By};
use crate::auth::AuthAccount;
use crate::db::accounts;
use crate::error::{ApiError, ApiResult};
use crate::provisioning::tokens;
use crate::state::AppState;

pub fn user_router() -> Router<AppState> {
    Router::new().route("/api/accounts/me/provision", get(provision_me))
}

pub fn admin_router() -> Router<AppState> {
    Router::new().route("/api/accounts/{account}/provision", get(provision_account))
}

async fn provision_me(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
) -> ApiResult<Json<Value>> {
    provision(&state, auth.account.id, None).await
}

async fn provision_account(
    State(state): State<AppState>,
    by: By,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<Value>> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found());
    };
    let id: i32 = id.parse().map_err(|_| ApiError::not_found())?;
    provision(&state, id, Some(&by)).await
}

/// The account's JSON (as `GET /api/accounts/me`) plus `provisioning_token`;
/// an admin's issue (`by`) is recorded in the audit log.
async fn provision(state: &AppState, account_id: i32, by: Option<&By>) -> ApiResult<Json<Value>> {
    let now = state.clock.now_naive();
    let txn = crate::db::begin_write(&state.db).await?;
    let account = accounts::find_by_id(&txn, account_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let token = tokens::issue(
        &txn,
        account.id,
        now,
        state.config.provisioning_token_expiration_minutes,
    )
    .await?;
    if let Some(by) = by {
        audit::record(&txn, by, Action::ProvisioningTokenIssue, &account).await?;
    }
    let view = accounts::view(&txn, account).await?;
    txn.commit().await?;
    tracing::info!(account_id, "provisioning token issued");
    let mut body = view.to_json(&state.config, false);
    body["provisioning_token"] = json!(token);
    Ok(Json(body))
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(crate) struct Doc;
