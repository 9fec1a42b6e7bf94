//! `POST /api/accounts/with-token`: an app creates its own account with a
//! token it received by push (`POST /api/tokens`), and gets its activation
//! code by e-mail or SMS (docs/api.md, "`POST /api/accounts/with-token`").
//! The route is `src/api/with_token.rs`.

use chrono::{Duration, NaiveDateTime};
use sea_orm::DbErr;

use crate::auth::digest::Algorithm;
use crate::client::Client;
use crate::db::accounts::{self, AccountView, NewAccount};
use crate::db::entities::token;
use crate::db::push_tokens;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::notify::{mails, sms};
use crate::secrets;
use crate::service::accounts::creation_error;
use crate::service::codes::CodeKind;
use crate::service::fields;
use crate::state::AppState;

const TOKEN_MESSAGE: &str = "The token is invalid, used or expired.";

/// Where the activation code goes.
#[derive(Clone)]
enum Delivery {
    Email(String),
    Sms(String),
    /// Neither: the account waits for an admin or a provisioning link.
    None,
}

struct Creation<'a> {
    username: &'a str,
    password: &'a str,
    algorithm: Algorithm,
    delivery: Delivery,
    token: token::Model,
}

/// Creates an account, not activated, with a token pushed to the device
/// (`POST /api/tokens`), and sends its activation code; when the code
/// cannot be sent, the account is removed and the token usable again.
pub async fn create(
    state: &AppState,
    client: &Client,
    body: &JsonObject,
) -> ApiResult<AccountView> {
    let now = state.clock.now_naive();
    let live_since = now - Duration::minutes(state.config.token_lifetime_minutes);
    let creation = validate(state, body, live_since).await?;
    let code = match creation.delivery {
        Delivery::Sms(_) => CodeKind::Pin,
        Delivery::Email(_) | Delivery::None => CodeKind::Key,
    }
    .generate();
    let view = insert_pending(state, client, &creation, &code, live_since, now).await?;

    // In its own task, so that a client hanging up (or the request
    // timeout) cannot stop the undo halfway.
    let account = view.account.clone();
    let token_id = creation.token.id;
    let delivery = creation.delivery;
    let task_state = state.clone();
    let task = tokio::spawn(async move {
        let state = task_state;
        let address = format!("{}@{}", account.username, account.domain);
        let Err(err) = deliver(&state, &delivery, &address, &code).await else {
            return Ok(());
        };
        tracing::warn!(account_id = account.id, error = %err, "activation code not sent; account removed");
        // Compensation: as if the request had never come, so the app can
        // retry with the same token.
        accounts::delete(&state.db, account.id).await?;
        push_tokens::set_legacy_used(&state.db, token_id, false, live_since, now).await?;
        Err(ApiError::Unavailable(
            "The activation code could not be sent.".into(),
        ))
    });
    task.await.map_err(ApiError::internal)??;
    Ok(view)
}

/// Claims the token and creates the account, not activated, with `code` as
/// its confirmation key. Both commit together, so two requests with one
/// token create one account. The code is sent after the commit: the SQLite
/// pool has one connection, and a transaction held over a 10-second SMTP or
/// SMS call would stall every other request.
async fn insert_pending(
    state: &AppState,
    client: &Client,
    creation: &Creation<'_>,
    code: &str,
    live_since: NaiveDateTime,
    now: NaiveDateTime,
) -> ApiResult<accounts::AccountView> {
    let (email, phone) = match &creation.delivery {
        Delivery::Email(email) => (Some(email.as_str()), None),
        Delivery::Sms(phone) => (None, Some(phone.as_str())),
        Delivery::None => (None, None),
    };
    let ip_address = client.ip.to_string();
    let user_agent = client
        .user_agent
        .clone()
        .unwrap_or_else(|| state.config.app_name.clone());
    let txn = crate::db::begin_write(&state.db).await?;
    if !push_tokens::set_legacy_used(&txn, creation.token.id, true, live_since, now).await? {
        return Err(ApiError::field("token", TOKEN_MESSAGE));
    }
    let new = NewAccount {
        username: creation.username,
        domain: &state.config.sip_domain,
        password: Some((creation.password, creation.algorithm)),
        email,
        phone,
        activated: false,
        admin: false,
        confirmation_key: Some(code.to_string()),
        confirmation_key_expires: None,
        ip_address: &ip_address,
        user_agent: &user_agent,
        ..Default::default()
    };
    let account = accounts::insert(&txn, &state.config, new, now)
        .await
        .map_err(creation_error)?;
    let view = accounts::view(&txn, account).await?;
    txn.commit().await?;
    Ok(view)
}

/// Every field at once (422 naming each), then the token.
async fn validate<'a>(
    state: &AppState,
    body: &'a JsonObject,
    live_since: NaiveDateTime,
) -> ApiResult<Creation<'a>> {
    let mut v = body.validator();
    let username = fields::username(&mut v);
    let password = fields::password(&mut v);
    let algorithm = fields::algorithm(&mut v);
    if let Some(domain) = v.optional_string("domain") {
        v.check(
            "domain",
            domain.eq_ignore_ascii_case(&state.config.sip_domain),
            "The domain is not managed by this service.",
        );
    }
    let email = fields::optional_email(&mut v);
    let phone = fields::optional_phone(&mut v);
    // One code, one channel: an e-mail code or an SMS PIN, not both.
    if email.is_some() && phone.is_some() {
        for field in ["email", "phone"] {
            v.error(field, "Give an email or a phone, not both.");
        }
    }
    let given_token = v.required_string("token");
    let token = match given_token {
        Some(given) => find_live_token(state, given, live_since).await?,
        None => None,
    };
    if given_token.is_some() && token.is_none() {
        v.error("token", TOKEN_MESSAGE);
    }
    v.finish()?;
    let (Some(username), Some(password), Some(algorithm), Some(token)) =
        (username, password, algorithm, token)
    else {
        unreachable!("validated above");
    };
    let delivery = match (email, phone) {
        (Some(email), _) => Delivery::Email(email.to_string()),
        (None, Some(phone)) => Delivery::Sms(phone.to_string()),
        (None, None) => Delivery::None,
    };
    Ok(Creation {
        username,
        password,
        algorithm,
        delivery,
        token,
    })
}

/// The unused token `given`, created after `live_since`.
async fn find_live_token(
    state: &AppState,
    given: &str,
    live_since: NaiveDateTime,
) -> Result<Option<token::Model>, DbErr> {
    if given.len() > 64 {
        return Ok(None);
    }
    let found = push_tokens::find_legacy(&state.db, given).await?;
    // MySQL compares case-insensitively: insist on the exact bytes.
    Ok(found.filter(|row| {
        secrets::constant_time_eq(&row.token, given) && !row.used && row.created_at > live_since
    }))
}

#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("mail: {0}")]
    Mail(#[from] crate::notify::MailError),
    #[error("mail template: {0}")]
    Template(#[from] askama::Error),
    #[error("SMS: {0}")]
    Sms(#[from] crate::notify::SmsError),
}

/// Sends the code; the error never contains it.
async fn deliver(
    state: &AppState,
    delivery: &Delivery,
    address: &str,
    code: &str,
) -> Result<(), DeliveryError> {
    let app_name = &state.config.app_name;
    match delivery {
        Delivery::Email(to) => {
            let mail = mails::activation_code(app_name, to, address, code)?;
            state.mailer.send(mail).await?;
        }
        Delivery::Sms(phone) => {
            let message = sms::validation_message(app_name, code);
            state.sms.send(phone, &message).await?;
        }
        Delivery::None => {}
    }
    Ok(())
}
