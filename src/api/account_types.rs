//! Account types: `/api/account_types` (CRUD) and
//! `/api/accounts/{id}/types/{type_id}` (give or take a type).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::admin_schemas::{AccountType, AccountTypeBody, AdminGuard, BodyErrors, FromHeader};
use super::schemas::{Empty, Message, ValidationError};
use super::{links, list_fields, lookup};
use crate::audit::{self, Action, By};
use crate::auth::AdminUser;
use crate::db::entities::{account, account_type};
use crate::db::{self, account_types};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
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

const KEY_TAKEN: &str = "The key has already been taken.";

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
async fn index(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let types = account_types::all(&state.db).await?;
    Ok(Json(types.iter().map(account_types::to_json).collect()))
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
async fn show(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(account_types::to_json(&find(&state, &id).await?)))
}

fn validated_key(body: &JsonObject) -> ApiResult<String> {
    let mut v = body.validator();
    let key = list_fields::key(&mut v);
    v.finish()?;
    Ok(key.unwrap_or_default().to_string())
}

/// A unique violation on insert or update means a concurrent writer took
/// the key between our check and our write.
fn key_conflict(err: sea_orm::DbErr) -> ApiError {
    links::on_unique_violation(err, || ApiError::field("key", KEY_TAKEN))
}

/// Creates a type from a body or form with `key` (shared with the panel).
pub async fn create(
    state: &AppState,
    by: &By,
    body: &JsonObject,
) -> ApiResult<account_type::Model> {
    let key = validated_key(body)?;
    let txn = db::begin_write(&state.db).await?;
    if account_types::key_taken(&txn, &key, None).await? {
        return Err(ApiError::field("key", KEY_TAKEN));
    }
    let created = account_types::insert(&txn, &key, state.clock.now_naive())
        .await
        .map_err(key_conflict)?;
    audit::record(&txn, by, Action::TypeCreate, &created).await?;
    txn.commit().await?;
    Ok(created)
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
) -> ApiResult<(StatusCode, Json<Value>)> {
    let created = create(&state, &by, &body).await?;
    Ok((StatusCode::CREATED, Json(account_types::to_json(&created))))
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
) -> ApiResult<Json<Value>> {
    let existing = find(&state, &id).await?;
    let key = validated_key(&body)?;
    let txn = db::begin_write(&state.db).await?;
    if account_types::key_taken(&txn, &key, Some(existing.id)).await? {
        return Err(ApiError::field("key", KEY_TAKEN));
    }
    account_types::update_key(&txn, existing.id, &key, state.clock.now_naive())
        .await
        .map_err(key_conflict)?;
    let detail = format!("key was {}", existing.key);
    let renamed = account_type::Model {
        key: key.clone(),
        ..existing
    };
    audit::record_about(&txn, &by, Action::TypeUpdate, &renamed, detail).await?;
    txn.commit().await?;
    Ok(Json(json!({ "id": renamed.id, "key": key })))
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
) -> ApiResult<Json<Value>> {
    remove(&state, &by, lookup::id(&id)?).await?;
    Ok(Json(json!({})))
}

/// Deletes a type (shared with the panel); `404` when there is none.
pub async fn remove(state: &AppState, by: &By, id: i32) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let existing = account_types::find(&txn, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    account_types::delete(&txn, existing.id).await?;
    audit::record(&txn, by, Action::TypeDelete, &existing).await?;
    txn.commit().await?;
    Ok(())
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
) -> ApiResult<Json<Value>> {
    let account = lookup::account(&state, &account).await?;
    let kind = find(&state, &type_id).await?;
    give(&state, &by, &account, &kind).await?;
    Ok(Json(json!({})))
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
) -> ApiResult<Json<Value>> {
    let account = lookup::account(&state, &account).await?;
    let kind = find(&state, &type_id).await?;
    take(&state, &by, &account, kind.id).await?;
    Ok(Json(json!({})))
}

fn describe(kind: &account_type::Model) -> String {
    audit::Target::from(kind).describe()
}

/// Gives a type to an account (shared with the panel).
pub async fn give(
    state: &AppState,
    by: &By,
    account: &account::Model,
    kind: &account_type::Model,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    links::add_once(
        account_types::is_attached(&txn, account.id, kind.id).await?,
        account_types::attach(&txn, account.id, kind.id, state.clock.now_naive()),
        "The account already has this type.",
    )
    .await?;
    audit::record_about(&txn, by, Action::TypeGive, account, describe(kind)).await?;
    txn.commit().await?;
    Ok(())
}

/// Takes a type from an account (shared with the panel).
pub async fn take(
    state: &AppState,
    by: &By,
    account: &account::Model,
    type_id: i32,
) -> ApiResult<()> {
    let txn = db::begin_write(&state.db).await?;
    links::removed_or(
        account_types::detach(&txn, account.id, type_id).await?,
        "The account does not have this type.",
    )?;
    let detail = match account_types::find(&txn, type_id).await? {
        Some(kind) => describe(&kind),
        None => format!("account type {type_id}"),
    };
    audit::record_about(&txn, by, Action::TypeTake, account, detail).await?;
    txn.commit().await?;
    Ok(())
}

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(index, show, store, update, destroy, attach, detach))]
pub(crate) struct Doc;
