//! The account dictionary: `GET /api/accounts/{id}/dictionary` (every entry,
//! key -> value), `GET`/`POST`/`DELETE …/dictionary/{key}` and
//! `DELETE …/dictionary/clear` (or `DELETE …/dictionary`) to empty it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

use super::admin_schemas::{
    AdminGuard, BodyErrors, Dictionary, DictionaryEntry, DictionaryValue, FromHeader,
};
use super::schemas::{Empty, Message, ValidationError};
use crate::auth::AdminUser;
use crate::db::dictionary;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::dictionary::{checked_key, clear_all, remove_entry, set_entry};
use crate::service::lookup;
use crate::state::AppState;

/// The key segment that empties the dictionary on `DELETE`.
const CLEAR: &str = "clear";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/accounts/{account}/dictionary",
            get(index).delete(clear),
        )
        .route(
            "/api/accounts/{account}/dictionary/{key}",
            get(show).post(set).delete(destroy),
        )
}

/// An account's dictionary: every entry, key -> value.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/dictionary",
    tag = "admin",
    operation_id = "admin_account_dictionary_list",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The dictionary (`{}` when empty)", body = Dictionary),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn index(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Dictionary>> {
    let account = lookup::account(&state, &id).await?;
    let entries = dictionary::of_account(&state.db, account.id).await?;
    Ok(Json(Dictionary(entries)))
}

/// One dictionary entry.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/dictionary/{key}",
    tag = "admin",
    operation_id = "admin_account_dictionary_show",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("key" = String, Path, max_length = 191, description = "The entry's key: 1 to 191 characters, no control characters"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The entry", body = DictionaryEntry),
        AdminGuard,
        (status = 404, description = "No such account, or no entry with this key, or the `From` account does not exist", body = Message),
        (status = 422, description = "The key is not 1 to 191 characters without control characters (`key`), or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn show(
    State(state): State<AppState>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<Json<DictionaryEntry>> {
    let account = lookup::account(&state, &id).await?;
    let entry = dictionary::find(&state.db, account.id, checked_key(&key)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(DictionaryEntry::from(&entry)))
}

/// Sets a dictionary entry (creates or replaces it).
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/dictionary/{key}",
    tag = "admin",
    operation_id = "admin_account_dictionary_store",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("key" = String, Path, max_length = 191, description = "The entry's key: 1 to 191 characters, no control characters"),),
    request_body(content = DictionaryValue, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 201, description = "The entry (created anew even when it replaces one, as upstream)", body = DictionaryEntry),
        AdminGuard,
        BodyErrors,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
        (status = 422, description = "The key is invalid, or the value is missing, longer than 60000 bytes or has control characters, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn set(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((id, key)): Path<(String, String)>,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<DictionaryEntry>)> {
    let account = lookup::account(&state, &id).await?;
    let entry = set_entry(&state, &by, &account, &key, &body).await?;
    Ok((StatusCode::CREATED, Json(DictionaryEntry::from(&entry))))
}

/// Deletes a dictionary entry; the key `clear` empties the dictionary.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/dictionary/{key}",
    tag = "admin",
    operation_id = "admin_account_dictionary_destroy",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("key" = String, Path, max_length = 191, description = "The entry's key (1 to 191 characters, no control characters), or `clear` to empty the dictionary"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "Deleted", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account, or no entry with this key, or the `From` account does not exist", body = Message),
        (status = 422, description = "The key is not 1 to 191 characters without control characters (`key`), or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &id).await?;
    if key == CLEAR {
        clear_all(&state, &by, &account).await?;
    } else {
        remove_entry(&state, &by, &account, &key).await?;
    }
    Ok(Json(Empty {}))
}

/// Empties an account's dictionary.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/dictionary",
    tag = "admin",
    operation_id = "admin_account_dictionary_clear",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The dictionary is empty", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn clear(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &id).await?;
    clear_all(&state, &by, &account).await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(index, clear, show, set, destroy))]
pub(crate) struct Doc;
