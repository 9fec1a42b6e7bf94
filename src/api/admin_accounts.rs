//! Admin account management: create, list, show, delete, (de)activate,
//! (un)block. The 2021 `GET …/activate` and `…/deactivate` keep their
//! 14-key answer; the FlexiAPI 2.x `POST` forms answer the admin account
//! object (`admin_json`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};

use super::admin_schemas::{
    AccountCreationBody, AccountPage, AdminAccount, AdminGuard, BodyErrors, FromHeader,
};
use super::paginator::{PER_PAGE, Page, page_number};
use super::schemas::{Account, Empty, Message, ValidationError};
use crate::audit::{self, Action, By};
use crate::client::Client;
use crate::db::accounts;
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::service::account_lists;
use crate::service::accounts::{create_account, validate_account_fields};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts", get(list).post(create))
        .route("/api/accounts/{account}", get(show).delete(destroy))
        .route(
            "/api/accounts/{account}/activate",
            get(activate).post(activate_admin),
        )
        .route(
            "/api/accounts/{account}/deactivate",
            get(deactivate).post(deactivate_admin),
        )
        .route("/api/accounts/{account}/block", post(block))
        .route("/api/accounts/{account}/unblock", post(unblock))
}

/// Creates an account in `APP_SIP_DOMAIN` (never a domain of the request).
#[utoipa::path(
    post,
    path = "/api/accounts",
    tag = "admin",
    operation_id = "admin_accounts_store",
    params(FromHeader, ),
    request_body(content = AccountCreationBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The new account, with its `confirmation_key` unless activated", body = AdminAccount),
        AdminGuard,
        BodyErrors,
        (status = 422, description = "An invalid field, the username or phone already taken, or the `From` header missing or not a SIP address", body = ValidationError),
    ),
)]
async fn create(
    State(state): State<AppState>,
    client: Client,
    by: By,
    body: JsonObject,
) -> ApiResult<Json<AdminAccount>> {
    let fields = validate_account_fields(&body)?;
    let user_agent = client
        .user_agent
        .clone()
        .unwrap_or_else(|| state.config.app_name.clone());
    // The domain is never taken from the request (docs/api.md).
    let domain = state.config.sip_domain.clone();
    let ip = client.ip.to_string();
    let created = create_account(&state, &domain, fields, &ip, &user_agent, &by).await?;
    Ok(Json(created))
}

/// The accounts, 20 a page, ordered by id.
#[utoipa::path(
    get,
    path = "/api/accounts",
    tag = "admin",
    operation_id = "admin_accounts_list",
    // A string: Laravel's paginator takes any value, so no value is refused.
    params(FromHeader, ("page" = Option<String>, Query, example = "2", description = "The page, a number from 1 to 1000000000; any other value (not a number, 0, larger) reads as 1"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "One page of accounts", body = AccountPage),
        AdminGuard,
    ),
)]
async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Json<Page<Account>>> {
    let page = page_number(query.get("page").map(String::as_str));
    let (rows, total) = accounts::page(&state.db, page, PER_PAGE).await?;
    let data = accounts::views(&state.db, rows)
        .await?
        .iter()
        .map(|view| Account::new(view, &state.config))
        .collect();
    let path = format!("{}/api/accounts", state.config.app_url);
    Ok(Json(Page::new(path, page, data, total)))
}

