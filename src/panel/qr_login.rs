//! "Log in a device": the logged-in account gets a fresh auth token,
//! already attached to it, shown as the QR code of
//! `APP_URL/provisioning/auth_token/{token}`. Scanned by a Linphone app,
//! the link configures the account on that device, once, within five
//! minutes. The token is made by a POST (CSRF-checked) and the PNG is
//! inlined in the page, so the token never appears in a URL we serve.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use base64::Engine;

use super::csrf::CsrfForm;
use super::session::Session;
use super::{Nav, error_page, render};
use crate::auth::auth_token;
use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/account/qrcode", get(show).post(create))
}

#[derive(Template)]
#[template(path = "pages/qr_login.html")]
struct QrLoginPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    csrf: &'a str,
    lifetime_minutes: i64,
    /// The PNG as a `data:` URL, and the link it encodes.
    qrcode: Option<(String, String)>,
}

async fn show(State(state): State<AppState>, session: Session) -> Response {
    page(&state, &session, None)
}

async fn create(State(state): State<AppState>, CsrfForm { session, .. }: CsrfForm) -> Response {
    let now = state.clock.now_naive();
    // The account's previous token goes in the same transaction.
    let created = async {
        let txn = crate::db::begin_write(&state.db).await?;
        let created = auth_token::create(&txn, Some(session.account.id), now).await?;
        txn.commit().await?;
        Ok::<_, sea_orm::DbErr>(created)
    }
    .await;
    let created = match created {
        Ok(created) => created,
        Err(err) => return error_page(&state.config.app_name, Some(session.nav()), err.into()),
    };
    let link = format!(
        "{}/provisioning/auth_token/{}",
        state.config.app_url, created.token
    );
    let png = match crate::provisioning::qrcode::png(&link) {
        Ok(png) => png,
        Err(err) => {
            return error_page(
                &state.config.app_name,
                Some(session.nav()),
                ApiError::internal(err),
            );
        }
    };
    let data_url = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    tracing::info!(
        account_id = session.account.id,
        "QR login token created from the panel"
    );
    page(&state, &session, Some((data_url, link)))
}

fn page(state: &AppState, session: &Session, qrcode: Option<(String, String)>) -> Response {
    render(
        StatusCode::OK,
        QrLoginPage {
            app_name: &state.config.app_name,
            nav: Some(session.nav()),
            csrf: &session.csrf_token,
            lifetime_minutes: auth_token::LIFETIME_MINUTES,
            qrcode,
        },
    )
}
