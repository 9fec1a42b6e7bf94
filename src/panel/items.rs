//! One page shape for the admin's small collections (account types,
//! contacts lists, an account's types, actions, dictionary, external
//! account): tables of rows with a remove button, then forms. Every form
//! carries the session's CSRF token.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;

use super::csrf::CsrfForm;
use super::form::field;
use super::session::{self, Session};
use super::{Nav, error_page, render, see_other};
use crate::audit::By;
use crate::client::Client;
use crate::db::accounts;
use crate::db::entities::account;
use crate::error::{ApiError, ApiResult};
use crate::sip::SipAddress;
use crate::state::AppState;

pub struct Cell {
    pub text: String,
    pub link: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            link: None,
        }
    }

    pub fn link(text: impl Into<String>, link: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            link: Some(link.into()),
        }
    }
}

pub struct Row {
    pub cells: Vec<Cell>,
    /// The POST target of the row's remove button.
    pub remove: Option<String>,
    pub hidden: Vec<(String, String)>,
}

impl Row {
    /// What the row's remove button says it removes to a screen reader:
    /// its first cell that is not a bare id (a key, a title, an address).
    pub fn name(&self) -> &str {
        let is_id = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        self.cells
            .iter()
            .map(|cell| cell.text.as_str())
            .find(|text| !is_id(text))
            .or_else(|| self.cells.first().map(|cell| cell.text.as_str()))
            .unwrap_or_default()
    }
}

pub struct Section {
    pub heading: Option<String>,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Row>,
}

pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `password`, `textarea` or `select`.
    pub kind: &'static str,
    pub value: String,
    /// (value, label, selected) of a `select`.
    pub options: Vec<(String, String, bool)>,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: &'static str) -> Self {
        Field {
            name,
            label,
            kind,
            value: String::new(),
            options: Vec::new(),
        }
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn options(mut self, options: Vec<(String, String, bool)>) -> Self {
        self.options = options;
        self
    }
}

pub struct Form {
    pub title: &'static str,
    pub action: String,
    pub submit: &'static str,
    pub danger: bool,
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "pages/admin_items.html")]
pub struct ItemsPage<'a> {
    pub app_name: &'a str,
    pub nav: Option<Nav>,
    pub csrf: &'a str,
    pub notice: Option<String>,
    pub back: Option<(String, String)>,
    pub title: String,
    pub intro: Option<String>,
    pub sections: Vec<Section>,
    pub forms: Vec<Form>,
}

/// What a page shows besides the layout.
pub struct Content {
    pub title: String,
    pub back: Option<(String, String)>,
    pub intro: Option<String>,
    pub sections: Vec<Section>,
    pub forms: Vec<Form>,
}

/// Renders `content` for `session`, showing (and clearing) its flash.
pub async fn show(state: &AppState, mut session: Session, content: Content) -> Response {
    let notice = match session::take_flash(state, &mut session).await {
        Ok(flash) => flash,
        Err(err) => return error_page(&state.config.app_name, Some(session.nav()), err.into()),
    };
    render(
        StatusCode::OK,
        ItemsPage {
            app_name: &state.config.app_name,
            nav: Some(session.nav()),
            csrf: &session.csrf_token,
            notice,
            back: content.back,
            title: content.title,
            intro: content.intro,
            sections: content.sections,
            forms: content.forms,
        },
    )
}

/// After a form: the flash `message` and a redirect to `back`, or the
/// error page of a refused change (nothing written).
pub async fn done(
    state: &AppState,
    session: &Session,
    outcome: Result<String, ApiError>,
    back: &str,
) -> Response {
    let result = match outcome {
        Ok(message) => session::set_flash(&state.db, session.id, &message)
            .await
            .map_err(ApiError::from),
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => see_other(back),
        Err(err) => error_page(&state.config.app_name, Some(session.nav()), err),
    }
}

/// The account named in the form's `address` field (`user@domain` or
/// `sip:user@domain`).
pub async fn account_of_form(
    state: &AppState,
    form: &crate::input::JsonObject,
) -> ApiResult<account::Model> {
    let unknown = || ApiError::field("address", "There is no account with this SIP address.");
    let sip = field(form, "address")
        .and_then(|raw| SipAddress::parse_argument(raw.trim()))
        .ok_or_else(unknown)?;
    accounts::find_by_address(&state.db, &sip.username, &sip.domain)
        .await?
        .ok_or_else(unknown)
}

pub fn id(raw: &str) -> ApiResult<i32> {
    raw.parse().map_err(|_| ApiError::not_found())
}

/// Renders a page built by `content`, or the error page.
pub async fn page(state: &AppState, session: Session, content: ApiResult<Content>) -> Response {
    match content {
        Ok(content) => show(state, session, content).await,
        Err(err) => error_page(&state.config.app_name, Some(session.nav()), err),
    }
}

/// Checks the admin role of a form's session, then runs `change` with the
/// form and the admin for the audit log.
pub async fn admin_form<F, Fut>(
    state: &AppState,
    client: &Client,
    form: CsrfForm,
    back: &str,
    change: F,
) -> Response
where
    F: FnOnce(crate::input::JsonObject, By) -> Fut,
    Fut: std::future::Future<Output = ApiResult<String>>,
{
    let CsrfForm { session, form } = form;
    if !session.admin {
        return session::forbidden(state, session.nav());
    }
    let by = By::account(&session.account, client, &state.clock);
    let outcome = change(form, by).await;
    done(state, &session, outcome, back).await
}
