//! Contacts lists (admin): CRUD on `/api/contacts_lists`, its contacts
//! (`/api/contacts_lists/{id}/contacts/{contact_id}`) and the accounts it
//! is given to (`/api/accounts/{id}/contacts_lists/{contacts_list_id}`).
//! A repeated addition, or the removal of what is not there, answers `403`
//! as FlexiAPI does.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::admin_schemas::{AdminGuard, BodyErrors, ContactsList, ContactsListBody, FromHeader};
use super::schemas::{Empty, Message, ValidationError};
use crate::auth::AdminUser;
use crate::db::contacts_lists::{self, ListView};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::contacts_lists::{
    change, create, drop_contact, give, put_contact, remove, take,
};
use crate::service::lookup;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/contacts_lists", get(index).post(store))
        .route(
            "/api/contacts_lists/{list_id}",
            get(show).put(update).patch(patch).delete(destroy),
        )
        .route(
            "/api/contacts_lists/{list_id}/contacts/{contact_id}",
            post(add_contact).delete(remove_contact),
        )
        .route(
            "/api/accounts/{account}/contacts_lists/{list_id}",
            post(subscribe).delete(unsubscribe),
        )
}

async fn find(state: &AppState, raw: &str) -> ApiResult<ListView> {
    contacts_lists::find(&state.db, lookup::id(raw)?)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Every contacts list, by id.
#[utoipa::path(
    get,
    path = "/api/contacts_lists",
    tag = "admin",
    operation_id = "admin_contacts_lists_list",
    params(FromHeader, ),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The contacts lists", body = Vec<ContactsList>),
        AdminGuard,
    ),
)]
async fn index(State(state): State<AppState>) -> ApiResult<Json<Vec<ContactsList>>> {
    let lists = contacts_lists::all(&state.db).await?;
    Ok(Json(lists.iter().map(ContactsList::from).collect()))
}

/// One contacts list.
#[utoipa::path(
    get,
    path = "/api/contacts_lists/{list_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_show",
    params(FromHeader, ("list_id" = i32, Path, description = "The contacts list's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The contacts list", body = ContactsList),
        AdminGuard,
        (status = 404, description = "No such contacts list, or the `From` account does not exist", body = Message),
    ),
)]
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactsList>> {
    Ok(Json(ContactsList::from(&find(&state, &id).await?)))
}

/// Creates a contacts list.
#[utoipa::path(
    post,
    path = "/api/contacts_lists",
    tag = "admin",
    operation_id = "admin_contacts_lists_store",
    params(FromHeader, ),
    request_body(content = ContactsListBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 201, description = "The new contacts list", body = ContactsList),
        AdminGuard,
        BodyErrors,
        (status = 422, description = "The title or description is missing, too long or has control characters, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn store(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<ContactsList>)> {
    let list = create(&state, &by, &body).await?;
    let view = ListView {
        list,
        contacts_count: 0,
    };
    Ok((StatusCode::CREATED, Json(ContactsList::from(&view))))
}

/// Changes a contacts list's title and description.
#[utoipa::path(
    put,
    path = "/api/contacts_lists/{list_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_update",
    params(FromHeader, ("list_id" = i32, Path, description = "The contacts list's id"),),
    request_body(content = ContactsListBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The contacts list", body = ContactsList),
        AdminGuard,
        BodyErrors,
        (status = 404, description = "No such contacts list, or the `From` account does not exist", body = Message),
        (status = 422, description = "The title or description is missing, too long or has control characters, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn update(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path(id): Path<String>,
    body: JsonObject,
) -> ApiResult<Json<ContactsList>> {
    let existing = find(&state, &id).await?;
    change(&state, &by, &existing.list, &body).await?;
    Ok(Json(ContactsList::from(&find(&state, &id).await?)))
}

/// The same as `PUT` (upstream's resource route takes both methods, with
/// the same required fields).
#[utoipa::path(
    patch,
    path = "/api/contacts_lists/{list_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_patch",
    params(FromHeader, ("list_id" = i32, Path, description = "The contacts list's id"),),
    request_body(content = ContactsListBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The contacts list", body = ContactsList),
        AdminGuard,
        BodyErrors,
        (status = 404, description = "No such contacts list, or the `From` account does not exist", body = Message),
        (status = 422, description = "The title or description is missing, too long or has control characters, or the `From` header is missing or not a SIP address", body = ValidationError),
    ),
)]
async fn patch(
    state: State<AppState>,
    admin: AdminUser,
    id: Path<String>,
    body: JsonObject,
) -> ApiResult<Json<ContactsList>> {
    update(state, admin, id, body).await
}

