//! Server-rendered pages that work without JavaScript.

mod email_change;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().merge(email_change::router())
}

#[derive(Template)]
#[template(path = "pages/message.html")]
struct MessagePage<'a> {
    app_name: &'a str,
    title: &'a str,
    message: &'a str,
}

/// A page that only says something, with `status`.
fn message_page(app_name: &str, status: StatusCode, title: &str, message: &str) -> Response {
    render(
        status,
        MessagePage {
            app_name,
            title,
            message,
        },
    )
}

/// Renders a template; a template error is logged and a plain 500 shown.
fn render(status: StatusCode, template: impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Server Error").into_response()
        }
    }
}
