//! The logged-in account's page (`GET /account`) and its forms: password,
//! e-mail change, phone change by SMS (`PHONE_AUTHENTICATION`), devices
//! (`DEVICES_MANAGEMENT`) and deletion. Each form calls the function the
//! API calls; success redirects back with a one-shot message, a refusal
//! shows the page again with the error and its status.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::csrf::CsrfForm;
use super::form::field;
use super::session::{self, Session};
use super::{
    Nav, error_page, nav_message_page, render, retry_after, see_other, user_message,
    with_retry_after,
};
use crate::auth::passwords::matches_any;
use crate::db::{accounts, phone_change_codes};
use crate::error::{ApiError, ApiResult};
use crate::registrar::Device;
use crate::service::self_service::{password, phone};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show))
        .route("/account/password", post(change_password))
        .route("/account/email", post(request_email))
        .route("/account/phone/request", post(request_phone))
        .route("/account/phone/confirm", post(confirm_phone))
        .route("/account/devices/delete", post(delete_device))
        .route("/account/delete", post(delete_account))
}

#[derive(Template)]
#[template(path = "pages/account.html")]
struct AccountPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    csrf: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    address: &'a str,
    email: Option<&'a str>,
    pending_email: Option<&'a str>,
    phone: Option<&'a str>,
    activated: bool,
    admin: bool,
    has_password: bool,
    algorithms: &'a str,
    phone_enabled: bool,
    pending_phone: Option<&'a str>,
    devices_enabled: bool,
    devices: &'a [Device],
    devices_error: Option<&'a str>,
}

async fn show(State(state): State<AppState>, mut session: Session) -> Response {
    let flash = match session::take_flash(&state, &mut session).await {
        Ok(flash) => flash,
        Err(err) => return error_page(&state.config.app_name, Some(session.nav()), err.into()),
    };
    page(&state, &session, StatusCode::OK, flash.as_deref(), None).await
}

/// The account page, with `status` and an optional notice or error.
async fn page(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    match page_result(state, session, status, notice, error).await {
        Ok(response) => response,
        Err(err) => error_page(&state.config.app_name, Some(session.nav()), err),
    }
}

