//! Server-rendered pages that work without JavaScript (docs/panel.md): login
//! (SIP address and password, or phone number and SMS code), the account's
//! own page, the admin account list and each account's admin page (edit,
//! block, devices), the API key form, the audit log,
//! and the e-mail change confirmation link.
//!
//! Sessions are server-side (`session.rs`), every POST form carries the
//! session's CSRF token (`csrf.rs`), and the actions call the same
//! functions as the API (`crate::service::self_service`, `crate::service::email_change`).

mod account;
mod account_settings;
mod admin;
mod admin_account;
mod admin_create;
mod api_key;
mod audit;
mod creation_request;
mod csrf;
mod email_change;
mod form;
mod items;
mod lists;
mod login;
mod phone_login;
mod qr_login;
mod recovery;
mod reset_password;
mod session;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(email_change::router())
        .merge(login::router())
        .merge(phone_login::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(admin_account::router())
        .merge(admin_create::router())
        .merge(api_key::router())
        .merge(audit::router())
        .merge(creation_request::router())
        .merge(recovery::router())
        .merge(reset_password::router())
        .merge(qr_login::router())
        .merge(lists::router())
        .merge(account_settings::router())
}

/// What the layout's navigation needs of the logged-in account.
pub struct Nav {
    pub address: String,
    pub admin: bool,
    /// For the logout form.
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "pages/message.html")]
struct MessagePage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    title: &'a str,
    message: &'a str,
}

/// A page that only says something, with `status`.
fn message_page(app_name: &str, status: StatusCode, title: &str, message: &str) -> Response {
    nav_message_page(app_name, None, status, title, message)
}

/// The `404` page of a link that leads nowhere (unknown, used or expired
/// token, feature turned off), saying why.
fn not_found_page(state: &crate::state::AppState, message: &str) -> Response {
    message_page(
        &state.config.app_name,
        StatusCode::NOT_FOUND,
        "Not found",
        message,
    )
}

/// [`message_page`] with the navigation of a logged-in account.
fn nav_message_page(
    app_name: &str,
    nav: Option<Nav>,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    render(
        status,
        MessagePage {
            app_name,
            nav,
            title,
            message,
        },
    )
}

/// The page for a refused or failed action: the status and safe message of
/// `err` (every message of a 422), `Retry-After` on 429; an internal
/// error's cause is logged, never shown.
fn error_page(app_name: &str, nav: Option<Nav>, err: ApiError) -> Response {
    let status = err.status();
    let retry_after = retry_after(&err);
    let message = user_message(err);
    let response = nav_message_page(app_name, nav, status, title_of(status), &message);
    with_retry_after(response, retry_after)
}

/// The page of a request refused before its handler (bad input).
pub fn refused_input(app_name: &str, err: ApiError) -> Response {
    error_page(app_name, None, err)
}

/// The `Retry-After` seconds of a `429`.
fn retry_after(err: &ApiError) -> Option<u64> {
    match err {
        ApiError::TooManyRequests {
            retry_after_seconds,
        } => Some(*retry_after_seconds),
        _ => None,
    }
}

fn with_retry_after(mut response: Response, seconds: Option<u64>) -> Response {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn title_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "Invalid data",
        StatusCode::FORBIDDEN => "Forbidden",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        StatusCode::SERVICE_UNAVAILABLE => "Unavailable",
        StatusCode::PAYLOAD_TOO_LARGE => "Too large",
        _ => "Error",
    }
}

/// The text of `err` that is safe to show.
fn user_message(err: ApiError) -> String {
    match err {
        ApiError::Validation(errors) => {
            errors.into_values().flatten().collect::<Vec<_>>().join(" ")
        }
        ApiError::BadRequest(m)
        | ApiError::Forbidden(m)
        | ApiError::NotFound(m)
        | ApiError::Gone(m)
        | ApiError::Unavailable(m) => m,
        ApiError::Unauthorized { message, .. } => message.to_string(),
        ApiError::PayloadTooLarge => "The form is too large.".into(),
        ApiError::TooManyRequests { .. } => {
            "Too many attempts: wait a minute and try again.".into()
        }
        ApiError::Internal(cause) => {
            tracing::error!(error = %format!("{cause:#}"), "internal error");
            "Server Error".into()
        }
    }
}

/// A `303 See Other` to `location` (POST-redirect-GET).
fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Renders a template; a template error is logged and a plain 500 shown.
/// Pages are never cached (they show account data and form tokens) nor
/// framed (clickjacking of the forms).
fn render(status: StatusCode, template: impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            response
        }
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Server Error").into_response()
        }
    }
}
