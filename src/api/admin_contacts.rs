//! An account's direct contacts (FlexiAPI 2.x): an admin gives it other
//! accounts one by one, besides contacts lists. The account then sees them
//! in `GET /api/accounts/me/contacts` and its vCards.
//!
//! As upstream: adding a contact again succeeds and changes nothing;
//! removing one that is not there is a `404`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use super::admin_schemas::{AdminGuard, FromHeader};
use super::contacts::{ContactJson, load};
use super::schemas::{Empty, Message};
use crate::audit::{self, Action, Target};
use crate::auth::AdminUser;
use crate::db::entities::account;
use crate::db::{self, contacts};
use crate::error::{ApiError, ApiResult};
use crate::service::lookup;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/{account}/contacts", get(index))
        .route(
            "/api/accounts/{account}/contacts/{contact_id}",
            get(show).post(add).delete(remove),
        )
}

fn describe(contact: &account::Model) -> String {
    format!(
        "contact {} (#{})",
        Target::from(contact).describe(),
        contact.id
    )
}

/// The account's direct contacts, by id.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/contacts",
    tag = "admin",
    operation_id = "admin_account_contacts_index",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The direct contacts", body = Vec<ContactJson>),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn index(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ContactJson>>> {
    let account = lookup::account(&state, &id).await?;
    let found = contacts::of_account(&state.db, account.id, None).await?;
    let loaded = load(&state.db, found).await?;
    Ok(Json(loaded.iter().map(ContactJson::from).collect()))
}

/// One direct contact of the account.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/contacts/{contact_id}",
    tag = "admin",
    operation_id = "admin_account_contacts_show",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("contact_id" = i32, Path, description = "The contact's account id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The contact", body = ContactJson),
        AdminGuard,
        (status = 404, description = "No such account, or the account is not its contact, or the `From` account does not exist", body = Message),
    ),
)]
async fn show(
    State(state): State<AppState>,
    Path((id, contact_id)): Path<(String, String)>,
) -> ApiResult<Json<ContactJson>> {
    let account = lookup::account(&state, &id).await?;
    let contact_id = lookup::id(&contact_id)?;
    let found = contacts::of_account(&state.db, account.id, Some(contact_id)).await?;
    let loaded = load(&state.db, found).await?;
    let contact = loaded.first().ok_or_else(ApiError::not_found)?;
    Ok(Json(ContactJson::from(contact)))
}

/// Gives the account another account as a contact.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/contacts/{contact_id}",
    tag = "admin",
    operation_id = "admin_account_contacts_add",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("contact_id" = i32, Path, description = "The contact's account id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account has the contact (also when it already had it)", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account or contact, or the `From` account does not exist", body = Message),
    ),
)]
async fn add(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((id, contact_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &id).await?;
    let contact = lookup::account(&state, &contact_id).await?;
    let txn = db::begin_write(&state.db).await?;
    if contacts::is_contact(&txn, account.id, contact.id).await? {
        return Ok(Json(Empty {}));
    }
    let now = state.clock.now_naive();
    match contacts::add(&txn, account.id, contact.id, now).await {
        // A concurrent request added it first: the same answer.
        Err(err) if db::is_unique_violation(&err) => return Ok(Json(Empty {})),
        result => result?,
    }
    audit::record_about(&txn, &by, Action::ContactAdd, &account, describe(&contact)).await?;
    txn.commit().await?;
    Ok(Json(Empty {}))
}

/// Takes a contact from the account.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}/contacts/{contact_id}",
    tag = "admin",
    operation_id = "admin_account_contacts_remove",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"), ("contact_id" = i32, Path, description = "The contact's account id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account no longer has the contact", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account, or the account is not its contact, or the `From` account does not exist", body = Message),
    ),
)]
async fn remove(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    Path((id, contact_id)): Path<(String, String)>,
) -> ApiResult<Json<Empty>> {
    let account = lookup::account(&state, &id).await?;
    let contact = lookup::account(&state, &contact_id).await?;
    let txn = db::begin_write(&state.db).await?;
    if !contacts::remove(&txn, account.id, contact.id).await? {
        return Err(ApiError::NotFound(
            "The account is not a contact of this account.".into(),
        ));
    }
    audit::record_about(
        &txn,
        &by,
        Action::ContactRemove,
        &account,
        describe(&contact),
    )
    .await?;
    txn.commit().await?;
    Ok(Json(Empty {}))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(index, show, add, remove))]
pub(crate) struct Doc;