/// Deletes a contacts list.
#[utoipa::path(
    delete,
    path = "/api/contacts_lists/{list_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_destroy",
    params(FromHeader, ("list_id" = i32, Path, description = "The contacts list's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "Deleted", body = Empty),
        AdminGuard,
        (status = 404, description = "No such contacts list, or the `From` account does not exist", body = Message),
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

/// Puts an account in a contacts list.
#[utoipa::path(
    post,
    path = "/api/contacts_lists/{list_id}/contacts/{contact_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_contacts_add",
    params(FromHeader, ("list_id" = i32, Path, description = "The contacts list's id"), ("contact_id" = i32, Path, description = "The id of the account to put in or take out of the list"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account is in the list (also when it already was)", body = Empty),
        AdminGuard,
        (status = 404, description = "No such contacts list or account, or the `From` account does not exist", body = Message),
    ),
)]
async fn add_contact(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((list_id, contact_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let list = find(&state, &list_id).await?;
    let contact = lookup::account(&state, &contact_id).await?;
    put_contact(&state, &by, &list.list, &contact).await?;
    Ok(Json(Empty {}))
}

/// Takes an account out of a contacts list.
#[utoipa::path(
    delete,
    path = "/api/contacts_lists/{list_id}/contacts/{contact_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_contacts_remove",
    params(FromHeader, ("list_id" = i32, Path, description = "The contacts list's id"), ("contact_id" = i32, Path, description = "The id of the account to put in or take out of the list"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account is out of the list", body = Empty),
        AdminGuard,
        (status = 404, description = "No such contacts list or account, the account is not in the list, or the `From` account does not exist", body = Message),
    ),
)]
async fn remove_contact(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((list_id, contact_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let list = find(&state, &list_id).await?;
    let contact = lookup::account(&state, &contact_id).await?;
    drop_contact(&state, &by, &list.list, contact.id).await?;
    Ok(Json(Empty {}))
}

/// Gives a contacts list to an account.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/contacts_lists/{list_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_attach",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("list_id" = i32, Path, description = "The contacts list's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account has the list", body = Empty),
        AdminGuard,
        (status = 403, description = "The account already has this contacts list, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account or contacts list, or the `From` account does not exist", body = Message),
    ),
)]
async fn subscribe(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((account, list_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &account).await?;
    let list = find(&state, &list_id).await?;
    give(&state, &by, &account, &list.list).await?;
    Ok(Json(Empty {}))
}

/// Takes a contacts list from an account.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/contacts_lists/{list_id}",
    tag = "admin",
    operation_id = "admin_contacts_lists_detach",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("list_id" = i32, Path, description = "The contacts list's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account no longer has the list", body = Empty),
        AdminGuard,
        (status = 403, description = "The account does not have this contacts list, or the authenticated account is not an admin (`Unauthorized area`)", body = Message),
        (status = 404, description = "No such account or contacts list, or the `From` account does not exist", body = Message),
    ),
)]
async fn unsubscribe(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((account, list_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &account).await?;
    let list = find(&state, &list_id).await?;
    take(&state, &by, &account, &list.list).await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    index,
    show,
    store,
    update,
    patch,
    destroy,
    add_contact,
    remove_contact,
    subscribe,
    unsubscribe
))]
pub(crate) struct Doc;
