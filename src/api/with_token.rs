//! `POST /api/accounts/with-token`: an app creates its own account with a
//! token it received by push (`POST /api/tokens`), and gets its activation
//! code by e-mail or SMS (docs/api.md, "`POST /api/accounts/with-token`").
//! The flow is `src/service/with_token.rs`.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};

use crate::client::Client;
use crate::error::ApiResult;
use crate::input::JsonObject;
use crate::service::with_token;
use crate::state::AppState;

use super::schemas::{Account, DigestAlgorithm, Message, ValidationError};

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/accounts/with-token", post(create))
        .route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), "with-token"),
            crate::rate_limit::http::middleware,
        ))
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
    let view = with_token::create(&state, &client, &body).await?;
    Ok(Json(Account::new(&view, &state.config)))
}

/// This module's operations in the OpenAPI document (src/api/openapi.rs).
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
