//! The admin page of one account (`GET /admin/accounts/{id}`): its
//! details, an edit form (the rules of `PUT /api/accounts/{id}`), block /
//! unblock (posted to the list's action route, see `admin.rs`) and its
//! devices when a registrar is configured.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use super::admin::target;
use super::csrf::CsrfForm;
use super::form::field;
use super::session::{self, AdminSession, Session};
use super::{Nav, error_page, render, see_other, user_message};
use crate::audit::{self, Action, By};
use crate::client::Client;
use crate::db::accounts;
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::registrar::{Device, Registrar};
use crate::service::accounts::{apply_update, validate_update};
use crate::service::fields::DTMF_PROTOCOLS;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts/{id}", get(show))
        .route("/admin/accounts/{id}/edit", post(edit))
        .route("/admin/accounts/{id}/devices/delete", post(delete_device))
}

/// The values shown in the edit form: the account's, or what was just
/// submitted when it was refused.
struct EditValues {
    username: String,
    email: String,
    phone: String,
    display_name: String,
    dtmf_protocol: String,
}

impl EditValues {
    fn of(account: &account::Model) -> Self {
        EditValues {
            username: account.username.clone(),
            email: account.email.clone().unwrap_or_default(),
            phone: account.phone.clone().unwrap_or_default(),
            display_name: account.display_name.clone().unwrap_or_default(),
            dtmf_protocol: account.dtmf_protocol.clone().unwrap_or_default(),
        }
    }

    fn submitted(form: &JsonObject) -> Self {
        let value = |name| field(form, name).unwrap_or_default().to_string();
        EditValues {
            username: value("username"),
            email: value("email"),
            phone: value("phone"),
            display_name: value("display_name"),
            dtmf_protocol: value("dtmf_protocol"),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/admin_account.html")]
struct AccountPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    csrf: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    id: i32,
    address: &'a str,
    activated: bool,
    blocked: bool,
    admin: bool,
    is_self: bool,
    algorithms: &'a str,
    values: EditValues,
    dtmf_protocols: &'a [&'a str],
    devices_enabled: bool,
    devices: &'a [Device],
    devices_error: Option<&'a str>,
}

async fn show(
    State(state): State<AppState>,
    AdminSession(mut session): AdminSession,
    Path(id): Path<String>,
) -> Response {
    let account = match target(&state, &session, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let flash = match session::take_flash(&state, &mut session).await {
        Ok(flash) => flash,
        Err(err) => return error_page(&state.config.app_name, Some(session.nav()), err.into()),
    };
    let values = EditValues::of(&account);
    let notice = flash.as_deref();
    page(
        &state,
        &session,
        account,
        StatusCode::OK,
        notice,
        None,
        values,
    )
    .await
}

/// The page with `status`, a notice or an error, and the form's values.
async fn page(
    state: &AppState,
    session: &Session,
    account: account::Model,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    values: EditValues,
) -> Response {
    match page_result(state, session, account, status, notice, error, values).await {
        Ok(response) => response,
        Err(err) => error_page(&state.config.app_name, Some(session.nav()), err),
    }
}

async fn page_result(
    state: &AppState,
    session: &Session,
    account: account::Model,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    values: EditValues,
) -> ApiResult<Response> {
    let view = accounts::view(&state.db, account).await?;
    let account = &view.account;
    let devices_enabled = !matches!(state.registrar, Registrar::Disabled);
    // The registrar being down is said on the page: the rest still works.
    let (devices, devices_error) = if devices_enabled {
        let now = state.clock.now().timestamp();
        match state
            .registrar
            .devices(&account.username, &account.domain, now)
            .await
        {
            Ok(devices) => (devices, None),
            Err(err) => (Vec::new(), Some(err.to_string())),
        }
    } else {
        (Vec::new(), None)
    };
    let address = format!("{}@{}", account.username, account.domain);
    Ok(render(
        status,
        AccountPage {
            app_name: &state.config.app_name,
            nav: Some(session.nav()),
            csrf: &session.csrf_token,
            notice,
            error,
            id: account.id,
            address: &address,
            activated: account.is_activated(),
            blocked: account.blocked,
            admin: view.admin,
            is_self: account.id == session.account.id,
            algorithms: &view.algorithms.join(", "),
            values,
            dtmf_protocols: &DTMF_PROTOCOLS,
            devices_enabled,
            devices: &devices,
            devices_error: devices_error.as_deref(),
        },
    ))
}

fn account_url(id: i32) -> String {
    format!("/admin/accounts/{id}")
}

/// `POST /admin/accounts/{id}/edit`: the API's update rules; a refusal
/// shows the page again with the submitted values.
async fn edit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: Client,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    if !session.admin {
        return session::forbidden(&state, session.nav());
    }
    let account = match target(&state, &session, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let by = By::account(&session.account, &client, &state.clock);
    let outcome = match validate_update(&form, &state.config, &account) {
        Ok(change) => apply_update(&state, &account, change, None, &by).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(updated) => {
            let message = format!("{}@{} is updated.", updated.username, updated.domain);
            flash_and_return(&state, &session, updated.id, &message).await
        }
        Err(err) => refused(&state, &session, account, err, EditValues::submitted(&form)).await,
    }
}

/// `POST /admin/accounts/{id}/devices/delete` with the device's `uuid`.
async fn delete_device(
    State(state): State<AppState>,
    Path(id): Path<String>,
    client: Client,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    if !session.admin {
        return session::forbidden(&state, session.nav());
    }
    let account = match target(&state, &session, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let uuid = field(&form, "uuid").unwrap_or_default();
    let deleted = state
        .registrar
        .delete_device(&account.username, &account.domain, uuid)
        .await
        .map_err(ApiError::from);
    // The device lives in the registrar: recorded once it is gone.
    let by = By::account(&session.account, &client, &state.clock);
    let deleted = match deleted {
        Ok(()) => audit::record(&state.db, &by, Action::DeviceDelete, &account)
            .await
            .map_err(ApiError::from),
        Err(err) => Err(err),
    };
    match deleted {
        Ok(()) => {
            flash_and_return(&state, &session, account.id, "The device has been removed.").await
        }
        Err(err) => {
            let values = EditValues::of(&account);
            refused(&state, &session, account, err, values).await
        }
    }
}

async fn flash_and_return(state: &AppState, session: &Session, id: i32, message: &str) -> Response {
    match session::set_flash(&state.db, session.id, message).await {
        Ok(()) => see_other(&account_url(id)),
        Err(err) => error_page(&state.config.app_name, Some(session.nav()), err.into()),
    }
}

async fn refused(
    state: &AppState,
    session: &Session,
    account: account::Model,
    err: ApiError,
    values: EditValues,
) -> Response {
    if let ApiError::Internal(_) = err {
        return error_page(&state.config.app_name, Some(session.nav()), err);
    }
    let status = err.status();
    let message = user_message(err);
    page(
        state,
        session,
        account,
        status,
        None,
        Some(&message),
        values,
    )
    .await
}
