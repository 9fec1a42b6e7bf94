//! The typed guards: the only way a handler gets the authenticated account.
//!
//! [`super::require_user`] and [`super::require_admin`] authenticate and
//! store what they found; [`AuthUser`] and [`AdminUser`] read it back. A
//! handler mounted outside its guard group finds nothing and answers 500
//! with a logged error naming the route. The tests of `tests/it/guards.rs`
//! make that impossible to ship: they call every documented user and admin
//! route, without credentials (the guard must answer) and with the
//! credentials of its group (no handler may answer that 500).

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;

use super::AuthAccount;
use crate::audit::By;
use crate::client::Client;
use crate::error::ApiError;
use crate::state::AppState;

/// Stored by `require_admin` only: the request passed the admin check.
#[derive(Clone, Copy, Debug)]
pub(super) struct AdminChecked;

/// The account authenticated by `require_user` (or `require_admin`).
#[derive(Clone, Debug)]
pub struct AuthUser(pub AuthAccount);

/// The admin authenticated by `require_admin`, with the `By` its audited
/// actions are recorded under.
#[derive(Clone, Debug)]
pub struct AdminUser {
    pub auth: AuthAccount,
    pub by: By,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        stored_account(parts, "require_user").map(AuthUser)
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.extensions.get::<AdminChecked>().is_none() {
            return Err(unguarded(parts, "require_admin"));
        }
        let auth = stored_account(parts, "require_admin")?;
        let by = acting(parts, state, &auth).await;
        Ok(AdminUser { auth, by })
    }
}

/// In a handler behind either guard: who acts, from where, and when.
impl FromRequestParts<AppState> for By {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = stored_account(parts, "require_user")?;
        Ok(acting(parts, state, &auth).await)
    }
}

async fn acting(parts: &mut Parts, state: &AppState, auth: &AuthAccount) -> By {
    let Ok(client) = Client::from_request_parts(parts, state).await;
    By::account(&auth.account, &client, &state.clock)
}

fn stored_account(parts: &Parts, guard: &'static str) -> Result<AuthAccount, ApiError> {
    parts
        .extensions
        .get::<AuthAccount>()
        .cloned()
        .ok_or_else(|| unguarded(parts, guard))
}

/// A programming error, not a client's: the route is mounted outside the
/// guard its handler needs.
fn unguarded(parts: &Parts, guard: &'static str) -> ApiError {
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    tracing::error!(%route, method = %parts.method, guard, "route mounted outside its guard");
    ApiError::Internal(anyhow::anyhow!(
        "{} {route} is mounted outside {guard}",
        parts.method
    ))
}
