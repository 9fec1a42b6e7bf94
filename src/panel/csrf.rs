//! Protection of the panel's forms against cross-site requests.
//!
//! - With a session, every POST form carries the session's random token
//!   in `_token`; [`CsrfForm`] refuses (403) a body whose token differs
//!   before the handler runs, so a refused request changes nothing.
//! - Before login there is no session: the login page sets a random
//!   cookie and its form carries an HMAC of that cookie under the server
//!   secret. Another site can neither read the cookie nor compute the
//!   HMAC of one it planted.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::form::{self, field};
use super::message_page;
use super::session::{self, Session};
use crate::input::JsonObject;
use crate::secrets;
use crate::state::AppState;

/// Name of the pre-login cookie, and the form field of every token.
pub const LOGIN_COOKIE: &str = "flexiapi_login";
pub const FIELD: &str = "_token";
const LOGIN_COOKIE_PATH: &str = "/login";
const LOGIN_NONCE_LENGTH: usize = 32;

/// A form posted within a session, its CSRF token checked.
pub struct CsrfForm {
    pub session: Session,
    pub form: JsonObject,
}

impl FromRequest<AppState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let form = read_form(Request::from_parts(parts, body), state).await?;
        let given = field(&form, FIELD).unwrap_or_default();
        if !secrets::constant_time_eq(&session.csrf_token, given) {
            return Err(refused(state));
        }
        Ok(CsrfForm { session, form })
    }
}

/// Reads a form body; a page with `413` or `400` when it cannot.
pub async fn read_form(req: Request, state: &AppState) -> Result<JsonObject, Response> {
    let app_name = &state.config.app_name;
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            message_page(
                app_name,
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "The form is too large.",
            )
        } else {
            bad_form(app_name)
        }
    })?;
    form::parse(&bytes).map_err(|_| bad_form(app_name))
}

fn bad_form(app_name: &str) -> Response {
    message_page(
        app_name,
        StatusCode::BAD_REQUEST,
        "Invalid form",
        "The form could not be read: it must be UTF-8 text.",
    )
}

/// The `403` of a form without the right token.
pub fn refused(state: &AppState) -> Response {
    message_page(
        &state.config.app_name,
        StatusCode::FORBIDDEN,
        "Form expired",
        "This form is out of date or did not come from this site. Reload the page and try again.",
    )
}

/// The pre-login cookie's value, when well formed.
pub fn login_nonce(headers: &HeaderMap) -> Option<&str> {
    session::cookie(headers, LOGIN_COOKIE).filter(|nonce| {
        nonce.len() == LOGIN_NONCE_LENGTH && nonce.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

pub fn new_login_nonce() -> String {
    secrets::random_alphanumeric(LOGIN_NONCE_LENGTH)
}

/// The request's pre-login nonce (a new one when it has none, so several
/// tabs share one) and the form token that goes with it.
pub fn login_nonce_and_token(app_key: &[u8], headers: &HeaderMap) -> (String, String) {
    let nonce = login_nonce(headers)
        .map(str::to_string)
        .unwrap_or_else(new_login_nonce);
    let token = login_token(app_key, &nonce);
    (nonce, token)
}

/// The `Set-Cookie` of the pre-login cookie `nonce`, valid an hour;
/// `None` clears it (after login).
pub fn login_cookie(state: &AppState, nonce: Option<&str>) -> HeaderValue {
    login_cookie_at(state, nonce, LOGIN_COOKIE_PATH)
}

/// [`login_cookie`] for the forms posted without a session under `path`
/// (account recovery, account creation requests): the browser sends each
/// path its own cookie.
pub fn login_cookie_at(state: &AppState, nonce: Option<&str>, path: &str) -> HeaderValue {
    match nonce {
        Some(nonce) => session::set_cookie(state, LOGIN_COOKIE, nonce, path, 3600),
        None => session::set_cookie(state, LOGIN_COOKIE, "", path, 0),
    }
}

/// The login form's token for the cookie `nonce`.
pub fn login_token(app_key: &[u8], nonce: &str) -> String {
    hex::encode(secrets::hmac_sha256(
        app_key,
        b"flexiapi panel login v1:",
        nonce.as_bytes(),
    ))
}

/// True when the login form's token matches the request's cookie.
pub fn login_token_ok(app_key: &[u8], headers: &HeaderMap, form: &JsonObject) -> bool {
    let given = field(form, FIELD).unwrap_or_default();
    login_nonce(headers)
        .is_some_and(|nonce| secrets::constant_time_eq(&login_token(app_key, nonce), given))
}
