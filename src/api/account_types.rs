//! Account types: `/api/account_types` (CRUD) and
//! `/api/accounts/{id}/types/{type_id}` (give or take a type).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::admin_schemas::{AccountType, AccountTypeBody, AdminGuard, BodyErrors, FromHeader};
use super::schemas::{Empty, Message, ValidationError};
use crate::auth::AdminUser;
use crate::db::account_types;
use crate::db::entities::account_type;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::account_types::{self as service, create, give, remove, take};
use crate::service::lookup;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/account_types", get(index).post(store))
        .route(
            "/api/account_types/{type_id}",
            get(show).put(update).delete(destroy),
        )
        .route(
            "/api/accounts/{account}/types/{type_id}",
            post(attach).delete(detach),
        )
}

async fn find(state: &AppState, raw: &str) -> ApiResult<account_type::Model> {
    account_types::find(&state.db, lookup::id(raw)?)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Every account type, by id.
#[utoipa::path(
    get,
    path = "/api/account_types",
    tag = "admin",
    operation_id = "admin_account_types_list",
    params(FromHeader, ),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account types", body = Vec<AccountType>),
        AdminGuard,
    ),
)]
async fn index(State(state): State<AppState>) -> ApiResult<Json<Vec<AccountType>>> {
    let types = account_types::all(&state.db).await?;
    Ok(Json(types.iter().map(AccountType::from).collect()))
}

/// One account type.
#[utoipa::path(
    get,
    path = "/api/account_types/{type_id}",
    tag = "admin",
    operation_id = "admin_account_types_show",
    params(FromHeader, ("type_id" = i32, Path, description = "The account type's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account type", body = AccountType),
        AdminGuard,
        (status = 404, description = "No such account type, or the `From` account does not exist", body = Message),
    ),
)]
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AccountType>> {
    Ok(Json(AccountType::from(&find(&state, &id).await?)))
}

/// Creates an account type.
#[utoipa::path(
    post,
    path = "/api/account_types",
    tag = "admin",
    operation_id = "admin_account_types_store",
    params(FromHeader, ),
    request_body(content = AccountTypeBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 201, description = "The new account type", body = AccountType),
        AdminGuard,
        BodyErrors,
        (status = 422, description = "The key is missing, invalid or already taken, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn store(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<AccountType>)> {
    let created = create(&state, &by, &body).await?;
    Ok((StatusCode::CREATED, Json(AccountType::from(&created))))
}

/// Changes an account type's key.
#[utoipa::path(
    put,
    path = "/api/account_types/{type_id}",
    tag = "admin",
    operation_id = "admin_account_types_update",
    params(FromHeader, ("type_id" = i32, Path, description = "The account type's id"),),
    request_body(content = AccountTypeBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account type", body = AccountType),
        AdminGuard,
        BodyErrors,
        (status = 404, description = "No such account type, or the `From` account does not exist", body = Message),
        (status = 422, description = "The key is missing, invalid or already taken, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn update(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
    body: JsonObject,
) -> ApiResult<Json<AccountType>> {
    let existing = find(&state, &id).await?;
    let renamed = service::rename(&state, &by, existing, &body).await?;
    Ok(Json(AccountType::from(&renamed)))
}

/// Deletes an account type (accounts lose it).
#[utoipa::path(
    delete,
    path = "/api/account_types/{type_id}",
    tag = "admin",
    operation_id = "admin_account_types_destroy",
    params(FromHeader, ("type_id" = i32, Path, description = "The account type's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "Deleted", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account type, or the `From` account does not exist", body = Message),
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    remove(&state, &by, lookup::id(&id)?).await?;
    Ok(Json(Empty {}))
}

/// Gives the type to the account; `403` when it already has it (as
/// FlexiAPI answers a repeated attachment).
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/types/{type_id}",
    tag = "admin",
    operation_id = "admin_account_types_attach",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("type_id" = i32, Path, description = "The account type's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account has the type", body = Empty),
        AdminGuard,
        (status = 403, description = "The account already has this type, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account or account type, or the `From` account does not exist", body = Message),
    ),
)]
async fn attach(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((account, type_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &account).await?;
    let kind = find(&state, &type_id).await?;
    give(&state, &by, &account, &kind).await?;
    Ok(Json(Empty {}))
}

/// Takes a type from an account; `403` when it does not have it.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/types/{type_id}",
    tag = "admin",
    operation_id = "admin_account_types_detach",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("type_id" = i32, Path, description = "The account type's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account no longer has the type", body = Empty),
        AdminGuard,
        (status = 403, description = "The account does not have this type, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account or account type, or the `From` account does not exist", body = Message),
    ),
)]
async fn detach(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((account, type_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &account).await?;
    let kind = find(&state, &type_id).await?;
    take(&state, &by, &account, kind.id).await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(index, show, store, update, destroy, attach, detach))]
pub(crate) struct Doc;