async fn page_result(
    state: &AppState,
    session: &Session,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> ApiResult<Response> {
    let config = &state.config;
    let view = accounts::view_of(&state.db, session.account.clone(), session.admin).await?;
    let pending_phone = if config.phone_authentication {
        phone_change_codes::pending(&state.db, session.account.id)
            .await?
            .map(|pending| pending.phone)
    } else {
        None
    };
    // The registrar being down is said on the page, not turned into an
    // error page: the rest of the account is still usable.
    let (devices, devices_error) = if config.devices_management {
        let now = state.clock.now().timestamp();
        let account = &session.account;
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
    let account = &view.account;
    let address = format!("{}@{}", account.username, account.domain);
    let algorithms = view.algorithms.join(", ");
    Ok(render(
        status,
        AccountPage {
            app_name: &config.app_name,
            nav: Some(session.nav()),
            csrf: &session.csrf_token,
            notice,
            error,
            address: &address,
            email: account.email.as_deref(),
            pending_email: view.email_changed.as_ref().map(|c| c.new_email.as_str()),
            phone: account.phone.as_deref(),
            activated: account.is_activated(),
            admin: session.admin,
            has_password: !view.algorithms.is_empty(),
            algorithms: &algorithms,
            phone_enabled: config.phone_authentication,
            pending_phone: pending_phone.as_deref(),
            devices_enabled: config.devices_management,
            devices: &devices,
            devices_error: devices_error.as_deref(),
        },
    ))
}

/// After an action: back to the page with `message` shown once, or the
/// page again with the refusal and its status.
async fn done(state: &AppState, session: &Session, outcome: ApiResult<String>) -> Response {
    match outcome {
        Ok(message) => match session::set_flash(&state.db, session.id, &message).await {
            Ok(()) => see_other("/account"),
            Err(err) => error_page(&state.config.app_name, Some(session.nav()), err.into()),
        },
        // Without a working database the account page cannot be drawn again.
        Err(err @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => {
            error_page(&state.config.app_name, Some(session.nav()), err)
        }
        Err(err) => {
            let status = err.status();
            let retry_after = retry_after(&err);
            let message = user_message(err);
            let response = page(state, session, status, None, Some(&message)).await;
            with_retry_after(response, retry_after)
        }
    }
}

/// A form of a feature this service has turned off.
fn disabled(state: &AppState, session: &Session) -> Response {
    nav_message_page(
        &state.config.app_name,
        Some(session.nav()),
        StatusCode::NOT_FOUND,
        "Not found",
        "This feature is not enabled on this service.",
    )
}

async fn change_password(State(state): State<AppState>, f: CsrfForm) -> Response {
    let outcome = password::change(&state, &f.session.account, &f.form, Some(f.session.id))
        .await
        .map(|()| "Your password has been changed.".to_string());
    done(&state, &f.session, outcome).await
}

async fn request_email(State(state): State<AppState>, f: CsrfForm) -> Response {
    let outcome =
        crate::service::email_change::request_checked(&state, &f.session.account, &f.form)
            .await
            .map(|()| {
                let email = field(&f.form, "email").unwrap_or_default();
                format!("A confirmation link was sent to {email}: open it to apply the change.")
            });
    done(&state, &f.session, outcome).await
}

async fn request_phone(State(state): State<AppState>, f: CsrfForm) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state, &f.session);
    }
    let outcome = phone::request(&state, &f.session.account, &f.form)
        .await
        .map(|()| "A code was sent by SMS to the new number.".to_string());
    done(&state, &f.session, outcome).await
}

async fn confirm_phone(
    State(state): State<AppState>,
    client: crate::client::Client,
    f: CsrfForm,
) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state, &f.session);
    }
    let outcome = phone::confirm(&state, &f.session.account, &f.form, client.ip)
        .await
        .map(|()| "Your phone number has been changed.".to_string());
    done(&state, &f.session, outcome).await
}

async fn delete_device(State(state): State<AppState>, f: CsrfForm) -> Response {
    if !state.config.devices_management {
        return disabled(&state, &f.session);
    }
    let account = &f.session.account;
    let uuid = field(&f.form, "uuid").unwrap_or_default();
    let outcome = state
        .registrar
        .delete_device(&account.username, &account.domain, uuid)
        .await
        .map(|()| "The device has been removed.".to_string())
        .map_err(ApiError::from);
    done(&state, &f.session, outcome).await
}

/// Deletes the account once its username or password is typed again;
/// its sessions go with it.
async fn delete_account(State(state): State<AppState>, f: CsrfForm) -> Response {
    let account = &f.session.account;
    let typed = field(&f.form, "confirm").unwrap_or_default();
    let confirmed = if typed == account.username {
        true
    } else {
        match accounts::passwords(&state.db, account.id).await {
            Ok(stored) => {
                let realm = state.config.realm_for(&account.domain);
                !typed.is_empty() && matches_any(&stored, &account.username, realm, typed)
            }
            Err(err) => {
                return error_page(&state.config.app_name, Some(f.session.nav()), err.into());
            }
        }
    };
    if !confirmed {
        let refusal = ApiError::field(
            "confirm",
            "Type your username or your password to confirm the deletion.",
        );
        return done(&state, &f.session, Err(refusal)).await;
    }
    if let Err(err) = accounts::delete(&state.db, account.id).await {
        return error_page(&state.config.app_name, Some(f.session.nav()), err.into());
    }
    tracing::info!(account_id = account.id, "account deleted from the panel");
    let mut response = super::message_page(
        &state.config.app_name,
        StatusCode::OK,
        "Account deleted",
        "Your account has been deleted.",
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(&state));
    response
}
