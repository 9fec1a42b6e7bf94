//! `POST /api/accounts/with-token`: an app creates its own account with a
//! token it received by push (`POST /api/tokens`), and gets its activation
//! code by e-mail or SMS (docs/api.md, "`POST /api/accounts/with-token`").

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Duration, NaiveDateTime};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::auth::digest::Algorithm;
use crate::client::Client;
use crate::db::accounts::{self, NewAccount};
use crate::db::entities::token;
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::notify::{mails, sms};
use crate::secrets;
use crate::service::accounts::creation_error;
use crate::service::codes::CodeKind;
use crate::service::fields;
use crate::state::AppState;

use super::schemas::{Account, DigestAlgorithm, Message, ValidationError};

const TOKEN_MESSAGE: &str = "The token is invalid, used or expired.";

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/accounts/with-token", post(create))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "with-token"),
            crate::rate_limit::middleware,
        ))
}

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
/// (`POST /api/tokens`). With `email` the activation key is mailed there
/// (`…/activate/email`), with `phone` a 4-digit PIN goes by SMS and the
/// phone becomes the account's alias (`…/activate/phone`); with neither the
/// account waits for an admin or a provisioning link.
#[utoipa::path(
    post,
    path = "/api/accounts/with-token",
    tag = "public",
    operation_id = "accounts_create_with_token",
    request_body = AccountWithToken,
    responses(
        (status = 200, description = "The new account", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "Invalid fields, a domain this service does not manage, both `email` and `phone`, a taken username or phone, or an unknown, used or expired token", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
        (status = 503, description = "The activation code could not be sent (the account is removed, the token usable again)", body = Message),
    ),
)]
async fn create(
    State(state): State<AppState>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    let now = state.clock.now_naive();
    let live_since = now - Duration::minutes(state.config.token_lifetime_minutes);
    let creation = validate(&state, &body, live_since).await?;
    let code = match creation.delivery {
        Delivery::Sms(_) => CodeKind::Pin,
        Delivery::Email(_) | Delivery::None => CodeKind::Key,
    }
    .generate();
    let view = insert_pending(&state, &client, &creation, &code, live_since, now).await?;

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
        set_token_used(&state.db, token_id, false, live_since, now).await?;
        Err(ApiError::Unavailable(
            "The activation code could not be sent.".into(),
        ))
    });
    task.await.map_err(ApiError::internal)??;
    Ok(Json(Account::new(&view, &state.config)))
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
    if !set_token_used(&txn, creation.token.id, true, live_since, now).await? {
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
    let found = token::Entity::find()
        .filter(token::Column::Token.eq(given))
        .one(&state.db)
        .await?;
    // MySQL compares case-insensitively: insist on the exact bytes.
    Ok(found.filter(|row| {
        secrets::constant_time_eq(&row.token, given) && !row.used && row.created_at > live_since
    }))
}

/// Marks a live token used, or unused again; false when it was not live
/// or already in that state. The conditional update is the claim: of
/// concurrent requests only the one that changed the row goes on.
async fn set_token_used(
    conn: &impl ConnectionTrait,
    id: i32,
    used: bool,
    live_since: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let changed = token::Entity::update_many()
        .col_expr(token::Column::Used, Expr::value(used))
        .col_expr(token::Column::UpdatedAt, Expr::value(now))
        .filter(token::Column::Id.eq(id))
        .filter(token::Column::Used.eq(!used))
        .filter(token::Column::CreatedAt.gt(live_since))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
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

/// This module's operations in the OpenAPI document (src/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(paths(create), components(schemas(DigestAlgorithm, AccountWithToken)))]
pub(crate) struct Doc;

/// `POST /api/accounts/with-token`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct AccountWithToken {
    /// 6 to 64 ASCII letters, digits, `.`, `_`, `-`, `+`; unique in the domain.
    #[schema(pattern = r"^[A-Za-z0-9._+-]{6,64}$", min_length = 6, max_length = 64)]
    username: String,
    #[schema(min_length = 6, max_length = 255)]
    password: String,
    algorithm: DigestAlgorithm,
    /// Only `APP_SIP_DOMAIN` (the accounts are created there anyway).
    #[schema(max_length = 255)]
    domain: Option<String>,
    /// The token pushed by `POST /api/tokens`.
    #[schema(min_length = 1, max_length = 64)]
    token: String,
    /// Where the activation key goes; not with `phone`.
    #[schema(max_length = 255, pattern = r"^([^@]+@[^@.][^@]*\.[^@]*[^@.])?$")]
    email: Option<String>,
    /// `+` and 6 to 15 digits, where the activation PIN goes; not with `email`.
    #[schema(pattern = r"^(\+[0-9]{6,15})?$", max_length = 16)]
    phone: Option<String>,
}
