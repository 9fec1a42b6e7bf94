//! Public account routes: existence and activation state.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use crate::db::accounts;
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::sip::SipAddress;
use crate::state::AppState;

use super::schemas::Message;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/accounts/{account}/info", get(info))
}

/// The account named by a `{sip}` path segment (`user@domain`).
pub async fn find_by_sip(state: &AppState, sip: &str) -> ApiResult<account::Model> {
    let address = SipAddress::parse_bare(sip).ok_or_else(ApiError::not_found)?;
    accounts::find_by_address(&state.db, &address.username, &address.domain)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Whether an account exists and is activated.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/info",
    tag = "public",
    params(("account" = String, Path, description = "The SIP address `username@domain`")),
    responses(
        (status = 200, description = "The account exists", body = AccountInfo),
        (status = 404, description = "No such account", body = Message),
    ),
)]
async fn info(
    State(state): State<AppState>,
    Path(sip): Path<String>,
) -> ApiResult<Json<AccountInfo>> {
    let address = SipAddress::parse_bare(&sip).ok_or_else(ApiError::not_found)?;
    let activated = accounts::activated(&state.db, &address.username, &address.domain)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(AccountInfo {
        activated,
        realm: state.config.account_realm.clone(),
    }))
}

/// `GET /api/accounts/{account}/info`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct AccountInfo {
    activated: bool,
    /// The Digest realm of the service (`ACCOUNT_REALM`), or null.
    realm: Option<String>,
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(info), components(schemas(AccountInfo)))]
pub(crate) struct Doc;
