//! `GET/POST /login`, `POST /logout`, and `/` sending to the right page;
//! the steps every login form shares (pre-login CSRF and rate limit,
//! opening the session), which the phone login uses too.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::csrf::{self, CsrfForm};
use super::form::field;
use super::session;
use super::{Nav, error_page, render, see_other};
use crate::auth::passwords::matches_any;
use crate::client_address::client_ip;
use crate::db::accounts;
use crate::db::entities::{account, password};
use crate::input::JsonObject;
use crate::sip::SipAddress;
use crate::state::AppState;

/// The one answer to an unknown account, a deactivated one and a wrong
/// password, so the form does not tell which addresses exist.
const REFUSED: &str = "Wrong SIP address or password.";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(show).post(login))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "pages/login.html")]
struct LoginPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    address: &'a str,
    error: Option<&'a str>,
    /// `PHONE_AUTHENTICATION`: the link to the phone login.
    phone_login: bool,
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::current(&state, &headers).await {
        Ok(Some(_)) => see_other("/account"),
        Ok(None) => see_other("/login"),
        Err(err) => error_page(&state.config.app_name, None, err),
    }
}

async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::current(&state, &headers).await {
        Ok(Some(_)) => return see_other("/account"),
        Ok(None) => {}
        Err(err) => return error_page(&state.config.app_name, None, err),
    }
    login_form(&state, &headers, StatusCode::OK, "", None)
}

/// The login form, with a pre-login cookie and its token.
fn login_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    address: &str,
    error: Option<&str>,
) -> Response {
    pre_login_page(state, headers, |token| {
        render(
            status,
            LoginPage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                address,
                error,
                phone_login: state.config.phone_authentication,
            },
        )
    })
}

/// A page with a form posted before login (password or phone login):
/// `page` renders it with the form's token, and the response sets the
/// pre-login cookie the token goes with (kept when the browser already has
/// one, so several tabs work).
pub(super) fn pre_login_page(
    state: &AppState,
    headers: &HeaderMap,
    page: impl FnOnce(&str) -> Response,
) -> Response {
    pre_login_page_at(state, headers, "/login", page)
}

/// [`pre_login_page`] for a form under another `path` than `/login`.
pub(super) fn pre_login_page_at(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    page: impl FnOnce(&str) -> Response,
) -> Response {
    let (nonce, token) = csrf::login_nonce_and_token(&state.app_key, headers);
    let mut response = page(&token);
    response.headers_mut().append(
        header::SET_COOKIE,
        csrf::login_cookie_at(state, Some(&nonce), path),
    );
    response
}

/// What every form posted before login goes through first: the
/// `panel-login` limit per client address, counted before anything else so
/// that guesses cost the same whatever they contain; then the body; then
/// the pre-login CSRF token. `Err` is the page to answer.
pub(super) async fn read_pre_login_form(
    state: &AppState,
    peer: SocketAddr,
    request: Request,
) -> Result<(HeaderMap, JsonObject), Response> {
    let client = client_ip(peer.ip(), request.headers(), &state.config.trusted_proxies);
    if let Err(err) = crate::rate_limit::http::rate_limit(state, "panel-login", client).await {
        return Err(error_page(&state.config.app_name, None, err));
    }
    let headers = request.headers().clone();
    let form = csrf::read_form(request, state).await?;
    if !csrf::login_token_ok(&state.app_key, &headers, &form) {
        return Err(csrf::refused(state));
    }
    Ok((headers, form))
}

/// Opens a session for `account_id` once it has proved who it is (by
/// password or by phone): the session cookie, the pre-login cookie
/// cleared, and on to the account's page.
pub(super) async fn open_session(state: &AppState, account_id: i32, method: &str) -> Response {
    let token = match session::create(state, account_id).await {
        Ok(token) => token,
        Err(err) => return error_page(&state.config.app_name, None, err.into()),
    };
    tracing::info!(account_id, method, "panel login");
    let mut response = see_other("/account");
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session::session_cookie(state, &token));
    headers.append(header::SET_COOKIE, csrf::login_cookie(state, None));
    response
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let app_name = &state.config.app_name;
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let raw_address = field(&form, "address").unwrap_or_default().trim();
    let password = field(&form, "password").unwrap_or_default();
    let shown_address = if raw_address.len() <= 200 {
        raw_address
    } else {
        ""
    };
    let refuse = |message: &str| {
        login_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            shown_address,
            Some(message),
        )
    };
    if raw_address.is_empty() || password.is_empty() {
        return refuse("Enter your SIP address and your password.");
    }
    let Some(address) = SipAddress::parse_argument(raw_address) else {
        return refuse("The SIP address must be user@domain or sip:user@domain.");
    };

    let account =
        match accounts::find_by_address(&state.db, &address.username, &address.domain).await {
            Ok(account) => account,
            Err(err) => return error_page(app_name, None, err.into()),
        };
    // An unknown, deactivated or blocked account goes through the same password
    // query and hash as a real one, so the answer's timing does not tell
    // which addresses exist.
    let account = account.filter(account::Model::may_authenticate);
    let account_id = account.as_ref().map_or(0, |a| a.id);
    let stored = match accounts::passwords(&state.db, account_id).await {
        Ok(stored) => stored,
        Err(err) => return error_page(app_name, None, err.into()),
    };
    let Some(account) = account else {
        let decoy = password::Model {
            id: 0,
            account_id: 0,
            password: String::new(),
            algorithm: "SHA-256".into(),
        };
        std::hint::black_box(matches_any(
            &[decoy],
            &address.username,
            &address.domain,
            password,
        ));
        return refuse(REFUSED);
    };
    let realm = state.config.realm_for(&account.domain);
    if !matches_any(&stored, &account.username, realm, password) {
        return refuse(REFUSED);
    }

    open_session(&state, account.id, "password").await
}

async fn logout(State(state): State<AppState>, CsrfForm { session, .. }: CsrfForm) -> Response {
    if let Err(err) = session::end(&state.db, session.id).await {
        return error_page(&state.config.app_name, None, err.into());
    }
    let mut response = see_other("/login");
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(&state));
    response
}
