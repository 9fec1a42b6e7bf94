//! Account creation tokens (PHP FlexiAPI 2.x, issue 10):
//!
//! - `POST /api/account_creation_tokens/send-by-push` pushes one to a
//!   device, with the limits of `POST /api/tokens` and a retry delay;
//! - `POST /api/account_creation_request_tokens` starts the browser path:
//!   a request token and the panel URL where a person validates it;
//! - `POST /api/account_creation_tokens/using-account-creation-request-token`
//!   exchanges a validated request token for a creation token, once;
//! - `POST /api/account_creation_tokens` (admin) makes one;
//! - `POST /api/accounts/with-account-creation-token` creates an account
//!   with one, consuming it in the account's transaction;
//! - `POST /api/account_creation_tokens/consume` (user) links one to an
//!   existing account, consuming it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDateTime;

use crate::audit::{self, Action};
use crate::auth::{AdminUser, AuthUser};
use crate::client::Client;
use crate::db::accounts::{self, NewAccount};
use crate::error::{ApiError, ApiResult};
use crate::input::JsonObject;
use crate::secrets;
use crate::service::accounts::{CONFIRMATION_KEY_LENGTH, creation_error};
use crate::service::creation_tokens::{self, TOKEN_LENGTH};
use crate::service::fields;
use crate::service::push_tokens::{self, PushedToken};
use crate::state::AppState;

use super::admin_schemas::{AdminGuard, FromHeader};
use super::push_token::PushDevice;
use super::schemas::{Account, DigestAlgorithm, Empty, Message, ValidationError};

const TOKEN_MESSAGE: &str = "Please provide a valid account_creation_token.";
/// The DTMF protocols PHP accepts.
const DTMF_PROTOCOLS: [&str; 3] = ["sipinfo", "sipmessage", "rfc2833"];

/// Public routes, each limited per client address.
pub fn public_router(state: &AppState) -> Router<AppState> {
    let limited = |router: Router<AppState>, bucket: &'static str| {
        router.route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), bucket),
            crate::rate_limit::http::middleware,
        ))
    };
    let tokens = Router::new()
        .route(
            "/api/account_creation_tokens/send-by-push",
            post(send_by_push),
        )
        .route("/api/account_creation_request_tokens", post(create_request))
        .route(
            "/api/account_creation_tokens/using-account-creation-request-token",
            post(using_request_token),
        );
    let accounts = Router::new().route(
        "/api/accounts/with-account-creation-token",
        post(create_account),
    );
    limited(tokens, "account-creation-tokens")
        .merge(limited(accounts, "with-account-creation-token"))
}

/// Routes for an authenticated account.
pub fn user_router() -> Router<AppState> {
    Router::new().route("/api/account_creation_tokens/consume", post(consume))
}

pub fn admin_router() -> Router<AppState> {
    Router::new().route("/api/account_creation_tokens", post(admin_create))
}

/// Pushes an account creation token to a device; the app then creates its
/// account with it (`POST /api/accounts/with-account-creation-token`).
#[utoipa::path(
    post,
    path = "/api/account_creation_tokens/send-by-push",
    tag = "public",
    operation_id = "account_creation_tokens_send_by_push",
    request_body = PushDevice,
    responses(
        (status = 200, description = "The token is pushed", body = Empty),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 403, description = "An unused token was already sent to this device, or it reached its token limit", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "A field is missing or invalid", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute, or this device redeemed a token too recently", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
        (status = 503, description = "No pusher is configured, or the push failed (no token is kept)", body = Message),
    ),
)]
async fn send_by_push(
    State(state): State<AppState>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Empty>> {
    push_tokens::send_by_push(&state, PushedToken::AccountCreation, &body, &client).await?;
    Ok(Json(Empty {}))
}

/// Starts the browser path: a request token, and the panel page where a
/// person validates it.
#[utoipa::path(
    post,
    path = "/api/account_creation_request_tokens",
    tag = "public",
    operation_id = "account_creation_request_tokens_create",
    responses(
        (status = 201, description = "The request token", body = CreationRequestToken),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
    ),
)]
async fn create_request(
    State(state): State<AppState>,
) -> ApiResult<(StatusCode, Json<CreationRequestToken>)> {
    let now = state.clock.now_naive();
    let token = creation_tokens::insert_request(&state.db, now).await?;
    let validation_url = creation_tokens::validation_url(&state.config, &token);
    Ok((
        StatusCode::CREATED,
        Json(CreationRequestToken {
            token,
            validation_url,
        }),
    ))
}

