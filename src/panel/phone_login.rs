//! Login with a phone number and a PIN received by SMS
//! (`PHONE_AUTHENTICATION`, as in the PHP FlexiAPI):
//!
//! - `GET /login/phone` shows the phone form; `POST /login/phone` sends a
//!   4-digit PIN by SMS when an activated account has that number (its
//!   `phone` or an alias) and keeps it in `phone_login_codes`, replacing a
//!   pending one. Whatever the number, the answer is the same code form, so
//!   the form does not tell which numbers have accounts.
//! - `GET /login/phone/code` shows the code form; `POST /login/phone/code`
//!   with the phone and the PIN opens a session as the password login does.
//!
//! Both POSTs carry the pre-login CSRF token and count against the
//! `panel-login` limit per client address; the SMS are also limited per
//! account. A code is valid [`CODE_LIFETIME`] and gets
//! `APP_CODE_MAX_ATTEMPTS` tries, each taken by a conditional UPDATE before
//! the comparison, as in `crate::service::codes`.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::form::field;
use super::login::{open_session, pre_login_page, read_pre_login_form};
use super::{Nav, error_page, not_found_page, render, see_other, session, user_message};
use crate::db::accounts;
use crate::db::entities::phone_login_code::{self, Column};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::notify::sms;
use crate::secrets;
use crate::service::codes::CodeKind;
use crate::service::fields;
use crate::state::AppState;

/// How long a PIN sent by SMS can open a session: time enough to read an
/// SMS and type four digits, short enough that a stolen or overheard code
/// soon stops working.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);

/// Login codes sent to one account's phone in a minute.
const SMS_PER_ACCOUNT_PER_MINUTE: u32 = 1;

/// The one answer to a wrong code, an unknown number, an expired code and a
/// code out of tries: nothing tells them apart.
const REFUSED: &str = "Wrong or expired code.";

/// Longest phone input shown back in a refused form.
const SHOWN_PHONE_MAX: usize = 32;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/phone", get(show_phone).post(request_code))
        .route("/login/phone/code", get(show_code).post(submit_code))
}

#[derive(Template)]
#[template(path = "pages/login_phone.html")]
struct PhonePage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    phone: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "pages/login_phone_code.html")]
struct CodePage<'a> {
    app_name: &'a str,
    nav: Option<Nav>,
    token: &'a str,
    phone: &'a str,
    error: Option<&'a str>,
    lifetime_minutes: i64,
}

/// With `PHONE_AUTHENTICATION=false` the routes do not exist.
fn disabled(state: &AppState) -> Response {
    not_found_page(state, "This feature is not enabled on this service.")
}

fn phone_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    phone: &str,
    error: Option<&str>,
) -> Response {
    pre_login_page(state, headers, |token| {
        render(
            status,
            PhonePage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                phone,
                error,
            },
        )
    })
}

fn code_form(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    phone: &str,
    error: Option<&str>,
) -> Response {
    pre_login_page(state, headers, |token| {
        render(
            status,
            CodePage {
                app_name: &state.config.app_name,
                nav: None,
                token,
                phone,
                error,
                lifetime_minutes: CODE_LIFETIME.num_minutes(),
            },
        )
    })
}

/// The phone field of a refused form, to show back (not when absurdly long).
fn shown_phone(form: &JsonObject) -> &str {
    let raw = field(form, "phone").unwrap_or_default().trim();
    if raw.chars().count() <= SHOWN_PHONE_MAX {
        raw
    } else {
        ""
    }
}

async fn show_phone(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    match session::current(&state, &headers).await {
        Ok(Some(_)) => return see_other("/account"),
        Ok(None) => {}
        Err(err) => return error_page(&state.config.app_name, None, err),
    }
    phone_form(&state, &headers, StatusCode::OK, "", None)
}

async fn show_code(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    code_form(&state, &headers, StatusCode::OK, "", None)
}

async fn request_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let mut v = form.validator();
    let phone = fields::required_phone(&mut v);
    if let Err(err) = v.finish() {
        let message = user_message(err);
        let shown = shown_phone(&form);
        return phone_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            shown,
            Some(&message),
        );
    }
    let phone = phone.unwrap_or_default();
    if let Err(err) = send_code(&state, phone).await {
        return error_page(&state.config.app_name, None, err);
    }
    code_form(&state, &headers, StatusCode::OK, phone, None)
}

