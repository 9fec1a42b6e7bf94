//! Admin pages: the account list with search and paging
//! (`GET /admin/accounts`), and per-account actions (activate, deactivate,
//! block, unblock, admin role on/off, delete after a confirmation page). An admin cannot
//! deactivate, demote or delete their own account from here: one wrong
//! click would lock them out.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::csrf::CsrfForm;
use super::form::{self, field};
use super::session::{self, AdminSession, Session};
use super::{Nav, error_page, nav_message_page, render, see_other};
use crate::audit::{self, Action, By};
use crate::client::Client;
use crate::db::accounts;
use crate::db::entities::account;
use crate::error::ApiResult;
use crate::state::AppState;

/// Accounts per page, as the API's paginator.
const PER_PAGE: u64 = 20;
/// Longest search accepted.
const MAX_SEARCH_CHARS: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts", get(list))
        .route(
            "/admin/accounts/{id}/delete",
            get(confirm_delete).post(
                |state: State<AppState>, Path(id): Path<String>, client: Client, form: CsrfForm| {
                    act(state, Path((id, "delete".to_string())), client, form)
                },
            ),
        )
        .route("/admin/accounts/{id}/{action}", post(act))
}

struct Row {
    id: i32,
    address: String,
    email: String,
    phone: String,
    activated: bool,
    blocked: bool,
    admin: bool,
    is_self: bool,
}

#[derive(Template)]
#[template(path = "pages/admin_accounts.html")]
struct ListPage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    csrf: &'a str,
    notice: Option<&'a str>,
    search: &'a str,
    sip_domain: &'a str,
    page: u64,
    last_page: u64,
    total: u64,
    rows: Vec<Row>,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/admin_delete.html")]
struct DeletePage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    csrf: &'a str,
    id: i32,
    address: &'a str,
    search: &'a str,
    page: u64,
}

/// The list URL for `search` and `page`.
fn list_url(search: &str, page: u64) -> String {
    let mut url = format!("/admin/accounts?page={page}");
    if !search.is_empty() {
        url.push_str("&search=");
        url.extend(utf8_percent_encode(search, NON_ALPHANUMERIC));
    }
    url
}

/// `search` and `page` from a query string or a form: the search trimmed
/// (too long is refused), the page 1 unless a positive number.
fn list_params(params: &crate::input::JsonObject) -> Result<(String, u64), &'static str> {
    let search = field(params, "search").unwrap_or_default().trim();
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err("The search must be 100 characters or fewer.");
    }
    let page = field(params, "page")
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1);
    Ok((search.to_string(), page))
}

