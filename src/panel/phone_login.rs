//! Login with a phone number and a PIN received by SMS
//! (`PHONE_AUTHENTICATION`, as in the PHP FlexiAPI):
//!
//! - `GET /login/phone` shows the phone form; `POST /login/phone` sends a
//!   4-digit PIN by SMS when an activated account has that number (its
//!   `phone` or an alias) and keeps it in `phone_login_codes`, replacing a
//!   pending one. Whatever the number, the answer is the same code form, so
//!   the form does not tell which numbers have accounts.
//! - `GET /login/phone/code` shows the code form; `POST /login/phone/code`
//!   with the phone and the PIN opens a session as the password login does.
//!
//! Both POSTs carry the pre-login CSRF token and count against the
//! `panel-login` limit per client address; the SMS are also limited per
//! account. The flow (a code valid `CODE_LIFETIME`, with
//! `APP_CODE_MAX_ATTEMPTS` tries) is `crate::service::phone_login`.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::form::field;
use super::login::{open_session, pre_login_page, read_pre_login_form};
use super::{Nav, error_page, not_found_page, render, see_other, session, user_message};
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::service::codes::CodeKind;
use crate::service::fields;
use crate::service::phone_login::{CODE_LIFETIME, check_code, send_code};
use crate::state::AppState;

/// The one answer to a wrong code, an unknown number, an expired code and a
/// code out of tries: nothing tells them apart.
const REFUSED: &str = "Wrong or expired code.";

/// Longest phone input shown back in a refused form.
const SHOWN_PHONE_MAX: usize = 32;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/phone", get(show_phone).post(request_code))
        .route("/login/phone/code", get(show_code).post(submit_code))
}

#[derive(Template)]
#[template(path = "pages/login_phone.html")]
struct PhonePage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    phone: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "pages/login_phone_code.html")]
struct CodePage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    phone: &'a str,
    error: Option<&'a str>,
    lifetime_minutes: i64,
}

/// With `PHONE_AUTHENTICATION=false` the routes do not exist.
fn disabled(state: &AppState) -> Response {
    not_found_page(state, "This feature is not enabled on this service.")
}

fn phone_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    phone: &str,
    error: Option<&str>,
) -> Response {
    pre_login_page(state, headers, |token| {
        render(
            status,
            PhonePage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                phone,
                error,
            },
        )
    })
}

fn code_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    phone: &str,
    error: Option<&str>,
) -> Response {
    pre_login_page(state, headers, |token| {
        render(
            status,
            CodePage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                phone,
                error,
                lifetime_minutes: CODE_LIFETIME.num_minutes(),
            },
        )
    })
}

/// The phone field of a refused form, to show back (not when absurdly long).
fn shown_phone(form: &JsonObject) -> &str {
    let raw = field(form, "phone").unwrap_or_default().trim();
    if raw.chars().count() <= SHOWN_PHONE_MAX {
        raw
    } else {
        ""
    }
}

async fn show_phone(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    match session::current(&state, &headers).await {
        Ok(Some(_)) => return see_other("/account"),
        Ok(None) => {}
        Err(err) => return error_page(&state.config.app_name, None, err),
    }
    phone_form(&state, &headers, StatusCode::OK, "", None)
}

async fn show_code(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    code_form(&state, &headers, StatusCode::OK, "", None)
}

async fn request_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let mut v = form.validator();
    let phone = fields::required_phone(&mut v);
    if let Err(err) = v.finish() {
        let message = user_message(err);
        let shown = shown_phone(&form);
        return phone_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            shown,
            Some(&message),
        );
    }
    let phone = phone.unwrap_or_default();
    if let Err(err) = send_code(&state, phone).await {
        return error_page(&state.config.app_name, None, err);
    }
    code_form(&state, &headers, StatusCode::OK, phone, None)
}

/// The phone (the project's rule) and the code (4 digits) of the code form.
fn read_phone_and_code(form: &JsonObject) -> ApiResult<(&str, &str)> {
    let mut v = form.validator();
    let phone = fields::required_phone(&mut v);
    v.finish()?;
    let code = CodeKind::Pin.read(form)?;
    Ok((phone.unwrap_or_default(), code))
}

async fn submit_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let (phone, code) = match read_phone_and_code(&form) {
        Ok(read) => read,
        Err(err) => {
            let message = user_message(err);
            let shown = shown_phone(&form);
            return code_form(
                &state,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
                Some(&message),
            );
        }
    };
    let client =
        crate::client_address::client_ip(peer.ip(), &headers, &state.config.trusted_proxies);
    match check_code(&state, phone, code, client).await {
        Ok(Some(account_id)) => open_session(&state, account_id, "phone").await,
        Ok(None) => code_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            phone,
            Some(REFUSED),
        ),
        Err(err) => error_page(&state.config.app_name, None, err.into()),
    }
}
