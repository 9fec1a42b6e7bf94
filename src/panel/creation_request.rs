//! `GET/POST /creation_request/{token}`: the page where a person validates
//! an account creation request token (`POST
//! /api/account_creation_request_tokens` gives its URL to the app). With
//! `HCAPTCHA_SITEKEY` and `HCAPTCHA_SECRET` the form carries an hCaptcha
//! widget and the answer is verified server-side; without them it is a
//! plain confirmation. Either way the form has the pre-login CSRF token
//! and counts against the `panel-login` limit per client address.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::form::field;
use super::login::{pre_login_page_at, read_pre_login_form};
use super::{Nav, error_page, message_page, not_found_page, render};
use crate::error::ApiError;
use crate::notify::hcaptcha::{self, CaptchaError};
use crate::service::creation_tokens;
use crate::state::AppState;

const PATH: &str = "/creation_request";

pub fn router() -> Router<AppState> {
    Router::new().route("/creation_request/{token}", get(show).post(validate))
}

#[derive(Template)]
#[template(path = "pages/creation_request.html")]
struct RequestPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    request_token: &'a str,
    /// The hCaptcha site key, when the captcha is on.
    site_key: Option<&'a str>,
    error: Option<&'a str>,
}

fn unknown(state: &AppState) -> Response {
    not_found_page(
        state,
        "This account creation request is unknown, used or expired.",
    )
}

fn form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    request_token: &str,
    error: Option<&str>,
) -> Response {
    let site_key = state.config.hcaptcha.as_ref().map(|c| c.site_key.as_str());
    pre_login_page_at(state, headers, PATH, |token| {
        render(
            status,
            RequestPage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                request_token,
                site_key,
                error,
            },
        )
    })
}

/// The request waiting for a person, or the page to answer.
async fn pending(state: &AppState, given: &str) -> Result<i32, Response> {
    let now = state.clock.now_naive();
    match creation_tokens::find_request(&state.db, &state.config, given, now).await {
        Ok(Some(request)) if request.validated_at.is_none() => Ok(request.id),
        Ok(_) => Err(unknown(state)),
        Err(err) => Err(error_page(&state.config.app_name, None, err.into())),
    }
}

async fn show(
    State(state): State<AppState>,
    Path(given): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(page) = pending(&state, &given).await {
        return page;
    }
    form(&state, &headers, StatusCode::OK, &given, None)
}

async fn validate(
    State(state): State<AppState>,
    Path(given): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let app_name = &state.config.app_name;
    let (headers, posted) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let id = match pending(&state, &given).await {
        Ok(id) => id,
        Err(page) => return page,
    };
    if let Some(captcha) = &state.config.hcaptcha {
        let answer = field(&posted, "h-captcha-response").unwrap_or_default();
        match hcaptcha::verify(captcha, answer).await {
            Ok(()) => {}
            Err(CaptchaError::Refused) => {
                return form(
                    &state,
                    &headers,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &given,
                    Some("Please solve the captcha."),
                );
            }
            Err(err @ CaptchaError::Unreachable(_)) => {
                tracing::warn!(error = %err, "captcha verification failed");
                let refused = ApiError::Unavailable(
                    "The captcha could not be verified, try again later.".into(),
                );
                return error_page(app_name, None, refused);
            }
        }
    }
    let now = state.clock.now_naive();
    match creation_tokens::validate_request(&state.db, id, now).await {
        Ok(true) => message_page(
            app_name,
            StatusCode::OK,
            "Request validated",
            "Your request is validated: go back to the app to create your account.",
        ),
        Ok(false) => unknown(&state),
        Err(err) => error_page(app_name, None, err.into()),
    }
}
