//! The external SIP account of an account: `GET`/`POST`/`DELETE
//! /api/accounts/{id}/external`. `POST` creates or replaces it; the
//! password is required when there is none yet or when the realm changes
//! (the stored HA1 depends on it), and it is never shown.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::admin_schemas::{
    AdminGuard, BodyErrors, ExternalAccount, ExternalAccountBody, FromHeader,
};
use super::schemas::{Empty, Message, ValidationError};
use crate::auth::AdminUser;
use crate::db::external_accounts::{self};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::external_accounts::{remove, store_for};
use crate::service::lookup;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/accounts/{account}/external",
        get(show).post(store).delete(destroy),
    )
}

/// An account's external SIP account.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/external",
    tag = "admin",
    operation_id = "admin_external_account_show",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The external account", body = ExternalAccount),
        AdminGuard,
        (status = 404, description = "No such account, or it has no external account, or the `From` account does not exist", body = Message),
    ),
)]
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ExternalAccount>> {
    let account = lookup::account(&state, &id).await?;
    let external = external_accounts::of_account(&state.db, account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(ExternalAccount::from(&external)))
}

/// Creates or replaces an account's external SIP account.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/external",
    tag = "admin",
    operation_id = "admin_external_account_store",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    request_body(content = ExternalAccountBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The external account, replaced", body = ExternalAccount),
        (status = 201, description = "The external account, created", body = ExternalAccount),
        AdminGuard,
        BodyErrors,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
        (status = 422, description = "An invalid field, a password missing for a new external account or a changed realm, or the address already used by another external account, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn store(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<ExternalAccount>)> {
    let account = lookup::account(&state, &id).await?;
    let (stored, created) = store_for(&state, &by, &account, &body).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ExternalAccount::from(&stored))))
}

/// Deletes an account's external SIP account.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/external",
    tag = "admin",
    operation_id = "admin_external_account_destroy",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "Deleted", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account, or it has no external account, or the `From` account does not exist", body = Message),
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &id).await?;
    remove(&state, &by, &account).await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(show, store, destroy))]
pub(crate) struct Doc;
