//! Admin look-ups of one account (FlexiAPI 2.x): by exact SIP address
//! (`GET /api/accounts/{sip}/search`), by e-mail whatever its case
//! (`GET /api/accounts/{email}/search-by-email`), and by address or alias
//! (`GET /api/resolve/{sip}`). Each answers the admin account object (the
//! resolve in upstream's `{"type": "account", "payload": …}` envelope) or
//! `404`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::admin_accounts::admin_json;
use super::admin_schemas::{AdminAccount, AdminGuard, FromHeader, Resolved};
use super::public_accounts::find_by_sip;
use super::schemas::Message;
use crate::db::accounts;
use crate::error::{ApiError, ApiResult};
use crate::sip::SipAddress;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/{sip}/search", get(search))
        .route(
            "/api/accounts/{email}/search-by-email",
            get(search_by_email),
        )
        .route("/api/resolve/{sip}", get(resolve))
}

/// The account of an exact SIP address.
#[utoipa::path(
    get,
    path = "/api/accounts/{sip}/search",
    tag = "admin",
    operation_id = "admin_accounts_search",
    params(FromHeader, ("sip" = String, Path, description = "The SIP address `username@domain` (`@` literal or `%40`)"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account", body = AdminAccount),
        AdminGuard,
        (status = 404, description = "No account has this address, or the `From` account does not exist", body = Message),
    ),
)]
async fn search(
    State(state): State<AppState>,
    Path(sip): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let account = find_by_sip(&state, &sip).await?;
    admin_json(&state, account).await
}

/// The account of an e-mail address, whatever its case.
#[utoipa::path(
    get,
    path = "/api/accounts/{email}/search-by-email",
    tag = "admin",
    operation_id = "admin_accounts_search_by_email",
    params(FromHeader, ("email" = String, Path, description = "The e-mail address"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account", body = AdminAccount),
        AdminGuard,
        (status = 404, description = "No account has this e-mail address (or it is not an e-mail address), or the `From` account does not exist", body = Message),
    ),
)]
async fn search_by_email(
    State(state): State<AppState>,
    Path(email): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    // Not an e-mail at all (NUL bytes included): nothing can match.
    if !crate::input::rules::is_email(&email) {
        return Err(ApiError::not_found());
    }
    let account = accounts::find_by_email(&state.db, &email)
        .await?
        .ok_or_else(ApiError::not_found)?;
    admin_json(&state, account).await
}

/// The account whose address is `{sip}`, else the one that has `{sip}` as
/// an alias (e.g. its phone number in its domain).
#[utoipa::path(
    get,
    path = "/api/resolve/{sip}",
    tag = "admin",
    operation_id = "admin_accounts_resolve",
    params(FromHeader, ("sip" = String, Path, description = "A SIP address `username@domain` or an alias (e.g. a phone number in its domain)"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account, as `{\"type\": \"account\", \"payload\": account}`", body = Resolved),
        AdminGuard,
        (status = 404, description = "No account has this address or alias, or the `From` account does not exist", body = Message),
    ),
)]
async fn resolve(
    State(state): State<AppState>,
    Path(sip): Path<String>,
) -> ApiResult<Json<Resolved>> {
    let address = SipAddress::parse_bare(&sip).ok_or_else(ApiError::not_found)?;
    let account =
        match accounts::find_by_address(&state.db, &address.username, &address.domain).await? {
            Some(account) => account,
            None => accounts::find_by_alias(&state.db, &address.username, &address.domain)
                .await?
                .ok_or_else(ApiError::not_found)?,
        };
    let Json(payload) = admin_json(&state, account).await?;
    Ok(Json(Resolved {
        r#type: "account".to_string(),
        payload,
    }))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(search, search_by_email, resolve))]
pub(crate) struct Doc;
