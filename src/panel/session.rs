//! Server-side panel sessions. The cookie holds a random token; the
//! database holds only its SHA-256, with the account, the session's CSRF
//! token and a one-shot flash message. A session ends at logout, after
//! [`IDLE_LIFETIME`] without a request, [`ABSOLUTE_LIFETIME`] after login,
//! or as soon as its account is deactivated or deleted.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::Duration;
use sea_orm::{ConnectionTrait, DbErr};

use super::Nav;
use crate::db::entities::account;
use crate::db::{accounts, panel_sessions};
use crate::error::ApiResult;
use crate::secrets;
use crate::state::AppState;

/// Name of the session cookie.
pub const COOKIE: &str = "flexiapi_session";
/// A session unused this long is over: a forgotten browser tab does not
/// stay logged in for the day.
pub const IDLE_LIFETIME: Duration = Duration::hours(2);
/// A session is over this long after login, however active: a stolen
/// cookie does not work forever.
pub const ABSOLUTE_LIFETIME: Duration = Duration::hours(24);
/// `last_seen_at` is written at most this often, not on every page.
const TOUCH_EVERY: Duration = Duration::minutes(1);
const TOKEN_LENGTH: usize = 43;
const CSRF_LENGTH: usize = 40;

/// The logged-in account of a panel request.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: i32,
    pub csrf_token: String,
    pub flash: Option<String>,
    pub account: account::Model,
    /// Admin role, or `APP_EVERYONE_IS_ADMIN`.
    pub admin: bool,
}

impl Session {
    pub fn nav(&self) -> Nav {
        Nav {
            address: format!("{}@{}", self.account.username, self.account.domain),
            admin: self.admin,
            csrf: self.csrf_token.clone(),
        }
    }
}

/// Opens a session for `account_id`; returns the cookie's token.
pub async fn create(state: &AppState, account_id: i32) -> Result<String, DbErr> {
    let token = secrets::random_alphanumeric(TOKEN_LENGTH);
    let now = state.clock.now_naive();
    // Sessions past their lifetime are dropped when a new one is made.
    panel_sessions::create(
        &state.db,
        secrets::sha256_hex(&token),
        account_id,
        secrets::random_alphanumeric(CSRF_LENGTH),
        now,
        (now - IDLE_LIFETIME, now - ABSOLUTE_LIFETIME),
    )
    .await?;
    Ok(token)
}

/// The live session whose token is in the request's cookie, if any.
pub async fn current(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Session>> {
    let Some(token) = cookie(headers, COOKIE).filter(|t| t.len() == TOKEN_LENGTH) else {
        return Ok(None);
    };
    let Some(row) =
        panel_sessions::find_by_token_hash(&state.db, secrets::sha256_hex(token)).await?
    else {
        return Ok(None);
    };
    let now = state.clock.now_naive();
    let account = accounts::find_by_id(&state.db, row.account_id).await?;
    let live = row.last_seen_at > now - IDLE_LIFETIME && row.created_at > now - ABSOLUTE_LIFETIME;
    // A deactivated or blocked account loses its session at its next
    // request.
    let Some(account) = account.filter(|a| a.may_authenticate() && live) else {
        end(&state.db, row.id).await?;
        return Ok(None);
    };
    if row.last_seen_at <= now - TOUCH_EVERY {
        panel_sessions::touch(&state.db, row.id, now).await?;
    }
    let admin = state.config.everyone_is_admin || accounts::is_admin(&state.db, account.id).await?;
    Ok(Some(Session {
        id: row.id,
        csrf_token: row.csrf_token,
        flash: row.flash,
        account,
        admin,
    }))
}

/// Ends one session.
pub async fn end(conn: &impl ConnectionTrait, session_id: i32) -> Result<(), DbErr> {
    panel_sessions::delete(conn, session_id).await
}

/// Ends every session of an account (deactivation, deletion).
pub async fn end_all(conn: &impl ConnectionTrait, account_id: i32) -> Result<(), DbErr> {
    panel_sessions::delete_of_account(conn, account_id).await
}

/// Sets the message the next page of the session shows once; written in
/// the caller's transaction, with the change it reports.
pub async fn set_flash(
    conn: &impl ConnectionTrait,
    session_id: i32,
    message: &str,
) -> Result<(), DbErr> {
    panel_sessions::set_flash(conn, session_id, Some(message)).await
}

/// The flash message of `session`, cleared so that it shows once.
pub async fn take_flash(state: &AppState, session: &mut Session) -> Result<Option<String>, DbErr> {
    let Some(flash) = session.flash.take() else {
        return Ok(None);
    };
    panel_sessions::set_flash(&state.db, session.id, None).await?;
    Ok(Some(flash))
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax` (sent on top-level
/// navigation, never on cross-site POSTs), `Secure` when the service is
/// reached over HTTPS. `max_age` 0 clears the cookie.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if state.config.app_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session cookie for `token`.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    set_cookie(state, COOKIE, token, "/", ABSOLUTE_LIFETIME.num_seconds())
}

/// Clears the session cookie.
pub fn clear_cookie(state: &AppState) -> HeaderValue {
    set_cookie(state, COOKIE, "", "/", 0)
}

/// Pages that need a login: without a live session the browser is sent to
/// the login page.
impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match current(state, &parts.headers).await {
            Ok(Some(session)) => Ok(session),
            Ok(None) => Err(super::see_other("/login")),
            Err(err) => Err(super::error_page(&state.config.app_name, None, err)),
        }
    }
}

/// An admin's session: a logged-in non-admin gets a `403` page.
pub struct AdminSession(pub Session);

impl FromRequestParts<AppState> for AdminSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = Session::from_request_parts(parts, state).await?;
        if !session.admin {
            return Err(forbidden(state, session.nav()));
        }
        Ok(AdminSession(session))
    }
}

pub fn forbidden(state: &AppState, nav: Nav) -> Response {
    super::nav_message_page(
        &state.config.app_name,
        Some(nav),
        StatusCode::FORBIDDEN,
        "Forbidden",
        "This page is for administrators.",
    )
}
