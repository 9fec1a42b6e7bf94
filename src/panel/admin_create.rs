//! `POST /admin/accounts`: the account creation form of the admin list
//! page. Same rules as `POST /api/accounts` (the same validator and
//! insert, the domain is `APP_SIP_DOMAIN`, never the form's); a refusal
//! shows every message of the 422, and nothing is written.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;

use super::csrf::CsrfForm;
use super::form::field;
use super::session;
use super::{error_page, see_other};
use crate::audit::By;
use crate::client::Client;
use crate::input::JsonObject;
use crate::service::accounts::{create_account, validate_account_fields};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/accounts", post(create))
}

/// An unchecked checkbox is absent from a form: it means `false` here,
/// where the API's body would just leave it out.
fn with_checkboxes(mut form: JsonObject) -> JsonObject {
    for name in ["activated", "admin"] {
        if field(&form, name).is_none() {
            form.0.insert(name.into(), "0".into());
        }
    }
    form
}

async fn create(State(state): State<AppState>, client: Client, form: CsrfForm) -> Response {
    let CsrfForm { session, form } = form;
    let app_name = &state.config.app_name;
    if !session.admin {
        return session::forbidden(&state, session.nav());
    }
    let form = with_checkboxes(form);
    let fields = match validate_account_fields(&form) {
        Ok(fields) => fields,
        Err(err) => return error_page(app_name, Some(session.nav()), err),
    };
    let user_agent = client.user_agent.as_deref().unwrap_or(app_name);
    let domain = &state.config.sip_domain;
    let ip = client.ip.to_string();
    let by = By::account(&session.account, &client, &state.clock);
    let created = match create_account(&state, domain, fields, &ip, user_agent, &by).await {
        Ok(json) => json,
        Err(err) => return error_page(app_name, Some(session.nav()), err),
    };
    let id = created.id;
    tracing::info!(
        account_id = id,
        by = session.account.id,
        "account created by an admin"
    );
    let message = format!("{}@{} is created.", created.username, domain);
    match session::set_flash(&state.db, session.id, &message).await {
        Ok(()) => see_other(&format!("/admin/accounts/{id}")),
        Err(err) => error_page(app_name, Some(session.nav()), err.into()),
    }
}
