//! `PUT /api/accounts/{id}` (FlexiAPI 2.x): an admin replaces an account's
//! username, domain, e-mail, phone, display name and DTMF protocol, and
//! optionally its password and its whole dictionary. Activation, the admin role and `blocked` have
//! their own routes and are never changed here.

use axum::extract::{Path, State};
use axum::routing::put;
use axum::{Json, Router};

use super::admin_accounts::{admin_json, find};
use super::admin_schemas::{AccountUpdateBody, AdminAccount, AdminGuard, BodyErrors, FromHeader};
use crate::service::accounts::{apply_update, validate_update};

use super::schemas::{Message, ValidationError};
use crate::audit::By;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/accounts/{account}", put(update))
}

/// Replaces an account's username, domain, e-mail, phone, display name and
/// DTMF protocol, and optionally its password.
#[utoipa::path(
    put,
    path = "/api/accounts/{account}",
    tag = "admin",
    operation_id = "admin_accounts_update",
    params(FromHeader, ("account" = i32, Path, description = "The account's id"),),
    request_body(content = AccountUpdateBody, content_type = "application/json"),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 200, description = "The updated account", body = AdminAccount),
        AdminGuard,
        BodyErrors,
        (status = 404, description = "No such account, or the `From` account does not exist", body = Message),
        (status = 422, description = "An invalid field, a password missing while the username or domain changes, the username or phone already taken, or the `From` header missing or not a SIP address", body = ValidationError),
    ),
)]
async fn update(
    State(state): State<AppState>,
    by: By,
    Path(id): Path<String>,
    body: JsonObject,
) -> ApiResult<Json<AdminAccount>> {
    let current = find(&state, &id).await?;
    // Both checks run, so one 422 names every wrong field.
    let change = validate_update(&body, &state.config, &current);
    let dictionary = crate::service::dictionary::optional_entries(&body);
    let (change, dictionary) = match (change, dictionary) {
        (Ok(change), Ok(dictionary)) => (change, dictionary),
        (change, dictionary) => {
            let mut errors = match change {
                Err(ApiError::Validation(errors)) => errors,
                Err(other) => return Err(other),
                Ok(_) => Default::default(),
            };
            if let Err(message) = dictionary {
                errors.insert("dictionary".to_string(), vec![message]);
            }
            return Err(ApiError::Validation(errors));
        }
    };
    let updated = apply_update(&state, &current, change, dictionary.as_deref(), &by).await?;
    admin_json(&state, updated).await
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(update))]
pub(crate) struct Doc;
