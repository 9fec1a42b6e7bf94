//! `PUT /api/accounts/{id}` (FlexiAPI 2.x): an admin replaces an account's
//! username, domain, e-mail, phone, display name and DTMF protocol, and
//! optionally its password and its whole dictionary. Activation, the admin role and `blocked` have
//! their own routes and are never changed here.

use axum::extract::{Path, State};
use axum::routing::put;
use axum::{Json, Router};
use serde_json::Value;

use super::admin_accounts::{admin_json, creation_error, find};
use super::admin_schemas::{AccountUpdateBody, AdminAccount, AdminGuard, BodyErrors, FromHeader};
use super::fields;
use super::schemas::{Message, ValidationError};
use crate::audit::{self, Action, By};
use crate::config::Config;
use crate::db::accounts::{self, AccountUpdate};
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/accounts/{account}", put(update))
}

/// Validates an update of `current` (shared with the admin panel's edit
/// form): the creation rules, the domain limited to `APP_SIP_DOMAIN`, and
/// a new password required when the username or domain changes — the
/// stored hashes are bound to both.
pub fn validate_update<'a>(
    body: &'a JsonObject,
    config: &'a Config,
    current: &'a account::Model,
) -> ApiResult<AccountUpdate<'a>> {
    let mut v = body.validator();
    let username = fields::username(&mut v);
    let domain = match v.optional_string("domain") {
        Some(domain) => {
            v.check(
                "domain",
                domain == config.sip_domain,
                format!("The domain must be {}.", config.sip_domain),
            );
            domain
        }
        None => current.domain.as_str(),
    };
    let password = v.optional_string("password");
    if let Some(password) = password {
        v.check(
            "password",
            crate::input::rules::is_password(password),
            "The password must be at least 6 characters.",
        );
    }
    let algorithm = password.and_then(|_| fields::algorithm_or_default(&mut v));
    if let Some(username) = username
        && password.is_none()
        && (username != current.username || domain != current.domain)
    {
        v.error(
            "password",
            "The password field is required when the username or domain changes.",
        );
    }
    let email = fields::optional_email(&mut v);
    let phone = fields::optional_phone(&mut v);
    let display_name = fields::optional_display_name(&mut v);
    let dtmf_protocol = fields::optional_dtmf_protocol(&mut v);
    v.finish()?;
    let Some(username) = username else {
        return Err(ApiError::field(
            "username",
            "The username field is required.",
        ));
    };
    let password = password.zip(algorithm);
    Ok(AccountUpdate {
        username,
        domain,
        password,
        email,
        phone,
        display_name,
        dtmf_protocol,
    })
}

/// Applies a validated update in one transaction, replacing the whole
/// dictionary when `dictionary` is given; the updated account.
pub async fn apply_update(
    state: &AppState,
    current: &account::Model,
    change: AccountUpdate<'_>,
    dictionary: Option<&[(&str, &str)]>,
    by: &By,
) -> ApiResult<account::Model> {
    let txn = crate::db::begin_write(&state.db).await?;
    let updated = accounts::update(&txn, &state.config, current, change)
        .await
        .map_err(creation_error)?;
    if let Some(entries) = dictionary {
        let now = state.clock.now_naive();
        crate::db::dictionary::replace_all(&txn, updated.id, entries, now).await?;
    }
    audit::record(&txn, by, Action::AccountUpdate, &updated).await?;
    txn.commit().await?;
    tracing::info!(account_id = updated.id, "account updated by an admin");
    Ok(updated)
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
) -> ApiResult<Json<Value>> {
    let current = find(&state, &id).await?;
    // Both checks run, so one 422 names every wrong field.
    let change = validate_update(&body, &state.config, &current);
    let dictionary = super::dictionary::optional_entries(&body);
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

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(update))]
pub(crate) struct Doc;
