//! DTMF actions of an account: CRUD on `/api/accounts/{id}/actions`. An
//! account without a DTMF protocol has no use for them: every route then
//! answers `403`, as FlexiAPI documents.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::admin_schemas::{AccountAction, AccountActionBody, AdminGuard, BodyErrors, FromHeader};
use super::schemas::{Empty, Message, ValidationError};
use crate::auth::AdminUser;
use crate::db::account_actions;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::account_actions::{account_with_dtmf, change, create, remove};
use crate::service::lookup;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/{account}/actions", get(index).post(store))
        .route(
            "/api/accounts/{account}/actions/{action_id}",
            get(show).put(update).delete(destroy),
        )
}

/// An account's DTMF actions, by id.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/actions",
    tag = "admin",
    operation_id = "admin_account_actions_list",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The actions", body = Vec<AccountAction>),
        AdminGuard,
        (status = 403, description = "The account has no DTMF protocol, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn index(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AccountAction>>> {
    let account = account_with_dtmf(&state, &id).await?;
    let actions = account_actions::of_account(&state.db, account.id).await?;
    Ok(Json(actions.iter().map(AccountAction::from).collect()))
}

/// One DTMF action of an account.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/actions/{action_id}",
    tag = "admin",
    operation_id = "admin_account_actions_show",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("action_id" = i32, Path, description = "The action's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The action", body = AccountAction),
        AdminGuard,
        (status = 403, description = "The account has no DTMF protocol, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account, or the account has no such action, or the `From` account does not exist", body = Message),
    ),
)]
async fn show(
    State(state): State<AppState>,
    Path((id, action_id)): Path<(String, String)>,
) -> ApiResult<Json<AccountAction>> {
    let account = account_with_dtmf(&state, &id).await?;
    let action = account_actions::find(&state.db, account.id, lookup::id(&action_id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(AccountAction::from(&action)))
}

/// Adds a DTMF action to an account.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/actions",
    tag = "admin",
    operation_id = "admin_account_actions_store",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    request_body(content = AccountActionBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 201, description = "The new action", body = AccountAction),
        AdminGuard,
        BodyErrors,
        (status = 403, description = "The account has no DTMF protocol, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
        (status = 422, description = "The key or code is missing or invalid, or the key is already taken in the account, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn store(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<AccountAction>)> {
    let account = account_with_dtmf(&state, &id).await?;
    let created = create(&state, &by, &account, &body).await?;
    Ok((StatusCode::CREATED, Json(AccountAction::from(&created))))
}

/// Changes a DTMF action's key and code.
#[utoipa::path(
    put,
    path = "/api/accounts/{account}/actions/{action_id}",
    tag = "admin",
    operation_id = "admin_account_actions_update",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("action_id" = i32, Path, description = "The action's id"),),
    request_body(content = AccountActionBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The action", body = AccountAction),
        AdminGuard,
        BodyErrors,
        (status = 403, description = "The account has no DTMF protocol, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account, or the account has no such action, or the `From` account does not exist", body = Message),
        (status = 422, description = "The key or code is missing or invalid, or the key is already taken in the account, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn update(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((id, action_id)): Path<(String, String)>,
    body: JsonObject,
) -> ApiResult<Json<AccountAction>> {
    let account = account_with_dtmf(&state, &id).await?;
    let existing = account_actions::find(&state.db, account.id, lookup::id(&action_id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let updated = change(&state, &by, &account, existing, &body).await?;
    Ok(Json(AccountAction::from(&updated)))
}

/// Deletes a DTMF action.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/actions/{action_id}",
    tag = "admin",
    operation_id = "admin_account_actions_destroy",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("action_id" = i32, Path, description = "The action's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "Deleted", body = Empty),
        AdminGuard,
        (status = 403, description = "The account has no DTMF protocol, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account, or the account has no such action, or the `From` account does not exist", body = Message),
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((id, action_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = account_with_dtmf(&state, &id).await?;
    remove(&state, &by, &account, lookup::id(&action_id)?).await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(index, show, store, update, destroy))]
pub(crate) struct Doc;