/// Exchanges a validated request token for an account creation token,
/// once.
#[utoipa::path(
    post,
    path = "/api/account_creation_tokens/using-account-creation-request-token",
    tag = "public",
    operation_id = "account_creation_tokens_using_request_token",
    request_body = RequestTokenExchange,
    responses(
        (status = 201, description = "The account creation token", body = AccountCreationToken),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 404, description = "Unknown, unvalidated, expired or already used request token", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The request token is missing or not 13 letters and digits", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
    ),
)]
async fn using_request_token(
    State(state): State<AppState>,
    client: Client,
    body: JsonObject,
) -> ApiResult<(StatusCode, Json<AccountCreationToken>)> {
    let mut v = body.validator();
    let given = v.required_string("account_creation_request_token");
    if let Some(given) = given {
        v.check(
            "account_creation_request_token",
            creation_tokens::is_well_formed(given),
            format!(
                "The account_creation_request_token must be {TOKEN_LENGTH} letters and digits."
            ),
        );
    }
    v.finish()?;
    let given = given.unwrap_or_default();
    let now = state.clock.now_naive();
    let Some((token, row)) =
        creation_tokens::exchange_request(&state.db, &state.config, given, &client, now).await?
    else {
        return Err(ApiError::not_found());
    };
    Ok((
        StatusCode::CREATED,
        Json(AccountCreationToken::new(
            &state.config,
            token,
            row.created_at,
        )),
    ))
}

/// A new account creation token, not tied to a device.
#[utoipa::path(
    post,
    path = "/api/account_creation_tokens",
    tag = "admin",
    operation_id = "admin_account_creation_tokens_create",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    responses(
        (status = 201, description = "The token", body = AccountCreationToken),
        AdminGuard,
    ),
)]
async fn admin_create(
    State(state): State<AppState>,
    AdminUser { by, .. }: AdminUser,
    client: Client,
) -> ApiResult<(StatusCode, Json<AccountCreationToken>)> {
    let now = state.clock.now_naive();
    let txn = crate::db::begin_write(&state.db).await?;
    let (token, row) = creation_tokens::insert_unpushed(&txn, Some(&client), now).await?;
    audit::record(&txn, &by, Action::CreationTokenIssue, &row).await?;
    txn.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(AccountCreationToken::new(
            &state.config,
            token,
            row.created_at,
        )),
    ))
}

/// As PHP 2.x: the account is created in `APP_SIP_DOMAIN`, not activated,
/// with a 13-character confirmation key (for an admin or a provisioning
/// link), its user agent the service's name; the token is consumed and
/// linked to it in the same transaction.
#[utoipa::path(
    post,
    path = "/api/accounts/with-account-creation-token",
    tag = "public",
    operation_id = "accounts_create_with_account_creation_token",
    request_body = AccountWithCreationToken,
    responses(
        (status = 200, description = "The new account, not activated", body = Account),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "Invalid fields, a taken username, `admin` or `activated` sent (only an admin sets them), or an unknown, used or expired token", body = ValidationError),
        (status = 429, description = "Too many requests from this address in the last minute", body = Message,
            headers(("Retry-After" = u64, description = "Seconds until the next request is accepted"))),
    ),
)]
async fn create_account(
    State(state): State<AppState>,
    client: Client,
    body: JsonObject,
) -> ApiResult<Json<Account>> {
    let now = state.clock.now_naive();
    let mut v = body.validator();
    let username = fields::username(&mut v);
    let password = fields::password(&mut v);
    let algorithm = fields::algorithm_or_default(&mut v);
    let dtmf_protocol = v.optional_string("dtmf_protocol");
    if let Some(dtmf) = dtmf_protocol {
        v.check(
            "dtmf_protocol",
            DTMF_PROTOCOLS.contains(&dtmf),
            "The dtmf_protocol must be sipinfo, sipmessage or rfc2833.",
        );
    }
    // Only an admin decides these (upstream FLEXIAPI-537).
    v.missing("admin");
    v.missing("activated");
    // Checked as upstream does, and as upstream not stored: only an admin
    // sets a dictionary.
    if let Err(message) = crate::service::dictionary::optional_entries(&body) {
        v.error("dictionary", message);
    }
    let given = v.required_string("account_creation_token");
    if let Some(given) = given
        && !creation_tokens::is_live(&state.db, &state.config, given, now).await?
    {
        v.error("account_creation_token", TOKEN_MESSAGE);
    }
    v.finish()?;
    let (Some(username), Some(password), Some(algorithm), Some(given)) =
        (username, password, algorithm, given)
    else {
        unreachable!("validated above");
    };

    let ip_address = client.ip.to_string();
    let txn = crate::db::begin_write(&state.db).await?;
    let new = NewAccount {
        username,
        domain: &state.config.sip_domain,
        password: Some((password, algorithm)),
        activated: false,
        dtmf_protocol,
        confirmation_key: Some(secrets::random_alphanumeric(CONFIRMATION_KEY_LENGTH)),
        ip_address: &ip_address,
        user_agent: &state.config.app_name,
        ..Default::default()
    };
    let account = accounts::insert(&txn, &state.config, new, now)
        .await
        .map_err(creation_error)?;
    // Claimed after the insert, in its transaction: a refused account
    // leaves the token unused, and of two requests with one token only
    // the one that changed the row commits.
    if !creation_tokens::claim(&txn, &state.config, given, account.id, now).await? {
        txn.rollback().await?;
        return Err(ApiError::field("account_creation_token", TOKEN_MESSAGE));
    }
    let view = accounts::view(&txn, account).await?;
    txn.commit().await?;
    tracing::info!(
        account_id = view.account.id,
        "account created with an account creation token"
    );
    Ok(Json(Account::new(&view, &state.config)))
}