async fn list(
    State(state): State<AppState>,
    AdminSession(mut session): AdminSession,
    RawQuery(query): RawQuery,
) -> Response {
    let app_name = &state.config.app_name;
    let refused = |status, message: &str| {
        nav_message_page(
            app_name,
            Some(session.nav()),
            status,
            "Invalid search",
            message,
        )
    };
    let Ok(params) = form::parse(query.unwrap_or_default().as_bytes()) else {
        return refused(StatusCode::BAD_REQUEST, "The search must be UTF-8 text.");
    };
    let (search, page) = match list_params(&params) {
        Ok(params) => params,
        Err(message) => return refused(StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    let flash = match session::take_flash(&state, &mut session).await {
        Ok(flash) => flash,
        Err(err) => return error_page(app_name, Some(session.nav()), err.into()),
    };
    match list_page(&state, &session, &search, page, flash.as_deref()).await {
        Ok(response) => response,
        Err(err) => error_page(app_name, Some(session.nav()), err),
    }
}

async fn list_page(
    state: &AppState,
    session: &Session,
    search: &str,
    page: u64,
    notice: Option<&str>,
) -> ApiResult<Response> {
    let filter = Some(search).filter(|s| !s.is_empty());
    // One query for the page (and its count), then one batch per related
    // table for all its accounts.
    let (models, total) = accounts::search_page(&state.db, filter, page, PER_PAGE).await?;
    let views = accounts::views(&state.db, models).await?;
    let rows = views
        .into_iter()
        .map(|view| {
            let a = view.account;
            Row {
                activated: a.is_activated(),
                id: a.id,
                address: format!("{}@{}", a.username, a.domain),
                email: a.email.unwrap_or_default(),
                phone: a.phone.unwrap_or_default(),
                blocked: a.blocked,
                admin: view.admin,
                is_self: a.id == session.account.id,
            }
        })
        .collect();
    let last_page = total.div_ceil(PER_PAGE).max(1);
    Ok(render(
        StatusCode::OK,
        ListPage {
            app_name: &state.config.app_name,
            nav: Some(session.nav()),
            csrf: &session.csrf_token,
            notice,
            search,
            sip_domain: &state.config.sip_domain,
            page,
            last_page,
            total,
            rows,
            prev_url: (page > 1).then(|| list_url(search, (page - 1).min(last_page))),
            next_url: (page < last_page).then(|| list_url(search, page + 1)),
        },
    ))
}

/// The account of a path `{id}`, or the `404` page.
pub(super) async fn target(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<account::Model, Response> {
    let not_found = || {
        nav_message_page(
            &state.config.app_name,
            Some(session.nav()),
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such account.",
        )
    };
    let Ok(id) = id.parse::<i32>() else {
        return Err(not_found());
    };
    match accounts::find_by_id(&state.db, id).await {
        Ok(Some(account)) => Ok(account),
        Ok(None) => Err(not_found()),
        Err(err) => Err(error_page(
            &state.config.app_name,
            Some(session.nav()),
            err.into(),
        )),
    }
}

async fn confirm_delete(
    State(state): State<AppState>,
    AdminSession(session): AdminSession,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let account = match target(&state, &session, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let params = form::parse(query.unwrap_or_default().as_bytes()).unwrap_or_default();
    let (search, page) = list_params(&params).unwrap_or_default();
    let address = format!("{}@{}", account.username, account.domain);
    render(
        StatusCode::OK,
        DeletePage {
            app_name: &state.config.app_name,
            nav: Some(session.nav()),
            csrf: &session.csrf_token,
            id: account.id,
            address: &address,
            search: &search,
            page: page.max(1),
        },
    )
}

/// `POST /admin/accounts/{id}/{action}`.
async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    client: Client,
    CsrfForm { session, form }: CsrfForm,
) -> Response {
    let app_name = &state.config.app_name;
    if !session.admin {
        return session::forbidden(&state, session.nav());
    }
    let account = match target(&state, &session, &id).await {
        Ok(account) => account,
        Err(page) => return page,
    };
    let (search, page) = list_params(&form).unwrap_or_default();
    // Forms of the account's own page come back to it.
    let back = if field(&form, "back") == Some("account") {
        format!("/admin/accounts/{}", account.id)
    } else {
        list_url(&search, page.max(1))
    };
    let address = format!("{}@{}", account.username, account.domain);
    let is_self = account.id == session.account.id;
    let by = By::account(&session.account, &client, &state.clock);
    let audit = |action| Audit {
        by: &by,
        action,
        target: &account,
    };
    let refuse = |message: &str| {
        nav_message_page(
            app_name,
            Some(session.nav()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Refused",
            message,
        )
    };
    let outcome = match action.as_str() {
        "activate" => {
            apply(
                &state,
                &session,
                audit(Action::AccountActivate),
                &format!("{address} is activated."),
                |txn| Box::pin(accounts::set_activated(txn, account.id, true)),
            )
            .await
        }
        "deactivate" if is_self => return refuse("You cannot deactivate your own account."),
        "deactivate" => {
            apply(
                &state,
                &session,
                audit(Action::AccountDeactivate),
                &format!("{address} is deactivated."),
                |txn| {
                    Box::pin(async move {
                        accounts::set_activated(txn, account.id, false).await?;
                        // Its panel sessions end with it.
                        session::end_all(txn, account.id).await
                    })
                },
            )
            .await
        }
        "block" if is_self => return refuse("You cannot block your own account."),
        "block" => {
            apply(
                &state,
                &session,
                audit(Action::AccountBlock),
                &format!("{address} is blocked."),
                |txn| {
                    Box::pin(async move {
                        accounts::set_blocked(txn, account.id, true).await?;
                        // Its panel sessions end with it.
                        session::end_all(txn, account.id).await
                    })
                },
            )
            .await
        }
        "unblock" => {
            apply(
                &state,
                &session,
                audit(Action::AccountUnblock),
                &format!("{address} is unblocked."),
                |txn| Box::pin(accounts::set_blocked(txn, account.id, false)),
            )
            .await
        }
        "admin" => {
            let now = state.clock.now_naive();
            apply(
                &state,
                &session,
                audit(Action::AdminOn),
                &format!("{address} is an administrator."),
                |txn| Box::pin(accounts::make_admin(txn, account.id, now)),
            )
            .await
        }
        "unadmin" if is_self => return refuse("You cannot remove your own administrator role."),
        "unadmin" => {
            apply(
                &state,
                &session,
                audit(Action::AdminOff),
                &format!("{address} is no longer an administrator."),
                |txn| {
                    Box::pin(
                        async move { accounts::remove_admin(txn, account.id).await.map(|_| ()) },
                    )
                },
            )
            .await
        }
        "delete" if is_self => return refuse("You cannot delete your own account from here."),
        "delete" => match delete(&state, audit(Action::AccountDelete)).await {
            Ok(()) => {
                tracing::info!(
                    account_id = account.id,
                    by = session.account.id,
                    "account deleted by an admin"
                );
                session::set_flash(&state.db, session.id, &format!("{address} is deleted.")).await
            }
            Err(err) => Err(err),
        },
        _ => {
            return nav_message_page(
                app_name,
                Some(session.nav()),
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such action.",
            );
        }
    };
    match outcome {
        Ok(()) => see_other(&back),
        Err(err) => error_page(app_name, Some(session.nav()), err.into()),
    }
}

type TxnFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), sea_orm::DbErr>> + Send + 'a>>;

/// The audit entry of an action: who, what, on which account.
struct Audit<'a> {
    by: &'a By,
    action: Action,
    target: &'a account::Model,
}

/// Runs `change`, records it in the audit log and `message` as the
/// session's flash, in one write transaction.
async fn apply<F>(
    state: &AppState,
    session: &Session,
    audit: Audit<'_>,
    message: &str,
    change: F,
) -> Result<(), sea_orm::DbErr>
where
    F: for<'t> FnOnce(&'t crate::db::WriteTxn) -> TxnFuture<'t>,
{
    let txn = crate::db::begin_write(&state.db).await?;
    change(&txn).await?;
    audit::record(&txn, audit.by, audit.action, audit.target).await?;
    session::set_flash(&txn, session.id, message).await?;
    txn.commit().await
}

/// Deletes the target and records it, in one write transaction.
async fn delete(state: &AppState, audit: Audit<'_>) -> Result<(), sea_orm::DbErr> {
    let txn = crate::db::begin_write(&state.db).await?;
    if accounts::delete_within(&txn, audit.target.id).await? {
        audit::record(&txn, audit.by, audit.action, audit.target).await?;
    }
    txn.commit().await
}
