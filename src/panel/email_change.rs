//! The e-mail change link: GET shows what will change, POST (the page's
//! form) applies it. No login is needed: the link's secret is the proof.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::{message_page, render};
use crate::service::email_change;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/accounts/email/confirm/{secret}", get(show).post(apply))
}

#[derive(Template)]
#[template(path = "pages/email_confirm.html")]
struct ConfirmPage<'a> {
    app_name: &'a str,
    nav: Option<super::Nav>,
    account: &'a str,
    new_email: &'a str,
    action: &'a str,
}

fn invalid_link(state: &AppState) -> Response {
    message_page(
        &state.config.app_name,
        StatusCode::NOT_FOUND,
        "Invalid link",
        "This link is unknown, already used or expired. Ask for a new one from your account.",
    )
}

async fn show(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match email_change::pending(&state, &secret).await {
        Ok(Some((change, account))) => {
            let action = email_change::link(&state.config.app_url, &secret);
            render(
                StatusCode::OK,
                ConfirmPage {
                    app_name: &state.config.app_name,
                    nav: None,
                    account: &format!("{}@{}", account.username, account.domain),
                    new_email: &change.new_email,
                    action: &action,
                },
            )
        }
        Ok(None) => invalid_link(&state),
        Err(err) => axum::response::IntoResponse::into_response(err),
    }
}

async fn apply(State(state): State<AppState>, Path(secret): Path<String>) -> Response {
    match email_change::confirm(&state, &secret).await {
        Ok(Some(new_email)) => message_page(
            &state.config.app_name,
            StatusCode::OK,
            "E-mail address changed",
            &format!("Your e-mail address is now {new_email}."),
        ),
        Ok(None) => invalid_link(&state),
        Err(err) => axum::response::IntoResponse::into_response(err),
    }
}
