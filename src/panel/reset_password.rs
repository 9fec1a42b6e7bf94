//! `GET/POST /recovery/password/{token}`: the single-use page that sets a
//! new password, reached after a right recovery code (`recovery.rs`) or
//! from the link an admin mails (`send_reset_password_email`). No old
//! password is asked: the code or the mail proved who it is. Once set, the
//! person is logged in to their account page, as the PHP service logs
//! them in after a right code.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::form::field;
use super::login::{open_session, pre_login_page_at, read_pre_login_form};
use super::{Nav, error_page, message_page, not_found_page, render, user_message};
use crate::auth::digest::Algorithm;
use crate::service::fields;
use crate::service::recovery;
use crate::state::AppState;

/// The recovery pages' cookie path: this page is one of them.
const PATH: &str = "/recovery";

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/recovery/password/{token}",
        get(show_password).post(set_password),
    )
}

#[derive(Template)]
#[template(path = "pages/recovery_password.html")]
struct PasswordPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    reset_token: &'a str,
    address: &'a str,
    error: Option<&'a str>,
}

fn link_gone(state: &AppState) -> Response {
    not_found_page(state, "This link is unknown, used or expired.")
}

fn password_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    reset_token: &str,
    address: &str,
    error: Option<&str>,
) -> Response {
    pre_login_page_at(state, headers, PATH, |token| {
        render(
            status,
            PasswordPage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                reset_token,
                address,
                error,
            },
        )
    })
}

/// The `user@domain` a live reset token is for.
async fn reset_address(state: &AppState, given: &str) -> Result<Option<String>, sea_orm::DbErr> {
    let Some(token) = recovery::find_reset_token(state, given).await? else {
        return Ok(None);
    };
    let account = crate::db::accounts::find_by_id(&state.db, token.account_id).await?;
    Ok(account.map(|a| format!("{}@{}", a.username, a.domain)))
}

async fn show_password(
    State(state): State<AppState>,
    Path(given): Path<String>,
    headers: HeaderMap,
) -> Response {
    match reset_address(&state, &given).await {
        Ok(Some(address)) => {
            password_form(&state, &headers, StatusCode::OK, &given, &address, None)
        }
        Ok(None) => link_gone(&state),
        Err(err) => error_page(&state.config.app_name, None, err.into()),
    }
}

async fn set_password(
    State(state): State<AppState>,
    Path(given): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let app_name = &state.config.app_name;
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let address = match reset_address(&state, &given).await {
        Ok(Some(address)) => address,
        Ok(None) => return link_gone(&state),
        Err(err) => return error_page(app_name, None, err.into()),
    };
    let mut v = form.validator();
    let password = fields::password(&mut v);
    // The form offers SHA-256 first; a post without the field gets it.
    let algorithm = if field(&form, "algorithm").is_some() {
        fields::algorithm(&mut v)
    } else {
        Some(Algorithm::Sha256)
    };
    if let Err(err) = v.finish() {
        let message = user_message(err);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return password_form(&state, &headers, status, &given, &address, Some(&message));
    }
    let (Some(password), Some(algorithm)) = (password, algorithm) else {
        unreachable!("validated above");
    };
    match recovery::reset_password(&state, &given, password, algorithm).await {
        Ok(Some(account)) if account.may_authenticate() => {
            open_session(&state, account.id, "password reset").await
        }
        Ok(Some(_)) => message_page(
            app_name,
            StatusCode::OK,
            "Password changed",
            "Your password has been changed.",
        ),
        Ok(None) => link_gone(&state),
        Err(err) => error_page(app_name, None, err.into()),
    }
}