/// Sends a PIN to `phone` when an activated account has it, and keeps it
/// as the account's pending login code. `Ok` as well when no account
/// matched or the account's SMS limit is reached (telling it would tell
/// that the number has an account); `503` when the SMS could not be sent,
/// and then nothing is stored.
async fn send_code(state: &AppState, phone: &str) -> ApiResult<()> {
    let Some(account) = accounts::find_activated_by_phone(&state.db, phone).await? else {
        return Ok(());
    };
    let account_id = account.id;
    // Locked after too many wrong codes: no new code, and the same page.
    if crate::service::code_guard::is_locked(state, account_id).await? {
        return Ok(());
    }
    // Each request costs an SMS to someone's phone, and anyone may ask:
    // one a minute per account, whatever the addresses the requests come
    // from, so the page cannot be used to flood a phone.
    let limited = crate::rate_limit::hit(
        &state.db,
        &format!("phone-login:account:{account_id}"),
        SMS_PER_ACCOUNT_PER_MINUTE,
        state.clock.now_naive(),
    )
    .await;
    match limited {
        Ok(()) => {}
        Err(ApiError::TooManyRequests { .. }) => {
            tracing::warn!(
                account_id,
                "phone login code not sent: account limit reached"
            );
            return Ok(());
        }
        Err(err) => return Err(err),
    }

    // Sent first, kept after: a failed SMS leaves nothing behind. In its
    // own task so that a client hanging up cannot separate the two.
    let code = CodeKind::Pin.generate();
    let state = state.clone();
    let phone = phone.to_string();
    let task = tokio::spawn(async move {
        let message = sms::validation_message(&state.config.app_name, &code);
        if let Err(err) = state.sms.send(&phone, &message).await {
            tracing::warn!(account_id, error = %err, "phone login code not sent");
            return Err(ApiError::Unavailable("The SMS could not be sent.".into()));
        }
        let now = state.clock.now_naive();
        let txn = crate::db::begin_write(&state.db).await?;
        // The account's pending code is replaced; everyone's expired
        // codes go too.
        phone_login_code::Entity::delete_many()
            .filter(
                sea_orm::Condition::any()
                    .add(Column::AccountId.eq(account_id))
                    .add(Column::CreatedAt.lte(now - CODE_LIFETIME)),
            )
            .exec(&txn)
            .await?;
        phone_login_code::ActiveModel {
            account_id: Set(account_id),
            phone: Set(phone),
            code: Set(code),
            attempts: Set(0),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    });
    task.await.map_err(ApiError::internal)?
}

/// The phone (the project's rule) and the code (4 digits) of the code form.
fn read_phone_and_code(form: &JsonObject) -> ApiResult<(&str, &str)> {
    let mut v = form.validator();
    let phone = fields::required_phone(&mut v);
    v.finish()?;
    let code = CodeKind::Pin.read(form)?;
    Ok((phone.unwrap_or_default(), code))
}

async fn submit_code(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if !state.config.phone_authentication {
        return disabled(&state);
    }
    let (headers, form) = match read_pre_login_form(&state, peer, request).await {
        Ok(read) => read,
        Err(page) => return page,
    };
    let (phone, code) = match read_phone_and_code(&form) {
        Ok(read) => read,
        Err(err) => {
            let message = user_message(err);
            let shown = shown_phone(&form);
            return code_form(
                &state,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
                Some(&message),
            );
        }
    };
    let client =
        crate::client_address::client_ip(peer.ip(), &headers, &state.config.trusted_proxies);
    match check_code(&state, phone, code, client).await {
        Ok(Some(account_id)) => open_session(&state, account_id, "phone").await,
        Ok(None) => code_form(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            phone,
            Some(REFUSED),
        ),
        Err(err) => error_page(&state.config.app_name, None, err.into()),
    }
}

/// Presents `given` as the login code sent to `phone`: the id of the
/// account it opens, or `None` (no activated account with that number, no
/// code pending for it, expired, wrong, or out of tries). A right code is
/// consumed; the `APP_CODE_MAX_ATTEMPTS`-th wrong one drops the pending
/// code.
async fn check_code(
    state: &AppState,
    phone: &str,
    given: &str,
    client: std::net::IpAddr,
) -> Result<Option<i32>, DbErr> {
    let db = &state.db;
    // A deactivated or blocked account is not found: refused like an
    // unknown number.
    let Some(account) = accounts::find_activated_by_phone(db, phone).await? else {
        return Ok(None);
    };
    // Locked after too many wrong codes: refused as a wrong code.
    if crate::service::code_guard::is_locked(state, account.id).await? {
        return Ok(None);
    }
    let Some(pending) = phone_login_code::Entity::find()
        .filter(Column::AccountId.eq(account.id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now = state.clock.now_naive();
    if pending.phone != phone || pending.created_at <= now - CODE_LIFETIME {
        return Ok(None);
    }
    let max = i32::try_from(state.config.code_max_attempts).unwrap_or(i32::MAX);
    // Take a try on this very code before comparing: counting after the
    // comparison would let a burst of concurrent guesses all be compared
    // before any is counted; and a code replaced meanwhile is not found.
    let reserved = phone_login_code::Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(pending.id))
        .filter(Column::Attempts.lt(max))
        .exec(db)
        .await?;
    if reserved.rows_affected != 1 {
        return Ok(None);
    }
    if !secrets::constant_time_eq(&pending.code, given) {
        // Whichever request used the last try drops the code.
        phone_login_code::Entity::delete_many()
            .filter(Column::Id.eq(pending.id))
            .filter(Column::Attempts.gte(max))
            .exec(db)
            .await?;
        crate::service::code_guard::record_failure(state, &account, client).await?;
        return Ok(None);
    }
    // Removing it is the claim: of concurrent right answers, one logs in.
    let claimed = phone_login_code::Entity::delete_by_id(pending.id)
        .exec(db)
        .await?;
    Ok((claimed.rows_affected == 1).then_some(account.id))
}
