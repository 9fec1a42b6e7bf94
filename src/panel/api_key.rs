//! The admin's API key form: generating a key replaces the previous one;
//! the new key is shown on the resulting page only (it is stored hashed).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::csrf::CsrfForm;
use super::session::{self, AdminSession, Session};
use super::{Nav, error_page, render};
use crate::audit::{self, Action, By};
use crate::client::Client;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/api-key", get(show).post(generate))
}

#[derive(Template)]
#[template(path = "pages/api_key.html")]
struct ApiKeyPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    csrf: &'a str,
    address: &'a str,
    key: Option<&'a str>,
}

async fn show(State(state): State<AppState>, AdminSession(session): AdminSession) -> Response {
    key_page(&state, &session, None)
}

/// The page, with the `key` just generated when there is one: it is shown
/// this once and never again.
fn key_page(state: &AppState, session: &Session, key: Option<&str>) -> Response {
    let address = format!("{}@{}", session.account.username, session.account.domain);
    render(
        StatusCode::OK,
        ApiKeyPage {
            app_name: &state.config.app_name,
            nav: Some(session.nav()),
            csrf: &session.csrf_token,
            address: &address,
            key,
        },
    )
}

async fn generate(
    State(state): State<AppState>,
    client: Client,
    CsrfForm { session, .. }: CsrfForm,
) -> Response {
    if !session.admin {
        return session::forbidden(&state, session.nav());
    }
    let generated = async {
        let txn = crate::db::begin_write(&state.db).await?;
        let key =
            crate::auth::api_key::regenerate(&txn, session.account.id, state.clock.now_naive())
                .await?;
        let by = By::account(&session.account, &client, &state.clock);
        audit::record(&txn, &by, Action::ApiKeyIssue, &session.account).await?;
        txn.commit().await?;
        Ok::<_, sea_orm::DbErr>(key)
    }
    .await;
    let key = match generated {
        Ok(key) => key,
        Err(err) => return error_page(&state.config.app_name, Some(session.nav()), err.into()),
    };
    tracing::info!(
        account_id = session.account.id,
        "API key regenerated from the panel"
    );
    key_page(&state, &session, Some(&key))
}
