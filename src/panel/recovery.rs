//! "Recover my account" pages (issue 10), as the PHP FlexiAPI's:
//!
//! - `GET/POST /recovery/email` (username and e-mail address) and
//!   `GET/POST /recovery/phone` (phone number, when
//!   `PHONE_AUTHENTICATION`) send a 4-digit code and show the code form,
//!   the same whether or not an account matches;
//! - `POST /recovery/email/code` and `POST /recovery/phone/code` check it
//!   (3 tries, `APP_RECOVERY_CODE_EXPIRATION_MINUTES`); a right code leads
//!   to `/recovery/password/{token}` (`reset_password.rs`), where the
//!   person sets a new password;
//! - `GET /recovery/phone/{account_recovery_token}` is the phone page a
//!   Linphone app opens with the token pushed to it.
//!
//! Every POST carries the pre-login CSRF token (its cookie scoped to
//! `/recovery`) and counts against the `panel-login` limit per client
//! address; sending is also limited per account (`crate::service::recovery`).

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::form::field;
use super::login::{pre_login_page_at, read_pre_login_form};
use super::{Nav, error_page, not_found_page, render, see_other, user_message};
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::service::codes::CodeKind;
use crate::service::fields;
use crate::service::recovery::{self, MAX_ATTEMPTS, Method, RESET_AFTER_CODE};
use crate::state::AppState;

const PATH: &str = "/recovery";
/// The one answer to a wrong, expired or exhausted code and to an unknown
/// account.
const REFUSED: &str = "Wrong or expired code.";
/// Longest value shown back in a form.
const SHOWN_MAX: usize = 64;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recovery/email", get(show_email).post(request_email))
        .route("/recovery/email/code", post(submit_email_code))
        .route("/recovery/phone", get(show_phone).post(request_phone))
        .route("/recovery/phone/{token}", get(show_phone_with_token))
        .route("/recovery/phone/code", post(submit_phone_code))
}

/// What a recovery form shows back: the person's input.
#[derive(Default)]
struct Shown<'a> {
    username: &'a str,
    email: &'a str,
    phone: &'a str,
    recovery_token: Option<&'a str>,
}

impl<'a> Shown<'a> {
    fn of(form: &'a JsonObject) -> Self {
        let value = |name: &str| {
            let raw = field(form, name).unwrap_or_default().trim();
            if raw.chars().count() <= SHOWN_MAX && !raw.chars().any(char::is_control) {
                raw
            } else {
                ""
            }
        };
        Shown {
            username: value("username"),
            email: value("email"),
            phone: value("phone"),
            recovery_token: field(form, "account_recovery_token")
                .filter(|t| crate::service::creation_tokens::is_well_formed(t)),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/recovery_request.html")]
struct RequestPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    email: bool,
    username: &'a str,
    email_value: &'a str,
    phone: &'a str,
    /// The recovery token the app was pushed, sent back with the form.
    recovery_token: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "pages/recovery_code.html")]
struct CodePage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    email: bool,
    username: &'a str,
    email_value: &'a str,
    phone: &'a str,
    error: Option<&'a str>,
    lifetime_minutes: Option<i64>,
    max_attempts: i32,
}

fn request_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    method: Method,
    shown: &Shown,
    error: Option<&str>,
) -> Response {
    pre_login_page_at(state, headers, PATH, |token| {
        render(
            status,
            RequestPage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                email: method == Method::Email,
                username: shown.username,
                email_value: shown.email,
                phone: shown.phone,
                recovery_token: shown.recovery_token,
                error,
            },
        )
    })
}

fn code_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    method: Method,
    shown: &Shown,
    error: Option<&str>,
) -> Response {
    pre_login_page_at(state, headers, PATH, |token| {
        render(
            status,
            CodePage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                email: method == Method::Email,
                username: shown.username,
                email_value: shown.email,
                phone: shown.phone,
                error,
                lifetime_minutes: state.config.recovery_code_expiration_minutes,
                max_attempts: MAX_ATTEMPTS,
            },
        )
    })
}

fn phone_disabled(state: &AppState) -> Option<Response> {
    (!state.config.phone_authentication)
        .then(|| not_found_page(state, "This feature is not enabled on this service."))
}

async fn show_email(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let shown = Shown::default();
    request_form(
        &state,
        &headers,
        StatusCode::OK,
        Method::Email,
        &shown,
        None,
    )
}

async fn show_phone(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(page) = phone_disabled(&state) {
        return page;
    }
    let shown = Shown::default();
    request_form(
        &state,
        &headers,
        StatusCode::OK,
        Method::Phone,
        &shown,
        None,
    )
}

