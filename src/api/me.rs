//! The authenticated account's own routes: show, delete, change password.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{Value, json};

use super::fields;
use crate::auth::AuthAccount;
use crate::auth::digest::Algorithm;
use crate::db::accounts;
use crate::db::entities::password;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::secrets;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/accounts/me", get(show).delete(destroy))
        .route("/api/accounts/me/password", post(change_password))
        .route("/api/accounts/me/email/request", post(request_email_change))
}

/// The current JSON of the authenticated account (re-read: the request may
/// have changed it).
pub async fn account_json(state: &AppState, auth: &AuthAccount) -> ApiResult<Value> {
    let account = accounts::find_by_id(&state.db, auth.account.id)
        .await?
        .ok_or_else(crate::error::ApiError::not_found)?;
    let view = accounts::view_of(&state.db, account, auth.admin).await?;
    Ok(view.to_json(&state.config, false))
}

async fn show(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
) -> ApiResult<Json<Value>> {
    // Nothing changed since authentication: no need to read the account again.
    let view = accounts::view_of(&state.db, auth.account, auth.admin).await?;
    Ok(Json(view.to_json(&state.config, false)))
}

async fn destroy(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
) -> ApiResult<Json<Value>> {
    accounts::delete(&state.db, auth.account.id).await?;
    Ok(Json(json!({})))
}

async fn change_password(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    let account = &auth.account;
    let stored = accounts::passwords(&state.db, account.id).await?;

    let mut v = body.validator();
    let algorithm = fields::algorithm(&mut v);
    let password = fields::password(&mut v);
    if !stored.is_empty()
        && let Some(old) = v.required_string("old_password")
    {
        let realm = state.config.realm_for(&account.domain);
        v.check(
            "old_password",
            stored
                .iter()
                .any(|s| is_password_of(s, &account.username, realm, old)),
            "The old password is incorrect.",
        );
    }
    v.finish()?;
    let (Some(algorithm), Some(password)) = (algorithm, password) else {
        unreachable!("validated above");
    };

    let txn = crate::db::begin_write(&state.db).await?;
    accounts::set_password(&txn, &state.config, account, password, algorithm).await?;
    txn.commit().await?;
    Ok(Json(account_json(&state, &auth).await?))
}

/// True when `candidate` is the clear password behind `stored`.
fn is_password_of(stored: &password::Model, username: &str, realm: &str, candidate: &str) -> bool {
    if stored.algorithm == "CLRTXT" {
        return secrets::constant_time_eq(&stored.password, candidate);
    }
    Algorithm::parse(&stored.algorithm).is_some_and(|algorithm| {
        secrets::constant_time_eq(
            &stored.password.to_ascii_lowercase(),
            &algorithm.ha1(username, realm, candidate),
        )
    })
}

async fn request_email_change(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthAccount>,
    body: JsonObject,
) -> ApiResult<Json<Value>> {
    let mut v = body.validator();
    v.required_string("email");
    let email = fields::optional_email(&mut v);
    if let Some(email) = email {
        let current = auth.account.email.as_deref().unwrap_or_default();
        v.check(
            "email",
            !current.eq_ignore_ascii_case(email),
            "The email must be different from the current one.",
        );
    }
    v.finish()?;
    let Some(email) = email else {
        unreachable!("validated above");
    };
    crate::email_change::request(&state, &auth.account, email).await?;
    Ok(Json(account_json(&state, &auth).await?))
}