/// The account named by an `{id}` path segment; anything that is not an
/// existing id is a 404.
pub(super) async fn find(state: &AppState, id: &str) -> ApiResult<account::Model> {
    let id: i32 = id.parse().map_err(|_| ApiError::not_found())?;
    accounts::find_by_id(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The admin account object of `account`, as every admin route that shows
/// one account answers it.
pub(super) async fn admin_json(
    state: &AppState,
    account: account::Model,
) -> ApiResult<Json<AdminAccount>> {
    let view = accounts::view(&state.db, account).await?;
    Ok(Json(
        account_lists::admin_object(&state.db, &state.config, &view).await?,
    ))
}

/// One account, with its `confirmation_key`, types and dictionary.
#[utoipa::path(
    get,
    path = "/api/accounts/{account}",
    tag = "admin",
    operation_id = "admin_accounts_show",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The account", body = AdminAccount),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let account = find(&state, &id).await?;
    admin_json(&state, account).await
}

/// Deletes an account with its passwords, aliases, keys, nonces and codes.
#[utoipa::path(
    delete,
    path = "/api/accounts/{account}",
    tag = "admin",
    operation_id = "admin_accounts_destroy",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "Deleted", body = Empty),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn destroy(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    let account = find(&state, &id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    if !accounts::delete_within(&txn, account.id).await? {
        return Err(ApiError::not_found());
    }
    audit::record(&txn, &by, Action::AccountDelete, &account).await?;
    txn.commit().await?;
    Ok(Json(Empty {}))
}

/// Activates an account (the 2021 route: the 14-key account object).
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/activate",
    tag = "admin",
    operation_id = "admin_accounts_activate_legacy",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The activated account", body = Account),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn activate(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
) -> ApiResult<Json<Account>> {
    let account = set_activated(&state, &id, true, &by).await?;
    let view = accounts::view(&state.db, account).await?;
    Ok(Json(Account::new(&view, &state.config)))
}

/// Deactivates an account (the 2021 route: the 14-key account object).
#[utoipa::path(
    get,
    path = "/api/accounts/{account}/deactivate",
    tag = "admin",
    operation_id = "admin_accounts_deactivate_legacy",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The deactivated account", body = Account),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn deactivate(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
) -> ApiResult<Json<Account>> {
    let account = set_activated(&state, &id, false, &by).await?;
    let view = accounts::view(&state.db, account).await?;
    Ok(Json(Account::new(&view, &state.config)))
}

/// Activates an account.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/activate",
    tag = "admin",
    operation_id = "admin_accounts_activate",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The activated account", body = AdminAccount),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn activate_admin(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let account = set_activated(&state, &id, true, &by).await?;
    admin_json(&state, account).await
}

/// Deactivates an account: it can no longer authenticate.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/deactivate",
    tag = "admin",
    operation_id = "admin_accounts_deactivate",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The deactivated account", body = AdminAccount),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn deactivate_admin(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    let account = set_activated(&state, &id, false, &by).await?;
    admin_json(&state, account).await
}

/// (De)activates the account of `{id}`; the account as it now is.
async fn set_activated(
    state: &AppState,
    id: &str,
    activated: bool,
    by: &By,
) -> ApiResult<account::Model> {
    let account = find(state, id).await?;
    let action = if activated {
        Action::AccountActivate
    } else {
        Action::AccountDeactivate
    };
    let txn = crate::db::begin_write(&state.db).await?;
    accounts::set_activated(&txn, account.id, activated).await?;
    audit::record(&txn, by, action, &account).await?;
    txn.commit().await?;
    find(state, id).await
}

/// Blocks an account: it can no longer authenticate.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/block",
    tag = "admin",
    operation_id = "admin_accounts_block",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The blocked account", body = AdminAccount),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn block(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    set_blocked(&state, &id, true, &by).await
}

/// Unblocks an account.
#[utoipa::path(
    post,
    path = "/api/accounts/{account}/unblock",
    tag = "admin",
    operation_id = "admin_accounts_unblock",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The unblocked account", body = AdminAccount),
        AdminGuard,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
    ),
)]
async fn unblock(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
) -> ApiResult<Json<AdminAccount>> {
    set_blocked(&state, &id, false, &by).await
}

async fn set_blocked(
    state: &AppState,
    id: &str,
    blocked: bool,
    by: &By,
) -> ApiResult<Json<AdminAccount>> {
    let account = find(state, id).await?;
    let action = if blocked {
        Action::AccountBlock
    } else {
        Action::AccountUnblock
    };
    let txn = crate::db::begin_write(&state.db).await?;
    accounts::set_blocked(&txn, account.id, blocked).await?;
    audit::record(&txn, by, action, &account).await?;
    txn.commit().await?;
    tracing::info!(
        account_id = account.id,
        blocked,
        "account (un)blocked by an admin"
    );
    admin_json(state, find(state, id).await?).await
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create,
    list,
    show,
    destroy,
    activate,
    deactivate,
    activate_admin,
    deactivate_admin,
    block,
    unblock
))]
pub(crate) struct Doc;