/// `GET /recovery/phone/{account_recovery_token}[?phone=+NUMBER]`: the
/// page a Linphone app opens with the token it was pushed; `404` unless
/// the token is live. Submitting the form uses the token.
async fn show_phone_with_token(
    State(state): State<AppState>,
    Path(given): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(page) = phone_disabled(&state) {
        return page;
    }
    match recovery::find_recovery_token(&state, &given).await {
        Ok(Some(_)) => {}
        Ok(None) => return token_gone(&state),
        Err(err) => return error_page(&state.config.app_name, None, err.into()),
    }
    let phone = query
        .get("phone")
        .map(String::as_str)
        .filter(|p| crate::input::rules::is_phone(p))
        .unwrap_or_default();
    let shown = Shown {
        phone,
        recovery_token: Some(&given),
        ..Shown::default()
    };
    request_form(
        &state,
        &headers,
        StatusCode::OK,
        Method::Phone,
        &shown,
        None,
    )
}

fn token_gone(state: &AppState) -> Response {
    not_found_page(state, "This recovery link is unknown, used or expired.")
}

/// The account the request names, if any, once its fields are valid.
enum Named<'a> {
    Email { username: &'a str, email: &'a str },
    Phone(&'a str),
}

fn read_named(form: &JsonObject, method: Method) -> ApiResult<Named<'_>> {
    let mut v = form.validator();
    let named = match method {
        Method::Email => {
            let username = fields::username(&mut v);
            let email = v
                .required_string("email")
                .and_then(|_| fields::optional_email(&mut v));
            Named::Email {
                username: username.unwrap_or_default(),
                email: email.unwrap_or_default(),
            }
        }
        Method::Phone => Named::Phone(fields::required_phone(&mut v).unwrap_or_default()),
    };
    v.finish()?;
    Ok(named)
}

async fn find_account(
    state: &AppState,
    named: &Named<'_>,
) -> Result<Option<crate::db::entities::account::Model>, sea_orm::DbErr> {
    match named {
        Named::Email { username, email } => recovery::find_by_email(state, email, username).await,
        Named::Phone(phone) => recovery::find_by_phone(state, phone).await,
    }
}

async fn request_code(
    state: AppState,
    peer: SocketAddr,
    request: Request,
    method: Method,
) -> Response {
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let shown = Shown::of(&form);
    let named = match read_named(&form, method) {
        Ok(named) => named,
        Err(err) => {
            let message = user_message(err);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return request_form(&state, &headers, status, method, &shown, Some(&message));
        }
    };
    let account = match find_account(&state, &named).await {
        Ok(account) => account,
        Err(err) => return error_page(&state.config.app_name, None, err.into()),
    };
    // A recovery token given with the form is used by this request,
    // whether or not an account matched.
    if let Some(given) = field(&form, "account_recovery_token") {
        let used = match recovery::find_recovery_token(&state, given).await {
            Ok(Some(token)) => {
                recovery::use_recovery_token(&state, token.id, account.as_ref().map(|a| a.id)).await
            }
            Ok(None) => Ok(false),
            Err(err) => Err(err),
        };
        match used {
            Ok(true) => {}
            Ok(false) => return token_gone(&state),
            Err(err) => return error_page(&state.config.app_name, None, err.into()),
        }
    }
    let sent = match account {
        Some(account) => recovery::send_code(&state, account, method).await,
        None => Ok(()),
    };
    if let Err(err) = sent {
        return error_page(&state.config.app_name, None, err);
    }
    code_form(&state, &headers, StatusCode::OK, method, &shown, None)
}

async fn submit_code(
    state: AppState,
    peer: SocketAddr,
    request: Request,
    method: Method,
) -> Response {
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let shown = Shown::of(&form);
    let read = read_named(&form, method).and_then(|named| Ok((named, CodeKind::Pin.read(&form)?)));
    let (named, code) = match read {
        Ok(read) => read,
        Err(err) => {
            let message = user_message(err);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return code_form(&state, &headers, status, method, &shown, Some(&message));
        }
    };
    let client =
        crate::client_address::client_ip(peer.ip(), &headers, &state.config.trusted_proxies);
    let checked = match find_account(&state, &named).await {
        Ok(Some(account)) => recovery::check_code(&state, &account, method, code, client)
            .await
            .map(|right| right.then_some(account.id)),
        Ok(None) => Ok(None),
        Err(err) => Err(err),
    };
    let account_id = match checked {
        Ok(Some(account_id)) => account_id,
        Ok(None) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return code_form(&state, &headers, status, method, &shown, Some(REFUSED));
        }
        Err(err) => return error_page(&state.config.app_name, None, err.into()),
    };
    let now = state.clock.now_naive();
    match recovery::issue_reset_token(&state.db, account_id, RESET_AFTER_CODE, now).await {
        Ok(token) => {
            tracing::info!(account_id, method = ?method, "account recovered by code");
            see_other(&format!("/recovery/password/{token}"))
        }
        Err(err) => error_page(&state.config.app_name, None, err.into()),
    }
}

async fn request_email(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    request_code(state, peer, request, Method::Email).await
}

async fn request_phone(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if let Some(page) = phone_disabled(&state) {
        return page;
    }
    request_code(state, peer, request, Method::Phone).await
}

async fn submit_email_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    submit_code(state, peer, request, Method::Email).await
}

async fn submit_phone_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if let Some(page) = phone_disabled(&state) {
        return page;
    }
    submit_code(state, peer, request, Method::Phone).await
}