/// Consumes a creation token for the authenticated account: the token is
/// marked used and linked to it, as when an account is created with it.
#[utoipa::path(
    post,
    path = "/api/account_creation_tokens/consume",
    tag = "user",
    operation_id = "account_creation_tokens_consume",
    params(FromHeader),
    security(("api_key" = []), ("digest" = [])),
    request_body = ConsumedTokenBody,
    responses(
        (status = 200, description = "The token, now used and linked to the account", body = ConsumedToken),
        (status = 400, description = "The body is not a JSON object", body = Message),
        (status = 401, description = "Not authenticated (no or wrong credentials, deactivated or blocked account)", body = Message),
        (status = 404, description = "Unknown, used or expired token, or the `From` header names no account", body = Message),
        (status = 413, description = "The body is larger than 64 KiB", body = Message),
        (status = 422, description = "The token is missing or not a string, or the `From` header is missing or malformed", body = ValidationError),
    ),
)]
async fn consume(
    State(state): State<AppState>,
    AuthUser(auth): AuthUser,
    body: JsonObject,
) -> ApiResult<Json<ConsumedToken>> {
    let mut v = body.validator();
    let given = v.required_string("account_creation_token");
    v.finish()?;
    let given = given.unwrap_or_default();
    let now = state.clock.now_naive();
    let account_id = auth.account.id;
    let claimed = creation_tokens::claim(&state.db, &state.config, given, account_id, now).await?;
    if !claimed {
        return Err(ApiError::not_found());
    }
    let created_at = creation_tokens::created_at(&state.db, given).await?;
    Ok(Json(ConsumedToken {
        token: given.to_string(),
        expire_at: creation_tokens::expire_at(&state.config, created_at.unwrap_or(now)),
        used: true,
        account_id: account_id.into(),
    }))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        send_by_push,
        create_request,
        using_request_token,
        admin_create,
        create_account,
        consume
    ),
    components(schemas(
        Empty,
        PushDevice,
        DigestAlgorithm,
        CreationRequestToken,
        RequestTokenExchange,
        AccountCreationToken,
        AccountWithCreationToken,
        ConsumedTokenBody,
        ConsumedToken,
    ))
)]
pub(crate) struct Doc;

/// `POST /api/account_creation_request_tokens`.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreationRequestToken {
    /// 13 letters and digits.
    token: String,
    /// `APP_URL/creation_request/{token}`, where a person validates it.
    validation_url: String,
}

/// `POST /api/account_creation_tokens/using-account-creation-request-token`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct RequestTokenExchange {
    /// A validated request token.
    #[schema(pattern = "^[A-Za-z0-9]{13}$", min_length = 13, max_length = 13)]
    account_creation_request_token: String,
}

/// An account creation token.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AccountCreationToken {
    /// 13 letters and digits.
    token: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or null when tokens do not expire.
    #[schema(required = true)]
    expire_at: Option<String>,
}

impl AccountCreationToken {
    fn new(config: &crate::config::Config, token: String, created_at: NaiveDateTime) -> Self {
        Self {
            expire_at: creation_tokens::expire_at(config, created_at),
            token,
        }
    }
}

/// `POST /api/accounts/with-account-creation-token`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct AccountWithCreationToken {
    /// 6 to 64 ASCII letters, digits, `.`, `_`, `-`, `+`; unique in the domain.
    #[schema(pattern = r"^[A-Za-z0-9._+-]{6,64}$", min_length = 6, max_length = 64)]
    username: String,
    #[schema(min_length = 6, max_length = 255)]
    password: String,
    algorithm: DigestAlgorithm,
    /// `sipinfo`, `sipmessage` or `rfc2833`; empty or null for none.
    #[schema(value_type = Option<String>, pattern = "^(sipinfo|sipmessage|rfc2833)?$")]
    dtmf_protocol: Option<String>,
    /// A live, unused token.
    #[schema(pattern = "^[A-Za-z0-9]{13}$", min_length = 13, max_length = 13)]
    account_creation_token: String,
}

/// `POST /api/account_creation_tokens/consume`.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
struct ConsumedTokenBody {
    /// A live, unused creation token.
    #[schema(pattern = "^[A-Za-z0-9]{13}$", min_length = 13, max_length = 13)]
    account_creation_token: String,
}

/// A creation token once consumed by an account.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ConsumedToken {
    /// 13 letters and digits.
    token: String,
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, or null when tokens do not expire.
    #[schema(required = true)]
    expire_at: Option<String>,
    /// Always true.
    used: bool,
    /// The authenticated account's id.
    account_id: i64,
}
