//! Issuing provisioning tokens (see `crate::provisioning::tokens`):
//! `GET /api/accounts/me/provision` (user) and
//! `GET /api/accounts/{id}/provision` (admin) answer the account with its
//! new `provisioning_token`; the previous token stops working.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Duration;

use crate::audit::{self, Action, By};
use crate::auth::{AdminUser, AuthUser};
use crate::db::accounts;
use crate::error::{ApiError, ApiResult};
use crate::provisioning::tokens;
use crate::state::AppState;

use super::admin_schemas::{AdminGuard, FromHeader, UserGuard};
use super::schemas::{Account, Message};

pub fn user_router() -> Router<AppState> {
    Router::new().route("/api/accounts/me/provision", get(provision_me))
}

pub fn admin_router() -> Router<AppState> {
    Router::new().route("/api/accounts/{account}/provision", get(provision_account))
}

/// A new provisioning token for the authenticated account; the previous
/// one stops working.
#[utoipa::path(
    get,
    path = "/api/accounts/me/provision",
    tag = "user",
    operation_id = "me_provision",
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account with its new `provisioning_token`", body = ProvisionedAccount),
        UserGuard,
    ),
)]
async fn provision_me(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
) -> ApiResult<Json<ProvisionedAccount>> {
    provision(&state, auth.account.id, None).await
}

/// A new provisioning token for an account; the previous one stops
/// working. Recorded in the audit log.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/provision",
    tag = "admin",
    operation_id = "admin_accounts_provision",
    security(("api_key" = []), ("digest" = [])),
    params(FromHeader, ("account" = i32, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account with its new `provisioning_token`", body = ProvisionedAccount),
        AdminGuard,
        (status = 404, description = "No account with this id, or the `From` header names no account", body = Message),
    ),
)]
async fn provision_account(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<ProvisionedAccount>> {
    let Ok(Path(id)) = id else {
        return Err(ApiError::not_found());
    };
    let id: i32 = id.parse().map_err(|_| ApiError::not_found())?;
    provision(&state, id, Some(&by)).await
}

/// The account's JSON (as `GET /api/accounts/me`) plus `provisioning_token`
/// and `provisioning_token_expire_at`;
/// an admin's issue (`by`) is recorded in the audit log.
async fn provision(
    state: &AppState,
    account_id: i32,
    by: Option<&By>,
) -> ApiResult<Json<ProvisionedAccount>> {
    let now = state.clock.now_naive();
    let txn = crate::db::begin_write(&state.db).await?;
    let account = accounts::find_by_id(&txn, account_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let minutes = state.config.provisioning_token_expiration_minutes;
    let token = tokens::issue(&txn, account.id, now, minutes).await?;
    // As upstream's account JSON: when the token stops working, or null.
    let expire_at =
        minutes.map(|m| crate::service::creation_tokens::iso8601(now + Duration::minutes(m)));
    if let Some(by) = by {
        audit::record(&txn, by, Action::ProvisioningTokenIssue, &account).await?;
    }
    let view = accounts::view(&txn, account).await?;
    txn.commit().await?;
    tracing::info!(account_id, "provisioning token issued");
    Ok(Json(ProvisionedAccount {
        account: Account::new(&view, &state.config),
        provisioning_token: token,
        provisioning_token_expire_at: expire_at,
    }))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(provision_me, provision_account),
    components(schemas(ProvisionedAccount))
)]
pub(crate) struct Doc;

/// The account object plus its new provisioning token, to be used as
/// `/provisioning/{provisioning_token}`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ProvisionedAccount {
    #[serde(flatten)]
    account: Account,
    provisioning_token: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC), or null when provisioning
    /// tokens do not expire (`APP_PROVISIONING_TOKEN_EXPIRATION_MINUTES`).
    #[schema(required = true)]
    provisioning_token_expire_at: Option<String>,
}
